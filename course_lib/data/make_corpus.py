"""Build the course corpus: ``python -m course_lib.data.make_corpus --out assets/corpus``.

Each sentence of :func:`course_lib.data.sentences.course_sentences` is cleaned with
:func:`course_lib.text.clean_text` and spoken by eSpeak NG (see :mod:`course_lib.text.espeak`).
eSpeak keeps state between calls in one process (its pitch "flutter" runs on), so every sentence
is spoken in a fresh child process: the audio of one utterance never depends on the others, and
the command reproduces every file bit for bit on a machine with the same eSpeak NG and libFLAC.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from course_lib.checkpoint import sha256_file
from course_lib.data.sentences import course_sentences
from course_lib.text import clean_text

VOICE, RATE, PITCH = "en-us", 175, 50
SAMPLE_RATE = 22050
MARGIN_S = 0.1          # silence kept before the first and after the last sound
SILENCE_LEVEL = 16      # |sample| below this (int16, about -66 dBFS) counts as silence
COUNT, SEED = 505, 2018
COMMAND = "python -m course_lib.data.make_corpus --out assets/corpus"


def split_of(utt_id: str) -> str:
    """Fixed 90/5/5 split from the id's sha256, so adding utterances never moves old ones."""
    bucket = int(hashlib.sha256(utt_id.encode()).hexdigest(), 16) % 100
    return "train" if bucket < 90 else "val" if bucket < 95 else "test"


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch in "'-"


def char_spans(text: str, events: list[tuple[str, int, int]]) -> list[tuple[int, int]]:
    """Character span ``[start, end)`` of ``text`` for each phoneme event ``(name, sample, pos)``.

    eSpeak tags each phoneme with the 1-based position of the word it belongs to (it may merge
    short words, so phonemes are grouped by their own position, not by word events). A word's
    span runs to the next word's start, minus trailing spaces and punctuation, and its phonemes
    share its non-space characters out evenly; a pause (``_``, ``_:``) gets the punctuation (or
    the space) before the next word.
    """
    n = len(text)
    groups: list[list[int]] = []  # runs of events sharing a text position (and pause-ness)
    for i, (name, _, pos) in enumerate(events):
        key = (pos, name.startswith("_"))
        first = events[groups[-1][0]] if groups else None
        if first is not None and (first[2], first[0].startswith("_")) == key:
            groups[-1].append(i)
        else:
            groups.append([i])
    is_pause = [events[g[0]][0].startswith("_") for g in groups]
    starts = [min(max(events[g[0]][2] - 1, 0), n - 1) for g in groups]
    spans: list[tuple[int, int]] = [(0, 1)] * len(events)
    word_spans: list[tuple[int, int] | None] = [None] * len(groups)
    floor = 0
    for gi, g in enumerate(groups):  # words first
        if is_pause[gi]:
            continue
        a = max(starts[gi], floor)
        nxt = next((starts[j] for j in range(gi + 1, len(groups)) if not is_pause[j] and starts[j] > a), n)
        b = nxt
        while b > a + 1 and not _is_word_char(text[b - 1]):
            b -= 1
        word_spans[gi] = (a, b)
        floor = a
    prev_end = 0
    for gi, g in enumerate(groups):
        if word_spans[gi] is not None:
            a, b = word_spans[gi]
            prev_end = b
            chars = [j for j in range(a, b) if text[j] != " "] or [a]  # merged words: skip spaces
            m = len(chars)
            for k, i in enumerate(g):
                lo = min(k * m // len(g), m - 1)
                hi = min(max((k + 1) * m // len(g), lo + 1), m)
                spans[i] = (chars[lo], chars[hi - 1] + 1)
            continue
        nxt = next((word_spans[j][0] for j in range(gi + 1, len(groups)) if word_spans[j] is not None), n)
        a, b = min(prev_end, n - 1), max(nxt, prev_end)
        gap = text[a:b]
        stripped = gap.strip(" ")
        if stripped:  # punctuation: point at it
            a += gap.index(stripped)
            b = a + len(stripped)
        elif b <= a:
            a, b = max(a - 1, 0), max(a, 1)
        for i in g:
            spans[i] = (a, min(b, n))
    return spans


def process(text: str, samples: np.ndarray, events: list[tuple[str, int, int]]) -> tuple[np.ndarray, list[list]]:
    """Set the leading/trailing silence to :data:`MARGIN_S` and turn events into phoneme rows
    ``[name, start_sample, end_sample, char_start, char_end]`` on the new time axis."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) >= SILENCE_LEVEL)
    if len(loud) == 0:
        raise RuntimeError(f"eSpeak NG produced silence for {text!r}")
    margin = int(round(MARGIN_S * SAMPLE_RATE))
    first, last = int(loud[0]), int(loud[-1]) + 1
    body = samples[first:last]
    out = np.concatenate([np.zeros(margin, np.int16), body, np.zeros(margin, np.int16)])
    shift = margin - first
    bounds = [s for _, s, _ in events] + [len(samples)]
    rows = []
    for i, ((name, _, _), (c0, c1)) in enumerate(zip(events, char_spans(text, events))):
        s = min(max(bounds[i] + shift, 0), len(out))
        e = min(max(bounds[i + 1] + shift, 0), len(out))
        if e > s:
            rows.append([name, s, e, c0, c1])
    return out, rows


def _write_flac(path: Path, samples: np.ndarray) -> None:
    import soundfile as sf

    tmp = path.with_suffix(".tmp.flac")
    sf.write(tmp, samples, SAMPLE_RATE, subtype="PCM_16", format="FLAC")
    os.replace(tmp, path)


def build_corpus(out: Path, count: int = COUNT, seed: int = SEED, only: list[str] | None = None, jobs: int = 2) -> dict:
    """Write the corpus (or only the utterances ``only``) under ``out``; return the manifest."""
    import soundfile as sf

    from course_lib.text import espeak

    out = Path(out)
    sentences = course_sentences(count, seed)
    ids = [f"c{i:04d}" for i in range(1, len(sentences) + 1)]
    chosen = [i for i, uid in enumerate(ids) if only is None or uid in only]
    if only is not None and len(chosen) != len(set(only)):
        raise ValueError(f"unknown utterance ids {sorted(set(only) - set(ids))}; ids run c0001..{ids[-1]}")
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1 (parallel eSpeak processes), got {jobs}")
    for folder in (out, out / "wavs"):
        if folder.exists() and not folder.is_dir():
            raise ValueError(f"{folder} is a file, not a folder; give --out a folder for the corpus")
    (out / "wavs").mkdir(parents=True, exist_ok=True)
    texts = [clean_text(s) for s in sentences]
    t0 = time.perf_counter()
    spoken = espeak.synthesize_isolated([texts[i] for i in chosen], VOICE, RATE, PITCH, jobs)
    synth_seconds = time.perf_counter() - t0
    lines, files, phones, total = [], {}, Counter(), 0
    for i, synth in zip(chosen, spoken):
        if synth.sample_rate != SAMPLE_RATE:
            raise RuntimeError(f"eSpeak NG speaks at {synth.sample_rate} Hz, expected {SAMPLE_RATE}")
        events = [(p.name, p.sample, p.text_position) for p in synth.phonemes]
        wave, rows = process(texts[i], synth.samples, events)
        rel = f"wavs/{ids[i]}.flac"
        _write_flac(out / rel, wave)
        files[rel] = sha256_file(out / rel)
        phones.update(r[0].lstrip("',") for r in rows)
        total += len(wave)
        row = {"id": ids[i], "split": split_of(ids[i]), "text": texts[i], "source_text": sentences[i],
               "audio": rel, "sample_rate": SAMPLE_RATE, "num_samples": len(wave), "phonemes": rows}
        lines.append(json.dumps(row, ensure_ascii=True, separators=(",", ":")))
    meta = out / "metadata.jsonl"
    meta.write_text("\n".join(lines) + "\n", encoding="utf-8")
    files["metadata.jsonl"] = sha256_file(meta)
    splits = Counter(split_of(ids[i]) for i in chosen)
    manifest = {
        "name": "course corpus", "description": "Single-speaker English speech synthesized with eSpeak NG "
        "from sentences written and generated by course_lib.data.sentences; text normalised by "
        "course_lib.text.clean_text before synthesis, so eSpeak spoke exactly the 'text' field.",
        "command": COMMAND, "partial": only is not None,
        "espeak_ng_version": espeak.version(), "espeakng_loader_version": _version("espeakng-loader"),
        "libsndfile_version": sf.__libsndfile_version__,
        "voice": VOICE, "rate_wpm": RATE, "pitch": PITCH, "sample_rate": SAMPLE_RATE,
        "format": "FLAC, mono, 16-bit PCM", "silence_margin_s": MARGIN_S, "silence_level_int16": SILENCE_LEVEL,
        "sentences": {"count": count, "seed": seed, "hand_written": "course_lib.data.sentences.HAND_WRITTEN"},
        "split_rule": "sha256(id) % 100: < 90 train, < 95 val, else test",
        "utterances": {s: splits.get(s, 0) for s in ("train", "val", "test")},
        "total_duration_s": round(total / SAMPLE_RATE, 3),
        "phoneme_counts": dict(sorted(phones.items())),
        "metadata_phoneme_format": "[name, start_sample, end_sample, char_start, char_end]",
        "files": dict(sorted(files.items())),
    }
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    manifest["synthesis_seconds"] = synth_seconds  # not written: timings are not reproducible
    return manifest


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="output folder, e.g. assets/corpus")
    parser.add_argument("--count", type=int, default=COUNT, help="number of sentences")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the sentence grammar")
    parser.add_argument("--only", default=None, help="comma-separated ids to (re)make, e.g. c0001,c0002")
    parser.add_argument("--jobs", type=int, default=2, help="parallel eSpeak processes")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error(f"--count must be at least 1, got {args.count}")
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    only = [uid.strip() for uid in args.only.split(",") if uid.strip()] if args.only is not None else None
    if only == []:
        parser.error("--only names no utterance ids; give e.g. --only c0001,c0002")
    t0 = time.perf_counter()
    try:
        m = build_corpus(args.out, args.count, args.seed, only, args.jobs)
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    size = sum((args.out / f).stat().st_size for f in m["files"]) + (args.out / "MANIFEST.json").stat().st_size
    print(f"{sum(m['utterances'].values())} utterances {m['utterances']}, {m['total_duration_s'] / 60:.2f} min, "
          f"{size / 1e6:.2f} MB; synthesis {m['synthesis_seconds']:.1f} s, total {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
