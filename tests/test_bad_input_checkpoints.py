"""Bad checkpoint files at every loader: one clear error naming the file, nothing written, no code run.

Rows and guarantees as in tests/test_bad_input.py (see its docstring); malicious pickles in depth:
tests/test_safe_loading.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from .test_bad_input import PATH_ERRORS, expect_clear_error, files_under, tiny_tacotron2

pytestmark = pytest.mark.filterwarnings("ignore:Detected pickle protocol")

#: loader:kind → the fix the library needs (those rows are xfail(strict=True) until then).
GAPS = {
}


def case(id_, call, words=(), types=PATH_ERRORS):
    marks = [pytest.mark.xfail(strict=True, reason=GAPS[id_])] if id_ in GAPS else []
    return pytest.param(call, tuple(words), types, id=id_, marks=marks)


# ============================================================================ checkpoints
class _PickledCode:
    def __reduce__(self):
        return (print, ("this would run at load time",))


def _bad_file(kind: str, tmp: Path) -> Path:
    """A checkpoint file that is wrong in one way."""
    path = tmp / f"{kind}.pt"
    if kind == "missing":
        return path
    if kind == "folder":
        path.mkdir()
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "junk":
        path.write_bytes(bytes(range(256)) * 3)
    elif kind == "truncated":
        torch.save({"model": {"w": torch.zeros(1000)}}, path)
        path.write_bytes(path.read_bytes()[:700])
    elif kind == "list-payload":
        torch.save([torch.zeros(2)], path)
    elif kind == "foreign-dict":
        torch.save({"weights": torch.zeros(2), "epoch": 3}, path)
    elif kind == "pickled-code":
        torch.save({"model": _PickledCode()}, path)
    return path


BAD_FILES = ["missing", "folder", "empty", "junk", "truncated", "list-payload", "foreign-dict", "pickled-code"]


def _checkpoint_loaders():
    from course_lib import checkpoint
    from course_lib.tts import checkpoints as nvidia
    from course_lib.tts import pipeline
    from course_lib.tts.train import export_model, load_model
    from course_lib.tts.waveglow import checkpoint as wg

    return {
        "load_checkpoint": lambda p, tmp: checkpoint.load_checkpoint(p),
        "tacotron2.load_model": lambda p, tmp: load_model(p),
        "tacotron2.export_model": lambda p, tmp: export_model(p, tmp / "export"),
        "waveglow.load_waveglow": lambda p, tmp: wg.load_waveglow(p),
        "waveglow.export_model": lambda p, tmp: wg.export_model(p, tmp / "export" / "small.pt"),
        "nvidia.load_nvidia_tacotron2": lambda p, tmp: nvidia.load_nvidia_tacotron2(p),
        "nvidia.load_nvidia_waveglow": lambda p, tmp: nvidia.load_nvidia_waveglow(p),
        "pipeline.load_tacotron2": lambda p, tmp: pipeline.load_tacotron2(p),
        "pipeline.load_vocoder": lambda p, tmp: pipeline.load_vocoder(p),
    }


@pytest.mark.parametrize("kind", BAD_FILES)
@pytest.mark.parametrize("loader", sorted(_checkpoint_loaders()))
def test_checkpoint_loaders_refuse_bad_files(tmp_path, request, loader, kind):
    row = f"{loader}:{kind}"
    if row == "load_checkpoint:foreign-dict":  # the generic loader reads any dict of tensors and plain data
        assert isinstance(_checkpoint_loaders()[loader](_bad_file(kind, tmp_path), tmp_path), dict)
        return
    if row in GAPS:
        request.applymarker(pytest.mark.xfail(strict=True, reason=GAPS[row]))
    from course_lib.tts import pipeline

    pipeline.clear_cache()
    path = _bad_file(kind, tmp_path)
    before = files_under(tmp_path)
    err = expect_clear_error(lambda: _checkpoint_loaders()[loader](path, tmp_path), [], PATH_ERRORS)
    assert path.name in str(err), f"the message does not name the file: {err}"
    assert files_under(tmp_path) == before, "a refused checkpoint left files behind"


def _course_checkpoint_cases():
    from course_lib.checkpoint import save_checkpoint
    from course_lib.tts.train import load_model
    from course_lib.tts.train.checkpoints import MODEL_FORMAT
    from course_lib.tts.waveglow.checkpoint import load_waveglow, save_atomic
    from course_lib.tts.waveglow.config import WaveGlowConfig

    def tacotron_wrong_shapes(tmp):
        config = tiny_tacotron2().config
        state = {k: torch.zeros(1) for k in tiny_tacotron2().state_dict()}
        save_checkpoint(tmp / "t.pt", {"format": MODEL_FORMAT, "model_config": config.to_dict(), "model": state})
        return load_model(tmp / "t.pt")

    def tacotron_unknown_config_field(tmp):
        config = {**tiny_tacotron2().config.to_dict(), "n_heads": 4}
        save_checkpoint(tmp / "t.pt", {"format": MODEL_FORMAT, "model_config": config, "model": {}})
        return load_model(tmp / "t.pt")

    def waveglow_wrong_shapes(tmp):
        config = WaveGlowConfig.course()
        save_atomic(tmp / "w.pt", {"config": config.to_dict(), "model": {"upsample.weight": torch.zeros(1)}})
        return load_waveglow(tmp / "w.pt")

    def waveglow_unknown_config_field(tmp):
        save_atomic(tmp / "w.pt", {"config": {**WaveGlowConfig.course().to_dict(), "n_heads": 2}, "model": {}})
        return load_waveglow(tmp / "w.pt")

    return [
        case("tacotron2.load_model:wrong-shapes", tacotron_wrong_shapes, ["t.pt"]),
        case("tacotron2.load_model:unknown-config-field", tacotron_unknown_config_field, ["n_heads"]),
        case("waveglow.load_waveglow:wrong-shapes", waveglow_wrong_shapes, ["w.pt"]),
        case("waveglow.load_waveglow:unknown-config-field", waveglow_unknown_config_field, ["n_heads"]),
    ]


@pytest.mark.parametrize("call, words, types", _course_checkpoint_cases())
def test_course_checkpoints_that_do_not_fit_their_model(tmp_path, call, words, types):
    expect_clear_error(lambda: call(tmp_path), words, types)
