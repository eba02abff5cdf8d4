"""Tacotron 2 encoder: character embeddings → 3 convolutions → one bidirectional LSTM (Shen et al. 2018, sec. 2.2),
the conv + BiLSTM hybrid of chapter 05 (``course_lib.nn.rnn.ConvBiLSTM``) at the paper's sizes.

Every time step of the BiLSTM output feeds the attention (not only the last hidden state).
Unlike NVIDIA's reference we zero the padded steps before every convolution, so an utterance's
encoding does not depend on how long its batch neighbours are (the 5-wide kernels would otherwise
read the padding next to its last characters).
"""

from __future__ import annotations

import torch
from torch import nn

from course_lib.nn.layers import ConvNorm
from course_lib.nn.rnn import ConvBiLSTM, ConvBiLSTMConfig

from .config import Tacotron2Config


class Encoder(ConvBiLSTM):
    """Chapter 05's :class:`~course_lib.nn.rnn.ConvBiLSTM` at Tacotron 2's sizes, with NVIDIA's
    Xavier-initialised convolutions: ``[batch, channels, time]`` embedded text →
    ``[batch, time, encoder_embedding_dim]`` memory."""

    def __init__(self, config: Tacotron2Config):
        super().__init__(ConvBiLSTMConfig(channels=config.encoder_embedding_dim, n_convs=config.encoder_n_convolutions,
                                          kernel_size=config.encoder_kernel_size, dropout=config.p_encoder_dropout))

    def conv_block(self, channels: int, kernel_size: int) -> nn.Module:
        return nn.Sequential(ConvNorm(channels, channels, kernel_size, w_init_gain="relu"), nn.BatchNorm1d(channels))

    def forward(self, x: torch.Tensor, input_lengths: torch.Tensor | None = None) -> torch.Tensor:
        return super().forward(x.transpose(1, 2), input_lengths)
