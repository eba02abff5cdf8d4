"""Proving that exercise checks reject plausible wrong answers.

For each chapter ``notebooks/NN_slug.md`` the file ``tests/wrong_answers/NN_slug.py`` defines

    WRONG_ANSWERS = {
        "my_predict": {                     # the exercise, named by the first name its cell defines
            "ignores the bias": "return np.where(X @ w >= 0, 1, -1)",
            "sign(0) is -1":    "return np.where(X @ w + b > 0, 1, -1)",
        },
    }

Each value is a *solution body*: the text a learner would type between the markers (write it
without indentation; it is indented like the ``### BEGIN SOLUTION`` line it replaces).
:func:`run_chapter` executes the instructor edition cell by cell in one kernel; after each
exercise's check has passed on the solution, it swaps in every wrong answer, runs the check again,
and records how the check reacted; then it restores the solution. A wrong answer is *rejected*
when the check raises ``AssertionError`` with a message (a bare assert helps no one).
"""

from __future__ import annotations

import ast
import copy
import os
import runpy
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

from authoring.notebooks import BEGIN, END, read, validate
from course_lib.settings import ROOT

WRONG_ANSWERS_DIR = ROOT / "tests" / "wrong_answers"


def exercise_name(source: str) -> str:
    """The first function, class or variable an exercise cell defines (its name in the record)."""
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return node.name
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    return target.id
    raise ValueError("an exercise cell must define a function, class or variable to be named by")


def with_body(source: str, body: str) -> str:
    """``source`` with the text between the solution markers replaced by ``body``."""
    lines, out, inside = source.splitlines(), [], False
    for line in lines:
        if BEGIN in line:
            indent = line[: len(line) - len(line.lstrip())]
            out.append(line)
            out.extend(indent + row if row.strip() else row for row in textwrap.dedent(body).strip("\n").splitlines())
            inside = True
        elif END in line:
            out.append(line)
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def record_for(source: Path) -> dict[str, dict[str, str]]:
    """The recorded wrong answers of one chapter ({} when it has no file)."""
    path = WRONG_ANSWERS_DIR / f"{Path(source).stem}.py"
    return runpy.run_path(str(path)).get("WRONG_ANSWERS", {}) if path.exists() else {}


@dataclass(frozen=True)
class Verdict:
    """How one check reacted to one wrong answer."""

    exercise: str
    wrong: str
    error: str | None  # exception name raised by the check (None: it passed, i.e. was fooled)
    message: str

    @property
    def rejected(self) -> bool:
        return self.error == "AssertionError" and bool(self.message.strip())


def _error(cell) -> tuple[str | None, str]:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return out["ename"], out["evalue"]
    return None, ""


def run_chapter(source: Path, timeout: int = 600) -> list[Verdict]:
    """Execute chapter ``source`` (quick mode) and try every recorded wrong answer on its check."""
    from authoring.execute import SlicedPollClient

    source = Path(source)
    nb = read(source)
    exercises = validate(nb, source)
    record = record_for(source)
    if not exercises:
        return []
    last = exercises[-1].check
    nb.cells = nb.cells[: last + 1]
    env = {"COURSE_QUICK": "1", "COURSE_THREADS": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    verdicts: list[Verdict] = []
    try:
        with tempfile.TemporaryDirectory() as work:
            client = SlicedPollClient(nb, timeout=timeout, kernel_name="python3",
                                      resources={"metadata": {"path": work}})
            with client.setup_kernel():
                by_check = {ex.check: ex for ex in exercises}
                for index, cell in enumerate(nb.cells):
                    if cell.cell_type != "code":
                        continue
                    client.execute_cell(cell, index)
                    ex = by_check.get(index)
                    if ex is None:
                        continue
                    solution = nb.cells[ex.cell]
                    name = exercise_name(solution.source)
                    for wrong, body in record.get(name, {}).items():
                        trial = copy.deepcopy(solution)
                        trial.source = with_body(solution.source, body)
                        client.execute_cell(trial, ex.cell)
                        check = copy.deepcopy(cell)
                        check.metadata["tags"] = list(check.metadata.get("tags", [])) + ["raises-exception"]
                        client.execute_cell(check, index)
                        verdicts.append(Verdict(name, wrong, *_error(check)))
                    if record.get(name):  # the solution back in place, and the state its check leaves
                        client.execute_cell(copy.deepcopy(solution), ex.cell)
                        client.execute_cell(copy.deepcopy(cell), index)
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return verdicts
