"""WaveGlow's denoiser: subtract the model's own "bias" spectrum from its output (NVIDIA/waveglow).

A WaveGlow run on an all-zero mel at σ = 0 should be silent; what comes out instead is the
model's constant hum or hiss. Its magnitude spectrum (averaged over frames; NVIDIA keeps the first
frame) is subtracted, times a small ``strength`` (0.01–0.1), from every frame of the output
(spectral subtraction, Boll 1979), keeping the output's phase.

Follows NVIDIA/waveglow's denoiser (BSD-3-Clause): see NOTICE.
"""

from __future__ import annotations

import math

import torch

from course_lib import checks
from course_lib.tts.waveglow.model import WaveGlow


class Denoiser:
    """``Denoiser(waveglow)(audio, strength=0.01)`` → audio with the bias spectrum removed."""

    def __init__(self, waveglow: WaveGlow, n_fft: int = 1024, hop_length: int = 256, n_frames: int = 88):
        if not isinstance(waveglow, WaveGlow):
            raise TypeError(f"Denoiser needs a WaveGlow, got {type(waveglow).__name__}")
        for name, value in (("n_fft", n_fft), ("hop_length", hop_length), ("n_frames", n_frames)):
            checks.integer(value, name)
        hop = waveglow.config.hop_length
        if n_frames * hop <= n_fft // 2:  # torch.stft's centred (reflect) padding needs more samples
            raise ValueError(f"n_frames must be at least {n_fft // 2 // hop + 1} (n_frames × hop_length {hop} "
                             f"> n_fft // 2 = {n_fft // 2} samples for the STFT), got {n_frames}")
        self.n_fft, self.hop_length = n_fft, hop_length
        self.window = torch.hann_window(n_fft)
        param = next(waveglow.parameters())
        mel = torch.zeros(1, waveglow.config.n_mel_channels, n_frames, dtype=param.dtype, device=param.device)
        with torch.inference_mode():
            bias_audio = waveglow.infer(mel, sigma=0.0).float().cpu()           # [1, samples]
        self.bias_spec = self._stft(bias_audio).abs().mean(dim=-1, keepdim=True)  # [1, bins, 1]

    def _stft(self, audio: torch.Tensor) -> torch.Tensor:
        return torch.stft(audio, self.n_fft, self.hop_length, window=self.window, center=True,
                          return_complex=True)                                   # [batch, bins, frames]

    def _check_audio(self, audio) -> torch.Tensor:
        audio = torch.as_tensor(audio)
        if audio.dim() not in (1, 2) or audio.shape[-1] < self.n_fft // 2 + 1:
            raise ValueError(f"audio must be [samples] or [batch, samples] with at least {self.n_fft // 2 + 1} "
                             f"samples, got {tuple(audio.shape)}")
        if audio.is_complex() or not audio.is_floating_point():
            raise TypeError(f"audio must be real floating-point samples in [-1, 1], got dtype {audio.dtype}")
        if not torch.isfinite(audio).all():
            raise ValueError("audio contains NaN or inf; denoise only finite samples (check the vocoder's input)")
        return audio

    def __call__(self, audio: torch.Tensor, strength: float = 0.01) -> torch.Tensor:
        if isinstance(strength, bool) or not isinstance(strength, (int, float)) or not math.isfinite(strength) \
                or strength < 0:
            raise ValueError(f"strength must be a finite number >= 0 (0.01–0.1 is typical), got {strength!r}")
        audio = self._check_audio(audio)
        squeeze = audio.dim() == 1
        if squeeze:
            audio = audio[None]
        n = audio.shape[-1]
        with torch.inference_mode():
            spec = self._stft(audio.float().cpu())
            magnitude = torch.clamp(spec.abs() - self.bias_spec * strength, min=0.0)
            clean = torch.polar(magnitude, spec.angle())
            out = torch.istft(clean, self.n_fft, self.hop_length, window=self.window, center=True, length=n)
        return out[0] if squeeze else out
