"""How good is the synthetic speech? Objective scores against the held-out recordings (chapter 15).

- **Alignment error**: the attention against the corpus' ground-truth path
  (:func:`course_lib.tts.metrics.alignment.alignment_scores`; share of steps within ±3 characters, mean
  phoneme distance, and the timing scores that a constant-speed line cannot pass: timing
  correlation and lead-corrected error as a multiple of the line's) — for teacher-forced and for
  free-running synthesis.
- **Mel cepstral distortion** (Kubichek 1993): ``MCD = (10 / ln 10) · sqrt(2 Σ_d (c_d − ĉ_d)²)`` dB,
  averaged over frames, with ``c_1 … c_24`` the cepstrum (DCT-II) of the natural-log mel frame
  (``c_0``, the loudness, left out). Toolkits get their cepstra differently (SPTK's mel-cepstral
  analysis of the STFT, 24–34 coefficients), so compare MCDs computed the same way only.
- **Log-spectral distance** on the mel bands: RMS over bands of the dB difference, averaged over frames.
- Free-running speech is not as long as the recording, so frames are paired by **dynamic time
  warping** (Sakoe & Chiba 1978) on the cepstral distance before averaging; the same pairing maps the
  recording's F0 onto such speech for the voice metrics (:func:`aligned_voice_metrics`).
- **Stop-token accuracy**: share of decoder steps whose stop decision (σ(logit) > 0.5) is right under
  teacher forcing, and how many frames early (−) or late (+) the first "stop" fires.
- **Real-time factor**: compute time / audio duration (< 1 is faster than real time).
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import torch
from scipy.fft import dct

from course_lib.audio import mel_spectrogram
from course_lib.checks import checked_by
from course_lib.tts.metrics.alignment import alignment_scores

__all__ = ["mel_cepstrum", "dtw_path", "mel_cepstral_distortion", "log_spectral_distance", "stop_token_scores",
           "real_time_factor", "evaluate_utterance", "summarize"]

_DB = 10.0 / math.log(10.0)  # natural log → decibels of power: 10·log10(x) = (10/ln 10)·ln(x)


def _frames(log_mel) -> np.ndarray:
    """``[n_mels, frames]`` tensor/array → float64 ``[frames, n_mels]``."""
    if isinstance(log_mel, torch.Tensor):
        log_mel = log_mel.detach().cpu().numpy()
    if not isinstance(log_mel, np.ndarray) or log_mel.dtype.kind not in "iuf":
        kind = type(log_mel).__name__ if not isinstance(log_mel, np.ndarray) else f"array of {log_mel.dtype}"
        raise TypeError(f"a log mel must be a real tensor or array [n_mels, frames], got {kind}")
    x = log_mel.astype(np.float64)
    if x.ndim != 2 or x.shape[1] == 0:
        raise ValueError(f"a log mel must be [n_mels, frames] with frames >= 1, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("the log mel contains NaN or inf")
    return x.T


def mel_cepstrum(log_mel, n_coeffs: int = 24) -> np.ndarray:
    """Cepstral coefficients ``c_1 … c_D`` of each frame of a natural-log mel with B bands:
    ``c_k = (1/B) Σ_b ln m_b cos(π k (2b + 1) / 2B)``, so that ``ln m_b ≈ c_0 + 2 Σ_k c_k cos(…)``
    (the scale of a cepstrum, for which the MCD formula is written).  # [frames, n_coeffs]"""
    x = _frames(log_mel)
    if not 1 <= n_coeffs < x.shape[1]:
        raise ValueError(f"n_coeffs must be in [1, {x.shape[1] - 1}], got {n_coeffs}")
    return dct(x, type=2, axis=1)[:, 1:n_coeffs + 1] / (2 * x.shape[1])  # scipy's DCT-II is 2 Σ x cos(…)


def _check_cost(cost) -> None:
    shape = np.shape(cost)
    if len(shape) != 2 or 0 in shape:
        raise ValueError(f"cost must be a non-empty [N, M] matrix, got shape {shape}")


@checked_by(_check_cost)
def dtw_path(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cheapest monotonic path through ``cost [N, M]`` from (0, 0) to (N−1, M−1), steps →, ↓, ↘.

    Row by row: ``D[i, j] = c[i, j] + min(D[i−1, j−1], D[i−1, j], D[i, j−1])``. The horizontal
    recursion inside a row is a running minimum: ``D[i, j] = C[j] + min_{k≤j}(t_k − C[k])`` with
    ``C`` the cumulative row cost and ``t_k`` the cost of entering column k from the row above.
    """
    cost = np.asarray(cost, dtype=np.float64)
    n, m = cost.shape
    acc = np.empty((n, m))
    acc[0] = np.cumsum(cost[0])
    for i in range(1, n):
        prev = acc[i - 1]
        enter = np.minimum(prev, np.concatenate(([np.inf], prev[:-1]))) + cost[i]  # from ↓ or ↘
        csum = np.cumsum(cost[i])
        acc[i] = csum + np.minimum.accumulate(enter - csum)
    i, j, path = n - 1, m - 1, [(n - 1, m - 1)]
    while i > 0 or j > 0:
        options = [(acc[i - 1, j - 1] if i and j else np.inf, i - 1, j - 1),
                   (acc[i - 1, j] if i else np.inf, i - 1, j), (acc[i, j - 1] if j else np.inf, i, j - 1)]
        _, i, j = min(options)
        path.append((i, j))
    rows, cols = np.array(path[::-1]).T
    return rows, cols


def _paired(ref, syn, use_dtw: bool, n_coeffs: int):
    bands = (_frames(ref).shape[1], _frames(syn).shape[1])
    if bands[0] != bands[1]:
        raise ValueError(f"the reference has {bands[0]} mel bands, the synthesis {bands[1]}: compute both with "
                         "one AudioConfig")
    c_ref, c_syn = mel_cepstrum(ref, n_coeffs), mel_cepstrum(syn, n_coeffs)
    if use_dtw:
        cost = np.sqrt(((c_ref[:, None, :] - c_syn[None, :, :]) ** 2).sum(-1))  # [N, M]
        rows, cols = dtw_path(cost)
    else:
        n = min(len(c_ref), len(c_syn))
        rows = cols = np.arange(n)
    return c_ref, c_syn, rows, cols


def mel_cepstral_distortion(ref_log_mel, syn_log_mel, n_coeffs: int = 24, use_dtw: bool = True) -> float:
    """MCD in dB between two log mels ``[n_mels, frames]`` (frames paired by DTW unless ``use_dtw=False``)."""
    c_ref, c_syn, rows, cols = _paired(ref_log_mel, syn_log_mel, use_dtw, n_coeffs)
    diff = c_ref[rows] - c_syn[cols]
    return float(np.mean(_DB * np.sqrt(2.0 * (diff ** 2).sum(axis=1))))


def log_spectral_distance(ref_log_mel, syn_log_mel, use_dtw: bool = True, n_coeffs: int = 24) -> float:
    """Mel log-spectral distance in dB: mean over paired frames of the RMS over bands of
    ``20·log10(m) − 20·log10(m̂)`` (natural-log *magnitude* mels, so ×20/ln 10)."""
    _, _, rows, cols = _paired(ref_log_mel, syn_log_mel, use_dtw, n_coeffs)
    diff = 2 * _DB * (_frames(ref_log_mel)[rows] - _frames(syn_log_mel)[cols])
    return float(np.mean(np.sqrt((diff ** 2).mean(axis=1))))


def stop_token_scores(gate_logits, n_frames: int, r: int = 1, threshold: float = 0.5) -> dict:
    """Teacher-forced stop decisions ``gate_logits [steps]`` against the truth: "go on" before the
    step holding frame ``n_frames − 1``, "stop" from it on. Returns ``accuracy`` (over the real steps),
    ``stop_error_frames`` (first predicted stop − true stop, in frames; None if it never fires)."""
    logits = torch.as_tensor(gate_logits).detach().float().cpu().flatten()
    steps = math.ceil(n_frames / r)
    if n_frames < 1 or len(logits) < steps:
        raise ValueError(f"need n_frames >= 1 and at least {steps} gate logits, got {n_frames} and {len(logits)}")
    stop = torch.sigmoid(logits[:steps]) > threshold
    truth = torch.arange(steps) >= steps - 1
    fired = stop.nonzero().flatten()
    error = None if len(fired) == 0 else int(fired[0] - (steps - 1)) * r
    return {"accuracy": float((stop == truth).double().mean()), "stop_error_frames": error}


def real_time_factor(compute_seconds: float, n_samples: int, sample_rate: int = 22050) -> float:
    """Compute time / audio duration: 0.1 means ten seconds of speech take one second to make."""
    if n_samples <= 0 or sample_rate <= 0:
        raise ValueError(f"need n_samples > 0 and sample_rate > 0, got {n_samples}, {sample_rate}")
    return float(compute_seconds) / (n_samples / sample_rate)


@torch.no_grad()
def evaluate_utterance(acoustic, utt, *, vocoder: str | None = None, waveglow=None, sigma: float = 0.6,
                       seed: int = 0, max_length_ratio: float = 2.0) -> dict:
    """Score a Tacotron 2 (a :class:`course_lib.tts.pipeline.AcousticModel`) on one corpus utterance.

    Teacher-forced (the real mel as decoder input): stop-token accuracy and alignment. Free-running
    (text only): alignment against the time-stretched truth, length ratio, MCD and LSD against the real
    mel with DTW, Tacotron 2's real-time factor, and with ``vocoder`` also the vocoder's.
    """
    from course_lib.tts.pipeline import vocode
    from course_lib.tts.tacotron2 import encode_text

    model, config = acoustic.model, acoustic.model.config
    r, device = config.n_frames_per_step, next(model.parameters()).device
    ids = encode_text(utt.text).to(device)
    real = mel_spectrogram(utt.load_audio(), acoustic.audio_config)  # [n_mels, T]
    n_frames = real.shape[1]
    padded_len = math.ceil(n_frames / r) * r
    silence = math.log(acoustic.audio_config.clip_val)
    padded = torch.nn.functional.pad(real, (0, padded_len - n_frames), value=silence)
    target = acoustic.normalizer.normalize(padded)[None].to(device)
    row = {"id": utt.id, "text": utt.text, "seconds": utt.duration}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model.eval()
        forced = model(ids[None], torch.tensor([len(ids)]), target, torch.tensor([n_frames]))
        steps = math.ceil(n_frames / r)
        row.update({f"forced_{k}": v for k, v in stop_token_scores(forced.gate[0], n_frames, r).items()})
        tf = alignment_scores(forced.alignments[0, :steps].cpu(), utt, n_frames, r)
        row.update({"forced_within": tf.within, "forced_phoneme_error": tf.phoneme_error,
                    "forced_timing_correlation": tf.timing_correlation, "forced_error_ratio": tf.error_ratio})
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = model.inference(ids, max_decoder_steps=math.ceil(max_length_ratio * n_frames / r))
        taco_s = time.perf_counter() - start
    length = int(out.lengths[0])
    mel = acoustic.normalizer.denormalize(out.mel_postnet[0, :, :length].float().cpu())
    free = alignment_scores(out.alignments[0, : math.ceil(length / r)].cpu(), utt, n_frames, r, rescale=True)
    row.update({
        "stopped": not any("max_decoder_steps" in str(w.message) for w in caught),
        "length_ratio": length / n_frames, "free_within": free.within, "free_phoneme_error": free.phoneme_error,
        "free_baseline_within": free.baseline_within, "free_timing_correlation": free.timing_correlation,
        "free_error_ratio": free.error_ratio,
        "backward_jumps": free.backward_jumps, "mcd_db": mel_cepstral_distortion(real, mel),
        "lsd_db": log_spectral_distance(real, mel),
        "rtf_tacotron2": real_time_factor(taco_s, length * acoustic.audio_config.hop_length,
                                          acoustic.audio_config.sample_rate),
    })
    if vocoder is not None:
        start = time.perf_counter()
        generator = torch.Generator(device=device).manual_seed(seed)
        audio = vocode(mel, vocoder, waveglow, sigma, device, acoustic.audio_config, generator=generator)
        row["rtf_vocoder"] = real_time_factor(time.perf_counter() - start, len(audio),
                                              acoustic.audio_config.sample_rate)
        row["audio"] = audio
        row["mel"] = mel
    return row


def summarize(rows: list[dict]) -> dict:
    """Mean of every numeric score over utterances (booleans become shares; None stop errors are skipped)."""
    if not rows:
        raise ValueError("no rows to summarise")
    out = {}
    for key, value in rows[0].items():
        if isinstance(value, (bool, int, float, np.floating)) or value is None:
            values = [row[key] for row in rows if row.get(key) is not None]
            if values and all(isinstance(v, (bool, int, float, np.floating)) for v in values):
                out[key] = float(np.mean([float(v) for v in values]))
    return out


def dtw_reference_f0(reference_log_mel, reference_f0, degraded_log_mel, n_coeffs: int = 24) -> np.ndarray:
    """The reference's F0 (Hz per reference frame, 0 = unvoiced) on the frames of an *unaligned* signal
    (e.g. speech from predicted mels): DTW on the mel-cepstra of the two log mels ``[n_mels, frames]``
    pairs the frames, and each degraded frame takes the F0 of the middle reference frame paired with it.
    The mel resolves low harmonics, so on a glide DTW may pair a mistuned frame with a neighbour of
    closer pitch: F0 errors there read smaller than they are."""
    from course_lib.checks import as_real_array

    f0 = as_real_array(reference_f0, "reference_f0", "F0 values in Hz").astype(np.float64).reshape(-1)
    c_ref, c_deg = mel_cepstrum(reference_log_mel, n_coeffs), mel_cepstrum(degraded_log_mel, n_coeffs)
    if np.shape(reference_log_mel)[0] != np.shape(degraded_log_mel)[0] or len(f0) != len(c_ref):
        raise ValueError(f"need two log mels with the same bands and one F0 per reference frame, got mels of "
                         f"{np.shape(reference_log_mel)} and {np.shape(degraded_log_mel)} and {len(f0)} F0 values")
    if not np.isfinite(f0).all() or (f0 < 0).any():
        raise ValueError("reference_f0 must be finite Hz values >= 0 (0 = unvoiced)")
    rows, cols = dtw_path(np.sqrt(((c_ref[:, None, :] - c_deg[None, :, :]) ** 2).sum(-1)))
    frames = np.arange(len(c_deg))
    middle = (np.searchsorted(cols, frames, "left") + np.searchsorted(cols, frames, "right") - 1) // 2
    return f0[rows[middle]]


def aligned_voice_metrics(degraded, f0_degraded, degraded_log_mel, reference_log_mel, reference_f0,
                          **kwargs) -> dict[str, float]:
    """:func:`~course_lib.tts.metrics.harmonics.f0_metrics` and ``harmonic_metrics`` of ``degraded`` (audio on
    the frames of ``degraded_log_mel``, its pYIN F0 ``f0_degraded``) against a reference it is not aligned
    with: the reference F0 is first mapped onto the degraded frames by :func:`dtw_reference_f0`."""
    from course_lib.tts.metrics.harmonics import f0_metrics, harmonic_metrics

    f0_ref = dtw_reference_f0(reference_log_mel, reference_f0, degraded_log_mel)
    return {**harmonic_metrics(degraded, f0_ref, **kwargs), **f0_metrics(f0_ref, f0_degraded)}
