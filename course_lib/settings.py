"""The one place notebooks read run-time settings from: quick mode, seeding, device, asset paths.

Quick mode (``COURSE_QUICK=1``, set by CI) shrinks every training loop so each notebook runs in
well under 90 s on two CPU cores. Notebooks never read the environment themselves; they call
:func:`pick` (or read :data:`QUICK`) and :func:`use_threads`.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import TypeVar

import numpy as np

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def _read_quick() -> bool:
    raw = os.environ.get("COURSE_QUICK", "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValueError(
        f"COURSE_QUICK={raw!r} is not understood: use 1 (quick mode) or 0 (full runs)."
    )


#: True when the course runs in quick mode (``COURSE_QUICK=1``).
QUICK: bool = _read_quick()

def _read_threads() -> int | None:
    raw = os.environ.get("COURSE_THREADS", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"COURSE_THREADS={raw!r} must be a positive whole number of CPU threads.")
    return int(raw)


#: CPU threads for torch (``COURSE_THREADS``), applied as soon as this module is imported when set;
#: CI sets 1 because it runs two notebooks at once on two cores, and oversubscribed threads make
#: torch many times slower, not faster. ``None`` when unset (then :func:`use_threads` decides).
THREADS: int | None = _read_threads()
if THREADS is not None:
    import torch

    torch.set_num_threads(THREADS)


def use_threads(default: int = 1) -> int:
    """Give torch ``COURSE_THREADS`` CPU threads if that is set, else ``default``; return the number.

    Each notebook calls this once in its first cell. The course's models are small, and one thread
    runs their many small matrix products faster than several; ``COURSE_THREADS=4`` changes every
    notebook at once, with no cell to edit.
    """
    if isinstance(default, bool) or not isinstance(default, int) or default < 1:
        raise ValueError(f"default must be a positive whole number of CPU threads, got {default!r}.")
    import torch

    threads = THREADS if THREADS is not None else default
    torch.set_num_threads(threads)
    return threads


#: The repository root (the folder holding ``course_lib/`` and ``assets/``).
ROOT: Path = Path(__file__).resolve().parent.parent

#: Where the course's shipped data and checkpoints live (override with ``COURSE_ASSETS``).
ASSETS: Path = Path(os.environ.get("COURSE_ASSETS", ROOT / "assets"))


def pick(full: T, quick: T) -> T:
    """Return ``quick`` in quick mode and ``full`` otherwise (e.g. ``steps = pick(2000, 50)``)."""
    return quick if QUICK else full


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch so that the same seed gives the same numbers on a CPU."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a course dependency
        return
    torch.manual_seed(seed)


def device(prefer: str | None = None):
    """The torch device to use: ``prefer`` if given, else CUDA when present, else the CPU."""
    import torch

    if prefer is not None:
        dev = torch.device(prefer)
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"device {prefer!r} was asked for but CUDA is not available here; use 'cpu'.")
        return dev
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def asset_path(*parts: str) -> Path:
    """Path to a shipped asset, with a clear error if it is missing."""
    path = ASSETS.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(
            f"course asset {path} is missing. Assets ship with the repository; "
            "run `git status assets/` or re-create it with the command in assets/MANIFEST.md."
        )
    return path
