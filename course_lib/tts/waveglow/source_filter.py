"""WaveGlow with per-flow conditioning from frame-rate mels and an optional source excitation.

NVIDIA's WaveGlow upsamples the mel to the sample rate and then lets every flow's 1×1
``cond_layer`` read ``n_mel · n_group`` values per group step (1,280 for the course preset): ~86 %
of a course training step's multiply-adds. Here each flow k has its own conv over ``cond_frames``
mel frames at the frame rate, linearly interpolated to the group rate:

    cond_k[t] = Σ_j ((1 − w_t)·c_k[f_t] + w_t·c_k[f_t + 1]),   c_k = conv_k(mel)  (frame f centred on f·hop)

so a group step costs ``n_mel · cond_frames / (hop / n_group)`` multiply-adds per output instead of
``n_mel · n_group``. With ``config.excitation`` signals (:mod:`~course_lib.tts.waveglow.excitation`),
the squeezed excitation joins x_a at the input of every WN's ``start`` conv: the affine coupling
(Prenger et al. 2018, eq. 4–6) stays invertible, as anything the WN reads except x_b may enter it.
"""

from __future__ import annotations

import torch
from torch import nn

from course_lib.tts.waveglow.config import WaveGlowConfig
from course_lib.tts.waveglow.model import WN, WaveGlow, WNConv1d


def build_waveglow(config: WaveGlowConfig | None = None) -> WaveGlow:
    """The model a config describes: :class:`WaveGlow` for NVIDIA's layout, else :class:`SourceFilterWaveGlow`."""
    cfg = config or WaveGlowConfig.course()
    if not isinstance(cfg, WaveGlowConfig):
        raise TypeError(f"config must be a WaveGlowConfig, got {type(cfg).__name__}")
    if cfg.conditioning == "upsampled" and not cfg.excitation:
        return WaveGlow(cfg)
    return SourceFilterWaveGlow(cfg)


def squeeze_excitation(exc: torch.Tensor, n_group: int) -> torch.Tensor:
    """[batch, signals, samples] → [batch, signals·n_group, samples/n_group], grouped like the audio."""
    b, s, t = exc.shape
    return exc.reshape(b, s, t // n_group, n_group).permute(0, 1, 3, 2).reshape(b, s * n_group, t // n_group)


def interpolate_frames(c: torch.Tensor, n_steps: int, hop: int, n_group: int) -> torch.Tensor:
    """[batch, ch, frames] → [batch, ch, n_steps]: the value at each group's centre sample (frame f at f·hop).

    Group t lies between frames f = t // (hop / n_group) and f + 1 at a weight w that repeats every frame,
    so the interpolation is two broadcast products (no gather) and a reshape."""
    per_frame = hop // n_group  # hop is a multiple of n_group (WaveGlowConfig checks it)
    w = (torch.arange(per_frame, device=c.device, dtype=torch.float32) * n_group + (n_group - 1) / 2) / hop
    w = w.to(c.dtype)
    following = torch.cat([c[:, :, 1:], c[:, :, -1:]], dim=2)  # frame f + 1, the last one held
    out = c[..., None] * (1 - w) + following[..., None] * w   # [batch, ch, frames, per_frame]
    return out.reshape(c.shape[0], c.shape[1], -1)[:, :, :n_steps]


class FrameConditioning(nn.Module):
    """One flow's conditioning: a weight-normalised conv over mel frames, then interpolation to the group rate."""

    def __init__(self, config: WaveGlowConfig):
        super().__init__()
        self.hop, self.n_group = config.hop_length, config.n_group
        self.conv = WNConv1d(config.n_mel_channels, 2 * config.wn_channels * config.wn_layers, config.cond_frames)

    def forward(self, mel: torch.Tensor, n_steps: int) -> torch.Tensor:
        return interpolate_frames(self.conv(mel), n_steps, self.hop, self.n_group)


class SourceFilterWaveGlow(WaveGlow):
    """WaveGlow whose flows read their own frame-rate conditioning and, optionally, a source excitation.

    The flow is :class:`WaveGlow`'s; ``forward(mel, audio, excitation)``, ``inverse(mel, z, excitation)``
    and ``infer(mel, sigma, generator, excitation)`` take the excitation ``[batch, config.excitation,
    samples]`` of :func:`~course_lib.tts.waveglow.excitation.excitation` (required iff ``config.excitation > 0``).
    """

    def __init__(self, config: WaveGlowConfig):
        super().__init__(config)
        if config.conditioning == "per_flow":
            self.cond = nn.ModuleList(FrameConditioning(config) for _ in range(config.n_flows))

    def _make_wn(self, n_half: int) -> WN:
        cfg = self.config
        if cfg.conditioning == "upsampled":
            wn = super()._make_wn(n_half)
        else:
            wn = WN(n_half, 1, cfg.wn_layers, cfg.wn_channels, cfg.wn_kernel_size)
            wn.cond_layer = nn.Identity()  # the flow's FrameConditioning does its work
        if cfg.excitation:
            wn.start = WNConv1d(n_half + cfg.excitation * cfg.n_group, cfg.wn_channels)
        return wn

    def conditioning(self, mel: torch.Tensor, n_samples: int) -> list[torch.Tensor]:
        if self.config.conditioning == "upsampled":
            return super().conditioning(mel, n_samples)
        cfg = self.config
        if mel.shape[2] * cfg.hop_length < n_samples:
            raise ValueError(f"{mel.shape[2]} mel frames cover {mel.shape[2] * cfg.hop_length} samples, fewer than "
                             f"the {n_samples} audio samples given")
        dtype = self.WN[0].dtype
        return [cond(mel.to(dtype), n_samples // cfg.n_group) for cond in self.cond]

    def _excitation(self, excitation, batch: int, n_samples: int, dtype) -> torch.Tensor | None:
        cfg = self.config
        if not cfg.excitation:
            return super()._excitation(excitation, batch, n_samples, dtype)
        expected = (batch, cfg.excitation, n_samples)
        if not isinstance(excitation, torch.Tensor) or tuple(excitation.shape) != expected:
            raise ValueError(f"this WaveGlow needs excitation=[batch, {cfg.excitation}, samples] of shape {expected} "
                             "(course_lib.tts.waveglow.excitation.excitation(f0, n_samples)), got "
                             f"{getattr(excitation, 'shape', type(excitation).__name__)}")
        if not torch.isfinite(excitation).all():
            raise ValueError("excitation contains NaN or inf")
        return squeeze_excitation(excitation, cfg.n_group).to(dtype)

    def remove_weight_norm(self) -> "SourceFilterWaveGlow":
        if self.config.conditioning == "upsampled":
            return super().remove_weight_norm()
        for wn in self.WN:
            wn.start = wn.start.fold()
            for layers in (wn.in_layers, wn.res_skip_layers):
                for i, layer in enumerate(layers):
                    layers[i] = layer.fold()
        for cond in self.cond:
            cond.conv = cond.conv.fold()
        self.weight_norm_removed = True
        return self

    def prepare_for_inference(self, wn_dtype: torch.dtype = torch.float32, fold: bool | None = None):
        """As :meth:`WaveGlow.prepare_for_inference`; per-flow conditioning has nothing to fold
        (``fold`` is ignored)."""
        super().prepare_for_inference(wn_dtype, fold=fold if self.config.conditioning == "upsampled" else False)
        if self.config.conditioning == "per_flow":
            self.cond.to(wn_dtype)
        return self
