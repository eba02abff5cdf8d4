"""Checkpoints that are never half-written and never run foreign code.

Save: ``torch.save`` into a temporary file in the same folder, flush to disk, then ``os.replace``
(atomic on POSIX), so a crash mid-write leaves the previous checkpoint intact. A temporary file
left by a writer that was killed (SIGKILL, power loss) is removed by the next successful save.
Load: ``torch.load(..., weights_only=True)``, which refuses pickled code.
"""

from __future__ import annotations

import os
import pickle
import re
import tempfile
import warnings
from pathlib import Path
from typing import Any

import torch


def _temp_prefix(path: Path) -> str:
    return f".{path.name}."


def _writer_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def remove_stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Delete the temporary files of writers of ``path`` that died mid-save; return what was removed.

    Temporary names are ``.<name>.<pid>.<random>.tmp``; a file whose writer process is still running
    is left alone (it may be about to ``os.replace`` it).
    """
    path = Path(path)
    pattern = re.compile(re.escape(_temp_prefix(path)) + r"(\d+)\.[^/]*\.tmp$")
    removed = []
    if not path.parent.is_dir():
        return removed
    for candidate in path.parent.iterdir():
        match = pattern.match(candidate.name)
        if match and int(match.group(1)) != os.getpid() and not _writer_alive(int(match.group(1))):
            try:
                candidate.unlink()
                removed.append(candidate)
            except FileNotFoundError:  # another process cleaned it first
                pass
    return removed


def save_checkpoint(path: str | os.PathLike, payload: dict[str, Any]) -> Path:
    """Write ``payload`` to ``path`` atomically and return the path."""
    if not isinstance(payload, dict):
        raise TypeError(f"a checkpoint payload must be a dict, got {type(payload).__name__}")
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"checkpoint path {path} is a folder; give a file name such as {path / 'checkpoint.pt'}")
    return _write_atomic(path, lambda handle: torch.save(payload, handle))


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` the same way: a reader sees the old file or the new, never half."""
    return _write_atomic(Path(path), lambda handle: handle.write(text.encode("utf-8")))


def _write_atomic(path: Path, write) -> Path:
    """``write(binary handle)`` into a temporary file beside ``path``, fsync, ``os.replace``; then tidy up."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{_temp_prefix(path)}{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    remove_stale_temporaries(path)
    return path


def _why_refused(err: BaseException) -> str:
    """One line on why torch.load failed, without torch's advice to turn ``weights_only`` off."""
    text = str(err)
    found = re.search(r"unsupported GLOBAL (\S+)", text) or re.search(r"Unsupported global: GLOBAL (\S+)", text)
    if found:
        return (f"it holds a pickled Python object ({found.group(1).rstrip('.,')}), not only tensors and plain data, "
                "and the course never runs pickled code. NVIDIA's pickled WaveGlow loads with "
                "course_lib.tts.checkpoints.load_nvidia_waveglow")
    if isinstance(err, pickle.UnpicklingError) and "Weights only load failed" in text:
        return ("it holds pickled Python objects, not only tensors and plain data, "
                "and the course never runs pickled code")
    if "central directory" in text or "zip archive" in text:
        return "it is corrupt, truncated or not a PyTorch file (its zip archive is incomplete)"
    if isinstance(err, EOFError):
        return "it is corrupt, truncated or empty (the data ends too early)"
    return f"it is corrupt, truncated or not a PyTorch file ({type(err).__name__} while unpickling)"


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint written by :func:`save_checkpoint` (tensors and plain data only)."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"checkpoint {path} is a folder, not a file; give the checkpoint file inside it")
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist; check the path or train first.")
    try:
        with warnings.catch_warnings():  # torch's note on a foreign pickle protocol: the error below says more
            warnings.filterwarnings("ignore", message="Detected pickle protocol")
            payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # unpickling errors come in many types
        raise ValueError(f"checkpoint {path} could not be loaded safely: {_why_refused(err)}.") from None
    if not isinstance(payload, dict):
        raise ValueError(f"checkpoint {path} holds a {type(payload).__name__}, expected a dict.")
    return payload
