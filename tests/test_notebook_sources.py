"""Every chapter source keeps the authoring contract: header, exercises with checks, no drift."""

import pytest

from authoring import drift, editions, notebooks

SOURCES = notebooks.sources()
IDS = [p.name for p in SOURCES]


def test_chapters_00_and_01_exist():
    assert {"00_welcome.md", "01_perceptron.md"} <= set(IDS)


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_source_header_and_editions(path):
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\njupytext:"), "start with the header from docs/AUTHORING.md"
    assert "format_name: myst" in text and "name: python3" in text
    instructor = editions.instructor_edition(path)
    student = editions.student_edition(path)
    assert editions.leaked_solutions(instructor, student) == []
    assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")


@pytest.mark.parametrize("path", [p for p in SOURCES if p.name[:2].isdigit() and p.name[:2] != "00"],
                         ids=lambda p: p.name)
def test_chapter_has_at_least_two_exercises(path):
    exercises = notebooks.validate(notebooks.read(path), path)
    assert len(exercises) >= 2, f"{path.name} has {len(exercises)} exercise(s); every chapter needs at least two"


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_reference_cells_equal_the_library(path):
    assert drift.drift(notebooks.read(path)) == []


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_colour_maps_read_in_greyscale(path):
    import re

    text = path.read_text(encoding="utf-8")
    bad = re.findall(r"""cmap\s*=\s*["'](jet|rainbow|hsv|gist_rainbow|nipy_spectral|Spectral|RdYlGn)["']""", text)
    assert not bad, f"{path.name} uses colour maps that do not read in greyscale: {bad}; use viridis, magma or cividis"
