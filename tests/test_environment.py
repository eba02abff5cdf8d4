"""environment.yml (exact pins) and pyproject.toml (ranges) must agree."""

import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import pins  # noqa: E402


def _pyproject_requirements():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    reqs = data["project"]["dependencies"] + data["project"]["optional-dependencies"]["dev"]
    return {canonicalize_name(Requirement(r).name): Requirement(r) for r in reqs}


def _environment_pins():
    result = {}
    for pin in pins.pins(ROOT / "environment.yml"):
        name, version = pin.split("==")
        result[canonicalize_name(name)] = version
    return result


def test_every_dependency_is_pinned_and_the_pin_satisfies_the_range():
    reqs, env = _pyproject_requirements(), _environment_pins()
    assert set(reqs) == set(env), (f"only in pyproject: {set(reqs) - set(env)}; "
                                   f"only in environment.yml: {set(env) - set(reqs)}")
    for name, req in reqs.items():
        assert req.specifier.contains(env[name], prereleases=True), (
            f"{name}=={env[name]} is outside pyproject's {req.specifier}")


def test_torch_is_pinned_to_the_cpu_wheel_on_disk():
    assert _environment_pins()["torch"] == "2.13.0"


def test_python_version_agrees():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert data["project"]["requires-python"] == ">=3.11"
    assert re.search(r"^\s*-\s*python=3\.11\s*$", (ROOT / "environment.yml").read_text(), re.M)
