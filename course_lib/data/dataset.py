"""Torch datasets of (text ids, log-mel) pairs for Tacotron 2 (chapter 08).

:class:`TextMelDataset` turns any list of (id, text, audio file) into ``(text_ids [T_in] long,
mel [n_mels, frames])`` with :func:`course_lib.text.text_to_sequence` and
:func:`course_lib.audio.mel_spectrogram`, caching mels on disk (:class:`~course_lib.data.cache.MelCache`).
:class:`CorpusDataset` serves the course corpus; :class:`~course_lib.data.ljspeech.LJSpeechDataset`
the LJSpeech layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from course_lib.audio import AudioConfig, load_audio, mel_spectrogram
from course_lib.data.cache import MelCache
from course_lib.data.corpus import load_corpus
from course_lib.text import text_to_sequence


@dataclass(frozen=True)
class Item:
    """One (id, text, audio file) row; ``num_samples`` when known (for length bucketing)."""

    id: str
    text: str
    audio_path: Path
    num_samples: int | None = None


class TextMelDataset(torch.utils.data.Dataset):
    """``dataset[i] -> (text_ids [T_in] long, mel [n_mels, frames] float)``.

    ``cache``: ``None`` (default) keeps mels in memory only, ``False`` recomputes every time, a
    folder path (or a :class:`MelCache`) caches them on disk keyed by ``config``. Texts are
    cleaned with ``cleaners`` and checked up front, so a bad row fails at construction time.
    """

    def __init__(self, items: list[Item], config: AudioConfig = AudioConfig(), cache=None,
                 cleaners: str = "english") -> None:
        if not isinstance(config, AudioConfig):
            raise TypeError(f"config must be an AudioConfig, got {type(config).__name__}")
        if not items:
            raise ValueError("a dataset needs at least one item")
        self.items, self.config = list(items), config
        self.text_ids = []
        for item in self.items:
            try:
                self.text_ids.append(torch.tensor(text_to_sequence(item.text, cleaners), dtype=torch.long))
            except ValueError as err:
                raise ValueError(f"utterance {item.id}: {err}") from None
        if isinstance(cache, MelCache):
            if cache.config != config:
                raise ValueError("the MelCache was made for another AudioConfig than this dataset's")
            self.cache = cache
        elif cache is None or cache is False:
            self.cache = None
        else:
            self.cache = MelCache(cache, config)
        self._memory: dict[int, torch.Tensor] | None = {} if cache is None else None

    def __len__(self) -> int:
        return len(self.items)

    def mel(self, index: int) -> torch.Tensor:
        """Log-mel ``[n_mels, frames]`` of item ``index`` (from the cache when possible)."""
        item = self.items[index]
        if self._memory is not None and index in self._memory:
            return self._memory[index]

        def compute() -> torch.Tensor:
            wave = load_audio(item.audio_path, self.config.sample_rate)
            return mel_spectrogram(wave, self.config)

        mel = self.cache.get(item.id, item.audio_path, compute) if self.cache else compute()
        if self._memory is not None:
            self._memory[index] = mel
        return mel

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} out of range for a dataset of {len(self)}")
        index %= len(self)
        return self.text_ids[index], self.mel(index)

    def text_lengths(self) -> list[int]:
        """Length of every text in symbols (for :class:`~course_lib.data.collate.BucketBatchSampler`)."""
        return [len(t) for t in self.text_ids]

    def frame_lengths(self) -> list[int]:
        """Mel frames of every item, from the file header when not known (no decoding)."""
        import soundfile as sf

        out = []
        for item in self.items:
            n = item.num_samples
            if n is None:
                info = sf.info(str(item.audio_path))
                n = round(info.frames * self.config.sample_rate / info.samplerate)
            out.append(self.config.num_frames(n))
        return out


class CorpusDataset(TextMelDataset):
    """The course corpus (``assets/corpus``) as ``(text_ids, mel)`` pairs; ``.utterances`` keeps
    the :class:`~course_lib.data.corpus.Utterance` objects (phoneme timings for attention scores)."""

    def __init__(self, split: str | None = "train", root=None, config: AudioConfig = AudioConfig(),
                 cache=None) -> None:
        self.utterances = load_corpus(split, root)
        items = [Item(u.id, u.text, u.audio_path, u.num_samples) for u in self.utterances]
        super().__init__(items, config, cache, cleaners="english")
