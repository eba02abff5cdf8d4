"""The one place where inputs are checked: scalars, tensors, audio arrays, text, dict keys.

Every public boundary (configs, command lines, the pipeline, loaders, widgets) checks through these
functions, so one kind of problem always gets one exception type (docs/VALIDATION.md):
wrong type → ``TypeError``; wrong value, shape, range or an empty input → ``ValueError``;
a missing file → ``FileNotFoundError``. Each message names the argument, what was wrong and the fix.

Code that a chapter displays carries no guard lines: its checks sit in a ``_check_…`` function next
to it, attached with :func:`checked_by`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping

import numpy as np
import torch

#: Largest |sample| a wave may hold. Audio lies in [-1, 1], raw int16 / int32 PCM reaches 32768 / 2.1e9; far
#: beyond (~1e19) the float32 STFT, resampler and RMS overflow to inf/NaN without a word.
MAX_AMPLITUDE = 1e10


def checked_by(check: Callable) -> Callable:
    """Decorator: call ``check`` with the same arguments (it raises on bad input), then the function.

    Keeps the displayed function free of guard lines while learners still get one clear error.
    """
    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def run(*args, **kwargs):
            check(*args, **kwargs)
            return fn(*args, **kwargs)
        return run
    return decorate


def integer(value, name: str, low: int = 1, high: int | None = None, *, odd: bool = False,
            even: bool = False) -> int:
    """``value`` as an int in ``[low, high]`` (and odd or even if asked); bools and floats are refused."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__}).")
    value = int(value)
    if value < low or (high is not None and value > high):
        span = f">= {low}" if high is None else f"in {low}..{high}"
        raise ValueError(f"{name} must be an integer {span}, got {value}.")
    if odd and value % 2 == 0:
        raise ValueError(f"{name} must be odd ('same' padding keeps the length), got {value}.")
    if even and value % 2:
        raise ValueError(f"{name} must be even (split in two halves), got {value}.")
    return value


def real(value, name: str, low: float = -math.inf, high: float = math.inf, *, low_open: bool = False,
         high_open: bool = False, hint: str = "") -> float:
    """``value`` as a finite float inside the interval ``low..high`` (ends open if asked); ``hint`` ends the message."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__}).")
    value = float(value)
    inside = (value > low if low_open else value >= low) and (value < high if high_open else value <= high)
    if not math.isfinite(value) or not inside:
        if math.isinf(high):
            span = f"{'>' if low_open else '>='} {low:g}"
        else:
            span = f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be a finite number {span}, got {value!r}. {hint}".rstrip())
    return value


def probability(value, name: str) -> float:
    """A dropout-style probability in ``[0, 1)``."""
    return real(value, name, 0.0, 1.0, high_open=True)


def flag(value, name: str) -> bool:
    """``True`` or ``False`` (numpy bools too); ``1``, ``"yes"`` and ``None`` are refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r} ({type(value).__name__}).")
    return bool(value)


def tensor(x, name: str, rank: int | None = None, layout: str = "", *, floating: bool = True) -> torch.Tensor:
    """``x`` as it is, if it is a (floating, if asked) tensor with ``rank`` dimensions."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if rank is not None and x.dim() != rank:
        raise ValueError(f"{name} must have {rank} dimensions {layout}, got shape {tuple(x.shape)}; "
                         "add a batch dimension with .unsqueeze(0) if you have a single example")
    if floating and not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {x.dtype}; use .float()")
    return x


def pair(value, name: str, minimum: int) -> tuple[int, int]:
    """``3`` → ``(3, 3)``; ``(2, 1)`` stays; each entry an int ``>= minimum``."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (int(value), int(value))
    if (not isinstance(value, (tuple, list)) or len(value) != 2
            or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)):
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    if min(value) < minimum:
        raise ValueError(f"{name} must be >= {minimum} in every dimension, got {tuple(value)}")
    return int(value[0]), int(value[1])


def choice(value, name: str, options: Iterable[str]) -> str:
    """``value`` if it is one of ``options``."""
    options = sorted(options)
    if value not in options:
        raise ValueError(f"unknown {name} {value!r}; choose one of {options}.")
    return value


def text(value, name: str = "text") -> str:
    """A string with at least one non-space character (the one empty-text check of the course)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{name} is empty: give at least one word to speak.")
    return value


def known_keys(data: Mapping, known: Iterable[str], owner: str) -> dict:
    """``data`` as a dict, if every key is a field of ``owner`` (``from_dict`` rejects unknown keys)."""
    if not isinstance(data, Mapping):
        raise TypeError(f"a {owner} must be read from a dict of its fields, got {type(data).__name__}")
    known = set(known)
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown {owner} fields {unknown}; known fields: {sorted(known)}. "
                         "The dict is from another version or has a typo.")
    return dict(data)


# ----------------------------------------------------------------------------- audio arrays
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
