"""Bad checkpoint files at every loader: one clear error naming the file, nothing written, no code run.

Rows and guarantees as in tests/test_bad_input.py (see its docstring); malicious pickles in depth:
tests/test_safe_loading.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
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
    from course_lib.tts import nvidia, pipeline
    from course_lib.tts.tacotron2.train import export_model, load_model
    from course_lib.tts.waveglow import checkpoint as wg
    from course_lib.tts.waveglow import train as wg_train

    return {
        "load_checkpoint": lambda p, tmp: checkpoint.load_checkpoint(p),
        "tacotron2.load_model": lambda p, tmp: load_model(p),
        "tacotron2.export_model": lambda p, tmp: export_model(p, tmp / "export"),
        "waveglow.load_waveglow": lambda p, tmp: wg.load_waveglow(p),
        "waveglow.export": lambda p, tmp: wg_train.export(p, tmp / "export" / "small.pt"),
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
    from course_lib.tts.tacotron2.train import load_model
    from course_lib.tts.tacotron2.train.checkpoints import MODEL_FORMAT
    from course_lib.tts.waveglow.checkpoint import load_waveglow
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
        save_checkpoint(tmp / "w.pt", {"config": config.to_dict(), "model": {"upsample.weight": torch.zeros(1)}})
        return load_waveglow(tmp / "w.pt")

    def waveglow_unknown_config_field(tmp):
        save_checkpoint(tmp / "w.pt", {"config": {**WaveGlowConfig.course().to_dict(), "n_heads": 2}, "model": {}})
        return load_waveglow(tmp / "w.pt")

    # issue #17.4: files that would load and then speak wrong audio are refused at load, naming the file
    def exported_tiny(tmp, **changes):
        from tests.test_pipeline import write_tiny_tacotron

        write_tiny_tacotron(tmp / "t.pt")
        payload = torch.load(tmp / "t.pt", weights_only=True)
        payload.update(changes)
        for key in [k for k, v in changes.items() if v is None]:
            del payload[key]
        torch.save(payload, tmp / "t.pt")
        return tmp / "t.pt"

    def tacotron_without_mel_stats(tmp):
        from course_lib.tts import pipeline

        pipeline.clear_cache()
        return pipeline.load_tacotron2(exported_tiny(tmp, mel_stats=None))

    def tacotron_mel_stats_of_other_size(tmp):
        return load_model(exported_tiny(tmp, mel_stats={"mean": torch.zeros(40), "std": torch.ones(40)}))

    def tacotron_audio_config_contradicts_model(tmp):
        from course_lib.audio import AudioConfig

        return load_model(exported_tiny(tmp, audio_config=AudioConfig(n_mels=64).to_dict()))

    def course_weights_wrapped_as_nvidia(tmp):
        from course_lib.tts import pipeline
        from course_lib.tts.tacotron2 import Tacotron2, Tacotron2Config

        pipeline.clear_cache()
        torch.save({"state_dict": Tacotron2(Tacotron2Config.course()).state_dict()}, tmp / "wrapped.pt")
        return pipeline.load_tacotron2(tmp / "wrapped.pt")

    return [
        case("tacotron2.load_tacotron2:no-mel-stats", tacotron_without_mel_stats, ["t.pt", "mel_stats"]),
        case("tacotron2.load_model:mel-stats-other-size", tacotron_mel_stats_of_other_size, ["t.pt", "40"]),
        case("tacotron2.load_model:audio-config-contradicts-model", tacotron_audio_config_contradicts_model,
             ["t.pt", "n_mels=64", "80"]),
        case("pipeline.load_tacotron2:course-weights-as-nvidia", course_weights_wrapped_as_nvidia,
             ["wrapped.pt", "mel statistics"]),
        case("tacotron2.load_model:wrong-shapes", tacotron_wrong_shapes, ["t.pt"]),
        case("tacotron2.load_model:unknown-config-field", tacotron_unknown_config_field, ["n_heads"]),
        case("waveglow.load_waveglow:wrong-shapes", waveglow_wrong_shapes, ["w.pt"]),
        case("waveglow.load_waveglow:unknown-config-field", waveglow_unknown_config_field, ["n_heads"]),
    ]


@pytest.mark.parametrize("call, words, types", _course_checkpoint_cases())
def test_course_checkpoints_that_do_not_fit_their_model(tmp_path, call, words, types):
    expect_clear_error(lambda: call(tmp_path), words, types)


@pytest.mark.parametrize("seed", range(4))
def test_random_bytes_are_not_called_pickled_objects(tmp_path, seed):
    """Issue #17.5: random bytes are 'not a PyTorch checkpoint', not 'pickled Python objects'."""
    from course_lib.checkpoint import load_checkpoint

    path = tmp_path / "random.pt"
    path.write_bytes(np.random.default_rng(seed).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    err = expect_clear_error(lambda: load_checkpoint(path), ["random.pt", "not a PyTorch checkpoint"], (ValueError,))
    assert "pickled" not in str(err), err


def test_arpabet_is_refused_for_a_model_that_never_learned_it(tmp_path):
    """Issue #17.3: '{HH AH0 L OW1}' on a model whose phoneme embeddings are zero is refused, saying why;
    the same model speaks letters, and a model with trained phoneme rows accepts the braces."""
    from course_lib.text import SYMBOLS
    from course_lib.tts import pipeline
    from course_lib.tts.tacotron2 import Tacotron2, Tacotron2Config

    torch.manual_seed(0)
    model = Tacotron2(Tacotron2Config(**{**tiny_tacotron2().config.to_dict()}))
    acoustic = pipeline.AcousticModel.wrap(model)
    assert pipeline.check_speakable("{HH AH0 L OW1} world", acoustic)  # random rows: trained as far as we know
    with torch.no_grad():
        model.embedding.weight[[i for i, s in enumerate(SYMBOLS) if s.startswith("@")]] = 0
    expect_clear_error(lambda: pipeline.check_speakable("{HH AH0 L OW1} world", acoustic),
                       ["without ARPAbet", "HH", "letters"], (ValueError,))
    expect_clear_error(lambda: pipeline.speak("{HH AH0 L OW1} world", tacotron=acoustic, vocoder="griffin-lim"),
                       ["without ARPAbet"], (ValueError,))
    assert pipeline.check_speakable("hello world", acoustic)
