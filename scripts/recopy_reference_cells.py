"""Copy the library source into every reference cell (``# course_lib: dotted.path``) of the chapters.

    .venv/bin/python scripts/recopy_reference_cells.py notebooks/*.md     # rewrite in place, list what changed

The drift check (authoring.drift, tests/test_notebook_sources.py) fails when a displayed object and
the library differ; after editing the library, this script brings the chapters' copies up to date.
Check the diff before committing: the prose around a cell may need the same change.
"""

from __future__ import annotations

import inspect
import re
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from authoring.drift import MARKER, resolve  # noqa: E402

FENCE = re.compile(r"^```\{code-cell\}")


def recopy(text: str) -> str:
    lines, out, i = text.split("\n"), [], 0
    while i < len(lines):
        out.append(lines[i])
        if not FENCE.match(lines[i]):
            i += 1
            continue
        i += 1
        if i < len(lines) and lines[i] == "---":  # cell metadata, up to the closing ---
            close = lines.index("---", i + 1)
            out += lines[i:close + 1]
            i = close + 1
        match = MARKER.match(lines[i]) if i < len(lines) else None
        if not match:
            continue
        end = i
        while not lines[end].startswith("```"):
            end += 1
        source = textwrap.dedent(inspect.getsource(resolve(match["target"]))).strip("\n").split("\n")
        out += [lines[i], *source]
        i = end
    return "\n".join(out)


def main(paths: list[str]) -> int:
    for path in map(Path, paths):
        old = path.read_text()
        new = recopy(old)
        if new != old:
            path.write_text(new)
            print(f"re-copied: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
