"""One audio configuration for the whole course (chapter 07).

Tacotron 2 (Shen et al. 2018) and WaveGlow (Prenger et al. 2018) must compute mel spectrograms in
exactly the same way — a mismatch between the acoustic model's mels and the vocoder's is a classic
bug — so both read one :class:`AudioConfig`. The defaults are those of NVIDIA's reference
implementations: 22 050 Hz, 1024-point FFT, hop 256 (11.6 ms), Hann window of 1024, 80 Slaney mel
bands from 0 to 8 000 Hz, ``log(clamp(mel, 1e-5))``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np

from course_lib import checks


@dataclass(frozen=True)
class AudioConfig:
    """STFT + mel settings shared by Tacotron 2 and WaveGlow (NVIDIA defaults)."""

    sample_rate: int = 22050
    n_fft: int = 1024
    hop_length: int = 256
    win_length: int = 1024
    n_mels: int = 80
    fmin: float = 0.0
    fmax: float = 8000.0
    clip_val: float = 1e-5

    def __post_init__(self) -> None:
        problem = config_problem(**asdict(self))
        if problem:
            raise ValueError(f"invalid AudioConfig: {problem}")

    @property
    def n_freqs(self) -> int:
        """Rows of a one-sided STFT: ``n_fft // 2 + 1``."""
        return self.n_fft // 2 + 1

    def num_frames(self, num_samples: int) -> int:
        """Frames of a centred STFT of ``num_samples`` samples: ``1 + num_samples // hop_length``."""
        return 1 + int(num_samples) // self.hop_length

    def to_dict(self) -> dict:
        """Plain dict, e.g. to store next to a checkpoint; :meth:`from_dict` rebuilds it."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "AudioConfig":
        """The config saved by :meth:`to_dict`; unknown keys are refused (docs/VALIDATION.md)."""
        return cls(**checks.known_keys(data, (f.name for f in fields(cls)), cls.__name__))


def config_problem(sample_rate=22050, n_fft=1024, hop_length=256, win_length=1024, n_mels=80,
                   fmin=0.0, fmax=8000.0, clip_val=1e-5) -> str | None:
    """Return a sentence saying what is wrong with these settings, or ``None`` if they are valid.

    Used by :class:`AudioConfig` and by the spectrogram explorer (which shows it instead of raising).
    """
    for name, value in (("sample_rate", sample_rate), ("n_fft", n_fft), ("hop_length", hop_length),
                        ("win_length", win_length), ("n_mels", n_mels)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
            return f"{name} must be a positive integer, got {value!r}."
    for name, value in (("fmin", fmin), ("fmax", fmax), ("clip_val", clip_val)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not np.isfinite(value):
            return f"{name} must be a finite number, got {value!r}."
    if win_length > n_fft:
        return f"win_length ({win_length}) must be ≤ n_fft ({n_fft}): a frame cannot hold a longer window."
    if hop_length > win_length:
        return (f"hop_length ({hop_length}) must be ≤ win_length ({win_length}); otherwise samples "
                "between windows are never analysed and cannot be reconstructed.")
    if fmin < 0:
        return f"fmin must be ≥ 0 Hz, got {fmin}."
    if fmax > sample_rate / 2:
        return f"fmax ({fmax} Hz) must be ≤ the Nyquist frequency sample_rate/2 = {sample_rate / 2:g} Hz."
    if fmin >= fmax:
        return f"fmin ({fmin} Hz) must be below fmax ({fmax} Hz)."
    if clip_val <= 0:
        return f"clip_val must be > 0 (it keeps log() finite), got {clip_val}."
    return None
