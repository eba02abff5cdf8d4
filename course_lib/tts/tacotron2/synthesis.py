"""Text in, mel out: input checks and sentence chunking for long text (chapter 11).

Attention trained on sentences of a few seconds drifts, skips or repeats on much longer input, so
long text is split at sentence boundaries (then at commas, then between words) and each chunk is
synthesised on its own — the standard remedy in Tacotron 2 deployments.
"""

from __future__ import annotations

import re
import warnings
from typing import NamedTuple

import torch

from course_lib import checks
from course_lib.text import split_text

_CLAUSE_END = re.compile(r"(?<=,)\s+")


def encode_text(text: str) -> torch.Tensor:
    """Clean a string and map it to symbol ids ``[length]`` with one clear error for bad input."""
    from course_lib.text import text_to_sequence

    checks.text(text)
    try:
        ids = text_to_sequence(text)
    except ValueError as err:
        raise ValueError(f"cannot read {text[:60]!r}{'...' if len(text) > 60 else ''}: {err}") from None
    return torch.tensor(ids, dtype=torch.long)


def _pack(pieces: list[str], max_chars: int) -> list[str]:
    """Greedily join consecutive pieces while the result stays within ``max_chars``."""
    chunks: list[str] = []
    for piece in pieces:
        if chunks and len(chunks[-1]) + 1 + len(piece) <= max_chars:
            chunks[-1] += " " + piece
        else:
            chunks.append(piece)
    return chunks


def split_sentences(text: str, max_chars: int = 200) -> list[str]:
    """Split ``text`` into chunks of at most ``max_chars`` characters, preferring sentence ends,
    then commas, then spaces. Raises ``ValueError`` for a single word longer than ``max_chars``."""
    if max_chars < 1:
        raise ValueError(f"max_chars must be >= 1, got {max_chars}")
    pieces: list[str] = []
    for sentence in split_text(text):
        if len(sentence) <= max_chars:
            pieces.append(sentence)
            continue
        for clause in _pack(_CLAUSE_END.split(sentence), max_chars):
            if len(clause) <= max_chars:
                pieces.append(clause)
                continue
            words = clause.split(" ")
            too_long = [w for w in words if len(w) > max_chars]
            if too_long:
                raise ValueError(f"the word {too_long[0][:40]!r}... has {len(too_long[0])} characters, more than "
                                 f"max_chars={max_chars}; it cannot be split at a word boundary")
            pieces += _pack(words, max_chars)
    return _pack(pieces, max_chars) if len(pieces) > 1 else pieces


class Synthesis(NamedTuple):
    mel: torch.Tensor  # [n_mels, frames]  all chunks, concatenated in time
    chunks: list[str]  # the text of each chunk
    alignments: list[torch.Tensor]  # one [decoder_steps, chunk_symbols] per chunk
    hit_max_steps: list[bool]  # True where a chunk never produced its stop token


def text_to_mel(model, text: str, max_chars: int | None = None, max_decoder_steps: int | None = None,
                gate_threshold: float | None = None, postnet: bool = True) -> Synthesis:
    """Speak any length of text with ``model`` (a :class:`Tacotron2`) one chunk at a time.

    Chunks hold at most ``max_chars`` characters (default: ``min(200, model.config.max_text_length)``).
    """
    checks.text(text)
    limit = min(200, model.config.max_text_length) if max_chars is None else int(max_chars)
    chunks = split_sentences(text, limit)
    mels, alignments, hit = [], [], []
    for chunk in chunks:
        ids = encode_text(chunk)
        if len(ids) > model.config.max_text_length:  # cleaning can lengthen text ("3" -> "three")
            sub = split_sentences(chunk, max(1, limit // 2))
            if len(sub) == 1:
                raise ValueError(f"chunk {chunk[:40]!r}... is too long after cleaning; lower max_chars")
            part = text_to_mel(model, chunk, limit // 2, max_decoder_steps, gate_threshold, postnet)
            mels.append(part.mel), alignments.extend(part.alignments), hit.extend(part.hit_max_steps)
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = model.inference(ids, max_decoder_steps=max_decoder_steps, gate_threshold=gate_threshold)
        stuck = any("max_decoder_steps" in str(w.message) for w in caught)
        if stuck:
            warnings.warn(f"chunk {chunk[:50]!r} reached max_decoder_steps without a stop token; it is cut off.",
                          RuntimeWarning, stacklevel=2)
        n = int(out.lengths[0])
        mels.append((out.mel_postnet if postnet else out.mel)[0, :, :n])
        alignments.append(out.alignments[0, : n // model.config.n_frames_per_step])
        hit.append(stuck)
    return Synthesis(torch.cat(mels, dim=1), chunks, alignments, hit)
