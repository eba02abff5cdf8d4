"""The course speech corpus: eSpeak NG sentences with per-phoneme timings (chapter 08).

``assets/corpus`` holds ``wavs/<id>.flac`` (22 050 Hz mono, 16-bit), ``metadata.jsonl`` (one
utterance per line) and ``MANIFEST.json`` (how it was made, the sha256 of every file). It is
written by ``python -m course_lib.data.make_corpus --out assets/corpus``. Each phoneme carries
its time span and the span of characters of :attr:`Utterance.text` it belongs to, so the
ground-truth text-to-audio alignment is known exactly — the yardstick for Tacotron's attention.

One metadata line (phonemes as ``[name, start_sample, end_sample, char_start, char_end]``)::

    {"id": "c0001", "split": "train", "text": "the quick brown fox ...", "source_text": "The quick ...",
     "audio": "wavs/c0001.flac", "sample_rate": 22050, "num_samples": 52481,
     "phonemes": [["D", 2205, 2911, 0, 1], ...]}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from course_lib.checkpoint import sha256_file

SPLITS = ("train", "val", "test")
SAMPLE_RATE = 22050
_FIX = "re-create it with `python -m course_lib.data.make_corpus --out assets/corpus`"


@dataclass(frozen=True)
class PhonemeTiming:
    """One spoken phoneme: eSpeak name, start/end in seconds, and ``text[char_start:char_end]``."""

    phoneme: str
    start: float
    end: float
    char_start: int
    char_end: int


@dataclass(frozen=True)
class Utterance:
    """One corpus utterance. ``text`` is the normalised text: eSpeak spoke exactly this string."""

    id: str
    text: str
    split: str
    audio_path: Path
    num_samples: int
    phonemes: tuple[PhonemeTiming, ...]
    source_text: str = ""  # the sentence as written, before clean_text
    sample_rate: int = SAMPLE_RATE

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.num_samples / self.sample_rate

    def load_audio(self) -> np.ndarray:
        """The waveform, float32 in [-1, 1], ``[samples]`` at 22 050 Hz."""
        import soundfile as sf

        if not self.audio_path.exists():
            raise FileNotFoundError(f"audio file {self.audio_path} of utterance {self.id} is missing; {_FIX}")
        wave, sr = sf.read(self.audio_path, dtype="float32", always_2d=False)
        if sr != self.sample_rate or wave.ndim != 1 or len(wave) != self.num_samples:
            raise ValueError(
                f"{self.audio_path}: expected mono {self.sample_rate} Hz with {self.num_samples} samples, "
                f"found {wave.shape} at {sr} Hz; {_FIX}"
            )
        return wave


def _root(root) -> Path:
    if root is None:
        from course_lib import settings

        root = settings.ASSETS / "corpus"
    return Path(root)


def _parse_line(line: str, lineno: int, path: Path, root: Path) -> Utterance:
    try:
        row = json.loads(line)
        sr = int(row.get("sample_rate", SAMPLE_RATE))
        phonemes = tuple(
            PhonemeTiming(str(p), s / sr, e / sr, int(a), int(b)) for p, s, e, a, b in row["phonemes"]
        )
        utt = Utterance(
            id=str(row["id"]), text=str(row["text"]), split=str(row["split"]),
            audio_path=root / row["audio"], num_samples=int(row["num_samples"]), phonemes=phonemes,
            source_text=str(row.get("source_text", "")), sample_rate=sr,
        )
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        raise ValueError(f"{path}, line {lineno}: malformed utterance record ({err!r}); {_FIX}") from err
    if utt.split not in SPLITS:
        raise ValueError(f"{path}, line {lineno}: split {utt.split!r} is not one of {SPLITS}")
    if not utt.text:
        raise ValueError(f"{path}, line {lineno}: utterance {utt.id} has empty text")
    return utt


def load_corpus(split: str | None = None, root=None) -> list[Utterance]:
    """All utterances of ``split`` ("train", "val", "test"; ``None`` = all) in corpus order."""
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS} or None, got {split!r}")
    root = _root(root)
    path = root / "metadata.jsonl"
    if not path.exists():
        raise FileNotFoundError(f"corpus metadata {path} is missing; {_FIX}")
    utterances = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if line.strip():
                utt = _parse_line(line, lineno, path, root)
                if split is None or utt.split == split:
                    utterances.append(utt)
    if not utterances:
        raise ValueError(f"{path} holds no utterances{'' if split is None else f' in split {split!r}'}; {_FIX}")
    return utterances


def char_alignment(utt: Utterance, n_frames: int, hop_length: int = 256, sample_rate: int = 22050) -> np.ndarray:
    """Ground-truth attention path: for each mel frame, the index into ``utt.text`` being spoken.

    Frame ``t`` is centred on sample ``t * hop_length`` (STFT with ``center=True``). Inside a
    phoneme the frames walk linearly through its characters; frames in the leading (trailing)
    silence map to the first (last) phoneme's character. Returns int64 ``[n_frames]``.
    """
    if n_frames < 0 or hop_length <= 0 or sample_rate <= 0:
        raise ValueError(f"need n_frames >= 0, hop_length > 0, sample_rate > 0; "
                         f"got {n_frames}, {hop_length}, {sample_rate}")
    if not utt.phonemes:
        raise ValueError(f"utterance {utt.id} has no phoneme timings")
    starts = np.array([p.start for p in utt.phonemes])
    ends = np.array([p.end for p in utt.phonemes])
    c0 = np.array([p.char_start for p in utt.phonemes])
    c1 = np.array([p.char_end for p in utt.phonemes])
    t = np.arange(n_frames) * hop_length / sample_rate  # [n_frames] seconds
    k = np.clip(np.searchsorted(starts, t, side="right") - 1, 0, len(starts) - 1)
    frac = np.clip((t - starts[k]) / np.maximum(ends[k] - starts[k], 1e-9), 0.0, 1.0 - 1e-9)
    chars = c0[k] + np.floor(frac * (c1[k] - c0[k])).astype(np.int64)
    chars = np.where(t < starts[0], c0[0], chars)
    chars = np.where(t >= ends[-1], c1[-1] - 1, chars)
    return np.clip(chars, 0, len(utt.text) - 1).astype(np.int64)


def verify_corpus(root=None) -> dict:
    """Check every file listed in ``MANIFEST.json`` against its sha256.

    Raises one ``ValueError`` naming every file that is missing or whose hash differs; returns
    ``{"files": n, "bytes": total}`` when all match.
    """
    root = _root(root)
    manifest_path = root / "MANIFEST.json"
    if not manifest_path.exists():
        raise FileNotFoundError(f"corpus manifest {manifest_path} is missing; {_FIX}")
    try:
        files = json.loads(manifest_path.read_text(encoding="utf-8"))["files"]
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise ValueError(f"{manifest_path} is not a corpus manifest ({err!r}); {_FIX}") from err
    bad, total = [], 0
    for rel, digest in sorted(files.items()):
        path = root / rel
        if not path.exists():
            bad.append(f"{rel} (missing)")
        elif sha256_file(path) != digest:
            bad.append(f"{rel} (sha256 differs from the manifest)")
        else:
            total += path.stat().st_size
    if bad:
        raise ValueError(f"corpus at {root} does not match its manifest: " + "; ".join(bad) + f". {_FIX}")
    return {"files": len(files), "bytes": total}
