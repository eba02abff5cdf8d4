"""Executing built notebooks with nbclient (for `make book` and `authoring check`)."""

from __future__ import annotations

import inspect
import time
from pathlib import Path
from queue import Empty

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbclient.util import run_sync

#: seconds one poll of a kernel channel may block before it looks again (see :class:`SlicedPollClient`)
POLL_SLICE_S = 1.0


def sliced(get_msg, slice_s: float = POLL_SLICE_S):
    """Wrap a kernel channel's ``get_msg(timeout)`` so it polls in ``slice_s`` slices until the same
    total ``timeout`` (None: forever) and then raises :class:`queue.Empty`, as the original does."""

    async def get_msg_in_slices(timeout: float | None = None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = slice_s if deadline is None else min(slice_s, max(0.0, deadline - time.monotonic()))
            try:
                msg = get_msg(timeout=left)
                return await msg if inspect.isawaitable(msg) else msg
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    return get_msg_in_slices


class SlicedPollClient(NotebookClient):
    """A :class:`~nbclient.NotebookClient` that waits for the kernel's replies in short slices.

    nbclient waits for a cell's ``execute_reply`` with one poll of the shell channel lasting the
    whole cell timeout; now and then (1 run in 4 under load, docs/HARDENING.md) that poll misses a
    reply that has arrived, and the cell "takes" the full timeout with the kernel idle. A fresh poll
    every second sees it. The shell and IOPub channels (replies, outputs, the idle status) are both
    polled this way; timeouts keep their meaning, measured from the first poll.
    """

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        for channel in (kc.shell_channel, kc.iopub_channel):
            channel.get_msg = sliced(channel.get_msg)
        return kc

    # nbclient binds the sync wrapper to its own coroutine; rebind it, or `setup_kernel()` skips the slices
    start_new_kernel_client = run_sync(async_start_new_kernel_client)


def execute(nb, workdir: Path, *, allow_errors: bool = False, timeout: int = 600):
    """Run ``nb`` in place in a fresh python3 kernel; return ``(nb, seconds)``.

    Raises :class:`nbclient.exceptions.CellExecutionError` on the first failing cell unless
    ``allow_errors`` (cells tagged ``raises-exception`` may always fail); a cell running longer than
    ``timeout`` seconds raises :class:`nbclient.exceptions.CellTimeoutError`.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    client = SlicedPollClient(
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
    from authoring.editions import write

    write(nb, target)
    return seconds


__all__ = ["execute", "execute_file", "sliced", "SlicedPollClient", "CellExecutionError"]
