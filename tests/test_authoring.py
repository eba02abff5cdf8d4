"""The edition builder, validator, drift check and workspace sync (course foundation)."""

import textwrap

import nbformat
import pytest

from authoring import drift, editions, notebooks, workspace

HEADER = textwrap.dedent("""\
    ---
    jupytext:
      text_representation:
        extension: .md
        format_name: myst
    kernelspec:
      display_name: Python 3
      language: python
      name: python3
    ---
    """)


def cell(source, tag=None):
    opts = f":tags: [{tag}]\n\n" if tag else ""
    return f"```{{code-cell}} ipython3\n{opts}{source}\n```\n\n"


EXERCISE = cell('def double(x):\n    """Twice x."""\n    ### BEGIN SOLUTION\n'
                '    return x * 2 + 0  # secret doubling line\n    ### END SOLUTION', "exercise")
CHECK = cell('assert double(3) == 6\nprint("✓ ok")', "check")


def write_md(tmp_path, body, name="05_demo.md"):
    path = tmp_path / name
    path.write_text(HEADER + "\n# Demo\n\n" + body)
    return path


def test_valid_source_lists_its_exercises(tmp_path):
    path = write_md(tmp_path, cell("x = 1") + EXERCISE + CHECK)
    exercises = notebooks.validate(notebooks.read(path), path)
    assert [(e.number, e.cell, e.check) for e in exercises] == [(1, 2, 3)]
    assert "secret doubling line" in exercises[0].solution


@pytest.mark.parametrize(
    "body, message, cell_number",
    [
        (cell("def f():\n    ### BEGIN SOLUTION\n    return 1", "exercise") + CHECK, "without a matching", 2),
        (cell("def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    ### END SOLUTION", "exercise") + CHECK,
         "nested", 2),
        (cell("def f():\n    ### END SOLUTION", "exercise") + CHECK, "without a matching", 2),
        (CHECK, "must directly follow an exercise", 2),
        (EXERCISE, "has no check cell", 2),
        (EXERCISE + cell("y = 2") + CHECK, "has no check cell", 2),
        (cell("def f():\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION"), "not tagged 'exercise'", 2),
        (cell("def f():\n    return 1", "exercise") + CHECK, "needs a solution", 2),
    ],
)
def test_malformed_markers_give_one_clear_error_naming_file_and_cell(tmp_path, body, message, cell_number):
    path = write_md(tmp_path, body)
    with pytest.raises(notebooks.AuthoringError) as err:
        editions.student_edition(path)
    assert message in str(err.value)
    assert str(err.value).startswith(f"05_demo.md, cell {cell_number}:")


def test_missing_kernelspec_is_reported(tmp_path):
    path = tmp_path / "05_demo.md"
    path.write_text("# no header\n\n" + EXERCISE)
    with pytest.raises(notebooks.AuthoringError, match="kernelspec"):
        notebooks.read(path)


def test_student_edition_stubs_solutions_and_tags_checks(tmp_path):
    path = write_md(tmp_path, EXERCISE + CHECK)
    student = editions.student_edition(path)
    code = [c for c in student.cells if c.cell_type == "code"]
    assert 'raise NotImplementedError("Exercise 05.1:' in code[0].source
    assert "secret doubling line" not in code[0].source and "BEGIN SOLUTION" not in code[0].source
    assert code[0].source.startswith("def double(x):")
    assert "raises-exception" in code[1].metadata["tags"]
    assert code[0].metadata["nbgrader"]["solution"] is True
    assert code[1].metadata["nbgrader"]["grade"] is True
    assert student.metadata["course"]["edition"] == "student"
    assert "jupytext" not in student.metadata, "a built notebook must not ask Lab to pair it with a .md"
    assert editions.leaked_solutions(editions.instructor_edition(path), student) == []


def test_leak_detector_finds_solution_text(tmp_path):
    path = write_md(tmp_path, EXERCISE + CHECK)
    instructor = editions.instructor_edition(path)
    student = editions.student_edition(path)
    student.cells[-1].source += "\nreturn x * 2 + 0  # secret doubling line"
    assert editions.leaked_solutions(instructor, student) == ["return x * 2 + 0  # secret doubling line"]


def _executed(cells):
    nb = nbformat.v4.new_notebook()
    for source, tag, error in cells:
        c = nbformat.v4.new_code_cell(source)
        if tag:
            c.metadata["tags"] = [tag]
        if error:
            c.outputs = [nbformat.v4.new_output("error", ename=error, evalue="", traceback=[])]
        nb.cells.append(c)
    return nb


def test_student_run_rules():
    good = _executed([("def f(): ...", "exercise", None), ("assert f()", "check", "NotImplementedError")])
    assert editions.student_run_problems(good) == []
    passing_check = _executed([("def f(): ...", "exercise", None), ("assert True", "check", None)])
    assert "passed on the student stub" in editions.student_run_problems(passing_check)[0]
    wrong_error = _executed([("def f(): ...", "exercise", None), ("f()", "check", "NameError")])
    assert "NameError" in editions.student_run_problems(wrong_error)[0]
    broken_main_path = _executed([("import nope", None, "ModuleNotFoundError")])
    assert "only check cells may fail" in editions.student_run_problems(broken_main_path)[0]


def test_workspace_never_overwrites_learner_work(tmp_path):
    student, ws = tmp_path / "student", tmp_path / "workspace"
    student.mkdir()
    (student / "01_a.ipynb").write_text("new edition 1")
    (student / "02_b.ipynb").write_text("new edition 2")
    ws.mkdir()
    (ws / "01_a.ipynb").write_text("my answers")
    copied, kept = workspace.sync(student, ws)
    assert [p.name for p in copied] == ["02_b.ipynb"] and [p.name for p in kept] == ["01_a.ipynb"]
    assert (ws / "01_a.ipynb").read_text() == "my answers"
    assert (ws / "02_b.ipynb").read_text() == "new edition 2"
    (student / "02_b.ipynb").write_text("changed upstream")
    workspace.sync(student, ws)
    assert (ws / "02_b.ipynb").read_text() == "new edition 2"


def test_drift_check_detects_a_changed_library_function(tmp_path):
    import inspect

    from course_lib.nn import perceptron

    source = inspect.getsource(perceptron.perceptron_step)
    same = cell("# course_lib: course_lib.nn.perceptron.perceptron_step\n" + source.rstrip())
    changed = cell("# course_lib: course_lib.nn.perceptron.perceptron_step\n" + source.replace("<= 0", "< 0").rstrip())
    missing = cell("# course_lib: course_lib.nn.perceptron.no_such_thing\npass")
    path = write_md(tmp_path, same + changed + missing)
    problems = drift.drift(notebooks.read(path))
    assert len(problems) == 2
    assert problems[0].startswith("cell 3: differs from course_lib.nn.perceptron.perceptron_step")
    assert "no attribute 'no_such_thing'" in problems[1]


def test_cli_reports_authoring_errors_with_exit_code_2(tmp_path, capsys):
    from authoring.__main__ import main

    path = write_md(tmp_path, EXERCISE)
    assert main(["build", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "05_demo.md, cell 2: this exercise has no check cell" in capsys.readouterr().err
    assert not (tmp_path / "out" / "student").exists()


def test_book_toc_follows_sources():
    from authoring.book import toc

    text = toc(["00_welcome", "01_perceptron", "07_sound", "A_fact_check"], ["glossary"])
    assert text.startswith("format: jb-book\nroot: notebooks/00_welcome\n")
    positions = [text.index(f"notebooks/{name}") for name in ("01_perceptron", "07_sound", "A_fact_check")]
    assert positions == sorted(positions)
    assert "Part III" not in text and "      - file: glossary" in text
    import yaml

    parsed = yaml.safe_load(toc(["00_welcome", "12_wavenet"], []))  # "Vocoders: WaveNet" has a colon
    assert parsed["parts"][0]["caption"].startswith("Part IV — Vocoders: WaveNet")


def test_book_drops_progress_bars_and_notes_widgets():
    from authoring.book import WIDGET_MIME, WIDGET_NOTE, _static_widgets

    def widget(text):
        return nbformat.v4.new_output("display_data", data={WIDGET_MIME: {"model_id": "x"}, "text/plain": text})

    image = nbformat.v4.new_output("display_data", data={"image/png": "iVBOR", "text/plain": "<Figure>"})
    nb = nbformat.v4.new_notebook()
    plain = nbformat.v4.new_code_cell("explorer")
    plain.outputs = [widget("VBox(children=(IntSlider(),))"), widget("training:   0%|          | 0/8 [00:00<?, ?it/s]")]
    figure = nbformat.v4.new_code_cell("plot")
    figure.metadata["mystnb"] = {"figure": {"caption": "c", "name": "fig-x"}}
    audio = nbformat.v4.new_output("display_data", data={"text/html": "<audio>", "text/plain": "Audio"})
    figure.outputs = [widget("VBox()"), image, audio]
    nb.cells = [plain, figure]
    _static_widgets(nb)
    assert [o["data"]["text/markdown"] for o in plain.outputs] == [WIDGET_NOTE]
    assert nb.cells[1].outputs == [image], "a captioned cell keeps only its figure"
    assert nb.cells[2].outputs == [audio] and "remove-input" in nb.cells[2].metadata["tags"]


def test_glossary_links_only_prose_and_only_once():
    from authoring.glossary import link_first_uses

    cells = ["# perceptron\nThe `perceptron` and $margin$ of a perceptron, [margin](x), margin.", "A perceptron again."]
    first, second = link_first_uses(cells, ["perceptron", "margin"])
    assert first == ("# perceptron\nThe `perceptron` and $margin$ of a {term}`perceptron <perceptron>`, [margin](x), "
                     "{term}`margin <margin>`.")
    assert second == "A perceptron again."
