"""One style for every package ``__init__.py`` (docs/VALIDATION.md, "One convention each").

A docstring, explicit relative imports ``from .module import name, …``, and ``__all__`` listing
exactly the imported names, sorted. A package whose modules are used directly re-exports nothing
(``__all__ = []``). No lazy ``__getattr__``, no absolute self-imports, no re-exported submodules.
"""

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "course_lib"
INITS = sorted(ROOT.rglob("__init__.py"))


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    body = tree.body
    problems, imported, exported = [], [], None
    if not (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)):
        problems.append("starts without a docstring")
    for node in body[1:]:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            imported += [a.asname or a.name for a in node.names]
        elif isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["__all__"]:
            exported = ast.literal_eval(node.value)
        elif isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["__version__"]:
            continue
        else:
            problems.append(f"line {node.lineno}: only `from .module import name` lines and `__all__` belong here")
    if path.parent != ROOT or imported:
        if exported is None:
            problems.append("no __all__")
        elif list(exported) != sorted(imported):
            problems.append(f"__all__ must list exactly the imported names, sorted: {sorted(imported)}")
    return problems


@pytest.mark.parametrize("path", INITS, ids=[str(p.relative_to(ROOT)) for p in INITS])
def test_package_init_has_one_style(path):
    assert _problems(path) == []


@pytest.mark.parametrize("path", INITS, ids=[str(p.relative_to(ROOT)) for p in INITS])
def test_every_exported_name_resolves(path):
    name = ".".join(("course_lib",) + path.parent.relative_to(ROOT).parts).rstrip(".")
    module = importlib.import_module(name)
    for exported in getattr(module, "__all__", []):
        assert hasattr(module, exported), f"{name}.__all__ names {exported!r}, which it does not define"


def test_the_checker_notices_other_styles(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    bad = pkg / "__init__.py"
    bad.write_text('"""Doc."""\nfrom pkg.a import b\nfrom . import c\n__all__ = ["b"]\n')
    assert len(_problems(bad)) == 3  # absolute import, submodule import, __all__ names what is not imported
    bad.write_text('"""Doc."""\nfrom .a import b, a2\n__all__ = ["a2"]\n')
    assert _problems(bad) == ["__all__ must list exactly the imported names, sorted: ['a2', 'b']"]
