"""authoring.execute: kernel channels are polled in short slices, timeouts keep their meaning.

The stall this guards against (docs/HARDENING.md): one long poll of the shell channel sometimes misses
an ``execute_reply`` that has arrived, so a cell "takes" the whole cell timeout with the kernel idle.
"""

from __future__ import annotations

import asyncio
import time
from queue import Empty

import nbformat
import pytest

from authoring.execute import POLL_SLICE_S, execute, sliced


class MissingChannel:
    """A channel with the stall: a message that arrives while a poll is blocked is seen only by the next poll."""

    def __init__(self, arrives_after_s: float):
        self.arrives_at = time.monotonic() + arrives_after_s
        self.timeouts: list[float | None] = []

    async def get_msg(self, timeout=None):
        self.timeouts.append(timeout)
        if time.monotonic() >= self.arrives_at:  # queued before this poll began: seen
            return {"msg_type": "execute_reply"}
        await asyncio.sleep(timeout if timeout is not None else 3600)
        raise Empty  # arrived during the poll: missed


def test_a_reply_missed_by_one_poll_is_seen_by_the_next_slice():
    channel = MissingChannel(arrives_after_s=0.05)
    start = time.monotonic()
    msg = asyncio.run(sliced(channel.get_msg, slice_s=0.02)(timeout=30))
    assert msg["msg_type"] == "execute_reply"
    assert time.monotonic() - start < 5, "the reply waited for the whole timeout"
    assert len(channel.timeouts) > 1 and max(channel.timeouts) <= 0.02


def test_the_total_timeout_is_kept():
    channel = MissingChannel(arrives_after_s=3600)
    start = time.monotonic()
    with pytest.raises(Empty):
        asyncio.run(sliced(channel.get_msg, slice_s=0.05)(timeout=0.23))
    took = time.monotonic() - start
    assert 0.2 <= took < 1.0
    assert channel.timeouts[:4] == [0.05] * 4 and channel.timeouts[-1] < 0.05
    with pytest.raises(Empty):  # timeout 0: one poll, no wait
        asyncio.run(sliced(channel.get_msg, slice_s=0.05)(timeout=0))
    assert channel.timeouts[-1] == 0


def _notebook(*sources: str):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.mark.slow
def test_execute_polls_a_real_kernel_in_slices_and_still_times_out(tmp_path, monkeypatch):
    from jupyter_client.channels import AsyncZMQSocketChannel
    from nbclient.exceptions import CellTimeoutError

    polls: list[float | None] = []
    real = AsyncZMQSocketChannel.get_msg

    def recording(self, timeout=None):  # every poll of every channel, whoever makes it
        polls.append(timeout)
        return real(self, timeout=timeout)

    monkeypatch.setattr(AsyncZMQSocketChannel, "get_msg", recording)
    nb, _ = execute(_notebook("import time; time.sleep(2.5); print('done')"), tmp_path, timeout=60)
    assert nb.cells[0].outputs[0]["text"] == "done\n"
    longest = max(p for p in polls if p is not None)
    assert longest <= POLL_SLICE_S, f"a poll blocked for up to {longest} s: one long wait for the reply"
    start = time.monotonic()
    with pytest.raises(CellTimeoutError):  # the cell timeout still counts from the start of the cell
        execute(_notebook("import time; time.sleep(60)"), tmp_path, timeout=3)
    assert time.monotonic() - start < 30


def test_setup_kernel_polls_in_slices_too(tmp_path):
    """Cell-by-cell use (``setup_kernel`` + ``execute_cell``, as the wrong-answer runner does) must get
    the sliced channels as well: nbclient's sync wrapper once bypassed the override and a run hung."""
    from authoring.execute import SlicedPollClient

    client = SlicedPollClient(_notebook("x = 1"), timeout=60, kernel_name="python3",
                              resources={"metadata": {"path": str(tmp_path)}})
    with client.setup_kernel():
        for channel in (client.kc.shell_channel, client.kc.iopub_channel):
            assert channel.get_msg.__name__ == "get_msg_in_slices"
        client.execute_cell(client.nb.cells[0], 0)
