"""Argument checks shared by the configs: one ``TypeError``/``ValueError`` that names the field and the fix.

Kept free of heavy imports (numpy only), so any module can use it. Audio arrays have their own
checks in :mod:`course_lib.audio.checks`.
"""

from __future__ import annotations

import math

import numpy as np


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
         high_open: bool = False) -> float:
    """``value`` as a finite float inside the interval ``low..high`` (ends open if asked)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__}).")
    value = float(value)
    inside = (value > low if low_open else value >= low) and (value < high if high_open else value <= high)
    if not math.isfinite(value) or not inside:
        if math.isinf(high):
            span = f"{'>' if low_open else '>='} {low:g}"
        else:
            span = f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be a finite number {span}, got {value!r}.")
    return value


def probability(value, name: str) -> float:
    """A dropout-style probability in ``[0, 1)``."""
    return real(value, name, 0.0, 1.0, high_open=True)


def flag(value, name: str) -> bool:
    """``True`` or ``False`` (numpy bools too); ``1``, ``"yes"`` and ``None`` are refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r} ({type(value).__name__}).")
    return bool(value)
