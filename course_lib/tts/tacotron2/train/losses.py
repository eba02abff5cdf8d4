"""Tacotron 2 losses (chapter 11): masked mel MSE before and after the postnet, stop-token BCE
(Shen et al. 2018, sec. 2.2), and the guided-attention loss of Tachibana et al. (2017, sec. 4.1)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from course_lib.nn.rnn import padding_mask


def masked_mse(prediction: torch.Tensor, target: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the real frames only. prediction/target ``[B, n_mels, T]``, lengths ``[B]``."""
    valid = (~padding_mask(lengths, target.shape[2]))[:, None, :].to(target.dtype)  # [B, 1, T]
    return ((prediction - target) ** 2 * valid).sum() / (valid.sum() * target.shape[1])


def stop_targets(gate_padded: torch.Tensor, r: int) -> torch.Tensor:
    """Per-frame stop targets ``[B, T]`` (1 from the last real frame on) → one per decoder step ``[B, T/r]``:
    a step must say "stop" when its group of r frames holds the last real frame."""
    return gate_padded[:, r - 1 :: r]


def guided_attention_weights(text_lengths, n_steps, max_text: int, max_steps: int, g: float = 0.2) -> torch.Tensor:
    """``W[b, t, n] = 1 − exp(−(n/N_b − t/T_b)² / (2g²))`` (Tachibana et al. 2017, eq. 2); zero outside
    each item's ``N_b`` characters and ``T_b`` decoder steps.  # [B, max_steps, max_text]"""
    text_lengths = torch.as_tensor(text_lengths, dtype=torch.float32)
    n_steps = torch.as_tensor(n_steps, dtype=torch.float32)
    n = torch.arange(max_text, dtype=torch.float32)[None, None, :] / text_lengths[:, None, None]
    t = torch.arange(max_steps, dtype=torch.float32)[None, :, None] / n_steps[:, None, None]
    w = 1.0 - torch.exp(-((n - t) ** 2) / (2 * g * g))
    valid = (n < 1) & (t < 1)
    return w * valid


def guided_attention_loss(alignments: torch.Tensor, text_lengths, n_steps, g: float = 0.2) -> torch.Tensor:
    """Expected penalty ``Σ_n A[t, n] W[t, n]`` per decoder step, averaged over the real steps.

    Attention far from the diagonal costs up to 1 per step. (Tachibana et al. average over all
    N·T cells instead; since each row of A sums to 1 that is N times smaller — too weak a push
    for a 10-minute CPU budget.)"""
    batch, max_steps, max_text = alignments.shape
    w = guided_attention_weights(text_lengths.cpu(), n_steps.cpu(), max_text, max_steps, g).to(alignments.device)
    return (alignments * w).sum() / torch.as_tensor(n_steps).sum().clamp(min=1).to(alignments.device)


def guide_weight(step: int, weight: float, fade_steps: int) -> float:
    """Guided-attention weight at ``step``: ``weight`` fading linearly to 0 over ``fade_steps`` (0 = constant)."""
    if weight <= 0:
        return 0.0
    if fade_steps <= 0:
        return float(weight)
    return float(weight) * max(0.0, 1.0 - step / fade_steps)


def tacotron2_loss(output, mel_target, gate_padded, mel_lengths, text_lengths, r: int = 1,
                   guide: float = 0.0, g: float = 0.2, gate_pos_weight: float = 1.0) -> dict[str, torch.Tensor]:
    """All loss terms as a dict; ``total = mel + postnet + gate + guide · attention``.

    ``output`` is a :class:`~course_lib.tts.tacotron2.Tacotron2Output`; padded frames and decoder
    steps are masked out (NVIDIA averages over the padding too, which shrinks the loss of short items).
    """
    mel = masked_mse(output.mel, mel_target, mel_lengths)
    postnet = masked_mse(output.mel_postnet, mel_target, mel_lengths)
    n_steps = (mel_lengths + r - 1) // r
    step_valid = ~padding_mask(n_steps, output.gate.shape[1])  # [B, T/r]
    targets = stop_targets(gate_padded, r)
    pos_weight = torch.tensor(gate_pos_weight, device=output.gate.device)
    gate = F.binary_cross_entropy_with_logits(output.gate[step_valid], targets[step_valid], pos_weight=pos_weight)
    terms = {"mel": mel, "postnet": postnet, "gate": gate}
    total = mel + postnet + gate
    if guide > 0:
        terms["attention"] = guided_attention_loss(output.alignments, text_lengths, n_steps, g)
        total = total + guide * terms["attention"]
    terms["total"] = total
    return terms
