"""Objective vocoder quality: wide-band PESQ, STOI and log-spectral distance against the original.

- PESQ (ITU-T P.862.2 wide band, Rix et al. 2001): 1.0 (bad) … 4.64 (transparent), at 16 kHz.
- STOI (Taal et al. 2011): short-time objective intelligibility, 0 … 1.
- LSD: log-spectral distance in dB, mean over frames of the RMS difference of the log power spectra
  (floored 80 dB below the reference's peak).
Each takes the reference and the vocoded waveform at the same sample rate; lengths are cut to the
shorter one (vocoders return whole frames). These measure fidelity to *this* recording — a vocoder
can sound natural and still score lower than one that copies the phase better.
"""

from __future__ import annotations

import numpy as np

from course_lib.checks import as_real_array

PESQ_RATE = 16000


#: STOI compares 30-frame (384 ms at 10 kHz, hop 128) segments: shorter audio has none to compare.
STOI_MIN_SECONDS = 0.4


def _pair(reference, degraded) -> tuple[np.ndarray, np.ndarray]:
    ref = as_real_array(reference, "reference").astype(np.float64).reshape(-1)
    deg = as_real_array(degraded, "degraded").astype(np.float64).reshape(-1)
    n = min(len(ref), len(deg))
    if n == 0:
        raise ValueError("reference and degraded audio must both be non-empty")
    ref, deg = ref[:n], deg[:n]
    if not (np.isfinite(ref).all() and np.isfinite(deg).all()):
        raise ValueError("audio contains NaN or inf; check the vocoder output")
    return ref, deg


def _check_rate(sample_rate) -> int:
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer)) or sample_rate <= 0:
        raise ValueError(f"sample_rate must be a positive integer in Hz, got {sample_rate!r}")
    return int(sample_rate)


def pesq_wb(reference, degraded, sample_rate: int = 22050) -> float:
    """Wide-band PESQ (MOS-LQO) after resampling both signals to 16 kHz (librosa)."""
    import librosa
    from pesq import pesq

    sample_rate = _check_rate(sample_rate)
    ref, deg = _pair(reference, degraded)
    if sample_rate != PESQ_RATE:
        ref = librosa.resample(ref, orig_sr=sample_rate, target_sr=PESQ_RATE)
        deg = librosa.resample(deg, orig_sr=sample_rate, target_sr=PESQ_RATE)
    if len(ref) < PESQ_RATE // 4:
        raise ValueError("PESQ needs at least 0.25 s of audio")
    return float(pesq(PESQ_RATE, ref, deg, "wb"))


def stoi(reference, degraded, sample_rate: int = 22050) -> float:
    """Short-time objective intelligibility (pystoi resamples to 10 kHz internally)."""
    from pystoi import stoi as _stoi

    sample_rate = _check_rate(sample_rate)
    ref, deg = _pair(reference, degraded)
    need = int(np.ceil(STOI_MIN_SECONDS * sample_rate))
    if len(ref) < need:
        raise ValueError(f"STOI needs at least {STOI_MIN_SECONDS} s of audio ({need} samples at {sample_rate} Hz), "
                         f"got {len(ref)} samples (the shorter of the two signals)")
    return float(_stoi(ref, deg, sample_rate, extended=False))


def log_spectral_distance(reference, degraded, n_fft: int = 1024, hop_length: int = 256,
                          floor_db: float = 80.0) -> float:
    """LSD in dB: mean over frames of sqrt(mean over bins of (10·log10 P_ref − 10·log10 P_deg)²).

    Both power spectra are floored at ``floor_db`` below the reference's peak, so that digital
    silence (exact zeros, log power −∞) does not dominate the average with inaudible differences.
    """
    import torch

    ref, deg = _pair(reference, degraded)
    if len(ref) < n_fft:
        raise ValueError(f"need at least n_fft={n_fft} samples for the log-spectral distance")
    window = torch.hann_window(n_fft, dtype=torch.float64)
    spec = torch.stft(torch.from_numpy(np.stack([ref, deg])), n_fft, hop_length, window=window,
                      center=True, return_complex=True)        # [2, bins, frames]
    power = spec.abs() ** 2
    floor = max(float(power[0].max()), 1e-20) * 10 ** (-floor_db / 10)
    log_power = 10 * torch.log10(power.clamp(min=floor))
    per_frame = ((log_power[0] - log_power[1]) ** 2).mean(dim=0).sqrt()   # [frames]
    return float(per_frame.mean())


def vocoder_metrics(reference, degraded, sample_rate: int = 22050) -> dict[str, float]:
    """``{"pesq": …, "stoi": …, "lsd": …}`` for one utterance."""
    return {"pesq": pesq_wb(reference, degraded, sample_rate),
            "stoi": stoi(reference, degraded, sample_rate),
            "lsd": log_spectral_distance(reference, degraded)}


RESOLUTIONS = ((512, 128), (1024, 256), (2048, 512))  # (n_fft, hop) of the multi-resolution STFT


def mr_stft_loss(reference, degraded, resolutions=RESOLUTIONS):
    """Multi-resolution STFT distance (Yamamoto et al. 2020, eq. 4–6) of tensors ``[batch, samples]``,
    differentiable in ``degraded`` (a training loss): the mean over (n_fft, hop) of spectral convergence
    ‖|S| − |Ŝ|‖_F / ‖|S|‖_F plus the mean |log|S| − log|Ŝ||, each averaged over the batch. Magnitudes are
    floored 80 dB below each reference's peak, so that digital silence does not dominate the log term."""
    import torch

    total = 0.0
    for n_fft, hop in resolutions:
        window = torch.hann_window(n_fft, dtype=reference.dtype, device=reference.device)
        ref, deg = (torch.stft(x, n_fft, hop, window=window, center=True, return_complex=True).abs()
                    for x in (reference, degraded))                     # [batch, bins, frames]
        floor = ref.detach().amax(dim=(1, 2), keepdim=True).clamp(min=1e-10) * 1e-4
        ref, deg = ref.clamp(min=floor), torch.maximum(deg, floor)
        convergence = torch.linalg.norm(ref - deg, dim=(1, 2)) / torch.linalg.norm(ref, dim=(1, 2))
        total = total + (convergence + (ref.log() - deg.log()).abs().mean(dim=(1, 2))).mean()
    return total / len(resolutions)


def mr_stft_distance(reference, degraded, resolutions=RESOLUTIONS) -> float:
    """:func:`mr_stft_loss` of one utterance pair (float64); 0 for identical signals."""
    import torch

    ref, deg = _pair(reference, degraded)
    if len(ref) < max(n_fft for n_fft, _ in resolutions):
        raise ValueError(f"need at least n_fft={max(n for n, _ in resolutions)} samples for the multi-resolution "
                         "STFT distance")
    return float(mr_stft_loss(torch.from_numpy(ref)[None], torch.from_numpy(deg)[None], resolutions))
