"""The learner's workspace: student notebooks copied in once, never overwritten."""

from __future__ import annotations

import shutil
from pathlib import Path


def sync(student_dir: Path, workspace: Path) -> tuple[list[Path], list[Path]]:
    """Copy each student notebook into ``workspace`` unless a file of that name is already there.

    Returns ``(copied, kept)``: the learner's own copies are never touched, so no work is lost.
    """
    if not Path(student_dir).is_dir():
        raise ValueError(f"student_dir {student_dir} is not a folder of built notebooks; "
                         "run `python -m authoring build` first")
    workspace.mkdir(parents=True, exist_ok=True)
    copied, kept = [], []
    for notebook in sorted(Path(student_dir).glob("*.ipynb")):
        target = workspace / notebook.name
        if target.exists():
            kept.append(target)
        else:
            shutil.copy2(notebook, target)
            copied.append(target)
    return copied, kept
