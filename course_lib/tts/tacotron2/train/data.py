"""Training data for Tacotron 2: the course corpus as padded, per-channel normalised batches.

Per-channel normalisation (each mel band to zero mean, unit variance over the training set) lets
every band count equally in the MSE; without it the loud low bands dominate and, on a CPU budget,
attention aligns later. Synthesis must undo it before the vocoder: :meth:`MelNormalizer.denormalize`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from course_lib.audio import AudioConfig
from course_lib.data.collate import BucketBatchSampler, TTSCollate


class MelNormalizer:
    """``(log_mel − mean) / std`` per mel channel; ``mean``/``std`` are ``[n_mels]`` tensors."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor):
        self.mean, self.std = torch.as_tensor(mean).float(), torch.as_tensor(std).float().clamp(min=1e-3)

    @classmethod
    def fit(cls, mels: list[torch.Tensor]) -> "MelNormalizer":
        frames = torch.cat([m for m in mels], dim=1)  # [n_mels, all frames]
        return cls(frames.mean(dim=1), frames.std(dim=1))

    @classmethod
    def identity(cls, n_mels: int) -> "MelNormalizer":
        return cls(torch.zeros(n_mels), torch.ones(n_mels))

    def normalize(self, mel: torch.Tensor) -> torch.Tensor:  # [..., n_mels, frames]
        return (mel - self.mean[:, None].to(mel)) / self.std[:, None].to(mel)

    def denormalize(self, mel: torch.Tensor) -> torch.Tensor:  # [..., n_mels, frames]
        return mel * self.std[:, None].to(mel) + self.mean[:, None].to(mel)

    def state_dict(self) -> dict:
        return {"mean": self.mean.clone(), "std": self.std.clone()}

    @classmethod
    def from_state_dict(cls, state: dict) -> "MelNormalizer":
        return cls(state["mean"], state["std"])


@dataclass
class TrainData:
    """In-memory training and validation pairs ``(text_ids [T_in] long, log_mel [n_mels, frames])``.

    ``val_utterances`` (optional, same order as ``val``) carry the ground-truth timings used to
    score attention. Mels are stored raw; batches are normalised by ``normalizer``.
    """

    train: list[tuple[torch.Tensor, torch.Tensor]]
    val: list[tuple[torch.Tensor, torch.Tensor]]
    val_utterances: list | None = None
    audio_config: AudioConfig = field(default_factory=AudioConfig)
    normalizer: MelNormalizer | None = None

    def __post_init__(self):
        if not self.train:
            raise ValueError("TrainData.train is empty: nothing to learn from")
        if not self.val:
            raise ValueError("TrainData.val is empty: keep a few utterances to watch the alignment on")
        if self.normalizer is None:
            self.normalizer = MelNormalizer.identity(self.train[0][1].shape[0])

    def batches(self, batch_size: int, seed: int, epoch: int) -> list[list[int]]:
        """The bucketed batch order of one epoch; the same (seed, epoch) always gives the same order."""
        sampler = BucketBatchSampler([m.shape[1] for _, m in self.train], batch_size, shuffle=True, seed=seed)
        sampler.set_epoch(epoch)
        return sampler.batches()

    def collate(self, pairs, r: int):
        """Pad (silence = log(clip_val)), then normalise: ``text, text_lengths, mels, gates, mel_lengths``."""
        silence = float(torch.log(torch.tensor(self.audio_config.clip_val)))
        text, text_lengths, mels, gates, mel_lengths = TTSCollate(r, mel_pad_value=silence)(pairs)
        return text, text_lengths, self.normalizer.normalize(mels), gates, mel_lengths


def load_course_data(audio_config: AudioConfig = AudioConfig(), normalize: bool = True, root=None) -> TrainData:
    """The course corpus (``assets/corpus``): train split to learn, val split to score alignment."""
    from course_lib.data.dataset import CorpusDataset

    train_set = CorpusDataset("train", root=root, config=audio_config)
    val_set = CorpusDataset("val", root=root, config=audio_config)
    for ds in (train_set, val_set):
        for ids, utt in zip(ds.text_ids, ds.utterances):
            if len(ids) != len(utt.text):
                raise ValueError(f"utterance {utt.id}: cleaning changed the text length, so the ground-truth "
                                 "alignment no longer matches the symbols; rebuild the corpus")
    train = [train_set[i] for i in range(len(train_set))]
    val = [val_set[i] for i in range(len(val_set))]
    normalizer = MelNormalizer.fit([m for _, m in train]) if normalize else None
    return TrainData(train, val, val_set.utterances, audio_config, normalizer)


class _LazyPairs(Sequence):
    """``(text_ids, mel)`` pairs read from a dataset on demand (LJSpeech does not fit in memory as a list)."""

    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, list(indices)

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, i):
        return self.dataset[self.indices[i]]


@dataclass
class LazyTrainData(TrainData):
    """:class:`TrainData` over a dataset read on demand; batches bucketed by ``frame_lengths`` (file headers)."""

    frame_lengths: list = field(default_factory=list)

    def batches(self, batch_size: int, seed: int, epoch: int) -> list[list[int]]:
        sampler = BucketBatchSampler(self.frame_lengths, batch_size, shuffle=True, seed=seed)
        sampler.set_epoch(epoch)
        return sampler.batches()


def load_ljspeech_data(root, normalize: bool = True, n_val: int = 100, cache=None, seed: int = 0) -> LazyTrainData:
    """An LJSpeech-layout folder (:mod:`course_lib.data.ljspeech`): the last ``n_val`` clips for validation,
    mels cached on disk (``cache``, default ``<root>/mel_cache``), per-channel statistics from 500 clips."""
    from course_lib.data.ljspeech import LJSpeechDataset

    dataset = LJSpeechDataset(root, cache=cache or Path(root) / "mel_cache")
    if not 0 < n_val < len(dataset):
        raise ValueError(f"{root} holds {len(dataset)} clips; the validation size {n_val} must lie between 1 and "
                         f"{len(dataset) - 1}")
    train_idx, val_idx = range(len(dataset) - n_val), range(len(dataset) - n_val, len(dataset))
    lengths = dataset.frame_lengths()
    normalizer = None
    if normalize:
        rng = np.random.default_rng(seed)
        sample = rng.choice(len(train_idx), size=min(500, len(train_idx)), replace=False)
        normalizer = MelNormalizer.fit([dataset[int(i)][1] for i in sample])
    return LazyTrainData(_LazyPairs(dataset, train_idx), _LazyPairs(dataset, val_idx), None, dataset.config,
                         normalizer, frame_lengths=[lengths[i] for i in train_idx])
