"""Attention for sequence-to-sequence models (chapter 09).

Three ways to score how well a decoder *query* matches each encoder step (the *memory*), all
followed by a masked softmax over the encoder steps and a weighted sum (the *context*):

- dot-product (Luong et al. 2015; scaled by 1/sqrt(d) as in Vaswani et al. 2017):
  ``e_j = q·k_j / sqrt(d)``;
- additive (Bahdanau, Cho & Bengio 2015, eq. 6): ``e_j = vᵀ tanh(W q + U h_j)``;
- location-sensitive (Chorowski et al. 2015, eq. 8–9): the additive score plus features of the
  previous alignment, ``e_j = vᵀ tanh(W q + U h_j + V f_j)``, ``f = F * α_prev``. The Tacotron 2
  paper (Shen et al. 2018, sec. 2.2) uses the *cumulative* weights instead; NVIDIA's reference code,
  and this module, convolve two channels: the previous and the cumulative weights;
- forward attention (Zhang, Ling & Dai 2018, Algorithm 1), used by the course's Tacotron 2 preset:
  location-sensitive energies, normalised so that each decoder step stays on a character or moves on
  by one, ``α_t(n) ∝ (α_{t−1}(n) + α_{t−1}(n−1)) · y_t(n)``.

Masks follow the course's one convention (:func:`course_lib.nn.rnn.padding_mask`): ``mask`` is
``True`` at **padded** encoder steps, whose energies become ``-inf`` so they receive exactly zero weight.

The layer names (``query_layer.linear_layer``, ``location_layer.location_conv.conv``, ...) are
those of NVIDIA/tacotron2, so its published weights load into :class:`LocationSensitiveAttention`.

The location-sensitive layer follows NVIDIA/tacotron2's (BSD-3-Clause): see NOTICE.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from course_lib.checks import checked_by
from course_lib.nn.layers import ConvNorm, LinearNorm

__all__ = [
    "masked_softmax",
    "dot_product_attention",
    "AdditiveAttention",
    "LocationLayer",
    "LocationSensitiveAttention",
    "forward_attention_weights",
    "ForwardAttention",
]


def masked_softmax(energies: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Softmax over the last axis with ``-inf`` at masked (padded) positions."""
    if mask is not None:
        if mask.shape != energies.shape:
            raise ValueError(f"mask {tuple(mask.shape)} does not match energies {tuple(energies.shape)}")
        if bool(mask.all(dim=-1).any()):
            raise ValueError("a row of the mask hides every encoder step; each sequence needs length >= 1")
        energies = energies.masked_fill(mask, float("-inf"))
    return torch.softmax(energies, dim=-1)


def _check_memory(memory: torch.Tensor, mask: torch.Tensor | None) -> None:
    if memory.dim() != 3:
        raise ValueError(f"memory must be [batch, time, channels], got shape {tuple(memory.shape)}")
    if mask is not None and tuple(mask.shape) != tuple(memory.shape[:2]):
        raise ValueError(f"mask must be [batch, time] = {tuple(memory.shape[:2])}, got {tuple(mask.shape)}")


def _check_attention_input(self, query, memory, mask=None, *args, **kwargs) -> None:
    _check_memory(memory, mask)


def dot_product_attention(query, keys, values=None, mask=None, scale: bool = True):
    """Scaled dot-product attention; returns ``(context, weights)``.

    query ``[batch, d]`` (one decoder step) or ``[batch, steps, d]``; keys ``[batch, time, d]``;
    values ``[batch, time, d_v]`` (default: the keys); mask ``[batch, time]`` True at padding.
    """
    _check_memory(keys, mask)
    values = keys if values is None else values
    single = query.dim() == 2
    q = query[:, None, :] if single else query  # [batch, steps, d]
    if q.shape[-1] != keys.shape[-1]:
        raise ValueError(f"query has {q.shape[-1]} features but keys have {keys.shape[-1]}; they must match")
    energies = q @ keys.transpose(1, 2)  # [batch, steps, time]
    if scale:
        energies = energies / math.sqrt(q.shape[-1])
    weights = masked_softmax(energies, None if mask is None else mask[:, None, :].expand_as(energies))
    context = weights @ values  # [batch, steps, d_v]
    return (context[:, 0], weights[:, 0]) if single else (context, weights)


class AdditiveAttention(nn.Module):
    """Bahdanau attention: ``e_j = vᵀ tanh(W q + U h_j)`` (Bahdanau et al. 2015, eq. 6)."""

    def __init__(self, query_dim: int, memory_dim: int, attention_dim: int):
        super().__init__()
        self.query_layer = LinearNorm(query_dim, attention_dim, bias=False, w_init_gain="tanh")
        self.memory_layer = LinearNorm(memory_dim, attention_dim, bias=False, w_init_gain="tanh")
        self.v = LinearNorm(attention_dim, 1, bias=False)

    def energies(self, query, processed_memory):
        """query ``[batch, query_dim]``, processed memory ``[batch, time, attention_dim]`` → ``[batch, time]``."""
        return self.v(torch.tanh(self.query_layer(query)[:, None, :] + processed_memory)).squeeze(-1)

    @checked_by(_check_attention_input)
    def forward(self, query, memory, mask=None, processed_memory=None):
        """Return ``(context [batch, memory_dim], weights [batch, time])``."""
        if processed_memory is None:
            processed_memory = self.memory_layer(memory)  # [batch, time, attention_dim]
        weights = masked_softmax(self.energies(query, processed_memory), mask)
        context = torch.bmm(weights[:, None, :], memory)[:, 0]  # [batch, memory_dim]
        return context, weights


class LocationLayer(nn.Module):
    """Location features ``f = F * α`` (Chorowski et al. 2015, eq. 9), projected to attention_dim."""

    def __init__(self, n_filters: int, kernel_size: int, attention_dim: int, in_channels: int = 2):
        super().__init__()
        self.location_conv = ConvNorm(in_channels, n_filters, kernel_size, bias=False)
        self.location_dense = LinearNorm(n_filters, attention_dim, bias=False, w_init_gain="tanh")

    def forward(self, attention_weights_cat: torch.Tensor) -> torch.Tensor:
        """``[batch, in_channels, time]`` → ``[batch, time, attention_dim]``: ``location_dense(location_conv(α))``.

        Both maps are linear, so they run as one: each window of ``α`` (``unfold``) times the composed
        weight ``V·F``. The same numbers, in one matrix product instead of a small convolution per
        decoder step: cheaper when training on a CPU (``docs/ALIGNMENT_LAB.md``, session 10).
        """
        conv, dense = self.location_conv.conv, self.location_dense.linear_layer
        k, pad = conv.kernel_size[0], conv.padding[0]
        windows = F.pad(attention_weights_cat, (pad, pad)).unfold(2, k, 1)  # [batch, in_channels, time, k]
        composed = torch.einsum("af,fck->cka", dense.weight, conv.weight)  # [in_channels, k, attention_dim]
        return windows.transpose(1, 2).flatten(2) @ composed.flatten(0, 1)


class LocationSensitiveAttention(nn.Module):
    """Location-sensitive attention as in Tacotron 2 (Chorowski et al. 2015; Shen et al. 2018).

    ``e_j = vᵀ tanh(W q + U h_j + V f_j)`` where ``f`` convolves two channels, the previous and the
    cumulative attention weights (NVIDIA's code; the paper names only the cumulative weights).
    The memory projection ``U h`` is computed once per utterance.
    """

    def __init__(self, query_dim: int, memory_dim: int, attention_dim: int, n_filters: int,
                 kernel_size: int):
        super().__init__()
        self.query_layer = LinearNorm(query_dim, attention_dim, bias=False, w_init_gain="tanh")
        self.memory_layer = LinearNorm(memory_dim, attention_dim, bias=False, w_init_gain="tanh")
        self.v = LinearNorm(attention_dim, 1, bias=False)
        self.location_layer = LocationLayer(n_filters, kernel_size, attention_dim)

    def energies(self, query, processed_memory, attention_weights_cat):
        """``[batch, query_dim]``, ``[batch, time, attention_dim]``, ``[batch, 2, time]`` → ``[batch, time]``."""
        processed_query = self.query_layer(query)[:, None, :]  # [batch, 1, attention_dim]
        processed_location = self.location_layer(attention_weights_cat)  # [batch, time, attention_dim]
        return self.v(torch.tanh(processed_query + processed_location + processed_memory)).squeeze(-1)

    def forward(self, query, memory, processed_memory, attention_weights_cat, mask=None):
        """Return ``(context [batch, memory_dim], weights [batch, time])``; padded steps get weight 0."""
        energies = self.energies(query, processed_memory, attention_weights_cat)
        if mask is not None:
            energies = energies.masked_fill(mask, float("-inf"))
        weights = self.normalise(energies, attention_weights_cat)  # [batch, time]
        context = torch.bmm(weights[:, None, :], memory)[:, 0]  # [batch, memory_dim]
        return context, weights

    def normalise(self, energies, attention_weights_cat):
        """Energies → weights: a softmax over the text (:class:`ForwardAttention` narrows it)."""
        return torch.softmax(energies, dim=1)


def forward_attention_weights(energies: torch.Tensor, previous: torch.Tensor) -> torch.Tensor:
    """Forward attention (Zhang, Ling & Dai 2018, Algorithm 1): ``α_t(n) ∝ (α_{t−1}(n) + α_{t−1}(n−1)) · y_t(n)``.

    ``energies`` ``[batch, time]`` (``-inf`` at padding) give ``y_t = softmax(e_t)``; ``previous`` is
    ``α_{t−1}``. The weight may stay on a character or move on by one; it never flows back or further.
    Computed as ``softmax(e_t + log(α_{t−1}(n) + α_{t−1}(n−1)))``, the same numbers (softmax's own
    normaliser cancels in the renormalisation): the product form gives 0/0 once the two factors are
    tiny where they overlap (a pilot's NaN gradient at step 333, ``docs/ALIGNMENT_LAB.md``).
    """
    reachable = previous + F.pad(previous[:, :-1], (1, 0))  # α_{t−1}(n) + α_{t−1}(n−1)
    unreachable = reachable == 0
    log_reachable = torch.log(reachable.masked_fill(unreachable, 1.0)).masked_fill(unreachable, float("-inf"))
    return torch.softmax(energies + log_reachable, dim=1)


class ForwardAttention(LocationSensitiveAttention):
    """Location-sensitive energies with forward-attention weights (:func:`forward_attention_weights`).

    The same parameters and names as :class:`LocationSensitiveAttention`; the previous weights
    (channel 0 of ``attention_weights_cat``) are ``α_{t−1}``, so the decoder starts them on the first
    character. The course's Tacotron 2 preset uses it: it aligns in fewer steps (``docs/ALIGNMENT_LAB.md``).
    """

    def normalise(self, energies, attention_weights_cat):
        return forward_attention_weights(energies, attention_weights_cat[:, 0])
