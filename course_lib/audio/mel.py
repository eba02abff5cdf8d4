"""Mel scale, mel filterbank, log compression and the mel spectrogram (chapter 07).

The mel scale (Stevens, Volkmann & Newman 1937) spaces frequencies as listeners hear pitch. We use
Slaney's version (Auditory Toolbox, 1998), as librosa's default and NVIDIA's Tacotron 2 do: linear below
1 kHz (``m = 3f / 200``), logarithmic above (``m = 15 + 27 · ln(f / 1000) / ln 6.4``). Each mel band
is a triangle between its neighbours' centres, scaled to unit area ("slaney" normalisation).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from course_lib.checks import as_real_array, as_torch_wave, checked_by, integer

from .config import AudioConfig
from .stft import magnitude, single_threaded, stft

_F_SP = 200.0 / 3  # Hz per mel in the linear part
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP  # 15 mels at 1 kHz
_LOGSTEP = np.log(6.4) / 27.0


def hz_to_mel(f):
    """Slaney mel of a frequency in Hz (linear below 1 kHz, logarithmic above)."""
    f = np.asarray(f, dtype=np.float64)
    mel = f / _F_SP
    log_part = _MIN_LOG_MEL + np.log(np.maximum(f, _MIN_LOG_HZ) / _MIN_LOG_HZ) / _LOGSTEP
    return np.where(f >= _MIN_LOG_HZ, log_part, mel)


def mel_to_hz(m):
    """Inverse of :func:`hz_to_mel`."""
    m = np.asarray(m, dtype=np.float64)
    hz = _F_SP * m
    log_part = _MIN_LOG_HZ * np.exp(_LOGSTEP * (np.maximum(m, _MIN_LOG_MEL) - _MIN_LOG_MEL))
    return np.where(m >= _MIN_LOG_MEL, log_part, hz)


def _check_filterbank(sample_rate=22050, n_fft=1024, n_mels=80, fmin=0.0, fmax=None) -> None:
    for name, value in (("sample_rate", sample_rate), ("n_fft", n_fft), ("n_mels", n_mels)):
        integer(value, name)
    fmax = sample_rate / 2 if fmax is None else fmax
    if not 0 <= fmin < fmax <= sample_rate / 2:
        raise ValueError(f"need 0 ≤ fmin < fmax ≤ sample_rate / 2, got fmin={fmin}, fmax={fmax}, "
                         f"sample_rate={sample_rate}.")


@checked_by(_check_filterbank)
def mel_filterbank(sample_rate: int = 22050, n_fft: int = 1024, n_mels: int = 80,
                   fmin: float = 0.0, fmax: float | None = None) -> np.ndarray:
    """Slaney mel filterbank ``[n_mels, n_fft // 2 + 1]``, equal to ``librosa.filters.mel(htk=False, norm="slaney")``.

    Band ``i`` rises linearly from centre ``c[i]`` to ``c[i+1]`` and falls to ``c[i+2]``, where the
    ``n_mels + 2`` centres are equally spaced in mel between ``fmin`` and ``fmax`` (default
    ``sample_rate / 2``); each triangle is scaled by ``2 / (c[i+2] - c[i])`` so all bands have equal area.
    """
    fmax = sample_rate / 2 if fmax is None else fmax
    fft_freqs = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)  # [n_freqs] Hz of each FFT bin
    centres = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))  # [n_mels + 2] Hz
    widths = np.diff(centres)  # [n_mels + 1]
    offsets = centres[:, None] - fft_freqs[None, :]  # [n_mels + 2, n_freqs]
    rising = -offsets[:-2] / widths[:-1, None]  # [n_mels, n_freqs]
    falling = offsets[2:] / widths[1:, None]  # [n_mels, n_freqs]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (centres[2:] - centres[:-2]))[:, None]  # Slaney: equal area per band
    return weights.astype(np.float32)


@lru_cache(maxsize=32)
def _cached_filterbank(sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> torch.Tensor:
    return torch.from_numpy(mel_filterbank(sample_rate, n_fft, n_mels, fmin, fmax))  # shared: never modify


def dynamic_range_compression(x, clip_val: float = 1e-5):
    """``log(clamp(x, clip_val))`` — NVIDIA Tacotron 2's log compression (silence → log(1e-5) ≈ −11.51;
    the paper clips at 0.01 instead, Shen et al. 2018 sec. 2.2)."""
    if isinstance(x, torch.Tensor):
        return torch.log(torch.clamp(x, min=clip_val))
    return np.log(np.maximum(np.asarray(x), clip_val))


def dynamic_range_decompression(x):
    """Inverse of :func:`dynamic_range_compression` (``exp``; values below ``clip_val`` stay lost)."""
    return torch.exp(x) if isinstance(x, torch.Tensor) else np.exp(np.asarray(x))


def mel_spectrogram(wave, config: AudioConfig = AudioConfig()) -> torch.Tensor:
    """Log mel spectrogram ``[..., n_mels, frames]`` of ``wave [samples]`` or ``[batch, samples]``.

    NVIDIA Tacotron 2's features (the paper's differ, see chapter 07): ``|torch.stft|`` (Hann,
    centred, reflect padding; magnitude, not power) → Slaney mel filters → ``log(clamp(·, clip_val))``.
    ``frames = 1 + samples // hop_length``.
    The wave should lie in [-1, 1]; tensors keep their device.
    """
    if not isinstance(config, AudioConfig):
        raise TypeError(f"config must be an AudioConfig, got {type(config).__name__}.")
    basis = _cached_filterbank(config.sample_rate, config.n_fft, config.n_mels, float(config.fmin), float(config.fmax))
    with single_threaded():
        x = as_torch_wave(wave, "wave", min_samples=config.n_fft // 2 + 1)
        spec = magnitude(stft(x, config.n_fft, config.hop_length, config.win_length))  # [..., n_freqs, frames]
        mel = torch.matmul(basis.to(spec.device, spec.dtype), spec)  # [..., n_mels, frames]
        return dynamic_range_compression(mel, config.clip_val).float()


def mel_to_linear(mel, config: AudioConfig = AudioConfig()):
    """Approximate linear magnitude ``[..., n_freqs, frames]`` from a (linear, not log) mel spectrogram.

    80 bands cannot hold 513 frequencies, so this is the least-squares answer: the Moore–Penrose
    pseudo-inverse of the filterbank, clipped at 0 (magnitudes are non-negative).
    """
    if not isinstance(config, AudioConfig):
        raise TypeError(f"config must be an AudioConfig, got {type(config).__name__}.")
    inverse = _pinv(config.sample_rate, config.n_fft, config.n_mels, float(config.fmin), float(config.fmax))
    if isinstance(mel, torch.Tensor):
        if mel.is_complex():
            raise TypeError("mel must be real-valued (mel magnitudes); take .abs() first.")
        mel = mel if mel.is_floating_point() else mel.float()
        _check_mel(mel.shape, config)
        if not bool(torch.isfinite(mel).all()):
            raise ValueError("mel contains NaN or infinite values.")
        return torch.clamp(torch.from_numpy(inverse).to(mel.device, mel.dtype) @ mel, min=0.0)
    mel = as_real_array(mel, "mel", "mel magnitudes")
    _check_mel(mel.shape, config)
    if not np.all(np.isfinite(mel)) or np.abs(mel).max() > np.finfo(np.float32).max:
        raise ValueError("mel contains NaN or infinite values (or values beyond float32's range, 3.4e38).")
    return np.maximum(inverse @ mel.astype(np.float32), 0.0)


@lru_cache(maxsize=8)
def _pinv(sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    basis = _cached_filterbank(sample_rate, n_fft, n_mels, fmin, fmax).numpy().astype(np.float64)
    return np.linalg.pinv(basis).astype(np.float32)  # [n_freqs, n_mels]


def _check_mel(shape, config: AudioConfig) -> None:
    if len(shape) < 2 or shape[-2] != config.n_mels or shape[-1] == 0:
        raise ValueError(f"mel must be [..., n_mels={config.n_mels}, frames ≥ 1], got shape {tuple(shape)}.")
