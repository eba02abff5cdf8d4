"""Input validation shared by the audio functions: one clear error instead of a torch traceback."""

from __future__ import annotations

import numpy as np
import torch


def as_numpy_wave(wave, name: str = "wave", *, min_samples: int = 0, ndim: tuple[int, ...] = (1,)) -> np.ndarray:
    """Return ``wave`` as a finite float array (float32 or float64 kept, anything else → float32)."""
    if isinstance(wave, torch.Tensor):
        wave = wave.detach().cpu().numpy()
    if isinstance(wave, (str, bytes)) or not hasattr(wave, "__len__") and not isinstance(wave, np.ndarray):
        raise TypeError(f"{name} must be a numpy array or torch tensor of samples, got {type(wave).__name__}.")
    arr = np.asarray(wave)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}.")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real-valued; take np.abs() or .real first.")
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float32)
    _check_shape(arr.ndim, arr.shape, name, min_samples, ndim)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values; fix them (e.g. np.nan_to_num) first.")
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
    return t


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
