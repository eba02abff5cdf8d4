"""Tacotron 2 encoder: character embeddings → 3 convolutions → one bidirectional LSTM (Shen et al. 2018, sec. 2.2).

Every time step of the BiLSTM output feeds the attention (not only the last hidden state).
Unlike NVIDIA's reference we zero the padded steps before every convolution, so an utterance's
encoding does not depend on how long its batch neighbours are (the 5-wide kernels would otherwise
read the padding next to its last characters).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from course_lib.nn.rnn import padding_mask

from .config import Tacotron2Config
from .layers import ConvNorm


class Encoder(nn.Module):
    """``[batch, channels, time]`` embedded text → ``[batch, time, encoder_embedding_dim]`` memory."""

    def __init__(self, config: Tacotron2Config):
        super().__init__()
        dim = config.encoder_embedding_dim
        self.dropout = config.p_encoder_dropout
        self.convolutions = nn.ModuleList(
            nn.Sequential(ConvNorm(dim, dim, config.encoder_kernel_size, w_init_gain="relu"), nn.BatchNorm1d(dim))
            for _ in range(config.encoder_n_convolutions)
        )
        self.lstm = nn.LSTM(dim, dim // 2, num_layers=1, batch_first=True, bidirectional=True)

    def forward(self, x: torch.Tensor, input_lengths: torch.Tensor | None = None) -> torch.Tensor:
        valid = None if input_lengths is None else (~padding_mask(input_lengths, x.shape[2]))[:, None, :].to(x)
        for conv in self.convolutions:
            x = x if valid is None else x * valid
            x = F.dropout(F.relu(conv(x)), self.dropout, self.training)  # [batch, dim, time]
        x = x.transpose(1, 2)  # [batch, time, dim]
        if input_lengths is None or bool((input_lengths == x.shape[1]).all()):
            return self.lstm(x)[0]
        # packing keeps the backward direction from reading the padding first
        packed = nn.utils.rnn.pack_padded_sequence(x, input_lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        return nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])[0]
