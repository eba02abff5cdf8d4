"""The two editions of every chapter, built with nbgrader's own preprocessors.

* instructor: the source as a notebook, solutions in place, with nbgrader cell metadata so the
  files drop straight into an nbgrader course as source notebooks;
* student: ``ClearSolutions`` replaces each solution with ``raise NotImplementedError(...)``
  that names the exercise, ``ClearHiddenTests`` and ``ClearOutput`` tidy up, and check cells are
  tagged ``raises-exception`` so *Run All* carries on past an unsolved exercise.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions

from authoring.notebooks import CHECK, AuthoringError, Exercise, read, tags, validate
from course_lib.checkpoint import write_text_atomic

ALLOWED_STUDENT_ERRORS = ("NotImplementedError", "AssertionError")


def _chapter(path: Path) -> str:
    return path.stem.split("_", 1)[0]


def _grade_metadata(nb, exercises: list[Exercise], chapter: str) -> None:
    for ex in exercises:
        nb.cells[ex.cell].metadata["nbgrader"] = {
            "grade": False, "solution": True, "locked": False,
            "grade_id": f"ch{chapter}_ex{ex.number}", "schema_version": 3,
        }
        nb.cells[ex.check].metadata["nbgrader"] = {
            "grade": True, "solution": False, "locked": True, "points": 1,
            "grade_id": f"ch{chapter}_ex{ex.number}_check", "schema_version": 3,
        }


def instructor_edition(path: Path | str) -> nbformat.NotebookNode:
    """The source with solutions, validated, with nbgrader metadata."""
    path = Path(path)
    nb = read(path)
    exercises = validate(nb, path)
    _grade_metadata(nb, exercises, _chapter(path))
    # A built notebook stands alone: jupytext pairing metadata would make Lab look for the .md
    nb.metadata.pop("jupytext", None)
    nb.metadata["course"] = {"edition": "instructor", "source": f"notebooks/{path.name}"}
    return nb


def student_edition(path: Path | str) -> nbformat.NotebookNode:
    """The learner's notebook: solutions replaced by stubs, outputs cleared."""
    path = Path(path)
    nb = instructor_edition(path)
    exercises = validate(nb, path)
    resources = {"language": "python"}
    chapter = _chapter(path)
    for ex in exercises:
        clear = ClearSolutions(enforce_metadata=False)
        clear.code_stub = {
            "python": f'raise NotImplementedError("Exercise {chapter}.{ex.number}: '
            'replace this line with your solution, then run the check cell below")'
        }
        try:
            nb.cells[ex.cell], resources = clear.preprocess_cell(nb.cells[ex.cell], resources, ex.cell)
        except RuntimeError as err:  # nbgrader's own marker errors; validate() normally catches them first
            raise AuthoringError(path, ex.cell + 1, str(err)) from None
        check = nb.cells[ex.check]
        check.metadata["tags"] = sorted(tags(check) | {"raises-exception"})
    nb, resources = ClearHiddenTests().preprocess(nb, resources)
    nb, resources = ClearOutput().preprocess(nb, resources)
    nb.metadata["course"] = {"edition": "student", "source": f"notebooks/{path.name}"}
    return nb


def leaked_solutions(instructor, student) -> list[str]:
    """Solution lines of the instructor edition that appear in the student edition.

    A line counts when it is at least 12 characters long (stripped) and does not also appear in
    the instructor edition outside the solution regions (shared boilerplate is not a leak).
    """
    exercises = validate(instructor, "instructor")
    solution_lines = {line.strip() for ex in exercises for line in ex.solution.splitlines()}
    outside = set()
    for index, cell in enumerate(instructor.cells):
        body = cell.source
        for ex in exercises:
            if ex.cell == index:
                body = body.replace(ex.solution, "")
        outside.update(line.strip() for line in body.splitlines())
    candidates = {s for s in solution_lines if len(s) >= 12 and s not in outside}
    student_lines = {line.strip() for cell in student.cells for line in cell.source.splitlines()}
    return sorted(candidates & student_lines)


def student_run_problems(nb) -> list[str]:
    """Problems in an executed student edition: only check cells may (and must) fail.

    ``nb`` is the executed student notebook. Each check cell must have raised
    NotImplementedError or AssertionError; every other cell must have raised nothing.
    """
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        where = f"cell {index + 1} ({cell.source.strip().splitlines()[0][:50] if cell.source.strip() else ''})"
        if CHECK in tags(cell):
            if not errors:
                problems.append(f"{where}: the check passed on the student stub; "
                                "it must fail until the exercise is solved")
            elif errors[0]["ename"] not in ALLOWED_STUDENT_ERRORS:
                problems.append(f"{where}: the check failed with {errors[0]['ename']}, "
                                f"expected one of {ALLOWED_STUDENT_ERRORS}")
        elif errors:
            problems.append(f"{where}: raised {errors[0]['ename']}: {errors[0]['evalue']} (only check cells may fail)")
    return problems


def write(nb, path: Path) -> Path:
    """Write a notebook atomically (course_lib.checkpoint's one writer)."""
    text = nbformat.writes(nb)
    return write_text_atomic(path, text if text.endswith("\n") else text + "\n")


def build(sources: list[Path], out: Path) -> dict[str, list[Path]]:
    """Write ``out/instructor/NN_slug.ipynb`` and ``out/student/NN_slug.ipynb`` for each source."""
    built: dict[str, list[Path]] = {"instructor": [], "student": []}
    for source in sources:
        name = Path(source).with_suffix(".ipynb").name
        built["instructor"].append(write(instructor_edition(source), out / "instructor" / name))
        built["student"].append(write(student_edition(source), out / "student" / name))
    return built
