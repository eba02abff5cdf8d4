"""Linear and convolution layers with Xavier-uniform initialisation (Glorot & Bengio 2010), and dropout.

``LinearNorm`` and ``ConvNorm`` are NVIDIA/tacotron2's names (their ``linear_layer`` and ``conv``
submodules name the published state dict's keys); the attention of chapter 09 and every Tacotron 2
module of chapter 10 are built from them. They follow NVIDIA/tacotron2 (BSD-3-Clause): see NOTICE.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["LinearNorm", "ConvNorm", "dropout"]


class LinearNorm(nn.Module):
    """``nn.Linear`` with Xavier-uniform weights (Glorot & Bengio 2010) scaled by ``w_init_gain``."""

    def __init__(self, in_dim: int, out_dim: int, bias: bool = True, w_init_gain: str = "linear"):
        super().__init__()
        self.linear_layer = nn.Linear(in_dim, out_dim, bias=bias)
        nn.init.xavier_uniform_(self.linear_layer.weight, gain=nn.init.calculate_gain(w_init_gain))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear_layer(x)


class ConvNorm(nn.Module):
    """``nn.Conv1d`` ('same' padding for odd kernels) with Xavier-uniform weights."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 1, bias: bool = True,
                 w_init_gain: str = "linear"):
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd to keep the length ('same' padding), got {kernel_size}")
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, padding=(kernel_size - 1) // 2, bias=bias)
        nn.init.xavier_uniform_(self.conv.weight, gain=nn.init.calculate_gain(w_init_gain))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [batch, channels, time]
        return self.conv(x)


def dropout(x: torch.Tensor, p: float, training: bool = True) -> torch.Tensor:
    """Inverted dropout (Srivastava et al. 2014): zero each element with probability ``p`` and scale the
    survivors by ``1/(1−p)``, so the expected value is unchanged; the identity when not ``training``.

    The same distribution as ``F.dropout``, with the mask drawn by ``torch.rand``: on a CPU that is
    about three times faster than ``F.dropout``'s Bernoulli sampling on a training batch's
    activations (a little slower on the tiny tensors of batch-1 synthesis); Tacotron 2 calls it
    hundreds of times per training step (``docs/ALIGNMENT_LAB.md``, session 10).
    """
    if not training or p == 0.0:
        return x
    if p >= 1.0:
        return torch.zeros_like(x)
    return x * (torch.rand_like(x) >= p).to(x.dtype) * (1.0 / (1.0 - p))
