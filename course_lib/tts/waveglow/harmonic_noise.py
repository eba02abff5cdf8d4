"""Harmonic-plus-noise synthesis: speech from a log mel and F0, no training (chapter 14, beyond WaveGlow).

The source–filter view (Fant 1960) read backwards. Voiced frames become a sum of harmonics of F0
(the sinusoidal model of McAulay & Quatieri 1986; harmonic + noise: Stylianou 2001),

    h[n] = v[n] · Σ_{k: k·F0 < fmax} a_k[n] · cos(k·φ[n]),   φ[n] = φ₀ + 2π Σ_{m≤n} F0[m] / sr,

with each amplitude a_k read off the spectral envelope the mel implies (its pseudo-inverse, as for
Griffin-Lim) at k·F0, and unvoiced frames become noise with that envelope. φ₀ is random unless given:
the ear does not hear it. The mel then corrects what the pseudo-inverse blurred, by analysis by
synthesis: ``n_iter`` times, take the STFT of the signal, compare its mel with the target band by band,
and filter the STFT by the ratio (spread from bands to bins by the filterbank), then invert it. A filter
smooth in frequency keeps the harmonics where they are; only their levels move. Nothing above the
mel's ``fmax`` (8 kHz) is made: the mel does not describe it.
"""

from __future__ import annotations

import math

import torch

from course_lib.audio import AudioConfig
from course_lib.audio.griffinlim import check_log_mel
from course_lib.audio.mel import _cached_filterbank, mel_to_linear
from course_lib.audio.stft import _torch_stft, istft
from course_lib.checks import integer
from course_lib.tts.waveglow.excitation import _frames_to_samples, _hold_voiced, check_f0

#: band gains one correction may apply (a band at the clip floor is silenced instead)
GAIN_RANGE = (0.05, 20.0)


def harmonics(envelope: torch.Tensor, f0: torch.Tensor, n: int, cfg: AudioConfig, phase: float) -> torch.Tensor:
    """h[n] above: ``envelope`` [n_freqs, frames] (linear magnitude), ``f0`` [frames] in Hz, 0 = unvoiced."""
    frames = envelope.shape[1]
    held = _hold_voiced(f0[None])[0]
    rate = _frames_to_samples(held[None], n, cfg.hop_length)[0]
    phi = torch.remainder(phase + 2 * math.pi * torch.cumsum(rate, 0) / cfg.sample_rate, 2 * math.pi).float()
    voiced = f0 > 0
    if not voiced.any():
        return torch.zeros(n, dtype=torch.float64)
    pos = torch.arange(n, dtype=torch.float64) / cfg.hop_length  # frame f is centred on sample f·hop
    left = pos.floor().long().clamp(max=frames - 1)
    right = (left + 1).clamp(max=frames - 1)
    w = (pos - pos.floor()).float()
    bin_hz = cfg.sample_rate / cfg.n_fft
    out = torch.zeros(n)
    n_harmonics = int(cfg.fmax // held[voiced].min().item())
    cols = torch.arange(frames)
    for first in range(1, n_harmonics + 1, 32):  # 32 harmonics at a time keeps memory at 32·n numbers
        k = torch.arange(first, min(first + 32, n_harmonics + 1), dtype=torch.float64)[:, None]
        at = (k * held / bin_hz).clamp(max=envelope.shape[0] - 1.001)  # [K, frames], fractional bin
        low = at.floor().long()
        amp = torch.lerp(envelope[low, cols], envelope[low + 1, cols], at - low)
        amp = torch.where(k * held < cfg.fmax, amp, 0.0).float()
        out += (torch.lerp(amp[:, left], amp[:, right], w) * torch.cos(k.float() * phi)).sum(0)
    gate = _frames_to_samples(voiced[None].double(), n, cfg.hop_length)[0]
    return out.double() * gate * 2 / torch.hann_window(cfg.win_length, dtype=torch.float64).sum()  # sine's |STFT| peak


def harmonic_plus_noise(log_mel, f0, phase: float | None = None, n_iter: int = 8,
                        generator: torch.Generator | None = None, audio_config: AudioConfig = AudioConfig()):
    """Waveform [frames · hop] (float32 numpy) from a natural-log mel [n_mels, frames] and F0 [frames] (Hz, 0 =
    unvoiced; all-unvoiced gives shaped noise, a silent mel silence). ``phase``: φ₀ in radians, random if None."""
    cfg = audio_config
    log_mel = torch.from_numpy(check_log_mel(log_mel))
    f0 = check_f0(f0)
    if f0.shape != (1, log_mel.shape[1]):
        raise ValueError(f"f0 must have one value per mel frame ({log_mel.shape[1]}), got shape {tuple(f0.shape)}")
    n_iter = integer(n_iter, "n_iter", low=0)
    if phase is None:
        phase = torch.rand(1, generator=generator, dtype=torch.float64).item() * 2 * math.pi
    frames, n = log_mel.shape[1], log_mel.shape[1] * cfg.hop_length
    target = torch.exp(log_mel)
    envelope = mel_to_linear(target, cfg)
    voiced = _frames_to_samples((f0 > 0).double(), n, cfg.hop_length)[0]
    noise = _torch_stft(torch.randn(n, generator=generator, dtype=torch.float64), cfg.n_fft, cfg.hop_length,
                        cfg.win_length)[:, :frames]
    noise = noise / noise.abs().mean(1, keepdim=True).clamp(min=1e-12) * envelope
    noise = istft(noise, cfg.hop_length, cfg.win_length, length=n)
    x = harmonics(envelope, f0[0], n, cfg, phase) + noise * (1 - voiced)
    basis = _cached_filterbank(cfg.sample_rate, cfg.n_fft, cfg.n_mels, float(cfg.fmin), float(cfg.fmax)).double()
    spread = basis / basis.sum(0, keepdim=True).clamp(min=1e-12)  # band → bin weights (0 beyond fmax)
    floor = target <= cfg.clip_val * 1.0001
    for _ in range(n_iter):
        spec = _torch_stft(x, cfg.n_fft, cfg.hop_length, cfg.win_length)
        mel = basis @ spec.abs()[:, :frames]
        gain = torch.where(floor, 0.0, (target / mel.clamp(min=1e-12)).clamp(*GAIN_RANGE))
        gain = torch.cat([gain, gain[:, -1:]], 1)  # the STFT has one frame more than the mel
        x = istft(spec * (spread.T @ gain), cfg.hop_length, cfg.win_length, length=n)
    return x.float().numpy()
