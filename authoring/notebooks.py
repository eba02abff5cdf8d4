"""Reading chapter sources and enforcing the authoring contract (docs/AUTHORING.md).

A chapter source is a MyST Markdown notebook. Code cells tagged ``exercise`` hold a solution
between nbgrader's markers; the next code cell, tagged ``check``, tests it. Any breach of these
rules is reported as one :class:`AuthoringError` that names the file and the cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from course_lib.settings import ROOT

NOTEBOOKS = ROOT / "notebooks"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
EXERCISE, CHECK = "exercise", "check"
_NO_CHECK = "this exercise has no check cell: add a code cell tagged 'check' right after it"
_NAME = re.compile(r"^(?P<number>[0-9]{2}|[A-Z])_[a-z0-9_]+\.md$")


class AuthoringError(ValueError):
    """A chapter source breaks the authoring contract."""

    def __init__(self, path: Path | str, cell: int | None, message: str):
        self.path, self.cell = Path(path), cell
        where = f"{self.path.name}" + (f", cell {cell}" if cell is not None else "")
        super().__init__(f"{where}: {message}")


def sources(folder: Path = NOTEBOOKS) -> list[Path]:
    """The chapter sources in course order (``00_…`` … ``16_…``, then appendices ``A_…``)."""
    paths = sorted(p for p in folder.glob("*.md") if _NAME.match(p.name))
    return sorted(paths, key=lambda p: (not p.name[0].isdigit(), p.name))


def read(path: Path | str) -> nbformat.NotebookNode:
    """Read a MyST source into a notebook, keeping its kernelspec."""
    import jupytext

    path = Path(path)
    nb = jupytext.read(path)
    if "kernelspec" not in nb.metadata:
        raise AuthoringError(path, None, "the header has no kernelspec; copy the header from docs/AUTHORING.md")
    return nb


def tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def first_line(cell) -> str:
    text = cell.source.strip().splitlines()
    return (text[0][:60] + "…") if text and len(text[0]) > 60 else (text[0] if text else "")


@dataclass(frozen=True)
class Exercise:
    """An exercise cell, its check cell and the solution text between the markers."""

    number: int
    cell: int  # index into nb.cells
    check: int
    solution: str


def validate(nb, path: Path | str) -> list[Exercise]:
    """Check the marker and tag rules; return the exercises in order.

    Raises :class:`AuthoringError` naming the file and cell (1-based) of the first breach.
    """
    exercises: list[Exercise] = []
    pending: tuple[int, str] | None = None  # an exercise still waiting for its check
    previous_code: int | None = None
    for index, cell in enumerate(nb.cells):
        number = index + 1
        has_marker = BEGIN in cell.source or END in cell.source
        if cell.cell_type != "code":  # prose may mention the markers; only code cells are stripped
            continue
        cell_tags = tags(cell)
        if EXERCISE in cell_tags and CHECK in cell_tags:
            raise AuthoringError(path, number, "a cell cannot be both an exercise and a check")
        if EXERCISE in cell_tags:
            if pending is not None:
                raise AuthoringError(path, pending[0] + 1, _NO_CHECK)
            pending = (index, _solution_text(cell.source, path, number))
        elif CHECK in cell_tags:
            if pending is None or previous_code != pending[0]:
                raise AuthoringError(
                    path, number, "a check cell must directly follow an exercise cell (tag the cell above 'exercise')"
                )
            exercises.append(Exercise(len(exercises) + 1, pending[0], index, pending[1]))
            pending = None
        else:
            if has_marker:
                raise AuthoringError(path, number, "solution markers found in a cell not tagged 'exercise'")
            if pending is not None:
                raise AuthoringError(path, pending[0] + 1, _NO_CHECK)
        previous_code = index
    if pending is not None:
        raise AuthoringError(path, pending[0] + 1, _NO_CHECK)
    return exercises


def _solution_text(source: str, path, number: int) -> str:
    inside, found, lines = False, False, []
    for line in source.splitlines():
        if BEGIN in line:
            if inside:
                raise AuthoringError(
                    path, number, f"nested '{BEGIN}': close the first region with '{END}' before opening another"
                )
            inside = found = True
        elif END in line:
            if not inside:
                raise AuthoringError(path, number, f"'{END}' without a matching '{BEGIN}'")
            inside = False
        elif inside:
            lines.append(line)
    if inside:
        raise AuthoringError(path, number, f"'{BEGIN}' without a matching '{END}'")
    if not found:
        raise AuthoringError(path, number, f"an exercise cell needs a solution between '{BEGIN}' and '{END}'")
    return "\n".join(lines)
