"""One audio configuration for the whole course (chapter 07).

Tacotron 2 (Shen et al. 2018) and WaveGlow (Prenger et al. 2018) must compute mel spectrograms in
exactly the same way — a mismatch between the acoustic model's mels and the vocoder's is a classic
bug — so both read one :class:`AudioConfig`. The defaults are those of NVIDIA's reference
implementations: 22 050 Hz, 1024-point FFT, hop 256 (11.6 ms), Hann window of 1024, 80 Slaney mel
bands from 0 to 8 000 Hz, ``log(clamp(mel, 1e-5))``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

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
        for name in ("sample_rate", "n_fft", "hop_length", "win_length", "n_mels"):
            checks.integer(getattr(self, name), f"AudioConfig.{name}")
        for name in ("fmin", "fmax", "clip_val"):
            checks.real(getattr(self, name), f"AudioConfig.{name}")
        if self.win_length > self.n_fft:
            raise ValueError(f"win_length ({self.win_length}) must be ≤ n_fft ({self.n_fft}): a frame cannot "
                             "hold a longer window.")
        if self.hop_length > self.win_length:
            raise ValueError(f"hop_length ({self.hop_length}) must be ≤ win_length ({self.win_length}); otherwise "
                             "samples between windows are never analysed and cannot be reconstructed.")
        if self.fmin < 0:
            raise ValueError(f"fmin must be ≥ 0 Hz, got {self.fmin}.")
        if self.fmax > self.sample_rate / 2:
            raise ValueError(f"fmax ({self.fmax} Hz) must be ≤ the Nyquist frequency sample_rate/2 = "
                             f"{self.sample_rate / 2:g} Hz.")
        if self.fmin >= self.fmax:
            raise ValueError(f"fmin ({self.fmin} Hz) must be below fmax ({self.fmax} Hz).")
        if self.clip_val <= 0:
            raise ValueError(f"clip_val must be > 0 (it keeps log() finite), got {self.clip_val}.")

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


def config_problem(**settings) -> str | None:
    """What :class:`AudioConfig` would refuse in these settings, as a sentence, or ``None`` if they are valid.

    The spectrogram explorer shows it inside the widget instead of raising; the checks are AudioConfig's.
    """
    try:
        AudioConfig(**settings)
    except (TypeError, ValueError) as err:
        return str(err)
    return None
