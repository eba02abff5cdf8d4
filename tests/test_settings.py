import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from course_lib import settings
from course_lib.checkpoint import load_checkpoint, save_checkpoint


def _quick(value):
    env = dict(os.environ, COURSE_QUICK=value)
    code = "from course_lib import settings; print(settings.QUICK, settings.pick(full=10, quick=1))"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)


@pytest.mark.parametrize("value, expected", [("1", "True 1"), ("true", "True 1"), ("0", "False 10"), ("", "False 10")])
def test_quick_mode_is_one_setting(value, expected):
    assert _quick(value).stdout.strip() == expected


def test_bad_quick_value_is_a_clear_error():
    result = _quick("maybe")
    assert result.returncode != 0 and "COURSE_QUICK='maybe' is not understood" in result.stderr


def test_same_seed_same_numbers():
    settings.seed_everything(7)
    a = (np.random.rand(3), torch.randn(3))
    settings.seed_everything(7)
    b = (np.random.rand(3), torch.randn(3))
    assert np.array_equal(a[0], b[0]) and torch.equal(a[1], b[1])
    settings.seed_everything(8)
    assert not torch.equal(torch.randn(3), a[1])


@pytest.mark.parametrize("seed", [-1, 1.5, "3", True])
def test_bad_seed(seed):
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        settings.seed_everything(seed)


def test_missing_asset_message():
    with pytest.raises(FileNotFoundError, match="course asset .* is missing"):
        settings.asset_path("no", "such", "file.bin")


def test_device_refuses_absent_cuda():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        settings.device("cuda")
    assert settings.device().type == "cpu"


def test_checkpoint_round_trip_and_atomicity(tmp_path):
    path = tmp_path / "ck" / "model.pt"
    save_checkpoint(path, {"w": torch.arange(3.0), "step": 5})
    assert load_checkpoint(path)["step"] == 5
    assert [p.name for p in path.parent.iterdir()] == ["model.pt"], "no temporary file left behind"

    class Boom:
        def __reduce__(self):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        save_checkpoint(path, {"bad": Boom()})
    assert load_checkpoint(path)["step"] == 5, "a failed save keeps the previous checkpoint"
    assert [p.name for p in path.parent.iterdir()] == ["model.pt"]


def test_text_files_are_written_atomically_too(tmp_path):
    from course_lib.checkpoint import write_text_atomic

    path = tmp_path / "run" / "MANIFEST.json"
    write_text_atomic(path, "{\"step\": 1} — ok\n")
    assert path.read_text(encoding="utf-8") == "{\"step\": 1} — ok\n"
    with pytest.raises(AttributeError):
        write_text_atomic(path, None)  # fails mid-write
    assert path.read_text(encoding="utf-8").startswith("{\"step\": 1}"), "a failed write keeps the old file"
    assert [p.name for p in path.parent.iterdir()] == ["MANIFEST.json"], "no temporary file left behind"


def test_malicious_pickle_is_refused_without_running(tmp_path):
    import pickle

    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "evil.pt"
    with open(path, "wb") as handle:
        torch.save({"x": Evil()}, handle, pickle_module=pickle)
    with pytest.raises(ValueError, match="could not be loaded safely"):
        load_checkpoint(path)
    assert not marker.exists()


def test_truncated_checkpoint_is_reported(tmp_path):
    path = tmp_path / "m.pt"
    save_checkpoint(path, {"w": torch.zeros(100)})
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(ValueError, match="corrupt, truncated"):
        load_checkpoint(path)


def test_threads_setting():
    env = dict(os.environ, COURSE_THREADS="1")
    code = "import torch; from course_lib import settings; print(settings.THREADS, torch.get_num_threads())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["1", "1"]
    env["COURSE_THREADS"] = "zero"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert "COURSE_THREADS='zero' must be a positive whole number" in out.stderr


def _threads(env_value):
    env = dict(os.environ)
    env.pop("COURSE_THREADS", None)
    if env_value is not None:
        env["COURSE_THREADS"] = env_value
    code = ("import torch; torch.set_num_threads(2); from course_lib import settings; "
            "print(settings.use_threads(), torch.get_num_threads(), settings.use_threads(3), torch.get_num_threads())")
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)


def test_use_threads_defaults_to_one_thread_like_the_notebooks_did():
    result = _threads(None)
    assert result.stdout.split() == ["1", "1", "3", "3"], result.stderr


def test_course_threads_overrides_every_use_threads_call():
    result = _threads("2")
    assert result.stdout.split() == ["2", "2", "2", "2"], result.stderr


@pytest.mark.parametrize("default", [0, -1, 1.5, "2", True, None])
def test_use_threads_rejects_a_bad_default(default):
    with pytest.raises(ValueError, match="default must be a positive whole number of CPU threads"):
        settings.use_threads(default)


def test_notebooks_set_threads_only_through_settings():
    from authoring.notebooks import sources

    for source in sources():
        text = source.read_text(encoding="utf-8")
        assert "set_num_threads" not in text, (
            f"{source.name}: call settings.use_threads() instead of torch.set_num_threads")
        if "import torch" in text:
            assert "settings.use_threads()" in text, (
                f"{source.name} uses torch: call settings.use_threads() in its first cell (docs/AUTHORING.md)")
