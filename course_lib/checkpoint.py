"""Checkpoints that are never half-written and never run foreign code.

Save: ``torch.save`` into a temporary file in the same folder, flush to disk, then ``os.replace``
(atomic on POSIX), so a crash mid-write leaves the previous checkpoint intact. A temporary file
left by a writer that was killed (SIGKILL, power loss) is removed by the next successful save.
A write that fails (disk full, quota, I/O error) removes its temporary and raises one
:class:`WriteFailed` line naming the file and what to do. The new file gets the mode of the file it
replaces, or ``0o666`` less the umask (as ``open`` would); a symlink is written through, not replaced.
Load: ``torch.load(..., weights_only=True)``, which refuses pickled code.
"""

from __future__ import annotations

import errno
import hashlib
import os
import pickle
import re
import shutil
import stat
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


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes (manifests, the corpus, the feature cache)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_checkpoint(path: str | os.PathLike, payload: dict[str, Any]) -> Path:
    """Write ``payload`` to ``path`` atomically and return the path."""
    if not isinstance(payload, dict):
        raise TypeError(f"a checkpoint payload must be a dict, got {type(payload).__name__}")
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"checkpoint path {path} is a folder; "
                                f"give a file name such as {path / 'checkpoint.pt'}")
    return _write_atomic(path, lambda handle: torch.save(payload, handle))


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` the same way: a reader sees the old file or the new, never half."""
    return _write_atomic(Path(path), lambda handle: handle.write(text.encode("utf-8")))


class WriteFailed(OSError):
    """A file could not be written; the message is one line: which file, why, what is kept, what to do."""


#: torch reports a failed write (a full disk) as RuntimeError("[enforce fail at inline_container.cc] unexpected pos …")
_TORCH_WRITE_FAILED = re.compile(r"unexpected pos|PytorchStreamWriter failed|inline_container")

#: errno values that mean "no room": the disk (or the user's quota) is full.
_NO_SPACE = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG}


def _umask() -> int:
    try:  # Linux shows it without changing it (os.umask would, for a moment, in every thread)
        with open("/proc/self/status", encoding="ascii") as f:
            return next(int(line.split()[1], 8) for line in f if line.startswith("Umask:"))
    except (OSError, StopIteration, ValueError, IndexError):
        mask = os.umask(0o022)
        os.umask(mask)
        return mask


def new_file_mode(path: Path) -> int:
    """The mode ``path`` keeps when it is replaced: its own, or ``0o666 & ~umask`` for a new file."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~_umask()


class _Recorder:
    """A file handle that remembers the first ``OSError`` of a write (torch hides it behind its own error);
    ``.path`` is the temporary file's path, for writers that need a name."""

    def __init__(self, handle, path: str):
        self._handle, self.path, self.error = handle, path, None

    def __getattr__(self, name):
        return getattr(self._handle, name)

    def write(self, data):
        try:
            return self._handle.write(data)
        except OSError as err:
            self.error = self.error or err
            raise


def _write_failure(path: Path, err: BaseException, folder: Path, existed: bool, kept: str = "") -> WriteFailed:
    kept = kept or ("the previous file is unchanged" if existed else "nothing was written")
    errors = [err, getattr(err, "__cause__", None), getattr(err, "__context__", None)]
    codes = {getattr(e, "errno", None) for e in errors if isinstance(e, OSError)}
    try:
        full = bool(codes & _NO_SPACE) or shutil.disk_usage(folder).free < (1 << 20)
    except OSError:
        full = False
    if full:
        reason = f"the disk is full (no space left in {folder})"
        advice = "free some space or choose a folder on another disk, then run the same command again"
    else:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        reason = f"the write failed ({getattr(err, 'strerror', None) or first})"
        advice = "check the disk and the folder's permissions, then run the same command again"
    failure = WriteFailed(f"could not write {path}: {reason}; {kept}. {advice[0].upper()}{advice[1:]}.")
    failure.errno = errno.ENOSPC if full else getattr(err, "errno", None)
    return failure


def _write_atomic(path: Path, write) -> Path:
    """``write(binary handle)`` into a temporary file beside ``path``, fsync, ``os.replace``; then tidy up.

    A symlink ``path`` is written through (its target is replaced). Any failure removes the temporary
    and raises :class:`WriteFailed`; the previous file at ``path`` is untouched.
    """
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    existed, mode = path.exists(), new_file_mode(path)
    fd, tmp = tempfile.mkstemp(prefix=f"{_temp_prefix(path)}{os.getpid()}.", suffix=".tmp", dir=path.parent)
    recorder = None
    try:
        with os.fdopen(fd, "wb") as handle:
            recorder = _Recorder(handle, tmp)
            write(recorder)
            handle.flush()
            os.fsync(handle.fileno())
            os.fchmod(handle.fileno(), mode)
        os.replace(tmp, path)
    except Exception as err:
        _remove(tmp)
        cause = (recorder and recorder.error) or err
        if not (isinstance(cause, OSError) or _TORCH_WRITE_FAILED.search(str(err))):
            raise  # not a failed write (e.g. an object that cannot be pickled): the caller's bug, unchanged
        raise _write_failure(path, cause, path.parent, existed) from None
    except BaseException:
        _remove(tmp)
        raise
    remove_stale_temporaries(path)
    return path


def append_line(path: str | os.PathLike, line: str) -> None:
    """Append ``line`` and a newline to a log (not atomic: readers drop a cut last line); a failed write is
    one :class:`WriteFailed` line naming the log, as for :func:`save_checkpoint`."""
    path = Path(path)
    existed = path.exists()
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")
    except OSError as err:
        raise _write_failure(path, err, path.parent, existed,
                             "its earlier lines are kept" if existed else "") from None


def _remove(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass


def _why_refused(err: BaseException, head: bytes = b"PK") -> str:
    """One line on why torch.load failed, without torch's advice to turn ``weights_only`` off.

    ``head``: the file's first bytes. A PyTorch file is a zip archive (``PK``) or, before torch 1.6, a
    pickle (protocol 2+ starts with ``0x80``); anything else is not a checkpoint at all.
    """
    text = str(err)
    if not head:
        return "it is empty (0 bytes): a copy or download that did not finish; re-create or re-download it"
    if not head.startswith((b"PK", b"\x80")):
        return (f"it is not a PyTorch checkpoint (it starts with bytes {head[:4].hex(' ')}, not a zip archive or "
                "a pickle): the file is corrupt or something else; re-download or re-create it")
    if re.search(r"Unsupported operand|invalid load key", text):
        return ("it is corrupt (its pickled data holds bytes that are not pickle instructions); "
                "re-download or re-create it")
    found = re.search(r"unsupported GLOBAL (\S+)", text) or re.search(r"Unsupported global: GLOBAL (\S+)", text)
    if found:
        return (f"it holds a pickled Python object ({found.group(1).rstrip('.,')}), not only tensors and plain data, "
                "and the course never runs pickled code. NVIDIA's pickled WaveGlow loads with "
                "course_lib.tts.nvidia.load_nvidia_waveglow")
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
        with open(path, "rb") as f:
            head = f.read(4)
        raise ValueError(f"checkpoint {path} could not be loaded safely: {_why_refused(err, head)}.") from None
    if not isinstance(payload, dict):
        raise ValueError(f"checkpoint {path} holds a {type(payload).__name__}, expected a dict.")
    return payload
