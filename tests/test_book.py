"""The Jupyter Book site builds offline from the executed notebooks, with figures and local math."""

import re
from pathlib import Path

import nbformat
import pytest

from course_lib.authoring import notebooks
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
