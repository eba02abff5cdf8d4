"""Waveform preprocessing: mono, resampling, peak and loudness normalisation, pre-emphasis (chapter 07)."""

from __future__ import annotations

import warnings
from math import gcd

import numpy as np

from course_lib.checks import as_numpy_wave, integer

#: Peak |x| at or above this counts as full scale when looking for clipping.
CLIP_LEVEL = 0.999
#: Below this peak a signal counts as digital silence (nothing to normalise).
SILENCE_PEAK = 1e-6


def to_mono(wave) -> np.ndarray:
    """Average the channels of ``[samples, channels]`` (soundfile's layout) into ``[samples]``.

    Averaging (not summing, not taking the left channel) keeps the level in [-1, 1] and keeps
    what either channel holds. A 1-D wave is returned unchanged.
    """
    arr = as_numpy_wave(wave, "wave", ndim=(1, 2))
    return arr if arr.ndim == 1 else arr.mean(axis=1).astype(arr.dtype)


def resample(wave, orig_sr: int, target_sr: int) -> np.ndarray:
    """Resample ``[samples]`` from ``orig_sr`` to ``target_sr`` Hz with a polyphase filter.

    ``scipy.signal.resample_poly`` upsamples by ``target/g``, low-pass filters (Kaiser window, which
    removes what would alias above the new Nyquist frequency) and downsamples by ``orig/g``,
    ``g = gcd(orig, target)``. Output length is ``ceil(len · target / orig)``.
    """
    orig_sr = integer(orig_sr, "orig_sr")
    target_sr = integer(target_sr, "target_sr")
    x = as_numpy_wave(wave, "wave")
    if orig_sr == target_sr or len(x) == 0:
        return x.astype(np.float32)
    g = gcd(orig_sr, target_sr)
    from scipy.signal import resample_poly  # imported here: scipy.signal takes ~0.5 s to import

    return resample_poly(x, target_sr // g, orig_sr // g).astype(np.float32)


def peak(wave) -> float:
    """Largest absolute sample value (0.0 for an empty wave)."""
    x = as_numpy_wave(wave, "wave")
    return float(np.max(np.abs(x))) if x.size else 0.0


def rms_db(wave, floor_db: float = -200.0) -> float:
    """Root-mean-square level in dB relative to full scale (a full-scale sine is −3.01 dB).

    Digital silence (and an empty wave) returns ``floor_db`` instead of −∞.
    """
    x = as_numpy_wave(wave, "wave").astype(np.float64)
    rms = np.sqrt(np.mean(x ** 2)) if x.size else 0.0
    return float(max(20 * np.log10(rms), floor_db)) if rms > 0 else float(floor_db)


def _require_sound(x: np.ndarray, what: str) -> None:
    if x.size == 0 or np.max(np.abs(x)) < SILENCE_PEAK:
        raise ValueError(f"cannot {what}: the wave is silent (peak below {SILENCE_PEAK:g}) or empty, "
                         "so there is no level to scale. Skip silent clips or check the recording.")


def peak_normalize(wave, target_peak: float = 0.95) -> np.ndarray:
    """Scale so that ``max |x| == target_peak``. A silent wave raises ``ValueError``."""
    if not 0 < target_peak <= 1:
        raise ValueError(f"target_peak must be in (0, 1], got {target_peak}.")
    x = as_numpy_wave(wave, "wave")
    _require_sound(x, "peak-normalise")
    return (x * (target_peak / np.max(np.abs(x)))).astype(x.dtype)


def loudness_normalize(wave, target_db: float = -20.0) -> np.ndarray:
    """Scale so that the RMS level is ``target_db`` dBFS (a simple loudness match, not LUFS).

    Warns if the result clips (peak above 1); a silent wave raises ``ValueError``.
    """
    if not np.isfinite(target_db) or target_db > 0:
        raise ValueError(f"target_db must be a finite level ≤ 0 dBFS, got {target_db}.")
    x = as_numpy_wave(wave, "wave")
    _require_sound(x, "loudness-normalise")
    gain = 10 ** ((target_db - rms_db(x)) / 20)
    out = (x * gain).astype(x.dtype)
    if np.max(np.abs(out)) > 1:
        warnings.warn(f"loudness_normalize to {target_db} dBFS pushes the peak to {np.max(np.abs(out)):.2f} > 1: "
                      "the wave will clip when saved. Choose a lower target_db.", UserWarning, stacklevel=2)
    return out


def pre_emphasis(wave, coef: float = 0.97) -> np.ndarray:
    """First-order high-pass ``y[n] = x[n] − coef · x[n−1]`` (boosts the high frequencies speech lacks)."""
    if not 0 <= coef < 1:
        raise ValueError(f"coef must be in [0, 1), got {coef}.")
    x = as_numpy_wave(wave, "wave")
    from scipy.signal import lfilter

    return lfilter([1.0, -coef], [1.0], x).astype(x.dtype) if x.size else x.copy()


def de_emphasis(wave, coef: float = 0.97) -> np.ndarray:
    """Inverse of :func:`pre_emphasis`: ``x[n] = y[n] + coef · x[n−1]``."""
    if not 0 <= coef < 1:
        raise ValueError(f"coef must be in [0, 1), got {coef}.")
    y = as_numpy_wave(wave, "wave")
    from scipy.signal import lfilter

    return lfilter([1.0], [1.0, -coef], y).astype(y.dtype) if y.size else y.copy()


def clipped_fraction(wave, level: float = CLIP_LEVEL, min_run: int = 3) -> float:
    """Share of samples in runs of ≥ ``min_run`` consecutive samples at ``|x| ≥ level`` (the mark of clipping).

    A single sample at full scale (a peak-normalised wave) is not clipping; a flat top is.
    """
    x = np.abs(as_numpy_wave(wave, "wave")) >= level
    if not x.any():
        return 0.0
    edges = np.diff(np.concatenate([[0], x.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    runs = ends - starts
    return float(runs[runs >= min_run].sum() / len(x))
