"""Assemble and build the Jupyter Book site: ``python -m authoring.book``.

Copies ``book/`` and the executed instructor notebooks into ``build/book/``, writes the table of
contents from the chapter sources (so a new chapter appears by existing), hides exercise
solutions behind a toggle, links the glossary's chapter numbers to their chapters, ships MathJax
locally, and runs ``jupyter-book build`` offline.

Chapters link each other with plain Markdown links to the notebook file,
``[chapter 05](05_recurrent_networks.ipynb)``: JupyterLab opens the neighbouring notebook, and
Jupyter Book resolves the same link to the chapter's page, so nothing needs rewriting here;
:func:`chapter_link_problems` only refuses a link to a chapter that does not exist.
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

from authoring.editions import write
from authoring.glossary import _PROTECTED, glossary_terms, link_first_uses
from authoring.notebooks import EXERCISE, sources, tags
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
        title = next((i for i, c in enumerate(nb.cells)
                      if c.cell_type == "markdown" and c.source.lstrip().startswith("# ")), -1)
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


CHAPTER_LINK = re.compile(r"\]\((?P<stem>(?:[0-9]{2}|[A-Z])_[a-z0-9_]+)\.ipynb(?:#[^)]*)?\)")
_MENTION = re.compile(r"\b(?:[Cc]hapters? (?P<number>[0-9]{2})|Appendix (?P<letter>[A-Z]))\b")
_GLOSSARY_CHAPTER = re.compile(r"· ch\. (?P<number>[0-9]{2}|[A-Z])[ \t]*$", re.M)


def chapter_links(markdown: str) -> list[str]:
    """Stems of the chapters ``markdown`` links to, in order (``[chapter 05](05_….ipynb)`` → ``05_…``)."""
    return [m.group("stem") for m in CHAPTER_LINK.finditer(markdown)]


def unlinked_chapter_mentions(markdown: str, own: str = "") -> list[str]:
    """Mentions of another chapter ("chapter 05", "Appendix A") in prose that are not links.

    Code, math, links, roles, headings, tables and directives are skipped; so is the chapter
    numbered ``own`` (a chapter may name itself).
    """
    found = []
    for prose in _PROTECTED.split(markdown)[::2]:
        for m in _MENTION.finditer(prose):
            if (m.group("number") or m.group("letter")) != own:
                found.append(m.group(0))
    return found


def chapter_link_problems(paths: list[Path]) -> list[str]:
    """One line per link to a chapter that is not among ``paths`` (the chapter sources)."""
    stems = {Path(p).stem for p in paths}
    return [f"{Path(p).name}: links to {stem}.ipynb, but there is no notebooks/{stem}.md"
            for p in paths for stem in chapter_links(Path(p).read_text(encoding="utf-8")) if stem not in stems]


def link_glossary_chapters(text: str, stems: list[str]) -> str:
    """Turn each glossary entry's closing ``· ch. NN`` into a link to that chapter's page."""
    by_number = {stem.split("_", 1)[0]: stem for stem in stems}

    def link(m: re.Match) -> str:
        stem = by_number.get(m.group("number"))
        return f"· [ch. {m.group('number')}](notebooks/{stem}.ipynb)" if stem else m.group(0)

    return _GLOSSARY_CHAPTER.sub(link, text)


def toc(chapters: list[str], extra: list[str]) -> str:
    """The _toc.yml text for the chapters present (names without suffix)."""
    by_number = {name.split("_", 1)[0]: name for name in chapters}
    lines = ["format: jb-book", f"root: notebooks/{by_number['00']}", "parts:"]
    for caption, numbers in PARTS:
        present = [by_number[n] for n in numbers if n in by_number]
        if present:
            lines += [f"  - caption: {json.dumps(caption, ensure_ascii=False)}", "    chapters:"]
            lines += [f"      - file: notebooks/{c}" for c in present]
    appendices = [f"notebooks/{by_number[n]}" for n in sorted(by_number) if n.isalpha()] + extra
    if appendices:
        lines += ["  - caption: Appendices", "    chapters:"] + [f"      - file: {a}" for a in appendices]
    return "\n".join(lines) + "\n"


def assemble(executed: Path, out: Path) -> Path:
    """Lay out ``out`` (a Jupyter Book source folder) and return it."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(ROOT / "book", out, ignore=shutil.ignore_patterns("_build"))
    broken = chapter_link_problems(sources())
    if broken:
        raise ValueError("links to chapters that do not exist (docs/AUTHORING.md, cross-references):\n"
                         + "\n".join(broken))
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
    if (out / "glossary.md").exists():
        text = (out / "glossary.md").read_text(encoding="utf-8")
        (out / "glossary.md").write_text(link_glossary_chapters(text, chapters), encoding="utf-8")
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
