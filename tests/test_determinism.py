"""Determinism: a chapter executed twice in quick mode on one machine prints the same numbers.

The slow test builds the instructor edition of a few chapters, executes each twice with
``COURSE_QUICK=1 COURSE_THREADS=1`` and compares what every code cell printed, after
:func:`authoring.determinism.sanitize` has replaced times, speeds, progress bars,
addresses and temporary folders. The fast tests pin the sanitiser and keep the nbval file in sync.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from authoring import determinism as D

ROOT = Path(__file__).resolve().parent.parent
CFG = ROOT / "tests" / "nbval_sanitize.cfg"


@pytest.mark.parametrize("raw, clean", [
    ("trained in 1.23 s, loss 0.412", "trained in <time>, loss 0.412"),
    ("after 3 min (120 steps)", "after <time> (120 steps)"),
    ("12 steps took 850 ms", "12 steps took <time>"),
    ("12,345 samples/s = 0.56× real time", "<rate> = <rtf>× real time"),
    ("1.8 it/s and 0.55 s/it", "<rate> and <rate>"),
    ("real-time factor 0.123", "real-time factor <rtf>"),
    ("Training:  40%|████      | 2/5 [00:01<00:02,  1.20step/s, loss=0.3]\nloss 0.3",
     "<progress bar>\nloss 0.3"),
    ("WaveGlow: 5step [00:01, 3.2step/s]", "<progress bar>"),
    ("Epoch 1: 10%\rEpoch 1: 50%\rEpoch 1: done\n", "Epoch 1: done\n"),
    ("<Perceptron object at 0x7f3a2c1e9d90>", "<Perceptron object at 0x<address>>"),
    ("clipped file → /tmp/tmprubzi8y7/clipped.wav looks clipped", "clipped file → <tmpdir>/clipped.wav looks clipped"),
    ("peak memory 1.43 GB", "peak memory <memory>"),
    ("\x1b[1;31mred\x1b[0m", "red"),
])
def test_sanitize_hides_what_changes_between_runs(raw, clean):
    assert D.sanitize(raw) == clean


@pytest.mark.parametrize("text", [
    "65725 samples at 22050 Hz = 2.98 s, peak 0.71, level -21.1 dBFS",  # a duration computed from data
    "converged after 2 epochs and 4 mistakes: w = [1.32 2.22], b = 0.00",
    "max |ours − torch.stft| = 1.4e-14",
    "36.8 MB as FLAC",
    "accuracy 97.8 % on 450 images",
])
def test_sanitize_keeps_the_numbers_that_must_not_change(text):
    assert D.sanitize(text) == text


def test_printed_outputs_and_differences():
    def notebook(*texts):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_markdown_cell("# t")]
        for text in texts:
            cell = nbformat.v4.new_code_cell("print(...)")
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text),
                            nbformat.v4.new_output("stream", name="stderr", text="progress 0x1234567 \n")]
            nb.cells.append(cell)
        return nb

    a = D.printed_outputs(notebook("loss 0.5 in 1.0 s\n", "acc 0.9\n"))
    b = D.printed_outputs(notebook("loss 0.5 in 2.7 s\n", "acc 0.8\n"))
    assert a == {1: "loss 0.5 in <time>\n", 2: "acc 0.9\n"}
    assert D.differences(a, b) == ["cell 2, line 1: 'acc 0.9' != 'acc 0.8'"]
    assert D.differences(a, a) == []
    assert D.differences(a, {1: a[1]}) == ["cell 2: printed only in run 1"]


def test_nbval_sanitize_file_is_in_sync_and_nbval_reads_every_rule():
    from nbval.plugin import get_sanitize_patterns

    assert CFG.read_text(encoding="utf-8") == D.nbval_config(), (
        "tests/nbval_sanitize.cfg is stale: regenerate it with python -c \"from authoring.determinism "
        "import nbval_config; open('tests/nbval_sanitize.cfg', 'w').write(nbval_config())\"")
    assert tuple(get_sanitize_patterns(CFG.read_text(encoding="utf-8"))) == D.SANITIZERS, \
        "nbval reads other rules (a trailing space after 'replace:' may have been stripped)"


# ------------------------------------------------------------------------------ two runs, same numbers
CHAPTERS = ["01", "02", "04"]  # ~7 + 6 + 17 s per run on 2 loaded cores (07: see docs/HARDENING.md)


@pytest.mark.slow
@pytest.mark.notebooks
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_quick_mode_prints_the_same_numbers_twice(chapter, tmp_path, monkeypatch):
    from authoring import editions
    from authoring.execute import execute

    monkeypatch.setenv("COURSE_QUICK", "1")  # the kernel inherits this process's environment
    monkeypatch.setenv("COURSE_THREADS", "1")
    source = next((ROOT / "notebooks").glob(f"{chapter}_*.md"))
    runs = []
    for run in (1, 2):
        nb, _ = execute(editions.instructor_edition(source), tmp_path / f"run{run}", timeout=60)
        runs.append(D.printed_outputs(nb))
    assert runs[0], f"{source.name} printed nothing: nothing was compared"
    problems = D.differences(*runs)
    assert not problems, f"{source.name} prints different numbers on a second run:\n" + "\n".join(problems)
