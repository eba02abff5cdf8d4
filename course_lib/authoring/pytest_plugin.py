"""pytest plugin for nbval runs of the built editions (``-p course_lib.authoring.pytest_plugin``).

* Student edition: a check cell must fail on the stub (NotImplementedError or AssertionError);
  nbval itself fails any other cell that raises.
* Every executed notebook is written, outputs included, to ``build/executed/<edition>/`` so the
  book is built from the very run that CI checked, and per-notebook times go to ``build/timings/``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from course_lib.authoring.editions import ALLOWED_STUDENT_ERRORS, write
from course_lib.authoring.notebooks import CHECK, tags
from course_lib.settings import ROOT

_SEEN: dict[Path, tuple[str, object]] = {}
_SECONDS: dict[Path, float] = {}


def _edition(path: Path) -> str:
    return "student" if "student" in path.parts else "instructor"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if call.when != "call" or not hasattr(item, "test_outputs"):
        return
    report = outcome.get_result()
    path = Path(str(item.parent.fspath))
    edition = _edition(path)
    _SEEN[path] = (edition, item.parent.nb)
    _SECONDS[path] = _SECONDS.get(path, 0.0) + call.duration
    outputs = list(item.test_outputs or [])
    item.cell.outputs = outputs
    item.cell.execution_count = item.cell_num + 1
    for out in outputs:
        if out.get("output_type") == "execute_result":
            out["execution_count"] = item.cell_num + 1
    if edition == "student" and CHECK in tags(item.cell) and report.passed:
        errors = [o for o in outputs if o.get("output_type") == "error"]
        if not errors:
            report.outcome = "failed"
            report.longrepr = f"{path.name}: check cell {item.cell_num} passed on the student stub; it must fail until the exercise is solved"
        elif errors[0]["ename"] not in ALLOWED_STUDENT_ERRORS:
            report.outcome = "failed"
            report.longrepr = (
                f"{path.name}: check cell {item.cell_num} failed with {errors[0]['ename']}: {errors[0]['evalue']}; "
                f"on the stub it must fail with one of {ALLOWED_STUDENT_ERRORS}"
            )


def pytest_sessionfinish(session, exitstatus):
    timings = ROOT / "build" / "timings"
    timings.mkdir(parents=True, exist_ok=True)
    for path, (edition, nb) in _SEEN.items():
        write(nb, ROOT / "build" / "executed" / edition / path.name)
        record = {"notebook": path.name, "edition": edition, "seconds": round(_SECONDS[path], 2),
                  "quick": os.environ.get("COURSE_QUICK", "0")}
        (timings / f"{edition}-{path.stem}.json").write_text(json.dumps(record))
