"""pytest plugin for nbval runs of the built editions (``-p authoring.pytest_plugin``).

* Student edition: a check cell must fail on the stub (NotImplementedError or AssertionError);
  nbval itself fails any other cell that raises.
* Every executed notebook is written, outputs included, to ``build/executed/<edition>/`` so the
  book is built from the very run that CI checked, and per-notebook times go to ``build/timings/``.
* A kernel that fails to start (nbval gives up after ``--nbval-kernel-startup-timeout`` and then
  errors every cell of the notebook) is started again, up to :data:`KERNEL_STARTS` times: on a
  loaded 2-core CI machine one start of 14_waveglow timed out while the other worker ran a notebook.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbval.kernel
import pytest

from authoring.editions import ALLOWED_STUDENT_ERRORS, write
from authoring.notebooks import CHECK, tags
from course_lib.settings import ROOT

KERNEL_STARTS = 3

_SEEN: dict[Path, tuple[str, object]] = {}
_SECONDS: dict[Path, float] = {}


def retrying(start_new_kernel, attempts: int = KERNEL_STARTS):
    """Wrap nbval's ``start_new_kernel`` so a start that raises RuntimeError is tried again."""

    def start(*args, **kwargs):
        for attempt in range(1, attempts + 1):
            try:
                return start_new_kernel(*args, **kwargs)
            except RuntimeError as err:
                if attempt == attempts:
                    raise RuntimeError(f"the kernel did not start in {attempts} attempts: {err}") from err
                print(f"kernel start {attempt} of {attempts} failed ({err}); starting a new kernel", flush=True)

    start.wrapped = start_new_kernel
    return start


def pytest_configure(config):
    if not hasattr(nbval.kernel.start_new_kernel, "wrapped"):
        nbval.kernel.start_new_kernel = retrying(nbval.kernel.start_new_kernel)


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
            report.longrepr = (f"{path.name}: check cell {item.cell_num} passed on the student stub; "
                               "it must fail until the exercise is solved")
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
