"""Executing built notebooks with nbclient (for `make book` and `authoring check`)."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def execute(nb, workdir: Path, *, allow_errors: bool = False, timeout: int = 600):
    """Run ``nb`` in place in a fresh python3 kernel; return ``(nb, seconds)``.

    Raises :class:`nbclient.exceptions.CellExecutionError` on the first failing cell unless
    ``allow_errors`` (cells tagged ``raises-exception`` may always fail).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
        resources={"metadata": {"path": str(workdir)}},
    )
    start = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - start


def execute_file(source: Path, target: Path, **kwargs) -> float:
    """Execute the notebook file ``source`` and write it, outputs included, to ``target``."""
    nb = nbformat.read(source, as_version=4)
    nb, seconds = execute(nb, target.parent, **kwargs)
    from course_lib.authoring.editions import write

    write(nb, target)
    return seconds


__all__ = ["execute", "execute_file", "CellExecutionError"]
