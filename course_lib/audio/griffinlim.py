"""Griffin-Lim: a waveform from a magnitude spectrogram alone (Griffin & Lim 1984), chapter 07.

A magnitude spectrogram throws the phase away. Griffin-Lim guesses a phase, then alternates two
projections: inverse STFT (to the nearest real signal) and STFT again, keeping the new phase but
the given magnitude. Without momentum no round increases the spectral distance. The "fast" variant
(Perraudin, Balazs & Søndergaard 2013) adds a momentum term, as ``librosa.griffinlim`` does.
Tacotron (Wang et al. 2017) used Griffin-Lim as its vocoder.
"""

from __future__ import annotations

import numpy as np
import torch

from course_lib.checks import as_real_array, integer

from .config import AudioConfig
from .mel import dynamic_range_decompression, mel_to_linear
from .stft import _torch_stft, istft, istft_from_scratch, single_threaded, stft, stft_from_scratch

_EPS = 1e-16
#: Largest natural-log mel :func:`mel_to_audio` accepts; speech stays below ~5 and exp(50) ≈ 5e21.
MAX_LOG_MEL = 50.0


def _check_magnitude(magnitude, n_freqs: int | None = None) -> None:
    shape = tuple(magnitude.shape)
    if len(shape) != 2 or shape[0] < 2 or shape[1] < 1:
        raise ValueError(f"magnitude must be [n_fft // 2 + 1, frames ≥ 1], got shape {shape}.")
    if n_freqs is not None and shape[0] != n_freqs:
        raise ValueError(f"magnitude has {shape[0]} frequency rows but the config's n_fft needs {n_freqs}.")
    if isinstance(magnitude, torch.Tensor):
        finite = bool(torch.isfinite(magnitude).all())
    else:
        finite = np.isfinite(magnitude).all()
    if not finite:
        raise ValueError("magnitude contains NaN or infinite values.")
    if (magnitude < 0).any():
        raise ValueError("magnitude must be ≥ 0 (pass |STFT|, not a log or complex spectrogram).")


def _check_iter(n_iter: int, momentum: float) -> int:
    if isinstance(n_iter, bool) or not isinstance(n_iter, (int, np.integer)) or n_iter < 0:
        raise ValueError(f"n_iter must be an integer ≥ 0, got {n_iter!r}.")
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in [0, 1), got {momentum!r} (0 = plain Griffin-Lim).")
    return int(n_iter)


def griffin_lim_from_scratch(magnitude, n_iter: int = 32, hop_length: int = 256, win_length: int | None = None,
                             window_name: str = "hann", momentum: float = 0.99, init: str = "random",
                             seed: int = 0, length: int | None = None) -> np.ndarray:
    """Griffin-Lim in NumPy on :func:`stft_from_scratch` / :func:`istft_from_scratch`.

    ``init="zeros"`` starts from zero phase (deterministic, as ``librosa.griffinlim(init=None)``);
    ``"random"`` draws uniform phases from ``seed``. Returns ``[samples]`` float64.
    """
    magnitude = np.asarray(magnitude, dtype=np.float64)  # [n_freqs, frames]
    _check_magnitude(magnitude)
    n_iter = _check_iter(n_iter, momentum)
    n_fft = 2 * (magnitude.shape[0] - 1)
    angles = _initial_phase(magnitude.shape, init, seed)
    previous = 0.0
    for _ in range(n_iter):
        signal = istft_from_scratch(magnitude * angles, hop_length, win_length, window_name, length=length)
        rebuilt = stft_from_scratch(signal, n_fft, hop_length, win_length, window_name)  # projection
        angles = rebuilt - (momentum / (1 + momentum)) * previous  # fast Griffin-Lim extrapolation
        angles = angles / (np.abs(angles) + _EPS)  # keep only the phase
        previous = rebuilt
    return istft_from_scratch(magnitude * angles, hop_length, win_length, window_name, length=length)


def _initial_phase(shape, init: str, seed: int) -> np.ndarray:
    if init == "zeros":
        return np.ones(shape, dtype=np.complex128)
    if init == "random":
        rng = np.random.default_rng(seed)
        return np.exp(2j * np.pi * rng.random(shape))
    raise ValueError(f"init must be 'random' or 'zeros', got {init!r}.")


def griffin_lim(magnitude, config: AudioConfig = AudioConfig(), n_iter: int = 32, momentum: float = 0.99,
                init: str = "random", seed: int = 0, length: int | None = None,
                window_name: str = "hann") -> np.ndarray:
    """Waveform ``[samples]`` (float32) from a linear magnitude ``[n_fft // 2 + 1, frames]`` (torch.stft fast path).

    Same algorithm as :func:`griffin_lim_from_scratch`; the seeded random initial phase makes the
    result reproducible. ``momentum=0`` is the original Griffin & Lim (1984) iteration.
    """
    if not isinstance(config, AudioConfig):
        raise TypeError(f"config must be an AudioConfig, got {type(config).__name__}.")
    mag = magnitude.detach().cpu().float() if isinstance(magnitude, torch.Tensor) else \
        torch.from_numpy(np.asarray(magnitude, dtype=np.float32))
    _check_magnitude(mag, config.n_freqs)
    n_iter = _check_iter(n_iter, momentum)
    if length is not None:
        length = integer(length, "length")
    if mag.shape[1] == 1 and length is None:
        raise ValueError("a single frame has no length to reconstruct; pass length=... or more frames.")
    hop, win = config.hop_length, config.win_length
    angles = torch.from_numpy(_initial_phase(tuple(mag.shape), init, seed).astype(np.complex64))  # [n_freqs, frames]
    length = length or hop * (mag.shape[1] - 1)
    if length <= config.n_fft // 2:
        raise ValueError(f"{mag.shape[1]} frames give {length} samples; Griffin-Lim needs more than "
                         f"n_fft // 2 = {config.n_fft // 2}.")
    previous = torch.zeros_like(angles)
    with single_threaded():
        for _ in range(n_iter):
            signal = istft(mag * angles, hop, win, window_name, length=length)
            rebuilt = _torch_stft(signal, config.n_fft, hop, win, window_name)  # no input checks: ours, finite
            angles = rebuilt - (momentum / (1 + momentum)) * previous
            angles = angles / (angles.abs() + _EPS)
            previous = rebuilt
        return istft(mag * angles, hop, win, window_name, length=length).float().numpy()


def check_log_mel(log_mel) -> np.ndarray:
    """``log_mel`` as a float64 array ``[n_mels, frames]``; ValueError for NaN/inf, the wrong rank or dB scale."""
    log_mel = as_real_array(log_mel, "log_mel", "natural-log mel magnitudes").astype(np.float64)
    if log_mel.ndim != 2:
        raise ValueError(f"log_mel must be [n_mels, frames] (one utterance), got shape {log_mel.shape}.")
    if not np.all(np.isfinite(log_mel)):
        raise ValueError("log_mel contains NaN or infinite values; clamp before the log (see clip_val).")
    if log_mel.size and log_mel.max() > MAX_LOG_MEL:
        raise ValueError(f"log_mel reaches {log_mel.max():.3g}, but natural-log mels of audio in [-1, 1] stay below "
                         f"~5 (exp({MAX_LOG_MEL:g}) is already absurdly loud). Is it in decibels or normalised? "
                         "Convert it back to log(mel magnitude) first.")
    return log_mel


def mel_to_audio(log_mel, config: AudioConfig = AudioConfig(), n_iter: int = 32, **kwargs) -> np.ndarray:
    """Waveform ``[samples]`` from a log mel spectrogram ``[n_mels, frames]``.

    Undo the log (``exp``), map mel → linear with the filterbank's pseudo-inverse, then Griffin-Lim.
    Extra keyword arguments go to :func:`griffin_lim`.
    """
    log_mel = check_log_mel(log_mel)
    linear = mel_to_linear(dynamic_range_decompression(log_mel), config)  # [n_freqs, frames]
    return griffin_lim(linear, config, n_iter=n_iter, **kwargs)


def spectral_convergence(magnitude, wave, config: AudioConfig = AudioConfig()) -> float:
    """``‖|STFT(wave)| − S‖_F / ‖S‖_F``: how far ``wave``'s magnitude is from the target ``S`` (lower is better)."""
    target = torch.from_numpy(as_real_array(magnitude, "magnitude", "magnitudes").astype(np.float64))
    _check_magnitude(target, config.n_freqs)
    with single_threaded():
        rebuilt = stft(torch.from_numpy(as_real_array(wave, "wave").astype(np.float64)), config.n_fft,
                       config.hop_length, config.win_length).abs()
    frames = min(target.shape[-1], rebuilt.shape[-1])
    target, rebuilt = target[..., :frames], rebuilt[..., :frames]
    return float(torch.linalg.norm(rebuilt - target) / torch.clamp(torch.linalg.norm(target), min=_EPS))
