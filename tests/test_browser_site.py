"""The built site in real headless Chromium: pages load without console errors, figures load,
search works. Screenshots are saved to build/screenshots/ as CI artifacts."""

import pytest

from authoring import notebooks
from tests.browser import SCREENSHOTS, browser, static_server

pytestmark = [pytest.mark.browser, pytest.mark.book]


@pytest.fixture(scope="module")
def site(html):
    with static_server(html) as url:
        yield url


def test_chapter_pages_load_cleanly_with_figures(site):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    with browser() as b:
        page = b.new_page(viewport={"width": 1280, "height": 900})
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
        for source in notebooks.sources():
            errors.clear()
            page.goto(f"{site}/notebooks/{source.stem}.html", wait_until="load")
            page.wait_for_timeout(300)
            broken = page.evaluate(
                "Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
            )
            page.screenshot(path=str(SCREENSHOTS / f"site-{source.stem}.png"))
            if errors:
                problems.append(f"{source.stem}: console errors {errors}")
            if broken:
                problems.append(f"{source.stem}: images that did not load {broken}")
    assert not problems, "\n".join(problems)


def test_search_finds_the_perceptron_chapter(site):
    with browser() as b:
        page = b.new_page()
        page.goto(f"{site}/search.html?q=perceptron", wait_until="load")
        page.wait_for_selector("#search-results li a", timeout=20_000)
        links = page.eval_on_selector_all("#search-results li a", "els => els.map(e => e.getAttribute('href'))")
        page.screenshot(path=str(SCREENSHOTS / "site-search.png"))
    assert any("01_perceptron" in href for href in links), links
