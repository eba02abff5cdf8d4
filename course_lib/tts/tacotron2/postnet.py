"""Tacotron 2 postnet: 5 convolutions (5×1, batch norm, tanh except the last) predicting a residual.

Shen et al. 2018, sec. 2.2."""

from __future__ import annotations

import torch
from torch import nn

from course_lib.nn.layers import ConvNorm, dropout

from .config import Tacotron2Config


class Postnet(nn.Module):
    """``[batch, n_mels, frames]`` → residual of the same shape; the model adds it to the decoder's mel."""

    def __init__(self, config: Tacotron2Config):
        super().__init__()
        n_mels, dim, k = config.n_mel_channels, config.postnet_embedding_dim, config.postnet_kernel_size
        dims = [n_mels] + [dim] * (config.postnet_n_convolutions - 1) + [n_mels]
        gains = ["tanh"] * (config.postnet_n_convolutions - 1) + ["linear"]
        self.convolutions = nn.ModuleList(
            nn.Sequential(ConvNorm(a, b, k, w_init_gain=gain), nn.BatchNorm1d(b))
            for a, b, gain in zip(dims[:-1], dims[1:], gains)
        )
        self.dropout = config.p_postnet_dropout

    def forward(self, x: torch.Tensor, padded: torch.Tensor | None = None) -> torch.Tensor:
        """x ``[batch, n_mels, frames]``; ``padded [batch, frames]`` (True past an item's end) is zeroed
        before every convolution, so no utterance reads its batch neighbours' padding."""
        valid = None if padded is None else (~padded)[:, None, :].to(x)
        for i, conv in enumerate(self.convolutions):
            x = x if valid is None else x * valid
            x = conv(x) if i == len(self.convolutions) - 1 else torch.tanh(conv(x))
            x = dropout(x, self.dropout, self.training)
        return x
