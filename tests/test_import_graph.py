"""Every module of ``course_lib`` and of the maintainer package ``authoring`` imports, and no two modules
import each other, even through others: the module import graph — imports inside functions included — has no
cycle (issue 16.1)."""

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (ROOT / "course_lib", ROOT / "authoring")


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(p for package in PACKAGES for p in package.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _is_package(name: str) -> bool:
    return MODULES.get(name, Path()).name == "__init__.py"


def imports_of(name: str, source: str) -> set[str]:
    """The repo modules that ``name``'s source imports, at the top or inside any function."""
    package = name if _is_package(name) else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            for alias in node.names:  # `from pkg import module` imports the module; `from pkg import name`, pkg
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return {m for m in found if m in MODULES and m != name}


def graph() -> dict[str, set[str]]:
    return {name: imports_of(name, path.read_text(encoding="utf-8")) for name, path in MODULES.items()}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle as ``[a, b, …, a]``, or None (depth-first search, colouring the modules on the path)."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(edges):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_import_graph_has_no_cycle():
    edges = graph()
    assert sum(len(v) for v in edges.values()) > 100, "the scan found too few imports to mean anything"
    assert "course_lib.training.distributed" in edges["course_lib.training.loop"]
    cycle = find_cycle(edges)
    assert cycle is None, "import cycle: " + " → ".join(cycle)


def test_the_scan_sees_imports_inside_functions_and_relative_ones():
    source = ("from .config import TrainConfig\n"
              "def main():\n    from course_lib.training import distributed as D\n    import course_lib.checks\n")
    assert imports_of("course_lib.tts.tacotron2.train.trainer", source) == {
        "course_lib.tts.tacotron2.train.config", "course_lib.training.distributed", "course_lib.checks"}
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_imports(name):
    importlib.import_module(name)
