"""A source excitation for WaveGlow: the pitch clock the mel spectrogram does not carry.

A log-mel frame keeps the spectral envelope and, blurred, the harmonics, but not *when* each
glottal pulse falls. In the source–filter picture of speech (Fant 1960) voiced sound is a pulse
train at the fundamental frequency F0 filtered by the vocal tract. Here F0 and voicing come from
pYIN (Mauch & Dixon 2014, ``librosa.pyin``) at the mel frame rate, and the excitation is

    φ[n] = φ₀ + 2π Σ_{m≤n} F0[m] / sr,     e[n] = v[n] · (cos φ, sin φ, Σ_{h=1}^{H} cos hφ / √(H/2))

with F0 and the voicing v interpolated from frames to samples, H = ⌊(sr/2) / F0⌋ harmonics (a
band-limited pulse train of unit RMS, summed in closed form as a Dirichlet kernel) and φ₀ the
starting phase, random unless given: a listener cannot hear the absolute phase, so the flow must
not depend on it. Frames with F0 = 0 are unvoiced; there the excitation is zero.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.nn import functional as F

from course_lib.tts.waveglow.data import SegmentSampler

#: the F0 range the excitation accepts (Hz); pYIN searches inside PYIN_RANGE
F0_RANGE = (40.0, 800.0)
PYIN_RANGE = (60.0, 400.0)
N_SIGNALS = 3  # v·cos φ, v·sin φ, v·pulse train


def pitch_track(wave, audio_config=None, fmin: float = PYIN_RANGE[0], fmax: float = PYIN_RANGE[1]) -> np.ndarray:
    """F0 in Hz at the mel frame rate (one value per ``mel_spectrogram`` frame), 0 where pYIN says unvoiced."""
    import librosa

    from course_lib.audio import AudioConfig
    from course_lib.checks import as_real_array

    cfg = audio_config or AudioConfig()
    wave = as_real_array(wave, "wave").astype(np.float64).reshape(-1)
    if len(wave) < cfg.win_length:
        raise ValueError(f"pitch tracking needs at least win_length={cfg.win_length} samples, got {len(wave)}")
    if not np.isfinite(wave).all():
        raise ValueError("wave contains NaN or inf")
    f0, voiced, _ = librosa.pyin(wave, fmin=fmin, fmax=fmax, sr=cfg.sample_rate, frame_length=cfg.win_length,
                                 hop_length=cfg.hop_length, center=True)
    return np.where(voiced & np.isfinite(f0), f0, 0.0).astype(np.float32)


def check_f0(f0) -> torch.Tensor:
    """``f0`` as a float64 tensor [batch, frames]; ValueError for NaN, negative or out-of-range voiced values."""
    f0 = torch.as_tensor(np.asarray(f0, dtype=np.float64) if not isinstance(f0, torch.Tensor) else f0)
    if f0.is_complex() or not (f0.is_floating_point() or f0.dtype in (torch.int32, torch.int64)):
        raise TypeError(f"f0 must be real numbers in Hz, got dtype {f0.dtype}")
    f0 = f0.double()
    if f0.dim() == 1:
        f0 = f0[None]
    if f0.dim() != 2 or f0.shape[1] == 0:
        raise ValueError(f"f0 must have shape [frames] or [batch, frames] with frames >= 1, got {tuple(f0.shape)}")
    if not torch.isfinite(f0).all():
        raise ValueError("f0 contains NaN or inf; mark unvoiced frames with 0 (np.nan_to_num(f0) for pYIN's NaNs)")
    voiced = f0[f0 != 0]
    low, high = F0_RANGE
    if len(voiced) and (voiced.min() < low or voiced.max() > high):
        bad = voiced[(voiced < low) | (voiced > high)][0].item()
        raise ValueError(f"f0 of {bad:g} Hz is outside the speech range [{low:g}, {high:g}] Hz (0 = unvoiced); "
                         "check the units (Hz, not MIDI or cents) and the pitch tracker")
    return f0


def _frames_to_samples(values: torch.Tensor, n_samples: int, hop: int) -> torch.Tensor:
    """Linear interpolation [batch, frames] → [batch, n_samples]; frame f is centred on sample f·hop."""
    pos = torch.arange(n_samples, dtype=torch.float64, device=values.device) / hop
    i0 = pos.floor().long().clamp(max=values.shape[1] - 1)
    i1 = (i0 + 1).clamp(max=values.shape[1] - 1)
    w = (pos - pos.floor()).clamp(max=1.0)
    return values[:, i0] * (1 - w) + values[:, i1] * w


def _hold_voiced(f0: torch.Tensor) -> torch.Tensor:
    """Fill unvoiced frames with the nearest earlier voiced F0 (later one at the start), so the clock runs on."""
    filled = f0.clone()
    for row in filled:
        voiced = torch.nonzero(row > 0).flatten()
        if len(voiced) == 0:
            row.fill_(100.0)  # any rate: the voicing gate makes the excitation zero everywhere
            continue
        last = torch.zeros_like(row, dtype=torch.long)
        last[voiced] = voiced
        last = torch.cummax(last, 0).values
        last[: voiced[0]] = voiced[0]
        row.copy_(row[last])
    return filled


def excitation(f0, n_samples: int, hop_length: int = 256, sample_rate: int = 22050, phase=None,
               generator: torch.Generator | None = None) -> torch.Tensor:
    """F0 frames [batch, frames] (0 = unvoiced) → excitation [batch, 3, n_samples] (float32).

    ``phase``: starting phase φ₀ in radians (a number or one per batch row); ``None`` draws it
    uniformly from [0, 2π) with ``generator``. All-unvoiced input gives an all-zero excitation.
    """
    f0 = check_f0(f0)
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
    if n_samples > f0.shape[1] * hop_length:
        raise ValueError(f"{f0.shape[1]} F0 frames cover {f0.shape[1] * hop_length} samples, fewer than {n_samples}")
    batch = f0.shape[0]
    if phase is None:
        phase = torch.rand(batch, generator=generator, dtype=torch.float64) * 2 * math.pi
    phase = torch.as_tensor(phase, dtype=torch.float64).reshape(-1)
    if phase.numel() not in (1, batch) or not torch.isfinite(phase).all():
        raise ValueError(f"phase must be one finite number (radians) or one per batch row ({batch}), "
                         f"got {phase.tolist()}")
    phase = phase.expand(batch)
    v = _frames_to_samples((f0 > 0).double(), n_samples, hop_length)
    rate = _frames_to_samples(_hold_voiced(f0), n_samples, hop_length)
    phi = torch.remainder(phase[:, None] + 2 * math.pi * torch.cumsum(rate, 1) / sample_rate, 2 * math.pi)
    n_harm = torch.floor(sample_rate / 2 / rate).clamp(min=1)
    half = torch.sin(phi / 2)
    near_zero = half.abs() < 1e-6
    dirichlet = torch.sin((n_harm + 0.5) * phi) / (2 * torch.where(near_zero, torch.ones_like(half), half)) - 0.5
    pulse = torch.where(near_zero, n_harm, dirichlet) / torch.sqrt(n_harm / 2)
    return (v[:, None] * torch.stack([torch.cos(phi), torch.sin(phi), pulse], 1)).float()


def cached_pitch_tracks(waves, cache_path=None, audio_config=None) -> list[torch.Tensor]:
    """:func:`pitch_track` of every wave, kept in ``cache_path`` (a dict keyed by the SHA-1 of the samples)."""
    import hashlib
    from pathlib import Path

    from course_lib.checkpoint import load_checkpoint, save_checkpoint

    cache = load_checkpoint(cache_path) if cache_path is not None and Path(cache_path).is_file() else {}
    keys = [hashlib.sha1(np.ascontiguousarray(np.asarray(w, np.float32)).tobytes()).hexdigest() for w in waves]
    missing = [i for i, k in enumerate(keys) if k not in cache]
    for i in missing:
        cache[keys[i]] = torch.from_numpy(pitch_track(np.asarray(waves[i]), audio_config))
    if missing and cache_path is not None:
        save_checkpoint(cache_path, cache)
    return [cache[k] for k in keys]


def locked_phase(audio: torch.Tensor, f0, hop_length: int = 256, sample_rate: int = 22050) -> torch.Tensor:
    """The starting phase φ₀ [batch] that lines the clock up with each recording's fundamental.

    Projecting the audio on the phase-0 clock, a = Σ x·v·cos φ and b = Σ x·v·sin φ, measures the
    recording's component at F0, ≈ A·cos(φ + φ₀*); then φ₀* = atan2(−b, a). 0 where nothing is voiced.
    """
    clock = excitation(f0, audio.shape[1], hop_length, sample_rate, phase=0.0)
    a, b = (audio.double() * clock[:, 0]).sum(1), (audio.double() * clock[:, 1]).sum(1)
    return torch.atan2(-b, a)


class PitchedSegmentSampler(SegmentSampler):
    """Training segments with their excitation: ``batch`` returns ``(mel, audio, excitation)``.

    F0 is tracked once per utterance (pYIN, ~0.07 s per second of audio); every segment's excitation
    starts at a random phase drawn from the segment stream, so the flow learns not to rely on it — or,
    with ``phase_lock``, at the phase of the recording's fundamental (:func:`locked_phase`), so that the
    clock predicts the waveform itself (at synthesis any phase will do: the ear cannot hear it).
    """

    def __init__(self, waves, segment_length: int, audio_config=None, max_silence: float = 1.0,
                 f0_cache=None, phase_lock: bool = False, gaussian_lsb: float = 0.0):
        super().__init__(waves, segment_length, audio_config, max_silence, gaussian_lsb)
        self.f0 = cached_pitch_tracks(self.waves, f0_cache, self.audio_config)
        self.phase_lock = phase_lock

    def batch(self, batch_size: int, rng: np.random.Generator, dequantize: bool = True):
        mel, audio = super().batch(batch_size, rng, dequantize)
        f0 = torch.stack([F.pad(self.f0[i][s:s + self.n_frames], (0, max(0, s + self.n_frames - len(self.f0[i]))))
                          for i, s in self.picks])
        phase = torch.from_numpy(rng.random(batch_size)) * 2 * math.pi
        if self.phase_lock:
            phase = locked_phase(audio, f0, self.hop, self.audio_config.sample_rate)
        return mel, audio, excitation(f0, self.segment_length, self.hop, self.audio_config.sample_rate, phase)
