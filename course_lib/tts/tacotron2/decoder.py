"""Tacotron 2 decoder: prenet → attention LSTM → location-sensitive attention → decoder LSTM →
mel frame(s) + stop token (Shen et al. 2018, sec. 2.2; step order as NVIDIA/tacotron2).

One decoder step, with ``r`` = frames per step (the reduction factor of Wang et al. 2017):

1. ``p = prenet(previous r frames)`` (dropout 0.5, also at inference);
2. ``h_att = LSTM_att([p, context_prev])``;
3. ``α = attention(h_att, memory, [α_prev, Σα])``, ``context = Σ_j α_j memory_j`` (location-sensitive,
   or forward attention in the course preset);
4. ``h_dec = LSTM_dec([h_att, context])``;
5. ``mel = W [h_dec, context] + b`` (r frames), ``stop logit = w [h_dec, context] + b``.

Follows NVIDIA/tacotron2's ``Decoder.decode`` closely (BSD-3-Clause): see NOTICE.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from course_lib.nn.attention import ForwardAttention, LocationSensitiveAttention
from course_lib.nn.layers import LinearNorm, dropout
from course_lib.nn.rnn import lstm_update, padding_mask

from .config import Tacotron2Config
from .layers import Prenet, WeightGradTape


class DecoderState(NamedTuple):
    """Everything the decoder carries from one step to the next."""

    attention_hidden: torch.Tensor  # [batch, attention_rnn_dim]
    attention_cell: torch.Tensor  # [batch, attention_rnn_dim]
    decoder_hidden: torch.Tensor  # [batch, decoder_rnn_dim]
    decoder_cell: torch.Tensor  # [batch, decoder_rnn_dim]
    attention_weights: torch.Tensor  # [batch, text_time]
    attention_weights_cum: torch.Tensor  # [batch, text_time]
    attention_context: torch.Tensor  # [batch, encoder_embedding_dim]


class Decoder(nn.Module):
    """Autoregressive attention decoder. ``forward`` = teacher forcing; ``inference`` = free running."""

    #: use the one-GEMM weight gradients of :class:`~.layers.WeightGradTape` in teacher-forced training
    fused_weight_grads: bool = True

    def __init__(self, config: Tacotron2Config):
        super().__init__()
        c = config
        self.n_mel_channels, self.r = c.n_mel_channels, c.n_frames_per_step
        self.max_decoder_steps, self.gate_threshold = c.max_decoder_steps, c.gate_threshold
        self.p_attention_dropout, self.p_decoder_dropout = c.p_attention_dropout, c.p_decoder_dropout
        self.prenet = Prenet(c.n_mel_channels * c.n_frames_per_step, [c.prenet_dim, c.prenet_dim], c.p_prenet_dropout)
        self.attention_rnn = nn.LSTMCell(c.prenet_dim + c.encoder_embedding_dim, c.attention_rnn_dim)
        attention = ForwardAttention if c.forward_attention else LocationSensitiveAttention
        self.attention_layer = attention(
            c.attention_rnn_dim, c.encoder_embedding_dim, c.attention_dim,
            c.attention_location_n_filters, c.attention_location_kernel_size)
        self.decoder_rnn = nn.LSTMCell(c.attention_rnn_dim + c.encoder_embedding_dim, c.decoder_rnn_dim)
        out_in = c.decoder_rnn_dim + c.encoder_embedding_dim
        self.linear_projection = LinearNorm(out_in, c.n_mel_channels * c.n_frames_per_step)
        self.gate_layer = LinearNorm(out_in, 1, bias=True, w_init_gain="sigmoid")

    # ---------------------------------------------------------------- one step, readable
    def initial_state(self, memory: torch.Tensor) -> DecoderState:
        """All zeros: no attention yet, zero context, zero LSTM states. Forward attention starts on
        the first character instead (its ``α_0``, Zhang et al. 2018)."""
        batch, time, _ = memory.shape
        zeros = memory.new_zeros
        weights = zeros(batch, time)
        if isinstance(self.attention_layer, ForwardAttention):
            weights[:, 0] = 1.0
        return DecoderState(
            zeros(batch, self.attention_rnn.hidden_size), zeros(batch, self.attention_rnn.hidden_size),
            zeros(batch, self.decoder_rnn.hidden_size), zeros(batch, self.decoder_rnn.hidden_size),
            weights, zeros(batch, time), zeros(batch, memory.shape[2]))

    def decode(self, prenet_out, state: DecoderState, memory, processed_memory, mask):
        """One step after the prenet: attention LSTM → attention → decoder LSTM → mel and stop projections.

        Returns ``(mel [batch, n_mels·r], stop logit [batch, 1], attention weights [batch, text], new state)``.
        """
        s = state
        att_h, att_c = self.attention_rnn(torch.cat([prenet_out, s.attention_context], -1),
                                          (s.attention_hidden, s.attention_cell))
        att_h = dropout(att_h, self.p_attention_dropout, self.training)
        weights_cat = torch.stack([s.attention_weights, s.attention_weights_cum], dim=1)  # [batch, 2, time]
        context, weights = self.attention_layer(att_h, memory, processed_memory, weights_cat, mask)
        dec_h, dec_c = self.decoder_rnn(torch.cat([att_h, context], -1), (s.decoder_hidden, s.decoder_cell))
        dec_h = dropout(dec_h, self.p_decoder_dropout, self.training)
        out_in = torch.cat([dec_h, context], dim=1)  # [batch, decoder_rnn_dim + encoder_dim]
        state = DecoderState(att_h, att_c, dec_h, dec_c, weights, s.attention_weights_cum + weights, context)
        return self.linear_projection(out_in), self.gate_layer(out_in), weights, state

    # ---------------------------------------------------------------- teacher forcing
    def decoder_inputs(self, mels: torch.Tensor) -> torch.Tensor:
        """``[batch, n_mels, frames]`` → go frame + previous groups of r frames ``[batch, frames/r, n_mels·r]``."""
        batch, n_mels, frames = mels.shape
        groups = mels.transpose(1, 2).reshape(batch, frames // self.r, n_mels * self.r)
        go = mels.new_zeros(batch, 1, n_mels * self.r)  # the all-zero <GO> frame
        return torch.cat([go, groups[:, :-1]], dim=1)

    def forward(self, memory, mels, memory_lengths=None):
        """Teacher forcing. memory ``[B, T_in, E]``, mels ``[B, n_mels, T_out]`` (T_out divisible by r).

        Returns ``mel [B, n_mels, T_out]``, ``gate [B, T_out/r]`` (logits), ``alignments [B, T_out/r, T_in]``.
        """
        if mels.dim() != 3 or mels.shape[1] != self.n_mel_channels:
            raise ValueError(f"mels must be [batch, {self.n_mel_channels}, frames], got {tuple(mels.shape)}")
        if mels.shape[2] == 0 or mels.shape[2] % self.r:
            raise ValueError(f"the number of mel frames ({mels.shape[2]}) must be a positive multiple of "
                             f"n_frames_per_step={self.r}; pad with TTSCollate(n_frames_per_step={self.r})")
        mask = None if memory_lengths is None else padding_mask(memory_lengths, memory.shape[1])
        processed_memory = self.attention_layer.memory_layer(memory)  # [B, T_in, attention_dim]
        prenet_out = self.prenet(self.decoder_inputs(mels)).transpose(0, 1)  # [T_dec, B, prenet_dim]
        if self.fused_weight_grads and torch.is_grad_enabled():
            mel, gate, alignments = self._teacher_forced_fast(prenet_out, memory, processed_memory, mask)
        else:
            state, outs = self.initial_state(memory), []
            for p in prenet_out:
                mel_t, gate_t, w, state = self.decode(p, state, memory, processed_memory, mask)
                outs.append((mel_t, gate_t, w))
            mel, gate, alignments = (torch.stack(x, dim=1) for x in zip(*outs))  # [B, T_dec, ...]
        return self._frames(mel), gate.squeeze(-1), alignments

    def _frames(self, mel: torch.Tensor) -> torch.Tensor:
        """``[B, T_dec, n_mels·r]`` → ``[B, n_mels, T_dec·r]``."""
        return mel.reshape(mel.shape[0], -1, self.n_mel_channels).transpose(1, 2)

    def _teacher_forced_fast(self, prenet_out, memory, processed_memory, mask):
        """The same recurrence as :meth:`decode`, rearranged for speed (tests assert equal outputs and grads):
        the prenet part of the attention LSTM's input product and the output projections run once for all
        steps, and the recurrent weights get their gradients from a :class:`WeightGradTape`."""
        att, dec = self.attention_rnn, self.decoder_rnn
        p_dim = prenet_out.shape[-1]
        pre_gates = F.linear(prenet_out, att.weight_ih[:, :p_dim], att.bias_ih + att.bias_hh)  # [T_dec, B, 4H]
        att_tape = WeightGradTape(torch.cat([att.weight_ih[:, p_dim:], att.weight_hh], 1))  # on [context, h_att]
        dec_tape = WeightGradTape(torch.cat([dec.weight_ih, dec.weight_hh], 1))  # on [h_att, context, h_dec]
        dec_bias = dec.bias_ih + dec.bias_hh
        s = self.initial_state(memory)
        att_h, att_c, dec_h, dec_c, w_prev, w_cum, context = s
        hiddens, contexts, alignments = [], [], []
        for gates in pre_gates:
            att_h, att_c = lstm_update(gates + att_tape(torch.cat([context, att_h], 1)), att_c)
            att_h = dropout(att_h, self.p_attention_dropout, self.training)
            context, w_prev = self.attention_layer(att_h, memory, processed_memory,
                                                   torch.stack([w_prev, w_cum], dim=1), mask)
            w_cum = w_cum + w_prev
            dec_h, dec_c = lstm_update(dec_tape(torch.cat([att_h, context, dec_h], 1)) + dec_bias, dec_c)
            dec_h = dropout(dec_h, self.p_decoder_dropout, self.training)
            hiddens.append(dec_h), contexts.append(context), alignments.append(w_prev)
        out_in = torch.cat([torch.stack(hiddens, 1), torch.stack(contexts, 1)], dim=2)  # [B, T_dec, D + E]
        return self.linear_projection(out_in), self.gate_layer(out_in), torch.stack(alignments, 1)

    # ---------------------------------------------------------------- free running
    @torch.no_grad()
    def inference(self, memory, memory_lengths=None, max_decoder_steps=None, gate_threshold=None):
        """Feed each prediction back until every item's stop probability passes the threshold.

        Returns ``mel [B, n_mels, T]``, ``gate [B, T/r]``, ``alignments [B, T/r, T_in]``, ``lengths [B]``
        (frames up to and including each item's stop step; later frames are zero).
        """
        max_steps = self.max_decoder_steps if max_decoder_steps is None else int(max_decoder_steps)
        threshold = self.gate_threshold if gate_threshold is None else float(gate_threshold)
        if max_steps < 1:
            raise ValueError(f"max_decoder_steps must be >= 1, got {max_steps}")
        batch = memory.shape[0]
        mask = None if memory_lengths is None else padding_mask(memory_lengths, memory.shape[1])
        processed_memory = self.attention_layer.memory_layer(memory)
        state = self.initial_state(memory)
        frame = memory.new_zeros(batch, self.n_mel_channels * self.r)  # <GO>
        stop_step = torch.full((batch,), -1, dtype=torch.long, device=memory.device)
        outs = []
        for step in range(max_steps):
            frame, gate, weights, state = self.decode(self.prenet(frame), state, memory, processed_memory, mask)
            outs.append((frame, gate, weights))
            stops = (torch.sigmoid(gate[:, 0]) > threshold) & (stop_step < 0)
            stop_step[stops] = step
            if bool((stop_step >= 0).all()):
                break
        unfinished = (stop_step < 0).nonzero().flatten().tolist()
        if unfinished:
            warnings.warn(
                f"Tacotron 2 reached max_decoder_steps={max_steps} before the stop token fired for batch item(s) "
                f"{unfinished}: their audio is cut off. Usually the attention failed (check the alignment plot); "
                "otherwise raise max_decoder_steps or split long text into sentences.", RuntimeWarning, stacklevel=3)
            stop_step[stop_step < 0] = len(outs) - 1
        mel, gate, alignments = (torch.stack(x, dim=1) for x in zip(*outs))
        lengths = (stop_step + 1) * self.r
        mel = self._frames(mel)
        mel = mel.masked_fill(padding_mask(lengths, mel.shape[2])[:, None, :], 0.0)
        return mel, gate.squeeze(-1), alignments, lengths
