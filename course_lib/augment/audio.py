"""Audio augmentation: noise at a chosen SNR, time shift, tempo, pitch and speed changes, and
SpecAugment's time and frequency masks (chapter 06).

Waveforms are numpy float arrays ``[samples]`` in [-1, 1]; spectrograms are ``[n_mels, frames]``
or ``[batch, n_mels, frames]`` (numpy or torch, as ``course_lib.audio.mel_spectrogram`` returns).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from course_lib.checks import as_numpy_wave, checked_by

__all__ = [
    "snr_db", "add_noise", "time_shift", "time_stretch", "pitch_shift", "speed_perturb",
    "freq_mask", "time_mask", "spec_augment",
]


def _rng(rng) -> np.random.Generator:
    if rng is None or isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    raise TypeError(f"rng must be None, an int seed or a numpy Generator, got {type(rng).__name__}")


def _finite(value, name: str, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
            or not math.isfinite(value) or (positive and value <= 0):
        raise ValueError(f"{name} must be a finite number{' > 0' if positive else ''}, got {value!r}")
    return float(value)


# ----------------------------------------------------------------------------- waveform
def snr_db(clean, noisy) -> float:
    """Signal-to-noise ratio in dB: 10·log10(Σ clean² / Σ (noisy − clean)²)."""
    clean, noisy = as_numpy_wave(clean, "clean"), as_numpy_wave(noisy, "noisy")
    if clean.shape != noisy.shape:
        raise ValueError(f"clean and noisy must have the same shape, got {clean.shape} and {noisy.shape}")
    noise_power = float(np.sum((noisy.astype(np.float64) - clean) ** 2))
    if noise_power == 0:
        return math.inf
    return 10 * math.log10(float(np.sum(clean.astype(np.float64) ** 2)) / noise_power)


def _check_add_noise(wave, snr, noise=None, rng=None) -> None:
    wave = as_numpy_wave(wave, "wave", min_samples=1)
    _finite(snr, "snr")
    if float(np.mean(wave.astype(np.float64) ** 2)) == 0:
        raise ValueError("wave is all zeros: the SNR of silence is undefined; pick a wave with sound")
    if noise is not None:
        noise = as_numpy_wave(noise, "noise", min_samples=len(wave))[: len(wave)].astype(np.float64)
        if float(np.mean(noise ** 2)) == 0:
            raise ValueError("noise is all zeros; it cannot be scaled to any SNR")
    _rng(rng)


@checked_by(_check_add_noise)
def add_noise(wave, snr: float, noise=None, rng=None) -> np.ndarray:
    """Add noise scaled so that the SNR is exactly ``snr`` dB.

    ``noise`` defaults to white Gaussian noise; a given noise array (e.g. a recording of a room)
    must be at least as long as the wave and is cut to its length. The noise gain is
    g = sqrt(P_signal / (P_noise · 10^(snr/10))), with P the mean power over the wave.
    """
    wave = as_numpy_wave(wave, "wave")
    p_signal = float(np.mean(wave.astype(np.float64) ** 2))
    if noise is None:
        noise = _rng(rng).standard_normal(wave.shape)
    else:
        noise = as_numpy_wave(noise, "noise")[: len(wave)].astype(np.float64)
    p_noise = float(np.mean(noise ** 2))
    gain = math.sqrt(p_signal / (p_noise * 10 ** (snr / 10)))
    return (wave + gain * noise).astype(wave.dtype)


def time_shift(wave, shift: int) -> np.ndarray:
    """Delay (shift > 0) or advance (shift < 0) the wave by ``shift`` samples, keeping its length;
    the gap is filled with silence (not wrapped around, which would glue the end to the start)."""
    wave = as_numpy_wave(wave, "wave")
    if isinstance(shift, bool) or not isinstance(shift, (int, np.integer)) or abs(shift) >= max(len(wave), 1):
        raise ValueError(f"shift must be an int number of samples with |shift| < {len(wave)}, got {shift!r}")
    out = np.zeros_like(wave)
    if shift >= 0:
        out[shift:] = wave[: len(wave) - shift]
    else:
        out[:shift] = wave[-shift:]
    return out


def time_stretch(wave, rate: float) -> np.ndarray:
    """Change the tempo, keep the pitch (phase vocoder, ``librosa.effects.time_stretch``).

    rate > 1 speeds up (shorter output): len(out) ≈ len(wave) / rate.
    """
    import librosa

    wave = as_numpy_wave(wave, "wave", min_samples=2048)
    rate = _finite(rate, "rate", positive=True)
    return librosa.effects.time_stretch(wave, rate=rate)


def pitch_shift(wave, n_steps: float, sample_rate: int = 22050) -> np.ndarray:
    """Change the pitch by ``n_steps`` semitones, keep the tempo (``librosa.effects.pitch_shift``)."""
    import librosa

    wave = as_numpy_wave(wave, "wave", min_samples=2048)
    n_steps = _finite(n_steps, "n_steps")
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer)) or sample_rate <= 0:
        raise ValueError(f"sample_rate must be a positive int, got {sample_rate!r}")
    return librosa.effects.pitch_shift(wave, sr=sample_rate, n_steps=n_steps)


def speed_perturb(wave, factor: float, sample_rate: int = 22050) -> np.ndarray:
    """Play the wave ``factor`` times faster, like a tape: tempo AND pitch change together
    (speed perturbation, Ko et al. 2015). Implemented by resampling; len(out) ≈ len(wave) / factor."""
    import librosa

    wave = as_numpy_wave(wave, "wave", min_samples=1)
    factor = _finite(factor, "factor", positive=True)
    # resample so that the same sound is described by fewer samples, then play at the old rate
    return librosa.resample(wave, orig_sr=sample_rate, target_sr=sample_rate / factor)


# ----------------------------------------------------------------------------- SpecAugment
def _as_spec(spec):
    if isinstance(spec, np.ndarray):
        spec = torch.from_numpy(spec)
    if not isinstance(spec, torch.Tensor) or spec.dim() not in (2, 3) or not spec.is_floating_point():
        raise ValueError("spec must be a float spectrogram [n_mels, frames] or [batch, n_mels, frames], got "
                         f"{type(spec).__name__} {tuple(getattr(spec, 'shape', ()))}")
    return spec


def _band(size: int, start: int, width: int, axis: str) -> None:
    for name, v in (("start", start), ("width", width)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            raise ValueError(f"{axis} mask {name} must be an int >= 0, got {v!r}")
    if start + width > size:
        raise ValueError(f"{axis} mask [{start}, {start + width}) runs past the {size} {axis} bins")


def freq_mask(spec, start: int, width: int, value: float | None = None):
    """Set mel channels [start, start + width) to ``value`` (default: the spectrogram's mean)."""
    was_numpy, spec = isinstance(spec, np.ndarray), _as_spec(spec)
    _band(spec.shape[-2], start, width, "frequency")
    out = spec.clone()
    out[..., start:start + width, :] = spec.mean() if value is None else value
    return out.numpy() if was_numpy else out


def time_mask(spec, start: int, width: int, value: float | None = None):
    """Set frames [start, start + width) to ``value`` (default: the spectrogram's mean)."""
    was_numpy, spec = isinstance(spec, np.ndarray), _as_spec(spec)
    _band(spec.shape[-1], start, width, "time")
    out = spec.clone()
    out[..., start:start + width] = spec.mean() if value is None else value
    return out.numpy() if was_numpy else out


def spec_augment(spec, freq_width: int = 27, time_width: int = 100, n_freq_masks: int = 1,
                 n_time_masks: int = 1, max_time_fraction: float = 1.0, value: float | None = None,
                 rng=None):
    """SpecAugment's masks (Park et al. 2019, §2): ``n_freq_masks`` bands of f ~ U{0..F} mel
    channels starting at f0 ~ U{0..ν−f}, and ``n_time_masks`` bands of t ~ U{0..T} frames
    (t ≤ p·τ) starting at t0 ~ U{0..τ−t}. Time warping, the paper's third and least important
    policy, is left out. Defaults are the LibriSpeech basic policy (F = 27, T = 100, one each).

    Returns (augmented spec, mask) — mask is bool, same shape, True where a value was replaced;
    each example of a batch gets its own masks. Masked cells get ``value`` (default: the
    example's mean; the paper normalises to mean zero and masks with zero, the same thing).
    """
    was_numpy, spec = isinstance(spec, np.ndarray), _as_spec(spec)
    for name, v in (("freq_width", freq_width), ("time_width", time_width),
                    ("n_freq_masks", n_freq_masks), ("n_time_masks", n_time_masks)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            raise ValueError(f"{name} must be an int >= 0, got {v!r}")
    if not 0.0 <= _finite(max_time_fraction, "max_time_fraction") <= 1.0:
        raise ValueError(f"max_time_fraction (the paper's p) must lie in [0, 1], got {max_time_fraction}")
    gen = _rng(rng)
    batch = spec[None] if spec.dim() == 2 else spec                  # [B, n_mels, frames]
    n_mels, frames = batch.shape[-2:]
    if freq_width > n_mels:
        raise ValueError(f"freq_width {freq_width} exceeds the {n_mels} mel channels")
    mask = torch.zeros(batch.shape, dtype=torch.bool)
    t_max = min(time_width, int(max_time_fraction * frames))
    for b in range(batch.shape[0]):
        for _ in range(n_freq_masks):
            f = int(gen.integers(0, freq_width + 1))
            f0 = int(gen.integers(0, n_mels - f + 1))
            mask[b, f0:f0 + f, :] = True
        for _ in range(n_time_masks):
            t = int(gen.integers(0, t_max + 1))
            t0 = int(gen.integers(0, frames - t + 1))
            mask[b, :, t0:t0 + t] = True
    fill = batch.mean(dim=(-2, -1), keepdim=True) if value is None else torch.tensor(value, dtype=batch.dtype)
    out = torch.where(mask.to(batch.device), fill.to(batch.device), batch)
    if spec.dim() == 2:
        out, mask = out[0], mask[0]
    return (out.numpy(), mask.numpy()) if was_numpy else (out, mask)
