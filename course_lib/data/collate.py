"""Batching for Tacotron 2: padding with stop-token targets, and length bucketing (chapter 08).

:class:`TTSCollate` follows NVIDIA/tacotron2 ``TextMelCollate``: sort the batch by decreasing
text length (for ``pack_padded_sequence``), pad texts with the pad id 0, pad mels to a multiple of
the frames-per-step ``r``, and give the stop token ("gate") target 1 from the last real frame on.
:class:`BucketBatchSampler` puts utterances of similar length together so little of a batch is padding.
"""

from __future__ import annotations

import math
import random
from typing import Iterator, Sequence

import torch

from course_lib.text.symbols import PAD_ID


class TTSCollate:
    """``collate(batch)`` for ``batch = [(text_ids [T_in] long, mel [n_mels, T_out]), ...]``.

    Returns ``(text_padded [B, T_in] long, text_lengths [B], mel_padded [B, n_mels, T_out],
    gate_padded [B, T_out], mel_lengths [B])``, sorted by decreasing text length; ``T_out`` is
    rounded up to a multiple of ``n_frames_per_step``. Padding mel frames hold ``mel_pad_value``
    (NVIDIA uses 0; log-mel silence is log(1e-5) ≈ −11.5, so say which one you mean).
    """

    def __init__(self, n_frames_per_step: int = 1, mel_pad_value: float = 0.0) -> None:
        if not isinstance(n_frames_per_step, int) or n_frames_per_step < 1:
            raise ValueError(f"n_frames_per_step must be a positive int, got {n_frames_per_step!r}")
        self.r = n_frames_per_step
        self.mel_pad_value = float(mel_pad_value)

    def __call__(self, batch: Sequence[tuple[torch.Tensor, torch.Tensor]]):
        if len(batch) == 0:
            raise ValueError("cannot collate an empty batch")
        for i, item in enumerate(batch):
            if not (isinstance(item, (tuple, list)) and len(item) == 2):
                raise TypeError(f"batch item {i} must be a (text_ids, mel) pair, got {type(item).__name__}")
            text, mel = item
            if not isinstance(text, torch.Tensor) or text.dim() != 1 or text.dtype != torch.long or len(text) == 0:
                raise TypeError(f"batch item {i}: text_ids must be a non-empty 1-D long tensor")
            if not isinstance(mel, torch.Tensor) or mel.dim() != 2 or mel.shape[1] == 0:
                raise TypeError(f"batch item {i}: mel must be a 2-D tensor [n_mels, frames] with frames > 0")
        n_mels = batch[0][1].shape[0]
        if any(mel.shape[0] != n_mels for _, mel in batch):
            raise ValueError(f"all mels in a batch need the same n_mels; got {sorted({m.shape[0] for _, m in batch})}")
        text_lengths, order = torch.sort(torch.tensor([len(t) for t, _ in batch]), descending=True)
        text_padded = torch.full((len(batch), int(text_lengths[0])), PAD_ID, dtype=torch.long)  # [B, T_in]
        for row, i in enumerate(order.tolist()):
            text = batch[i][0]
            text_padded[row, : len(text)] = text
        max_frames = max(mel.shape[1] for _, mel in batch)
        max_frames = math.ceil(max_frames / self.r) * self.r
        mel_padded = torch.full((len(batch), n_mels, max_frames), self.mel_pad_value)  # [B, n_mels, T_out]
        gate_padded = torch.zeros(len(batch), max_frames)  # [B, T_out]
        mel_lengths = torch.empty(len(batch), dtype=torch.long)
        for row, i in enumerate(order.tolist()):
            mel = batch[i][1]
            frames = mel.shape[1]
            mel_padded[row, :, :frames] = mel
            gate_padded[row, frames - 1:] = 1.0  # stop from the last real frame on
            mel_lengths[row] = frames
        return text_padded, text_lengths, mel_padded, gate_padded, mel_lengths


class BucketBatchSampler(torch.utils.data.Sampler[list[int]]):
    """Batches of indices whose ``lengths`` are similar; a new seeded shuffle every epoch.

    Each epoch shuffles the indices, cuts them into pools of ``batch_size * pool_batches``, sorts
    each pool by length, cuts it into batches and shuffles the batches. Call :meth:`set_epoch`
    (or just iterate again) for a new order; the same seed and epoch give the same batches.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, shuffle: bool = True, drop_last: bool = False,
                 seed: int = 0, pool_batches: int = 50) -> None:
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if len(lengths) == 0:
            raise ValueError("lengths is empty: nothing to batch")
        self.lengths = [int(n) for n in lengths]
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        self.seed, self.pool = seed, batch_size * max(1, pool_batches)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def batches(self) -> list[list[int]]:
        rng = random.Random(self.seed * 1_000_003 + self.epoch)
        idx = list(range(len(self.lengths)))
        if self.shuffle:
            rng.shuffle(idx)
        out = []
        for start in range(0, len(idx), self.pool):
            pool = sorted(idx[start:start + self.pool], key=lambda i: self.lengths[i])
            out += [pool[j:j + self.batch_size] for j in range(0, len(pool), self.batch_size)]
        if self.drop_last:
            out = [b for b in out if len(b) == self.batch_size]
        if self.shuffle:
            rng.shuffle(out)
        return out

    def __iter__(self) -> Iterator[list[int]]:
        batches = self.batches()
        self.epoch += 1
        return iter(batches)

    def __len__(self) -> int:
        n = len(self.lengths)
        sizes = [min(self.pool, n - start) for start in range(0, n, self.pool)]
        if self.drop_last:
            return sum(size // self.batch_size for size in sizes)
        return sum(math.ceil(size / self.batch_size) for size in sizes)
