"""The nbval plugin starts a kernel again when a start fails, instead of erroring a whole notebook."""

import pytest

from authoring.pytest_plugin import retrying


def flaky(failures):
    calls = []

    def start_new_kernel(**kwargs):
        calls.append(kwargs)
        if len(calls) <= failures:
            raise RuntimeError("Kernel didn't respond in 60 seconds")
        return "km", "kc"

    return start_new_kernel, calls


def test_a_failed_start_is_tried_again():
    start, calls = flaky(failures=2)
    assert retrying(start, attempts=3)(startup_timeout=5) == ("km", "kc")
    assert calls == [{"startup_timeout": 5}] * 3


def test_gives_up_after_the_last_attempt_with_the_reason():
    start, calls = flaky(failures=3)
    with pytest.raises(RuntimeError, match="did not start in 3 attempts: Kernel didn't respond"):
        retrying(start, attempts=3)()
    assert len(calls) == 3


def test_the_plugin_wraps_nbval_once():
    import nbval.kernel

    from authoring import pytest_plugin

    pytest_plugin.pytest_configure(None)
    pytest_plugin.pytest_configure(None)
    assert nbval.kernel.start_new_kernel.wrapped.__name__ == "start_new_kernel"
    assert not hasattr(nbval.kernel.start_new_kernel.wrapped, "wrapped")
