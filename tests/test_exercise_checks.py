"""Every exercise check rejects the plausible wrong answers recorded for it (docs/AUTHORING.md).

The records live in ``tests/wrong_answers/NN_slug.py``; the stub (student edition) and the
solution (instructor edition) are covered by the nbval runs of ``make test``.
"""

import pytest

from authoring import notebooks
from authoring.wrong_answers import exercise_name, record_for, run_chapter, with_body

CHAPTERS = [s for s in notebooks.sources() if s.name[0].isdigit() and s.name[:2] != "00"]


def _names(source):
    nb = notebooks.read(source)
    return [exercise_name(nb.cells[ex.cell].source) for ex in notebooks.validate(nb, source)]


def test_with_body_replaces_only_the_solution():
    cell = "def f(x):\n    '''doc'''\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n"
    out = with_body(cell, "y = x + 1\nreturn y")
    assert out == "def f(x):\n    '''doc'''\n    ### BEGIN SOLUTION\n    y = x + 1\n    return y\n    ### END SOLUTION"


def test_exercise_name_prefers_definitions():
    assert exercise_name("import numpy as np\ndef my_step(x):\n    pass") == "my_step"
    assert exercise_name("answer = 3") == "answer"
    with pytest.raises(ValueError, match="define"):
        exercise_name("print(1)")


@pytest.mark.parametrize("source", CHAPTERS, ids=lambda p: p.stem)
def test_every_exercise_has_two_wrong_answers(source):
    names, record = _names(source), record_for(source)
    assert len(names) >= 3, f"{source.name}: {len(names)} exercises; every chapter 01–16 needs at least 3"
    assert len(set(names)) == len(names), f"{source.name}: two exercises define the same name {names}"
    missing = [n for n in names if len(record.get(n, {})) < 2]
    assert not missing, f"record at least two wrong answers for {missing} in tests/wrong_answers/{source.stem}.py"
    stale = sorted(set(record) - set(names))
    assert not stale, f"tests/wrong_answers/{source.stem}.py names exercises the chapter no longer has: {stale}"


@pytest.mark.notebooks
@pytest.mark.parametrize("source", CHAPTERS, ids=lambda p: p.stem)
def test_checks_reject_the_recorded_wrong_answers(source):
    verdicts = run_chapter(source)
    fooled = [f"{v.exercise} / {v.wrong!r}: " + ("the check passed" if v.error is None else
              f"raised {v.error}: {v.message[:120]!r} (it must fail with an AssertionError that explains)")
              for v in verdicts if not v.rejected]
    assert not fooled, f"{source.name}: checks not rejecting wrong answers:\n" + "\n".join(fooled)
    assert len(verdicts) == sum(len(v) for v in record_for(source).values())
