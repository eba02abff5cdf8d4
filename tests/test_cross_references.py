"""Chapters link the chapters they build on, in a form that works in JupyterLab and on the site.

A cross-reference is a Markdown link to the chapter's notebook file, ``[chapter 05](05_….ipynb)``
(docs/AUTHORING.md). The source-level tests run everywhere; the ``book`` tests read the built site.
"""

import re

import pytest

from authoring import notebooks
from authoring.book import (
    chapter_link_problems,
    chapter_links,
    link_glossary_chapters,
    unlinked_chapter_mentions,
)
from authoring.editions import student_edition

SOURCES = notebooks.sources()
NUMBER = {s.stem: s.name.split("_", 1)[0] for s in SOURCES}

# What each chapter builds on (the road of chapter 00): it must link at least these.
BUILDS_ON = {
    "02": {"01"}, "03": {"02"}, "04": {"02"}, "05": {"04"}, "06": {"04", "07"}, "08": {"07"},
    "09": {"05"}, "10": {"04", "05", "07", "08", "09"}, "11": {"10", "08", "07"}, "12": {"04", "07", "10"},
    "13": {"12"}, "14": {"07", "12", "13"}, "15": {"07", "08", "10", "11", "14"}, "16": {"08", "10", "11", "14"},
}


def _linked_numbers(source) -> set[str]:
    return {NUMBER.get(stem, stem) for stem in chapter_links(source.read_text(encoding="utf-8"))}


@pytest.mark.parametrize("source", [s for s in SOURCES if s.name[:2].isdigit() and s.name[:2] >= "02"],
                         ids=lambda p: p.name)
def test_every_chapter_links_the_chapters_it_builds_on(source):
    own = source.name[:2]
    linked = _linked_numbers(source) - {own}
    assert linked, f"{source.name} links no other chapter"
    missing = BUILDS_ON.get(own, set()) - linked
    assert not missing, f"{source.name} builds on chapter(s) {sorted(missing)} but does not link them"


def test_no_chapter_is_named_without_a_link():
    bare = {s.name: unlinked_chapter_mentions(s.read_text(encoding="utf-8"), s.name.split("_", 1)[0]) for s in SOURCES}
    bare = {name: found for name, found in bare.items() if found}
    assert not bare, f"write [chapter NN](NN_slug.ipynb) instead (docs/AUTHORING.md): {bare}"


def test_every_link_names_an_existing_chapter(tmp_path):
    assert chapter_link_problems(SOURCES) == []
    ghost = tmp_path / "02_ghost.md"
    ghost.write_text("See [chapter 05](05_no_such_chapter.ipynb).\n")
    assert chapter_link_problems([ghost]) == [
        "02_ghost.md: links to 05_no_such_chapter.ipynb, but there is no notebooks/05_no_such_chapter.md"]


def test_the_student_edition_keeps_the_links_lab_opens():
    """In the workspace the editions lie side by side, so a link to NN_slug.ipynb opens that notebook."""
    source = next(s for s in SOURCES if s.name.startswith("15_"))
    prose = "\n".join(c.source for c in student_edition(source).cells if c.cell_type == "markdown")
    targets = set(chapter_links(prose))
    assert {"10_tacotron2_architecture", "14_waveglow"} <= targets, targets
    assert targets <= {s.stem for s in SOURCES}


def test_mentions_in_code_math_links_and_own_chapter_are_not_flagged():
    text = "\n".join([
        "Chapter 03 trains it.",                                   # flagged
        "As [chapter 04](04_convolutional_networks.ipynb) showed.",  # a link
        "chapters [09](09_a.ipynb)–[10](10_b.ipynb) use it.",       # a linked range
        "`chapter 05` and $chapter 06$ and this chapter 07.",       # code, math, itself
        "```{code-cell} ipython3", "x = 1  # chapter 08", "```",   # a code cell
        "## Chapter 09 in a heading", "See Appendix A.",            # heading; flagged
    ])
    assert unlinked_chapter_mentions(text, own="07") == ["Chapter 03", "Appendix A"]
    assert chapter_links(text) == ["04_convolutional_networks", "09_a", "10_b"]


def test_glossary_chapter_numbers_become_links():
    text = "perceptron\n  A unit. 中文：感知机 · ch. 01\nfact\n  Checked. · ch. A\nother\n  Later. · ch. 99\n"
    out = link_glossary_chapters(text, ["01_perceptron", "A_fact_check"])
    assert "· [ch. 01](notebooks/01_perceptron.ipynb)" in out
    assert "· [ch. A](notebooks/A_fact_check.ipynb)" in out
    assert out.endswith("· ch. 99\n"), "an unknown chapter number stays plain text"


# ------------------------------------------------------------------ the built site
_ARTICLE = re.compile(r'<article class="bd-article"[^>]*>(.*?)</article>', re.S)
_HREF = re.compile(r'<a [^>]*href="([^"#]*\.html)(?:#[^"]*)?"')


def _article_links(page) -> list[str]:
    article = _ARTICLE.search(page.read_text(encoding="utf-8"))
    assert article, f"{page.name}: no <article> (did the theme change?)"
    return _HREF.findall(article.group(1))


@pytest.mark.book
def test_site_pages_link_other_chapters_and_every_such_link_resolves(html):
    pages = {s.stem: html / "notebooks" / f"{s.stem}.html" for s in SOURCES}
    chapter_pages = {p.resolve() for p in pages.values()}
    broken, lonely = [], []
    for stem, page in pages.items():
        targets = [(page.parent / href).resolve() for href in _article_links(page)]
        others = [t for t in targets if t.name.endswith(".html") and t.stem in pages and t != page.resolve()]
        broken += [f"{page.name} → {t.name}" for t in others if t not in chapter_pages or not t.exists()]
        if stem[:2].isdigit() and stem[:2] >= "02" and not others:
            lonely.append(page.name)
    glossary = html / "glossary.html"
    to_chapters = [(glossary.parent / href).resolve() for href in _article_links(glossary) if "notebooks/" in href]
    broken += [f"glossary.html → {t.name}" for t in to_chapters if not t.exists()]
    assert not broken, "broken cross-chapter links:\n" + "\n".join(broken)
    assert not lonely, f"pages that link no other chapter: {lonely}"
    assert len({t.name for t in to_chapters}) >= 15, "the glossary links each entry to its chapter"


@pytest.mark.browser
def test_a_chapter_link_opens_the_neighbouring_notebook_in_jupyterlab(tmp_path):
    """In the learner's workspace the same link opens the other chapter in a new Lab tab."""
    import os

    from authoring.editions import write
    from tests.browser import browser, jupyter_lab

    for name in ("01_perceptron", "02_mlp_backprop"):
        write(student_edition(notebooks.NOTEBOOKS / f"{name}.md"), tmp_path / f"{name}.ipynb")
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / ".jupyter"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / ".lab-settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / ".lab-ws"))
    with jupyter_lab(tmp_path, env) as (base, token), browser() as b:
        page = b.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{base}/lab/tree/02_mlp_backprop.ipynb?token={token}", wait_until="domcontentloaded")
        link = page.locator(".jp-RenderedMarkdown a", has_text="Chapter 01").first
        link.wait_for(timeout=60_000)
        link.click()
        page.locator(".lm-TabBar-tabLabel", has_text="01_perceptron.ipynb").first.wait_for(timeout=30_000)
        heading = page.locator(".jp-RenderedMarkdown h1", has_text="01 · The perceptron").first
        heading.wait_for(timeout=30_000)
