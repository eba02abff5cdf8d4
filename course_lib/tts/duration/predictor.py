"""FastSpeech's duration predictor and length regulator (Ren et al. 2019).

The duration predictor reads the encoder's hidden states, one per phoneme, and predicts how many
mel frames each phoneme lasts — in the log domain, trained with MSE, on durations extracted by a
teacher (FastSpeech: a Transformer TTS's attention; FastSpeech 2 and this chapter: a forced
aligner). Architecture (FastSpeech, Figure 1): 2 × (Conv1D → ReLU → LayerNorm → Dropout) → Linear.
The length regulator repeats each phoneme's hidden state ``d`` times so a non-autoregressive
decoder can produce all frames in parallel; ``alpha`` scales durations to change the speed.

Defined in chapter 16 ("Beyond attention").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from course_lib.checks import checked_by, integer, probability

__all__ = [
    "DurationPredictorConfig",
    "DurationPredictor",
    "PhonemeDurationModel",
    "length_regulate",
    "log_duration_targets",
    "durations_from_log",
    "pad_batch",
    "train_duration_model",
    "predict_durations",
]


@dataclass(frozen=True)
class DurationPredictorConfig:
    """FastSpeech's duration predictor; the bare constructor is the paper's, :meth:`course` the CPU-sized one."""

    in_channels: int = 384  # size of the hidden state of each phoneme
    filter_size: int = 256  # conv channels
    kernel_size: int = 3
    dropout: float = 0.1

    def __post_init__(self):
        integer(self.in_channels, "DurationPredictorConfig.in_channels")
        integer(self.filter_size, "DurationPredictorConfig.filter_size")
        integer(self.kernel_size, "DurationPredictorConfig.kernel_size", odd=True)  # odd: output keeps N
        probability(self.dropout, "DurationPredictorConfig.dropout")

    @classmethod
    def paper(cls) -> "DurationPredictorConfig":
        """FastSpeech (Ren et al. 2019, hyperparameter table): hidden 384, 256 filters, kernel 3, dropout 0.1."""
        return cls()

    @classmethod
    def course(cls) -> "DurationPredictorConfig":
        """CPU-sized: trains on the course corpus in seconds."""
        return cls(in_channels=64, filter_size=64)


class DurationPredictor(nn.Module):
    """2 × (Conv1D + ReLU + LayerNorm + Dropout) + Linear → one log duration per phoneme."""

    def __init__(self, config: DurationPredictorConfig = DurationPredictorConfig()):
        super().__init__()
        if not isinstance(config, DurationPredictorConfig):
            raise TypeError(f"config must be a DurationPredictorConfig, got {type(config).__name__}")
        self.config = config
        channels = [config.in_channels, config.filter_size, config.filter_size]
        self.convs = nn.ModuleList(
            nn.Conv1d(c_in, c_out, config.kernel_size, padding=config.kernel_size // 2)
            for c_in, c_out in zip(channels, channels[1:])
        )
        self.norms = nn.ModuleList(nn.LayerNorm(config.filter_size) for _ in self.convs)
        self.dropout = nn.Dropout(config.dropout)
        self.linear = nn.Linear(config.filter_size, 1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """x: [batch, N, channels]; mask: [batch, N] True on padding (``padding_mask``). → [batch, N] log durations."""
        if x.dim() != 3 or x.shape[-1] != self.config.in_channels:
            raise ValueError(f"x must be [batch, phonemes, {self.config.in_channels}], got {tuple(x.shape)}")
        keep = torch.ones(x.shape[:2], dtype=torch.bool, device=x.device) if mask is None else ~mask
        h = x * keep.unsqueeze(-1)
        for conv, norm in zip(self.convs, self.norms):
            h = conv(h.transpose(1, 2)).transpose(1, 2)  # [batch, N, filters]
            h = self.dropout(norm(F.relu(h))) * keep.unsqueeze(-1)  # padding stays zero
        return self.linear(h).squeeze(-1) * keep  # [batch, N]


class PhonemeDurationModel(nn.Module):
    """Phoneme embedding → :class:`DurationPredictor` (the embedding stands in for FastSpeech's encoder)."""

    def __init__(self, n_symbols: int, config: DurationPredictorConfig = DurationPredictorConfig()):
        super().__init__()
        self.embedding = nn.Embedding(n_symbols, config.in_channels, padding_idx=0)
        self.predictor = DurationPredictor(config)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """ids: [batch, N] long (0 = padding) → [batch, N] log durations."""
        return self.predictor(self.embedding(ids), ids == 0 if mask is None else mask)


def _check_regulate(x, durations, max_len=None) -> None:
    if x.dim() != 3 or durations.shape != x.shape[:2]:
        raise ValueError(f"x must be [batch, N, C] and durations [batch, N]; "
                         f"got {tuple(x.shape)} and {tuple(durations.shape)}")
    if durations.is_floating_point():
        raise TypeError("durations must be integer frame counts; round them first (see durations_from_log)")
    if (durations < 0).any():
        raise ValueError("durations must be non-negative")
    longest = int(durations.sum(1).max())
    if max_len is not None and max_len < longest:
        raise ValueError(f"max_len={max_len} is shorter than the longest expansion ({longest} frames)")


@checked_by(_check_regulate)
def length_regulate(x: torch.Tensor, durations: torch.Tensor, max_len: int | None = None):
    """Repeat each phoneme's state by its duration: FastSpeech's length regulator.

    x: [batch, N, channels]; durations: [batch, N] non-negative integers (0 drops a phoneme).
    Returns (expanded [batch, T, channels] zero-padded to T = max_len or the longest, lengths [batch]).
    """
    lengths = durations.sum(1)  # [batch]
    total = int(lengths.max()) if max_len is None else max_len
    out = x.new_zeros(x.shape[0], total, x.shape[2])
    for b in range(x.shape[0]):
        expanded = torch.repeat_interleave(x[b], durations[b], dim=0)  # [lengths[b], C]
        out[b, : expanded.shape[0]] = expanded
    return out, lengths


def log_duration_targets(durations: torch.Tensor) -> torch.Tensor:
    """Training targets in the log domain: log(1 + d), defined for d = 0 too."""
    return torch.log1p(durations.float())


def durations_from_log(
    log_durations: torch.Tensor, mask: torch.Tensor | None = None, alpha: float = 1.0
) -> torch.Tensor:
    """Invert :func:`log_duration_targets`, scale by ``alpha`` (FastSpeech's speed control), round.

    Real phonemes get at least one frame; padding gets zero. → [batch, N] long.
    """
    if alpha <= 0:
        raise ValueError(f"alpha must be positive, got {alpha}")
    frames = torch.clamp(torch.round(torch.expm1(log_durations) * alpha), min=1).long()
    return frames if mask is None else frames.masked_fill(mask, 0)


def pad_batch(sequences: Sequence[Sequence[int]]) -> torch.Tensor:
    """Right-pad integer sequences with 0: list of N_i → [batch, max N] long."""
    if not sequences or any(len(s) == 0 for s in sequences):
        raise ValueError("need at least one sequence and no empty ones")
    out = torch.zeros(len(sequences), max(len(s) for s in sequences), dtype=torch.long)
    for i, s in enumerate(sequences):
        out[i, : len(s)] = torch.as_tensor(np.asarray(s), dtype=torch.long)
    return out


def train_duration_model(
    model: PhonemeDurationModel,
    id_seqs: Sequence[Sequence[int]],
    duration_seqs: Sequence[Sequence[int]],
    steps: int = 300,
    batch_size: int = 32,
    lr: float = 1e-3,
    seed: int = 0,
    progress: bool = False,
) -> list[float]:
    """Adam on masked MSE between predicted and target log durations. Returns the loss per step.

    id_seqs: phoneme ids (1..n_symbols-1; 0 is padding); duration_seqs: frames per phoneme.
    """
    if len(id_seqs) != len(duration_seqs) or not id_seqs:
        raise ValueError("need the same, non-zero number of id and duration sequences")
    for i, (ids, durs) in enumerate(zip(id_seqs, duration_seqs)):
        if len(ids) != len(durs):
            raise ValueError(f"sequence {i}: {len(ids)} phoneme ids but {len(durs)} durations")
        if min(ids, default=1) < 1:
            raise ValueError(f"sequence {i}: phoneme ids must be >= 1 (0 is padding)")
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    losses: list[float] = []
    iterator = range(steps)
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, desc="duration predictor")
    for _ in iterator:
        idx = torch.randint(len(id_seqs), (min(batch_size, len(id_seqs)),), generator=gen).tolist()
        ids = pad_batch([id_seqs[i] for i in idx])  # [B, N]
        target = log_duration_targets(pad_batch([duration_seqs[i] for i in idx]))  # [B, N]
        pad = ids == 0
        pred = model(ids, pad)
        loss = ((pred - target) ** 2).masked_fill(pad, 0.0).sum() / (~pad).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    model.eval()
    return losses


@torch.no_grad()
def predict_durations(model: PhonemeDurationModel, ids: Sequence[int], alpha: float = 1.0) -> np.ndarray:
    """Frames per phoneme for one utterance's phoneme ids (eval mode, dropout off). → [N] int64."""
    model.eval()
    batch = pad_batch([ids])
    return durations_from_log(model(batch), batch == 0, alpha)[0].numpy()
