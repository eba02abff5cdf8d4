"""Real JupyterLab in headless Chromium: run a chapter, move a widget slider, and see the figure change."""

import os

import pytest

from authoring import editions
from course_lib.settings import ROOT
from tests.browser import SCREENSHOTS, browser, jupyter_lab

pytestmark = pytest.mark.browser

# (chapter source, a CSS selector of the widget's slider, how many arrow-key presses move it)
WIDGET_NOTEBOOKS = [
    ("01_perceptron.md", ".widget-slider", "ArrowLeft"),
    ("07_sound_as_data.md", ".widget-slider", "ArrowLeft"),  # the spectrogram explorer
    ("11_training_tacotron2.md", ".widget-slider", "ArrowLeft"),  # the alignment viewer (snapshot slider)
]


def _run_all(page):
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()


@pytest.mark.parametrize("source, slider, key", WIDGET_NOTEBOOKS, ids=[w[0] for w in WIDGET_NOTEBOOKS])
def test_widget_reacts_in_real_jupyterlab(tmp_path, source, slider, key):
    nb = editions.instructor_edition(ROOT / "notebooks" / source)
    editions.write(nb, tmp_path / source.replace(".md", ".ipynb"))
    env = dict(os.environ, COURSE_QUICK="1", JUPYTER_CONFIG_DIR=str(tmp_path / ".jupyter"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / ".lab-settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / ".lab-ws"))
    news = tmp_path / ".lab-settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text('{"fetchNews": "false"}')  # no "Jupyter news?" toast over the screenshots
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    stem = source[:-3]
    with jupyter_lab(tmp_path, env) as (base, token), browser() as b:
        page = b.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{base}/lab/tree/{stem}.ipynb?token={token}", wait_until="domcontentloaded")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        page.wait_for_timeout(3000)  # let the kernel start
        _run_all(page)
        handle = page.locator(f"{slider} .noUi-handle").first
        handle.wait_for(timeout=150_000)
        widget = page.locator(".jp-OutputArea-output .widget-vbox", has=page.locator(slider)).first
        widget.scroll_into_view_if_needed()
        page.wait_for_timeout(2000)
        before = widget.screenshot(path=str(SCREENSHOTS / f"lab-{stem}-before.png"))
        handle.focus()
        for _ in range(3):
            page.keyboard.press(key)
        page.wait_for_timeout(3000)
        after = widget.screenshot(path=str(SCREENSHOTS / f"lab-{stem}-after.png"))
        page.screenshot(path=str(SCREENSHOTS / f"lab-{stem}-page.png"))
    assert before != after, "moving the slider did not change the rendered widget"
