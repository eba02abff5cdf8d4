"""Drift check: a notebook cell that presents library code must equal the library.

Such a cell starts with ``# course_lib: dotted.path.to.object``; the rest of the cell is the
object's source as :func:`inspect.getsource` returns it.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import re
import textwrap
from dataclasses import dataclass

MARKER = re.compile(r"^#\s*course_lib:\s*(?P<target>[A-Za-z_][\w.]*)\s*$")


@dataclass(frozen=True)
class ReferenceCell:
    cell: int  # 1-based cell number
    target: str
    code: str


def reference_cells(nb) -> list[ReferenceCell]:
    """Every code cell whose first line names a ``course_lib`` object."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        lines = cell.source.splitlines()
        match = MARKER.match(lines[0]) if lines else None
        if match:
            found.append(ReferenceCell(index + 1, match["target"], "\n".join(lines[1:])))
    return found


def resolve(target: str):
    """Import ``course_lib.a.b.Name`` (or a method ``Class.method``)."""
    if not target.startswith("course_lib."):
        raise ValueError(f"reference target {target!r} must start with 'course_lib.'")
    parts = target.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for attr in parts[split:]:
            if not hasattr(obj, attr):
                raise ValueError(f"reference target {target!r}: {'.'.join(parts[:split])} has no attribute {attr!r}")
            obj = getattr(obj, attr)
        return obj
    raise ValueError(f"reference target {target!r}: no importable module")


def _normalise(code: str) -> list[str]:
    return [line.rstrip() for line in textwrap.dedent(code).strip("\n").splitlines()]


def drift(nb) -> list[str]:
    """Describe every reference cell that differs from its library object (empty if none)."""
    problems = []
    for ref in reference_cells(nb):
        try:
            library = inspect.getsource(resolve(ref.target))
        except (ValueError, TypeError, OSError) as err:
            problems.append(f"cell {ref.cell}: {err}")
            continue
        shown, real = _normalise(ref.code), _normalise(library)
        if shown != real:
            diff = "\n".join(difflib.unified_diff(real, shown, "library", "notebook", lineterm="", n=1))
            problems.append(f"cell {ref.cell}: differs from {ref.target}; copy the library source again\n{diff}")
    return problems
