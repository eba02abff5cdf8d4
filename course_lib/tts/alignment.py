"""Scoring attention against the corpus' ground-truth alignment (chapter 11).

A falling loss does not mean the attention has aligned (teacher forcing lets the decoder copy the
previous frame), and a straight diagonal is not the truth either (speech is not read at a constant
speed). The course corpus knows which character is spoken in every frame
(:func:`course_lib.data.corpus.char_alignment`), so we score the attention against that path:

- ``within``: share of decoder steps whose strongest attention lies within ±``tolerance``
  characters of the spoken character;
- ``phoneme_error``: mean distance, in phonemes, between the attended and the spoken phoneme;
- ``focus``: mean of the strongest attention weight per step (1 = sharp, 1/N = uniform);
- ``backward_jumps``: steps where the attended character moves back by more than ``tolerance``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from course_lib.data.corpus import Utterance, char_alignment


@dataclass(frozen=True)
class AlignmentScores:
    within: float  # share of decoder steps within ±tolerance characters of the truth
    phoneme_error: float  # mean |attended phoneme − spoken phoneme|
    char_error: float  # mean |attended character − spoken character|
    focus: float  # mean max attention weight
    backward_jumps: int  # attended character moved back by more than tolerance
    steps: int  # decoder steps scored

    def as_dict(self) -> dict:
        return asdict(self)


def _as_matrix(alignment) -> np.ndarray:
    a = np.asarray(alignment.detach().cpu().float() if hasattr(alignment, "detach") else alignment, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"alignment must be a non-empty [decoder_steps, text_length] matrix, got shape {a.shape}")
    return a


def step_targets(utt: Utterance, n_frames: int, r: int = 1, hop_length: int = 256) -> np.ndarray:
    """Spoken character at the centre frame of each decoder step (``r`` frames per step).  # [ceil(n_frames/r)]"""
    if r < 1:
        raise ValueError(f"r must be >= 1, got {r}")
    chars = char_alignment(utt, n_frames, hop_length, utt.sample_rate)
    centres = np.minimum(np.arange(0, n_frames, r) + r // 2, n_frames - 1)
    return chars[centres]


def char_to_phoneme(utt: Utterance) -> np.ndarray:
    """Phoneme position of every character of ``utt.text`` (float ``[len(text)]``).

    A character spoken by several phonemes gets their mean index; one spoken by none (space,
    punctuation, silent letter) sits halfway between its neighbours' phonemes.
    """
    n = len(utt.text)
    total, count = np.zeros(n), np.zeros(n)
    for i, p in enumerate(utt.phonemes):
        total[p.char_start : p.char_end] += i
        count[p.char_start : p.char_end] += 1
    pos = np.full(n, np.nan)
    pos[count > 0] = total[count > 0] / count[count > 0]
    covered = np.flatnonzero(count > 0)
    if len(covered) == 0:
        raise ValueError(f"utterance {utt.id}: no phoneme covers any character")
    for c in np.flatnonzero(count == 0):
        before, after = covered[covered < c], covered[covered > c]
        lo = pos[before[-1]] if len(before) else pos[after[0]] - 0.5
        hi = pos[after[0]] if len(after) else pos[before[-1]] + 0.5
        pos[c] = (lo + hi) / 2
    return pos


def alignment_scores(alignment, utt: Utterance, n_frames: int, r: int = 1, tolerance: int = 3,
                     hop_length: int = 256, rescale: bool = False) -> AlignmentScores:
    """Score ``alignment [decoder_steps, text_length]`` of ``utt`` against its ground-truth path.

    ``n_frames`` is the real number of mel frames. With teacher forcing there is one decoder step per
    ``r`` true frames. For free-running output (``rescale=True``) the predicted steps are stretched
    onto the true duration first, so a model that speaks 10 % slower is not punished for it.
    """
    a = _as_matrix(alignment)
    if a.shape[1] != len(utt.text):
        a = a[:, : len(utt.text)]
        if a.shape[1] != len(utt.text):
            raise ValueError(f"alignment has {a.shape[1]} text positions but utterance {utt.id} has {len(utt.text)}")
    truth = step_targets(utt, n_frames, r, hop_length)
    if rescale:
        idx = np.minimum((np.arange(a.shape[0]) * len(truth) / a.shape[0]).astype(int), len(truth) - 1)
        truth = truth[idx]
    else:
        a = a[: len(truth)]
        truth = truth[: len(a)]
    attended = a.argmax(axis=1)
    phon = char_to_phoneme(utt)
    jumps = int((np.diff(attended) < -tolerance).sum())
    return AlignmentScores(
        within=float((np.abs(attended - truth) <= tolerance).mean()),
        phoneme_error=float(np.abs(phon[attended] - phon[truth]).mean()),
        char_error=float(np.abs(attended - truth).mean()),
        focus=float(a.max(axis=1).mean()),
        backward_jumps=jumps,
        steps=int(len(a)),
    )


def diagonal_share(alignment, tolerance: int = 3) -> float:
    """Share of steps within ±tolerance characters of the straight diagonal — the *misleading*
    score: a constant-speed line gets 1.0 while ignoring what is being said."""
    a = _as_matrix(alignment)
    steps, chars = a.shape
    diagonal = np.arange(steps) * (chars - 1) / max(steps - 1, 1)
    return float((np.abs(a.argmax(axis=1) - diagonal) <= tolerance).mean())


def mean_scores(scores: list[AlignmentScores]) -> dict:
    """Average a list of scores, weighting every utterance equally (jumps and steps are summed)."""
    if not scores:
        raise ValueError("no scores to average")
    out = {k: float(np.mean([getattr(s, k) for s in scores])) for k in ("within", "phoneme_error", "char_error", "focus")}
    out["backward_jumps"] = int(sum(s.backward_jumps for s in scores))
    out["steps"] = int(sum(s.steps for s in scores))
    return out
