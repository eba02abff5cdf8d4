"""Library code that a chapter displays teaches; its input checks live at the boundary (docs/VALIDATION.md).

A *guard line* is a ``raise``, an ``assert``, an ``if`` whose body raises, or a call to a function
of :mod:`course_lib.checks` or to a ``_check…`` helper. Not guard lines: decorators
(``@checked_by(_check_x)`` says where the checks are, once, above the code) and the converters
``checks.as_…`` (``x = as_numpy_wave(x, "x")`` turns a list or tensor into the array the code computes with).
"""

import ast
import inspect
import textwrap

import pytest

from authoring import drift, notebooks
from course_lib import checks

DISPLAYED = sorted({(ref.target, path.name) for path in notebooks.sources()
                    for ref in drift.reference_cells(notebooks.read(path))})
CHECK_NAMES = {name for name, obj in vars(checks).items()
               if callable(obj) and getattr(obj, "__module__", None) == checks.__name__
               and not name.startswith("as_")} - {"checked_by"}


def _called_name(call: ast.Call) -> str:
    f = call.func
    if isinstance(f, ast.Attribute):
        owner = f.value.id if isinstance(f.value, ast.Name) else ""
        return f"checks.{f.attr}" if owner == "checks" else f.attr
    return f.id if isinstance(f, ast.Name) else ""


def guard_lines(source: str) -> list[str]:
    """The guard lines of ``source`` (one function or class), as text."""
    tree = ast.parse(textwrap.dedent(source))
    lines = textwrap.dedent(source).splitlines()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Raise, ast.Assert)):
            found.add(node.lineno)
        elif isinstance(node, ast.If) and any(isinstance(n, ast.Raise) for n in node.body):
            found.add(node.lineno)
        elif isinstance(node, ast.Call):
            name = _called_name(node)
            bare = name.removeprefix("checks.")
            if name.startswith("checks.") or bare in CHECK_NAMES or bare.startswith(("_check", "check_")):
                found.add(node.lineno)
    decorators = {d.lineno for n in ast.walk(tree) if hasattr(n, "decorator_list") for d in n.decorator_list}
    return [lines[i - 1].strip() for i in sorted(found - decorators)]


def test_guard_lines_are_recognised():
    src = ("def f(x, n):\n    if n < 1:\n        raise ValueError('n')\n    checks.tensor(x, 'x')\n"
           "    _check_shape(x)\n    assert n\n    return integer(n, 'n') + g(x)\n")
    assert guard_lines(src) == ["if n < 1:", "raise ValueError('n')", "checks.tensor(x, 'x')",
                                "_check_shape(x)", "assert n", "return integer(n, 'n') + g(x)"]
    assert guard_lines("@checked_by(_check_f)\ndef f(x):\n    return x if isinstance(x, int) else 0\n") == []


@pytest.mark.parametrize("target,chapter", DISPLAYED, ids=[t for t, _ in DISPLAYED])
def test_displayed_object_has_no_guard_lines(target, chapter):
    found = guard_lines(inspect.getsource(drift.resolve(target)))
    assert found == [], (f"{target} (shown in {chapter}) has guard lines {found}; move them into a "
                         "_check_… function attached with checks.checked_by (docs/VALIDATION.md)")
