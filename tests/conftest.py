"""Shared fixtures: the built Jupyter Book site (used by the book and browser tests)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402

from authoring import notebooks  # noqa: E402

# `make test` runs two pytest workers on two cores: one torch thread each, or they oversubscribe
# the CPU and small-model tests run 10–60x slower (measured on this machine).
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _one_thread():
    """Every test starts on one torch thread, whatever the test before it set."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)

# A shared 2-core machine makes wall-clock deadlines flaky: property tests check values, not speed
# (speed lives in benchmarks/). CI derandomises so a red run can be replayed exactly.
hypothesis_settings.register_profile("course", deadline=None, print_blob=True)
hypothesis_settings.register_profile("ci", deadline=None, print_blob=True, derandomize=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "course")

EXECUTED = ROOT / "build" / "executed" / "instructor"


@pytest.fixture(scope="session")
def load_benchmark():
    """``load_benchmark("run_all")``: a script of benchmarks/ as a module (they are scripts, not a package)."""
    import importlib.util

    def load(name: str):
        spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    return load


@pytest.fixture(scope="session")
def html():
    stale = [s for s in notebooks.sources() if not (EXECUTED / f"{s.stem}.ipynb").exists()]
    if stale:  # `make test` executes them under nbval first; alone, execute them here
        env = dict(os.environ, COURSE_QUICK="1")
        subprocess.run([sys.executable, "-m", "authoring", "build"], check=True, env=env)
        subprocess.run([sys.executable, "-m", "authoring", "execute"], check=True, env=env)
    from authoring.book import build

    return build()


