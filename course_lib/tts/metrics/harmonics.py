"""Metrics that tell a voice from a whisper: harmonic energy, F0 error and voicing agreement.

All are measured against pYIN's F0 of the *original* recording (``excitation.pitch_track``), on the
mel frame grid (hop 256 at 22,050 Hz):

- harmonic-energy share: on frames the original voices, the share of the degraded signal's
  50 Hz–4 kHz energy within ±15 % of F0 of a harmonic h·F0 (white noise scores ≈ 0.3);
- harmonic contrast (dB): 10·log10 of the energy near the harmonics over the energy midway between
  them (±15 % of F0 around (h + ½)·F0), per frame, averaged;
- F0 RMSE in cents on frames both voice, and the F1 score of the degraded signal's voicing decisions
  against the original's.

Speech made from *predicted* mels (Tacotron 2) is not aligned with any recording: there
:func:`course_lib.tts.metrics.speech.aligned_voice_metrics` first maps the recording's F0 onto the
output's frames by dynamic time warping.
"""

from __future__ import annotations

import numpy as np

BAND = (50.0, 4000.0)
WIDTH = 0.15  # half-width of a harmonic (or between-harmonic) band, as a fraction of F0


def _power_frames(wave: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    import torch

    spec = torch.stft(torch.from_numpy(np.asarray(wave, np.float64)), n_fft, hop, window=torch.hann_window(n_fft,
                      dtype=torch.float64), center=True, return_complex=True)
    return (spec.abs() ** 2).T.numpy()  # [frames, bins]


def harmonic_metrics(degraded, f0_reference, sample_rate: int = 22050, hop_length: int = 256,
                     n_fft: int = 2048) -> dict[str, float]:
    """``{"harmonic_share", "harmonic_contrast_db"}`` of ``degraded`` on the voiced frames of ``f0_reference``
    (Hz per frame, 0 = unvoiced); NaN for both when the reference has no voiced frame."""
    from course_lib.checks import as_real_array

    wave = as_real_array(degraded, "degraded").astype(np.float64).reshape(-1)
    f0 = np.asarray(f0_reference, dtype=np.float64).reshape(-1)
    if not np.isfinite(f0).all() or (f0 < 0).any():
        raise ValueError("f0_reference must be finite Hz values >= 0 (0 = unvoiced); "
                         "use np.nan_to_num on pYIN's output")
    if len(wave) < n_fft or not np.isfinite(wave).all():
        raise ValueError(f"degraded must be finite audio of at least n_fft={n_fft} samples")
    power = _power_frames(wave, n_fft, hop_length)
    n = min(len(power), len(f0))
    voiced = np.nonzero(f0[:n] > 0)[0]
    if len(voiced) == 0:
        return {"harmonic_share": float("nan"), "harmonic_contrast_db": float("nan")}
    freqs = np.arange(power.shape[1]) * sample_rate / n_fft
    band = (freqs >= BAND[0]) & (freqs <= BAND[1])
    shares, contrasts = [], []
    for i in voiced:
        ratio = freqs[band] / f0[i]                       # position in units of F0
        offset = np.abs(ratio - np.round(ratio))          # 0 at a harmonic, 0.5 midway
        p = power[i, band]
        near = p[(offset <= WIDTH) & (np.round(ratio) >= 1)].sum()
        between = p[np.abs(offset - 0.5) <= WIDTH].sum()
        total = p.sum()
        if total > 0:
            shares.append(near / total)
            contrasts.append(10 * np.log10((near + 1e-20) / (between + 1e-20)))
    if not shares:
        return {"harmonic_share": 0.0, "harmonic_contrast_db": 0.0}
    return {"harmonic_share": float(np.mean(shares)), "harmonic_contrast_db": float(np.mean(contrasts))}


def f0_metrics(f0_reference, f0_degraded) -> dict[str, float]:
    """``{"f0_rmse_cents", "f0_mean_cents", "vuv_f1"}``: the RMS and mean |F0 error| in cents where both
    voice (NaN if nowhere) and voicing F1 (1.0 if neither voices)."""
    ref = np.asarray(f0_reference, dtype=np.float64).reshape(-1)
    deg = np.asarray(f0_degraded, dtype=np.float64).reshape(-1)
    for name, f in (("f0_reference", ref), ("f0_degraded", deg)):
        if not np.isfinite(f).all() or (f < 0).any():
            raise ValueError(f"{name} must be finite Hz values >= 0 (0 = unvoiced)")
    n = min(len(ref), len(deg))
    ref, deg = ref[:n], deg[:n]
    both = (ref > 0) & (deg > 0)
    cents = np.abs(1200 * np.log2(deg[both] / ref[both]))
    rmse, mean = (float(np.sqrt(np.mean(cents**2))), float(cents.mean())) if both.any() else (np.nan, np.nan)
    tp, fp, fn = both.sum(), ((deg > 0) & (ref == 0)).sum(), ((deg == 0) & (ref > 0)).sum()
    f1 = 1.0 if tp + fp + fn == 0 else float(2 * tp / (2 * tp + fp + fn))
    return {"f0_rmse_cents": rmse, "f0_mean_cents": mean, "vuv_f1": f1}
