"""Safe loading: no course_lib code unpickles without ``weights_only=True`` or the restricted unpickler,
and every loader refuses a malicious pickle *without running it* (its marker file never appears).

A pickle's ``__reduce__`` can name any function to call at load time; ``torch.load(weights_only=False)``
(the default before torch 2.6) and ``pickle.load`` run it. The course never does.
"""

from __future__ import annotations

import ast
import os
import pickle
from pathlib import Path

import pytest
import torch

pytestmark = pytest.mark.filterwarnings("ignore:Detected pickle protocol")  # torch's note on raw pickles

ROOT = Path(__file__).resolve().parent.parent
SCANNED = [ROOT / "course_lib", ROOT / "benchmarks", ROOT / "scripts"]

# ------------------------------------------------------------------------------ source scan
#: Calls that unpickle: module aliases are resolved from the file's imports.
PICKLE_LOADS = {"pickle.load", "pickle.loads", "pickle.Unpickler", "_pickle.load", "_pickle.loads",
                "dill.load", "dill.loads", "joblib.load", "cloudpickle.load", "cloudpickle.loads",
                "pandas.read_pickle", "torch.serialization.load", "torch.load"}


def _aliases(tree: ast.AST) -> dict[str, str]:
    """Local name → dotted origin, from ``import x as y`` and ``from x import y as z``."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                names[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                names[a.asname or a.name] = f"{node.module}.{a.name}"
    return names


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(aliases.get(node.id, node.id))
    return ".".join(reversed(parts))


def _keyword(call: ast.Call, name: str):
    return next((k.value for k in call.keywords if k.arg == name), None)


def unsafe_loads(source: str, where: str = "<source>") -> list[str]:
    """``where:line: problem`` for every unpickling call in ``source`` that could run pickled code."""
    tree = ast.parse(source, where)
    aliases = _aliases(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):  # subclassing pickle.Unpickler to *restrict* find_class is the safe way
            continue
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func, aliases)
        at = f"{where}:{node.lineno}"
        if name in ("torch.load", "torch.serialization.load"):
            weights_only = _keyword(node, "weights_only")
            pickle_module = _keyword(node, "pickle_module")
            if isinstance(weights_only, ast.Constant) and weights_only.value is True:
                continue
            restricted = pickle_module is not None and _dotted(pickle_module, aliases) not in (
                "pickle", "_pickle", "dill", "cloudpickle", None)
            if restricted:  # weights_only=False with the course's restricted unpickler (NVIDIA's pickled WaveGlow)
                continue
            found.append(f"{at}: {name}(...) without weights_only=True")
        elif name in PICKLE_LOADS:
            found.append(f"{at}: {name}(...) runs whatever the pickle names")
        elif name in ("numpy.load", "np.load") and isinstance(_keyword(node, "allow_pickle"), ast.Constant) \
                and _keyword(node, "allow_pickle").value is True:
            found.append(f"{at}: numpy.load(allow_pickle=True)")
    return found


def _python_files() -> list[Path]:
    return sorted(p for folder in SCANNED if folder.exists() for p in folder.rglob("*.py"))


def test_no_source_file_loads_pickles_unsafely():
    problems = [p for path in _python_files()
                for p in unsafe_loads(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))]
    assert not problems, "unsafe unpickling (use course_lib.checkpoint.load_checkpoint):\n" + "\n".join(problems)


@pytest.mark.parametrize("source, bad", [
    ("import torch\ntorch.load(p)", True),
    ("import torch\ntorch.load(p, weights_only=False)", True),
    ("import torch\ntorch.load(p, map_location='cpu', weights_only=True)", False),
    ("import torch as T\nT.load(p)", True),
    ("from torch import load\nload(p)", True),
    ("from torch import load as L\nL(p, weights_only=True)", False),
    ("import torch, pickle\ntorch.load(p, pickle_module=pickle, weights_only=False)", True),
    ("import torch\ntorch.load(p, pickle_module=_RESTRICTED, weights_only=False)", False),
    ("import pickle\npickle.load(f)", True),
    ("import pickle as pk\npk.loads(b)", True),
    ("from pickle import Unpickler\nUnpickler(f).load()", True),
    ("import pickle\nclass Safe(pickle.Unpickler):\n    def find_class(self, m, n):\n        raise ValueError", False),
    ("import numpy as np\nnp.load(p, allow_pickle=True)", True),
    ("import numpy as np\nnp.load(p)", False),
    ("import json\njson.load(f)", False),
])
def test_the_scanner_finds_what_it_should(source, bad):
    assert bool(unsafe_loads(source)) == bad


def test_the_scan_covers_every_loader_module():
    scanned = {str(p.relative_to(ROOT)) for p in _python_files()}
    for module in ("course_lib/checkpoint.py", "course_lib/data/cache.py", "course_lib/tts/nvidia.py",
                   "course_lib/tts/tacotron2/train/checkpoints.py", "course_lib/tts/waveglow/checkpoint.py",
                   "course_lib/training/run.py", "course_lib/training/loop.py"):
        assert module in scanned, module


# ------------------------------------------------------------------------------ malicious pickles
class _Evil:
    """Unpickling this calls ``builtins.open(marker, 'w')``, which creates the marker file."""

    def __init__(self, marker: Path, how: str):
        self.marker, self.how = str(marker), how

    def __reduce__(self):
        if self.how == "open":
            return (open, (self.marker, "w"))
        return (os.system, (f"touch '{self.marker}'",))


def _write_evil(path: Path, marker: Path, fmt: str, how: str) -> Path:
    payload = {"format": "course_lib.tacotron2.model/1", "model": {"w": torch.zeros(2)}, "config": {},
               "state_dict": {"x": torch.zeros(1)}, "evil": _Evil(marker, how)}
    if fmt == "zip":
        torch.save(payload, path)
    elif fmt == "legacy":
        torch.save(payload, path, _use_new_zipfile_serialization=False)
    elif fmt == "raw-pickle":
        with open(path, "wb") as f:
            pickle.dump(payload, f, protocol=4)
    elif fmt == "nvidia-waveglow":  # NVIDIA's layout (a pickled module under 'model') with the payload inside
        payload = {"model": _Evil(marker, how), "iteration": 1}
        torch.save(payload, path, _use_new_zipfile_serialization=False)
    return path


FORMATS = ["zip", "legacy", "raw-pickle", "nvidia-waveglow"]
HOWS = ["open", "os.system"]


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_the_malicious_pickles_really_run_code_when_loaded_unsafely(tmp_path, fmt, how):
    """Guard for the tests below: these files do create the marker under a plain ``torch.load``."""
    marker = tmp_path / "pwned"
    path = _write_evil(tmp_path / "evil.pt", marker, fmt, how)
    if fmt == "raw-pickle":
        with open(path, "rb") as f:
            pickle.load(f)
    else:
        torch.load(path, weights_only=False)
    assert marker.exists()


def _loaders():
    """name → function(path, tmp_path) that loads a checkpoint the way course_lib does."""
    from course_lib import checkpoint
    from course_lib.tts import nvidia, pipeline
    from course_lib.tts.tacotron2.train import TrainConfig, export_model, load_model, train
    from course_lib.tts.waveglow import checkpoint as wg_checkpoint
    from course_lib.tts.waveglow import train as wg_train

    def resume(folder_fn):
        def run(path, tmp):
            out = tmp / "run"
            out.mkdir()
            path.rename(out / "checkpoint.pt")
            folder_fn(out, tmp)
        return run

    def mel_cache(path, tmp):
        from course_lib.data.cache import MelCache

        cache = MelCache(tmp / "cache")
        cache.dir.mkdir(parents=True)
        path.rename(cache.path("u1"))
        wav = tmp / "u1.wav"
        wav.write_bytes(b"any bytes: only their sha256 is read")
        mel = cache.get("u1", wav, lambda: torch.zeros(80, 3))
        assert cache.misses == 1 and mel.shape == (80, 3), "a refused cache entry is recomputed"

    loaders = {
        "course_lib.checkpoint.load_checkpoint": lambda p, t: checkpoint.load_checkpoint(p),
        "tts.tacotron2.train.load_model": lambda p, t: load_model(p),
        "tts.tacotron2.train.export_model": lambda p, t: export_model(p, t / "export"),
        "tts.tacotron2.train.train (resume)": resume(lambda out, t: train(TrainConfig(max_steps=1, minutes=0), out,
                                                                progress=False)),
        "tts.waveglow.checkpoint.load_waveglow": lambda p, t: wg_checkpoint.load_waveglow(p),
        "tts.waveglow.train.train (resume)": resume(lambda out, t: wg_train.train(
            wg_train.WaveGlowTrainConfig(max_steps=1), out, progress=False)),
        "tts.waveglow.train.export": lambda p, t: wg_train.export(p, t / "exported.pt"),
        "tts.nvidia.load_nvidia_tacotron2": lambda p, t: nvidia.load_nvidia_tacotron2(p),
        "tts.nvidia.load_nvidia_waveglow": lambda p, t: nvidia.load_nvidia_waveglow(p),
        "tts.pipeline.load_tacotron2": lambda p, t: pipeline.load_tacotron2(p),
        "tts.pipeline.load_vocoder": lambda p, t: pipeline.load_vocoder(p),
        "data.cache.MelCache.get": mel_cache,
    }
    # torchrun runs these same CLIs and trainers: nothing more to load
    return loaders


LOADERS = sorted(_loaders())


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("loader", LOADERS)
def test_every_loader_refuses_a_malicious_pickle_without_running_it(tmp_path, loader, fmt, how):
    from course_lib.tts import pipeline

    pipeline.clear_cache()
    marker = tmp_path / "pwned"
    path = _write_evil(tmp_path / "evil.pt", marker, fmt, how)
    try:
        _loaders()[loader](path, tmp_path)
    except (ValueError, pickle.UnpicklingError):  # refused (how clearly: tests/test_bad_input.py)
        pass
    else:
        assert loader == "data.cache.MelCache.get", f"{loader} accepted a malicious {fmt} pickle"
    assert not marker.exists(), f"{loader} RAN the code in a malicious {fmt} pickle ({how})"


SHIPPED = sorted((ROOT / "assets").rglob("*.pt"))


@pytest.mark.skipif(not SHIPPED, reason="no checkpoint is shipped in assets/ yet")
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_checkpoint_loads_with_weights_only(path):
    from course_lib.checkpoint import load_checkpoint

    def tensors(obj):
        if isinstance(obj, torch.Tensor):
            yield obj
        elif isinstance(obj, dict):
            for v in obj.values():
                yield from tensors(v)
        elif isinstance(obj, (list, tuple)):
            for v in obj:
                yield from tensors(v)

    found = list(tensors(load_checkpoint(path)))  # weights, or only alignment snapshots for a failed run
    assert found, f"{path.name} holds no tensors"
    assert all(torch.isfinite(t.float()).all() for t in found if t.is_floating_point()), f"{path.name}: NaN/inf"
