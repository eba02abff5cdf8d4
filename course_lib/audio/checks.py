"""Input validation shared by the audio functions: one clear error instead of a torch traceback."""

from __future__ import annotations

import numpy as np
import torch

#: Largest |sample| a wave may hold. Audio lies in [-1, 1], raw int16 / int32 PCM reaches 32768 / 2.1e9; far
#: beyond (~1e19) the float32 STFT, resampler and RMS overflow to inf/NaN without a word.
MAX_AMPLITUDE = 1e10


def as_real_array(x, name: str, what: str = "samples") -> np.ndarray:
    """Return ``x`` (array, tensor or nested list) as a real float array: float32/float64 kept, others → float32.

    Strings, objects and complex values are a ``TypeError`` naming ``name``; shape and values are not checked.
    """
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu()
        x = (x.float() if x.dtype == torch.bfloat16 else x).numpy()
    if isinstance(x, (str, bytes)) or not hasattr(x, "__len__") and not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy array or torch tensor of {what}, got {type(x).__name__}.")
    arr = np.asarray(x)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}.")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real-valued; take np.abs() or .real first.")
    return arr if arr.dtype in (np.float32, np.float64) else arr.astype(np.float32)


def as_numpy_wave(wave, name: str = "wave", *, min_samples: int = 0, ndim: tuple[int, ...] = (1,)) -> np.ndarray:
    """Return ``wave`` as a finite float array (float32 or float64 kept, anything else → float32)."""
    arr = as_real_array(wave, name)
    _check_shape(arr.ndim, arr.shape, name, min_samples, ndim)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values; fix them (e.g. np.nan_to_num) first.")
    _check_amplitude(float(np.max(np.abs(arr))) if arr.size else 0.0, name)
    return arr


def as_torch_wave(wave, name: str = "wave", *, min_samples: int = 0, ndim: tuple[int, ...] = (1, 2)) -> torch.Tensor:
    """Return ``wave`` as a finite floating tensor (keeps a tensor's device; numpy → float32 CPU)."""
    if isinstance(wave, torch.Tensor):
        t = wave  # not detached: gradients may flow through the features
        if t.is_complex():
            raise TypeError(f"{name} must be real-valued; take .abs() or .real first.")
        if not t.is_floating_point():
            t = t.float()
    else:  # numpy input: as_numpy_wave already checked that it is finite
        t = torch.from_numpy(np.ascontiguousarray(as_numpy_wave(wave, name, ndim=tuple(range(0, 9))), dtype=np.float32))
        _check_shape(t.ndim, tuple(t.shape), name, min_samples, ndim)
        return t
    _check_shape(t.ndim, tuple(t.shape), name, min_samples, ndim)
    if not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} contains NaN or infinite values; fix them (e.g. torch.nan_to_num) first.")
    _check_amplitude(float(t.detach().abs().max()) if t.numel() else 0.0, name)
    return t


def _check_amplitude(peak: float, name: str) -> None:
    if peak > MAX_AMPLITUDE:
        raise ValueError(f"{name} has samples as large as {peak:.3g}; samples should lie in [-1, 1] (divide int16 "
                         f"audio by 32768, int32 by 2**31). Beyond ±{MAX_AMPLITUDE:g} float32 spectra overflow.")


def _check_shape(nd: int, shape: tuple, name: str, min_samples: int, ndim: tuple[int, ...]) -> None:
    if nd not in ndim:
        want = " or ".join(f"{d}-D" for d in ndim)
        raise ValueError(f"{name} must be {want} (last axis = samples), got shape {tuple(shape)}.")
    n = shape[-1] if nd else 0
    if n < min_samples or (min_samples > 0 and 0 in shape):
        raise ValueError(
            f"{name} has {n} samples (shape {tuple(shape)}); at least {min_samples} are needed. "
            "Pad it with zeros (np.pad) or use a longer signal."
        )


def positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)
