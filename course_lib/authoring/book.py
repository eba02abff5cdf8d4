"""Assemble and build the Jupyter Book site: ``python -m course_lib.authoring.book``.

Copies ``book/`` and the executed instructor notebooks into ``build/book/``, writes the table of
contents from the chapter sources (so a new chapter appears by existing), hides exercise
solutions behind a toggle, ships MathJax locally, and runs ``jupyter-book build`` offline.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from course_lib.authoring.editions import write
from course_lib.authoring.glossary import glossary_terms, link_first_uses
from course_lib.authoring.notebooks import EXERCISE, sources, tags
from course_lib.settings import ROOT

PARTS = [
    ("Part I — Neural networks from scratch", ("01", "02", "03", "04", "05", "06")),
    ("Part II — Sound and text", ("07", "08")),
    ("Part III — Attention and Tacotron 2", ("09", "10", "11")),
    ("Part IV — Vocoders: WaveNet and WaveGlow", ("12", "13", "14")),
    ("Part V — Speech end to end", ("15", "16")),
]
EXTRA_PAGES = ("glossary", "bibliography")


def _mathjax_dir() -> Path:
    import importlib.metadata as md

    dist = md.distribution("sphinx-mathjax-offline")
    for file in dist.files or []:
        if str(file).endswith("static/mathjax/tex-chtml.js"):
            return Path(dist.locate_file(file)).parent
    raise FileNotFoundError("MathJax from sphinx-mathjax-offline not found; run `make setup`")


def _add_downloads(nb, name: str, out: Path) -> None:
    """Ship both editions with the page and link them under the chapter title."""
    links = []
    for edition in ("student", "instructor"):
        built = ROOT / "build" / "editions" / edition / name
        if built.exists():
            target = out / "downloads" / edition / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(built, target)
            links.append(f"{{download}}`{edition} edition <../downloads/{edition}/{name}>`")
    if links:
        cell = nbformat.v4.new_markdown_cell("Download this chapter: " + " · ".join(links))
        cell.metadata["tags"] = ["downloads"]
        title = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.lstrip().startswith("# ")), -1)
        if title >= 0:  # split the title off its cell so the links sit right under it
            head, _, rest = nb.cells[title].source.lstrip().partition("\n")
            nb.cells[title].source = head
            nb.cells.insert(title + 1, cell)
            if rest.strip():
                nb.cells.insert(title + 2, nbformat.v4.new_markdown_cell(rest))
        else:
            nb.cells.insert(0, cell)


WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = "*Interactive widget: open this chapter in JupyterLab (`make lab`) to use it.*"


PROGRESS = re.compile(r"\d+%\|.*\|")


def _static_widgets(nb) -> None:
    """A static page cannot run a widget: drop progress bars, and say where a widget would be.

    myst-nb turns every display output of a captioned cell into a figure with the same name, so
    such a cell keeps its images and streams, and its other displays (an audio player, say)
    move to an input-less cell right after it.
    """
    nb.metadata.pop("widgets", None)
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        if cell.cell_type != "code":
            continue
        captioned = "figure" in cell.get("metadata", {}).get("mystnb", {})
        kept, moved = [], []
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_MIME in data:
                if captioned or PROGRESS.search(str(data.get("text/plain", ""))):
                    continue
                out["data"] = {"text/markdown": WIDGET_NOTE, "text/plain": WIDGET_NOTE}
            is_figure = any(mime.startswith("image/") for mime in data)
            (moved if captioned and data and not is_figure else kept).append(out)
        cell["outputs"] = kept
        if moved:
            extra = nbformat.v4.new_code_cell("", outputs=moved)
            extra.metadata["tags"] = ["remove-input"]
            cells.append(extra)
    nb.cells = cells


def toc(chapters: list[str], extra: list[str]) -> str:
    """The _toc.yml text for the chapters present (names without suffix)."""
    by_number = {name.split("_", 1)[0]: name for name in chapters}
    lines = ["format: jb-book", f"root: notebooks/{by_number['00']}", "parts:"]
    for caption, numbers in PARTS:
        present = [by_number[n] for n in numbers if n in by_number]
        if present:
            lines += [f"  - caption: {json.dumps(caption, ensure_ascii=False)}", "    chapters:"] + [f"      - file: notebooks/{c}" for c in present]
    appendices = [f"notebooks/{by_number[n]}" for n in sorted(by_number) if n.isalpha()] + extra
    if appendices:
        lines += ["  - caption: Appendices", "    chapters:"] + [f"      - file: {a}" for a in appendices]
    return "\n".join(lines) + "\n"


def assemble(executed: Path, out: Path) -> Path:
    """Lay out ``out`` (a Jupyter Book source folder) and return it."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(ROOT / "book", out, ignore=shutil.ignore_patterns("_build"))
    chapters = []
    glossary = ROOT / "book" / "glossary.md"
    terms = glossary_terms(glossary) if glossary.exists() else []
    for source in sources():
        notebook = executed / (source.stem + ".ipynb")
        if not notebook.exists():
            raise FileNotFoundError(f"{notebook} is missing: execute the notebooks first (make book does)")
        nb = nbformat.read(notebook, as_version=4)
        _add_downloads(nb, notebook.name, out)
        _static_widgets(nb)
        if terms:
            prose = [c for c in nb.cells if c.cell_type == "markdown" and "downloads" not in tags(c)]
            for cell, text in zip(prose, link_first_uses([c.source for c in prose], terms)):
                cell.source = text
        for cell in nb.cells:
            if EXERCISE in tags(cell):
                cell.metadata["tags"] = sorted(tags(cell) | {"hide-input"})
        write(nb, out / "notebooks" / notebook.name)
        chapters.append(source.stem)
    extra = [page for page in EXTRA_PAGES if (out / f"{page}.md").exists()]
    (out / "_toc.yml").write_text(toc(chapters, extra))
    # Not under _static/: Jupyter Book adds every .js found there to every page, and MathJax's
    # components must be loaded on demand by its own loader.
    shutil.copytree(_mathjax_dir(), out / "_mathjax" / "mathjax")
    return out


def build(executed: Path = ROOT / "build" / "executed" / "instructor", out: Path = ROOT / "build" / "book") -> Path:
    """Assemble and build; return the HTML folder. Raises CalledProcessError on a failed build."""
    assemble(executed, out)
    jb = Path(sys.executable).with_name("jupyter-book")
    subprocess.run([str(jb), "build", str(out), "--warningiserror", "--keep-going", "-q"], check=True)
    return out / "_build" / "html"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--executed", default=str(ROOT / "build" / "executed" / "instructor"))
    parser.add_argument("--out", default=str(ROOT / "build" / "book"))
    args = parser.parse_args()
    html = build(Path(args.executed), Path(args.out))
    print(f"book built: {html / 'index.html'}")
