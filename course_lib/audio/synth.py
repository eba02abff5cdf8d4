"""Synthetic test signals for chapter 07: a sine, a chirp and a vowel-like harmonic tone."""

from __future__ import annotations

import numpy as np

from course_lib.checks import integer


def _time(seconds: float, sample_rate: int) -> np.ndarray:
    sample_rate = integer(sample_rate, "sample_rate")
    if not np.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"seconds must be a positive number, got {seconds!r}.")
    return np.arange(int(round(seconds * sample_rate))) / sample_rate


def sine(freq: float, seconds: float = 1.0, sample_rate: int = 22050, amp: float = 0.5) -> np.ndarray:
    """``amp · sin(2π f t)`` sampled at ``sample_rate`` (float32). Above ``sample_rate / 2`` it aliases."""
    t = _time(seconds, sample_rate)
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def chirp(f0: float = 100.0, f1: float = 8000.0, seconds: float = 2.0, sample_rate: int = 22050,
          amp: float = 0.5) -> np.ndarray:
    """Sine whose frequency rises linearly from ``f0`` to ``f1`` Hz (phase = 2π ∫ f(t) dt)."""
    t = _time(seconds, sample_rate)
    phase = 2 * np.pi * (f0 * t + (f1 - f0) * t ** 2 / (2 * seconds))
    return (amp * np.sin(phase)).astype(np.float32)


#: First three formants (Hz) of a few English vowels (Peterson & Barney 1952, adult male averages).
FORMANTS = {"a": (730, 1090, 2440), "i": (270, 2290, 3010), "u": (300, 870, 2240)}


def vowel(name: str = "a", f0: float = 120.0, seconds: float = 1.0, sample_rate: int = 22050,
          amp: float = 0.5, bandwidth: float = 90.0) -> np.ndarray:
    """A vowel-like tone: harmonics of ``f0`` weighted by resonances at the vowel's formants.

    The source–filter picture of speech: the glottis gives a harmonic comb at ``f0``; the vocal
    tract's resonances (formants) shape its envelope. A slow vibrato keeps it from sounding buzzy.
    """
    if name not in FORMANTS:
        raise ValueError(f"unknown vowel {name!r}; choose one of {sorted(FORMANTS)}.")
    t = _time(seconds, sample_rate)
    pitch = f0 * (1 + 0.01 * np.sin(2 * np.pi * 5 * t))  # 5 Hz vibrato
    phase = 2 * np.pi * np.cumsum(pitch) / sample_rate
    out = np.zeros_like(t)
    for k in range(1, int(sample_rate / 2 / f0)):
        hk = k * f0
        gain = sum(1 / (1 + ((hk - fm) / bandwidth) ** 2) for fm in FORMANTS[name]) / k ** 0.5
        out += gain * np.sin(k * phase)
    envelope = np.minimum(1, np.minimum(t, t[-1] - t) / 0.05)  # 50 ms fade in/out
    out *= envelope
    return (amp * out / np.max(np.abs(out))).astype(np.float32)
