"""Fast WaveGlow inference: fold the mel upsampler into every flow's conditioning layer.

WaveGlow conditions each of its flows on the mel spectrogram in two linear steps: a transposed
convolution upsamples the frames to one vector per audio sample, then each coupling network's
1×1 ``cond_layer`` maps the ``n_mel · n_group`` values of a group of samples to its gate inputs
(Prenger et al. 2018, Sec. 2.2). A composition of linear maps is linear. The conditioning that
flow k adds at group step t therefore depends only on

- the ``K = upsample_kernel / hop`` mel frames whose upsampling kernels cover t, and
- t's phase ``p = t mod (hop / n_group)``, i.e. where inside the frame the group starts.

So one matrix per phase replaces the upsampler and all the ``cond_layer`` s:

    cond_k[t] = b'_k + Σ_d A_k[p, d] · mel[f − d],   f = t div (hop / n_group),   d = 0 … K − 1

with ``A_k[p, d] = W_k · U[p, d]``. Here ``U[p, d]`` gathers the upsampler taps that frame ``f − d``
contributes to the group's samples, and ``b'_k`` is ``b_k`` plus the upsampler bias pushed through ``W_k``.
For the course preset this computes the same numbers (to float32 rounding) with
``K · n_mel = 160`` inputs per group step instead of ``n_mel · n_group = 640``. The upsampler, a
slow transposed convolution on the CPU, no longer runs at inference. Training keeps the unfolded
layers: the folded matrices are a cache derived from them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

#: fold only while the cached matrices stay small (course preset: 15.7 M numbers; paper: 503 M)
MAX_FOLDED_NUMBERS = 64_000_000


def folded_numbers(config) -> int:
    """How many numbers the folded matrices of a WaveGlow with this config hold."""
    k, p = config.upsample_kernel // config.hop_length, config.hop_length // config.n_group
    return k * config.n_mel_channels * p * config.n_flows * 2 * config.wn_channels * config.wn_layers


class FoldedConditioning(nn.Module):
    """Mel ``[batch, n_mel, frames]`` → every flow's conditioning ``[batch, 2·channels·layers, frames·hop/n_group]``."""

    def __init__(self, model, dtype: torch.dtype = torch.float32):
        super().__init__()
        cfg = model.config
        if cfg.upsample_kernel % cfg.hop_length or cfg.hop_length % cfg.n_group:
            raise ValueError("folding needs upsample_kernel to be a multiple of hop_length and hop_length a "
                             f"multiple of n_group; got {cfg.upsample_kernel}, {cfg.hop_length}, {cfg.n_group}")
        hop, group, n_mel = cfg.hop_length, cfg.n_group, cfg.n_mel_channels
        self.frames_per_step, self.phases = cfg.upsample_kernel // hop, hop // group   # K, P
        self.group = group
        k, p = self.frames_per_step, self.phases
        # the upsampler tap that frame f − d gives sample j of the group at phase p: d·hop + p·n_group + j
        tap = (torch.arange(k)[:, None, None] * hop + torch.arange(p)[None, :, None] * group
               + torch.arange(group)[None, None, :])                                   # [K, P, n_group]
        up_w = model.upsample.weight.detach().float()[:, :, tap]    # [mel in i, mel out c, K d, P p, n_group j]
        up_w = up_w.permute(1, 4, 2, 0, 3).reshape(n_mel * group, -1)  # [(c, j), (d, i, p)]
        up_b = model.upsample.bias.detach().float().repeat_interleave(group)  # [(c, j)]
        cond_w = torch.cat([wn.cond_layer.weight.detach().float().squeeze(-1) for wn in model.WN])  # [Σ out, (c, j)]
        cond_b = torch.cat([wn.cond_layer.bias.detach().float() for wn in model.WN])
        self.sizes = [wn.cond_layer.out_channels for wn in model.WN]
        matrix = (cond_w @ up_w).view(-1, k, n_mel, p).permute(1, 2, 0, 3)  # one GEMM → [K, mel in, Σ out, P]
        self.register_buffer("matrix", matrix.reshape(k * n_mel, -1).to(dtype), persistent=False)
        bias = cond_b + cond_w @ up_b                              # the upsampler's bias pushed through W_k
        self.register_buffer("bias", bias.repeat_interleave(p).to(dtype), persistent=False)

    def forward(self, mel: torch.Tensor, n_samples: int) -> list[torch.Tensor]:
        k, p = self.frames_per_step, self.phases
        b, n_mel, frames = mel.shape
        window = F.pad(mel.to(self.matrix.dtype), (k - 1, 0)).unfold(2, k, 1)   # [b, mel, frames, K]: f−K+1 … f
        x = window.flip(-1).permute(0, 2, 3, 1).reshape(b, frames, k * n_mel)  # (d, mel) with d = 0 … K−1
        y = torch.addmm(self.bias, x.reshape(b * frames, -1), self.matrix)     # [b·frames, Σ out · P]
        y = y.view(b, frames, -1, p).permute(0, 2, 1, 3).reshape(b, -1, frames * p)  # step t = f·P + p
        y = y[:, :, :n_samples // self.group]
        return list(torch.split(y, self.sizes, dim=1))  # one [b, out, steps] per flow
