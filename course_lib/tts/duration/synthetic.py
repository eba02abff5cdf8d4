"""Toy "speech" with known phoneme boundaries, to test aligners before real audio (chapter 16)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .hmm import SILENCE

__all__ = ["ToyUtterance", "make_toy_corpus"]


@dataclass(frozen=True)
class ToyUtterance:
    phonemes: tuple[str, ...]
    features: np.ndarray  # [T, D]
    durations: np.ndarray  # [N] true frames per phoneme
    leading_silence: int
    trailing_silence: int

    @property
    def boundaries(self) -> np.ndarray:
        """[N+1] true frame where each phoneme starts; last entry: where the last one ends."""
        return self.leading_silence + np.concatenate([[0], np.cumsum(self.durations)])


def make_toy_corpus(
    n_utterances: int = 40,
    n_phonemes: int = 6,
    dim: int = 4,
    states: int = 3,
    noise: float = 0.5,
    max_silence: int = 6,
    seed: int = 0,
) -> list[ToyUtterance]:
    """Utterances of random phoneme strings whose frames come from per-(phoneme, state) Gaussians.

    Each phoneme lasts 2·states…4·states frames, split evenly-ish over its states; silence (mean 0)
    may precede and follow. Phoneme means are drawn far apart so a correct aligner can recover
    the boundaries (nearly) exactly.
    """
    if n_utterances < 1 or n_phonemes < 1 or dim < 1 or states < 1:
        raise ValueError("n_utterances, n_phonemes, dim and states must all be >= 1")
    rng = np.random.default_rng(seed)
    names = [f"p{i}" for i in range(n_phonemes)]
    centres = {p: rng.normal(0.0, 3.0, size=(states, dim)) for p in names}  # [states, D] per phoneme
    silence_mean = np.zeros(dim)
    corpus = []
    for _ in range(n_utterances):
        seq = tuple(rng.choice(names, size=int(rng.integers(3, 9))))
        durations = rng.integers(2 * states, 4 * states + 1, size=len(seq))
        lead, trail = (int(v) for v in rng.integers(0, max_silence + 1, size=2))
        blocks = [silence_mean + noise * rng.standard_normal((lead, dim))]
        for p, d in zip(seq, durations):
            per_state = np.diff(np.linspace(0, d, states + 1).round().astype(int))  # [states]
            means = np.repeat(centres[p], per_state, axis=0)  # [d, D]
            blocks.append(means + noise * rng.standard_normal(means.shape))
        blocks.append(silence_mean + noise * rng.standard_normal((trail, dim)))
        corpus.append(ToyUtterance(seq, np.concatenate(blocks), durations.astype(np.int64), lead, trail))
    assert SILENCE not in names
    return corpus
