"""Bad command-line arguments: a non-zero exit, one clear ``error:`` line on stderr, no traceback, no files.

Every command runs as a real subprocess in an empty folder with ``COURSE_ASSETS`` pointing at an
empty folder too, so a bad argument that slips through fails on the missing corpus instead of
starting a long job. Rows the CLIs do not handle yet are ``xfail(strict=True)`` with the fix.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

pytestmark = pytest.mark.slow  # each row starts a Python process (1–3 s; torch's import dominates)

ROOT = Path(__file__).resolve().parent.parent


def _prepare(tmp: Path) -> None:
    """Files some rows point at: a text file, a non-UTF-8 file, a corrupt checkpoint, a run folder."""
    (tmp / "notes.txt").write_text("not a notebook\n")
    (tmp / "latin1.txt").write_bytes("caf\xe9\n".encode("latin-1"))
    (tmp / "a_file").write_text("a file where a folder is expected\n")
    (tmp / "junk.pt").write_bytes(b"\x00not a checkpoint" * 10)
    (tmp / "run").mkdir()
    (tmp / "run" / "checkpoint.pt").write_bytes(b"\x00corrupt" * 10)
    (tmp / "assets").mkdir()


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch PWNED",))


def _evil(tmp: Path) -> None:
    torch.save({"format": "course_lib.tacotron2.model/1", "model": _Evil()}, tmp / "evil.pt")


AUTHORING = ["-m", "authoring"]
CORPUS = ["-m", "course_lib.data.make_corpus"]
TRAIN = ["-m", "course_lib.tts.tacotron2.train"]
WAVEGLOW = ["-m", "course_lib.tts.waveglow.train"]
SAY = ["-m", "course_lib.tts.speak"]

#: (id, arguments, words the error line must contain)
ROWS = [
    ("authoring:no-command", AUTHORING, ["required"]),
    ("authoring:unknown-command", AUTHORING + ["publish"], ["invalid choice"]),
    ("authoring:check-missing-chapter", AUTHORING + ["check", "99_nothing.md"], ["99_nothing.md"]),
    ("authoring:build-not-a-notebook", AUTHORING + ["build", "notes.txt", "--out", "editions"], ["notes.txt"]),
    ("authoring:execute-missing-editions", AUTHORING + ["execute", "--editions", "nowhere", "--out", "x"],
     ["nowhere"]),
    ("authoring:workspace-missing-editions", AUTHORING + ["workspace", "--editions", "nowhere", "--to", "ws"],
     ["nowhere"]),
    ("authoring:build-a-folder", AUTHORING + ["build", "run", "--out", "editions"], ["not a chapter source"]),
    ("make_corpus:count-not-a-number", CORPUS + ["--out", "corpus", "--count", "many"], ["--count"]),
    ("make_corpus:count-0", CORPUS + ["--out", "corpus", "--count", "0"], ["count"]),
    ("make_corpus:unknown-id", CORPUS + ["--out", "corpus", "--only", "c9999"], ["c9999"]),
    ("make_corpus:out-is-a-file", CORPUS + ["--out", "a_file", "--only", "c0001"], ["a_file"]),
    ("make_corpus:jobs-0", CORPUS + ["--out", "corpus", "--jobs", "0"], ["--jobs"]),
    ("make_corpus:only-no-ids", CORPUS + ["--out", "corpus", "--only", ","], ["--only"]),
    ("train:no-out", TRAIN, ["--out"]),
    ("train:unknown-preset", TRAIN + ["--out", "r", "--preset", "huge"], ["--preset"]),
    ("train:batch-size-0", TRAIN + ["--out", "r", "--batch-size", "0"], ["batch_size"]),
    ("train:no-budget", TRAIN + ["--out", "r", "--max-steps", "0", "--minutes", "0"], ["budget"]),
    ("train:negative-lr", TRAIN + ["--out", "r", "--lr", "-1"], ["learning_rate"]),
    ("train:threads-0", TRAIN + ["--out", "r", "--threads", "0"], ["threads"]),
    ("train:frames-per-step-0", TRAIN + ["--out", "r", "--frames-per-step", "0"], ["n_frames_per_step"]),
    ("train:minutes-nan", TRAIN + ["--out", "r", "--minutes", "nan"], ["minutes"]),
    ("train:out-is-a-file", TRAIN + ["--out", "a_file", "--max-steps", "1"], ["a_file"]),
    ("train:corrupt-checkpoint", TRAIN + ["--out", "run", "--max-steps", "1"], ["checkpoint.pt"]),
    ("train:missing-corpus", TRAIN + ["--out", "r", "--max-steps", "1"], ["corpus"]),
    ("train:data-missing", TRAIN + ["--out", "r", "--data", "nowhere", "--max-steps", "1"], ["nowhere"]),
    ("waveglow:no-budget", WAVEGLOW + ["--out", "w"], ["budget"]),
    ("waveglow:steps-negative", WAVEGLOW + ["--out", "w", "--max-steps", "-1"], ["max_steps"]),
    ("waveglow:batch-size-0", WAVEGLOW + ["--out", "w", "--max-steps", "1", "--batch-size", "0"], ["batch_size"]),
    ("waveglow:data-missing", WAVEGLOW + ["--out", "w", "--max-steps", "1", "--data", "nowhere"], ["nowhere"]),
    ("waveglow:threads-0", WAVEGLOW + ["--out", "w", "--max-steps", "1", "--threads", "0"], ["threads"]),
    ("waveglow:lr-zero", WAVEGLOW + ["--out", "w", "--max-steps", "1", "--lr", "0"], ["learning_rate", "> 0"]),
    ("waveglow:missing-corpus", WAVEGLOW + ["--out", "w", "--max-steps", "1", "--corpus", "nowhere"], ["nowhere"]),
    ("waveglow:export-without-run", WAVEGLOW + ["--out", "w", "--export", "w.pt"], ["checkpoint"]),
    ("waveglow:corrupt-checkpoint", WAVEGLOW + ["--out", "run", "--max-steps", "1"], ["checkpoint.pt"]),
    ("speak:nothing-to-say", SAY, ["nothing to say"]),
    ("speak:empty-text", SAY + ["  ", "-o", "a.wav"], ["empty"]),
    ("speak:text-and-file", SAY + ["hi", "--file", "notes.txt"], ["not both"]),
    ("speak:bad-suffix", SAY + ["hi", "-o", "a.mp4"], [".wav"]),
    ("speak:unspeakable", SAY + ["hi 中", "-o", "a.wav", "--vocoder", "griffin-lim"], ["U+4E2D"]),
    ("speak:negative-sigma", SAY + ["hi", "-o", "a.wav", "--sigma", "-1"], ["--sigma"]),
    ("speak:threads-0", SAY + ["hi", "-o", "a.wav", "--threads", "0"], ["--threads"]),
    ("speak:missing-file", SAY + ["--file", "nope.txt"], ["nope.txt"]),
    ("speak:not-utf8", SAY + ["--file", "latin1.txt"], ["UTF-8"]),
    ("speak:missing-checkpoint", SAY + ["hi", "-o", "a.wav", "--tacotron", "nope.pt"], ["nope.pt"]),
    ("speak:corrupt-checkpoint", SAY + ["hi", "-o", "a.wav", "--tacotron", "junk.pt"], ["junk.pt"]),
    ("speak:pickled-code", SAY + ["hi", "-o", "a.wav", "--tacotron", "evil.pt", "--vocoder", "griffin-lim"],
     ["pickled"]),
    ("speak:unknown-vocoder", SAY + ["hi", "--vocoder", "wavenet"], ["--vocoder"]),
]

GAPS = {
}


def _params():
    for id_, args, words in ROWS:
        marks = [pytest.mark.xfail(strict=True, reason=GAPS[id_])] if id_ in GAPS else []
        yield pytest.param(args, words, id=id_, marks=marks)


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("args, words", list(_params()))
def test_bad_arguments_give_one_clear_error_line(tmp_path, args, words):
    _prepare(tmp_path)
    _evil(tmp_path)
    before = _files(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("COURSE_")}
    env.update(COURSE_ASSETS=str(tmp_path / "assets"), PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    err = proc.stderr
    assert proc.returncode != 0, f"exit status 0 for bad arguments; stdout: {proc.stdout[-500:]}"
    assert "Traceback" not in err, err[-1500:]
    error_lines = [line for line in err.splitlines() if "error" in line.lower()]
    assert len(error_lines) == 1, f"expected one error line, got:\n{err[-1500:]}"
    for word in words:
        assert word.lower() in error_lines[0].lower(), f"{word!r} not in {error_lines[0]!r}"
    assert len(error_lines[0]) < 400, f"the error line is a wall of text: {error_lines[0]!r}"
    assert not (tmp_path / "PWNED").exists(), "pickled code ran"
    assert _files(tmp_path) == before, f"files were written: {sorted(_files(tmp_path) - before)}"
