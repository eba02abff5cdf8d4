"""The Jupyter Book site builds offline from the executed notebooks, with figures and local math."""

import re

import nbformat
import pytest

from authoring import notebooks
from course_lib.settings import ROOT

pytestmark = pytest.mark.book
EXECUTED = ROOT / "build" / "executed" / "instructor"


def _figures(nb) -> int:
    return sum(
        1 for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if "image/png" in o.get("data", {})
    )


@pytest.mark.parametrize("source", notebooks.sources(), ids=lambda p: p.name)
def test_every_chapter_page_exists_with_its_figures(html, source):
    page = html / "notebooks" / f"{source.stem}.html"
    assert page.exists(), f"{page} was not built"
    text = page.read_text(encoding="utf-8")
    expected = _figures(nbformat.read(EXECUTED / f"{source.stem}.ipynb", as_version=4))
    images = re.findall(r'<img[^>]+src="([^"]+)"', text)
    local = [src for src in images if not src.startswith(("http:", "https:", "data:"))]
    assert len(local) >= expected, f"{page.name}: {expected} figures in the notebook, {len(local)} images on the page"
    for src in local:
        assert (page.parent / src).resolve().exists(), f"{page.name}: image {src} is missing"


def test_math_is_served_locally(html):
    page = (html / "notebooks" / "01_perceptron.html").read_text(encoding="utf-8")
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', page)
    assert any("mathjax/tex-chtml.js" in s and not s.startswith("http") for s in scripts)
    assert not [s for s in scripts if s.startswith(("http:", "https:", "//"))], "no script may come from a CDN"
    assert (html / "_static" / "mathjax" / "tex-chtml.js").exists()
    assert "\\operatorname{sign}" in page  # the TeX is there for MathJax to render


def test_solutions_are_behind_a_toggle(html):
    page = (html / "notebooks" / "01_perceptron.html").read_text(encoding="utf-8")
    assert page.count("tag_hide-input") >= 2


def test_both_editions_can_be_downloaded_from_each_chapter(html):
    page = (html / "notebooks" / "01_perceptron.html").read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]*_downloads/[^"]+\.ipynb)"', page)
    assert len(links) == 2, links
    for href in links:
        assert (html / "notebooks" / href).resolve().exists()
    student = next(h for h in links if "student" in h or h.endswith("01_perceptron.ipynb"))
    assert student


def test_no_broken_internal_links(html):
    from html.parser import HTMLParser
    from urllib.parse import unquote, urlparse

    class Collect(HTMLParser):
        def __init__(self):
            super().__init__()
            self.ids, self.links = set(), []

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if "id" in attrs:
                self.ids.add(attrs["id"])
            for key in ("href", "src"):
                if attrs.get(key) and tag in ("a", "img", "link", "script"):
                    self.links.append(attrs[key])

    pages = {}
    for path in html.rglob("*.html"):
        if "_static" in path.relative_to(html).parts:  # theme templates, not pages
            continue
        parser = Collect()
        parser.feed(path.read_text(encoding="utf-8"))
        pages[path.resolve()] = parser
    broken = []
    for path, parser in pages.items():
        for link in parser.links:
            url = urlparse(link)
            if url.scheme or link.startswith("//") or link.startswith("mailto:"):
                continue
            target = (path.parent / unquote(url.path)).resolve() if url.path else path
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{path.name}: {link}")
            elif (url.fragment and target.suffix == ".html" and target in pages
                  and url.fragment not in pages[target].ids):
                broken.append(f"{path.name}: {link} (no such anchor)")
    assert not broken, "\n".join(broken[:20])


@pytest.mark.parametrize("source", notebooks.sources(), ids=lambda p: p.name)
def test_every_figure_has_a_caption_and_alt_text(html, source):
    nb = nbformat.read(EXECUTED / f"{source.stem}.ipynb", as_version=4)
    missing = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not any("image/png" in o.get("data", {}) for o in cell.get("outputs", [])):
            continue
        meta = cell.metadata.get("mystnb", {})
        if not meta.get("figure", {}).get("caption") or not meta.get("image", {}).get("alt"):
            missing.append(f"cell {index + 1}: {cell.source.strip().splitlines()[0][:60]}")
    assert not missing, (f"{source.name}: figures without caption or alt text (docs/AUTHORING.md):\n"
                         + "\n".join(missing))


def test_glossary_terms_are_linked_from_first_use(html):
    page = (html / "notebooks" / "01_perceptron.html").read_text(encoding="utf-8")
    links = re.findall(r'href="\.\./glossary\.html#term-([^"]+)"', page)
    assert "perceptron" in links and "margin" in links
    assert links.count("perceptron") == 1, "only the first use links to the glossary"
