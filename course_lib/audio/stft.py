"""The short-time Fourier transform, from scratch and fast (chapter 07).

A spectrogram cuts the signal into overlapping frames, multiplies each by a window and takes its
FFT: ``X[f, m] = Σ_n x[n + m·hop] · w[n] · exp(-2πi f n / n_fft)``. With ``center=True`` the signal
is first padded by ``n_fft // 2`` on each side (reflecting it), so frame ``m`` is centred on sample
``m·hop`` and there are ``1 + len(x) // hop`` frames. :func:`stft_from_scratch` builds this with
NumPy; :func:`stft` is the fast path (``torch.stft``) that the course uses everywhere else.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import torch

from course_lib.checks import as_numpy_wave, as_torch_wave, checked_by, integer

WINDOWS = ("hann", "hamming", "rect")


@contextmanager
def single_threaded():
    """Run torch ops on one CPU thread inside the block, then restore the thread count.

    Spectrograms are many small FFTs, where intra-op threads mostly add synchronisation: on a busy
    2-core machine 32 Griffin-Lim iterations took 15.5 s on 2 threads and 0.3 s on one.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def window(name: str, length: int) -> np.ndarray:
    """Periodic analysis window of ``length`` samples: "hann", "hamming" or "rect" (all ones).

    Periodic (``N`` in the denominator, not ``N - 1``) as ``torch.hann_window`` and
    ``scipy.signal.get_window`` use for spectral analysis.
    """
    length = integer(length, "window length")
    n = np.arange(length)
    if name == "hann":
        return 0.5 - 0.5 * np.cos(2 * np.pi * n / length)
    if name == "hamming":
        return 0.54 - 0.46 * np.cos(2 * np.pi * n / length)
    if name == "rect":
        return np.ones(length)
    raise ValueError(f"unknown window {name!r}; choose one of {WINDOWS}.")


def padded_window(name: str, win_length: int, n_fft: int) -> np.ndarray:
    """The window centred inside ``n_fft`` zeros, as torch.stft does when win_length < n_fft."""
    if win_length > n_fft:
        raise ValueError(f"win_length ({win_length}) must be ≤ n_fft ({n_fft}).")
    w = np.zeros(n_fft)
    left = (n_fft - win_length) // 2
    w[left:left + win_length] = window(name, win_length)
    return w


def _check_frames(x, frame_length, hop_length) -> None:
    frame_length = integer(frame_length, "frame_length")
    integer(hop_length, "hop_length")
    as_numpy_wave(x, "x", min_samples=frame_length)


@checked_by(_check_frames)
def frame_signal(x, frame_length: int, hop_length: int) -> np.ndarray:
    """Cut ``x [samples]`` into overlapping frames ``[n_frames, frame_length]`` (no padding).

    Frame ``m`` is ``x[m·hop : m·hop + frame_length]``; ``n_frames = 1 + (len(x) - frame_length) // hop``.
    """
    x = as_numpy_wave(x, "x")
    n_frames = 1 + (len(x) - frame_length) // hop_length
    starts = hop_length * np.arange(n_frames)[:, None]  # [n_frames, 1]
    return x[starts + np.arange(frame_length)[None, :]]  # [n_frames, frame_length]


def _check_stft(x, n_fft=1024, hop_length=256, win_length=None, window_name="hann", center=True,
                pad_mode="reflect") -> None:
    n_fft = integer(n_fft, "n_fft")
    if win_length is not None:
        integer(win_length, "win_length")
    x = as_numpy_wave(x, "x", min_samples=1)
    if center and pad_mode == "reflect" and len(x) <= n_fft // 2:
        raise ValueError(f"x has {len(x)} samples; reflect padding needs more than n_fft // 2 = {n_fft // 2}.")


@checked_by(_check_stft)
def stft_from_scratch(x, n_fft: int = 1024, hop_length: int = 256, win_length: int | None = None,
                      window_name: str = "hann", center: bool = True, pad_mode: str = "reflect") -> np.ndarray:
    """Complex STFT ``[n_fft // 2 + 1, n_frames]`` of ``x [samples]``: pad → frame → window → FFT.

    Equals ``torch.stft(..., center=center, pad_mode=pad_mode, return_complex=True)``.
    """
    win_length = n_fft if win_length is None else win_length
    x = as_numpy_wave(x, "x")
    if center:
        x = np.pad(x, n_fft // 2, mode=pad_mode)
    frames = frame_signal(x, n_fft, hop_length)  # [n_frames, n_fft]
    frames = frames * padded_window(window_name, win_length, n_fft)[None, :]
    return np.fft.rfft(frames, n=n_fft, axis=-1).T  # [n_fft // 2 + 1, n_frames]


def istft_from_scratch(spec, hop_length: int = 256, win_length: int | None = None, window_name: str = "hann",
                       center: bool = True, length: int | None = None) -> np.ndarray:
    """Inverse STFT by weighted overlap-add (Griffin & Lim 1984, eq. 6): ``[n_fft//2+1, n_frames] → [samples]``.

    Each frame's inverse FFT is windowed again and added at its position; dividing by the summed
    squared windows makes ``istft(stft(x)) == x``.
    """
    spec = np.asarray(spec)
    if spec.ndim != 2 or spec.shape[0] < 2 or spec.shape[1] < 1:
        raise ValueError(f"spec must be [n_fft // 2 + 1, n_frames ≥ 1], got shape {spec.shape}.")
    if not np.all(np.isfinite(spec)):
        raise ValueError("spec contains NaN or infinite values.")
    n_fft = 2 * (spec.shape[0] - 1)
    win_length = n_fft if win_length is None else win_length
    hop_length = integer(hop_length, "hop_length")
    w = padded_window(window_name, win_length, n_fft)
    frames = np.fft.irfft(spec.T, n=n_fft, axis=-1) * w[None, :]  # [n_frames, n_fft]
    n_frames = frames.shape[0]
    total = n_fft + hop_length * (n_frames - 1)
    out = np.zeros(total)
    norm = np.zeros(total)
    for m in range(n_frames):
        out[m * hop_length:m * hop_length + n_fft] += frames[m]
        norm[m * hop_length:m * hop_length + n_fft] += w ** 2
    out = out / np.where(norm > 1e-11, norm, 1.0)
    start = n_fft // 2 if center else 0
    if length is None:
        end = total - n_fft // 2 if center else total
        return out[start:end]
    out = out[start:start + length]
    return np.pad(out, (0, length - len(out)))


def _torch_window(name: str, win_length: int, like: torch.Tensor) -> torch.Tensor:
    if name == "hann":
        return torch.hann_window(win_length, dtype=like.dtype, device=like.device)
    if name == "hamming":
        return torch.hamming_window(win_length, dtype=like.dtype, device=like.device)
    if name == "rect":
        return torch.ones(win_length, dtype=like.dtype, device=like.device)
    raise ValueError(f"unknown window {name!r}; choose one of {WINDOWS}.")


def stft(wave, n_fft: int = 1024, hop_length: int = 256, win_length: int | None = None,
         window_name: str = "hann", center: bool = True) -> torch.Tensor:
    """Fast complex STFT with ``torch.stft`` (reflect padding): ``[..., samples] → [..., n_fft//2+1, frames]``."""
    n_fft = integer(n_fft, "n_fft")
    hop_length = integer(hop_length, "hop_length")
    win_length = n_fft if win_length is None else integer(win_length, "win_length")
    if win_length > n_fft:
        raise ValueError(f"win_length ({win_length}) must be ≤ n_fft ({n_fft}).")
    need = n_fft // 2 + 1 if center else n_fft
    x = as_torch_wave(wave, "wave", min_samples=need, ndim=tuple(range(1, 8)))
    return _torch_stft(x, n_fft, hop_length, win_length, window_name, center)


def _torch_stft(x: torch.Tensor, n_fft: int, hop_length: int, win_length: int, window_name: str = "hann",
                center: bool = True) -> torch.Tensor:
    """:func:`stft` without its input checks, for signals the library made itself (Griffin-Lim's loop)."""
    lead = x.shape[:-1]
    x = x.reshape(-1, x.shape[-1])  # [batch, samples]
    spec = torch.stft(x, n_fft, hop_length=hop_length, win_length=win_length,
                      window=_torch_window(window_name, win_length, x), center=center,
                      pad_mode="reflect", normalized=False, onesided=True, return_complex=True)
    return spec.reshape(*lead, *spec.shape[-2:])  # [..., n_freqs, frames]


def magnitude(spec) -> torch.Tensor | np.ndarray:
    """``|X|``: the magnitude (not the power) of a complex spectrogram, as Tacotron 2 uses."""
    return spec.abs() if isinstance(spec, torch.Tensor) else np.abs(spec)


def istft(spec: torch.Tensor, hop_length: int = 256, win_length: int | None = None, window_name: str = "hann",
          length: int | None = None) -> torch.Tensor:
    """Fast inverse of :func:`stft` (``torch.istft``, centred): ``[..., n_freqs, frames] → [..., samples]``."""
    if not isinstance(spec, torch.Tensor) or not spec.is_complex():
        raise TypeError("spec must be a complex torch tensor [..., n_fft // 2 + 1, frames], as stft() returns.")
    if spec.ndim < 2 or spec.shape[-2] < 2 or spec.shape[-1] < 1:
        raise ValueError(f"spec must be [..., n_fft // 2 + 1, frames ≥ 1], got shape {tuple(spec.shape)}.")
    n_fft = 2 * (spec.shape[-2] - 1)
    win_length = n_fft if win_length is None else win_length
    w = _torch_window(window_name, win_length, spec.real)
    lead = spec.shape[:-2]
    try:
        wave = torch.istft(spec.reshape(-1, *spec.shape[-2:]), n_fft, hop_length=hop_length, win_length=win_length,
                           window=w, center=True, length=length)  # [batch, samples]
    except RuntimeError as err:
        if "overlap" not in str(err).lower():
            raise
        raise ValueError(f"a {window_name} window of {win_length} samples with hop {hop_length} cannot be inverted: "
                         "somewhere no window overlaps (the NOLA condition). Use a smaller hop.") from None
    return wave.reshape(*lead, wave.shape[-1])
