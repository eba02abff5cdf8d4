"""Bad configurations: every field of every config (and preset, and config read from a file) refuses junk
with an error naming the field, before any work. Guarantees as in tests/test_bad_input.py.
"""

from __future__ import annotations

import dataclasses

import pytest

from .test_bad_input import ERRORS, INTERNAL, expect_clear_error, raised_in_course_lib

#: row id → the fix the library needs (those rows are xfail(strict=True) until then).
GAPS: dict[str, str] = {}


def case(id_, call, words=(), types=ERRORS):
    marks = [pytest.mark.xfail(strict=True, reason=GAPS[id_])] if id_ in GAPS else []
    return pytest.param(call, tuple(words), types, id=id_, marks=marks)


# ============================================================================ configs and presets
#: Values no field of that type accepts (a negative count, NaN, a string for a number, ...).
JUNK = {
    "int": ["abc", None, -1, 1.5, float("nan"), True],
    "float": ["abc", None, -1.0, float("nan"), float("inf")],
    "bool": ["abc", None, 2],
}


def _config_classes():
    from course_lib.audio import AudioConfig
    from course_lib.nn.conv import LeNet, LeNetConfig
    from course_lib.nn.rnn import ConvBiLSTM, ConvBiLSTMConfig
    from course_lib.tts.duration import DurationPredictor, DurationPredictorConfig, HMMConfig
    from course_lib.tts.tacotron2 import Tacotron2, Tacotron2Config
    from course_lib.tts.tacotron2.train import TrainConfig
    from course_lib.tts.waveglow.config import WaveGlowConfig
    from course_lib.tts.waveglow.source_filter import build_waveglow

    # name → (a valid base config, the model it configures or None)
    return {
        "AudioConfig": (AudioConfig(), None),
        "Tacotron2Config": (Tacotron2Config.course(), Tacotron2),
        "WaveGlowConfig": (WaveGlowConfig.course(), build_waveglow),
        "TrainConfig": (TrainConfig(), None),
        "HMMConfig": (HMMConfig(), None),
        "DurationPredictorConfig": (DurationPredictorConfig.course(), DurationPredictor),
        "LeNetConfig": (LeNetConfig(), LeNet),
        "ConvBiLSTMConfig": (ConvBiLSTMConfig.course(), ConvBiLSTM),
    }


def config_problems(base, model) -> list[str]:
    """Every (field, junk value) the config — or, if it lets it through, its model — does not refuse clearly."""
    problems = []
    for f in dataclasses.fields(base):
        kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
        for junk in JUNK.get(kind, []):
            try:
                config = dataclasses.replace(base, **{f.name: junk})
                if model is not None:
                    model(config)
            except (ValueError, TypeError) as err:
                clear = raised_in_course_lib(err) and f.name in str(err) and not INTERNAL.search(str(err))
                if not clear:
                    problems.append(f"{f.name}={junk!r}: unclear {type(err).__name__}: {str(err)[:80]}")
            except Exception as err:  # noqa: BLE001 - any other type is itself the problem
                problems.append(f"{f.name}={junk!r}: {type(err).__name__}: {str(err)[:80]}")
            else:
                problems.append(f"{f.name}={junk!r}: accepted")
    return problems


CONFIG_GAPS = {
}


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=CONFIG_GAPS[n])) if n in CONFIG_GAPS else n
    for n in sorted(_config_classes())])
def test_every_config_field_refuses_junk_clearly(name):
    base, model = _config_classes()[name]
    problems = config_problems(base, model)
    assert not problems, f"{name}:\n" + "\n".join(problems)


def _preset_cases():
    from course_lib.audio import AudioConfig
    from course_lib.tts.tacotron2 import Tacotron2Config
    from course_lib.tts.tacotron2.train import TrainConfig
    from course_lib.tts.waveglow.config import WaveGlowConfig
    from course_lib.tts.waveglow.train import WaveGlowTrainConfig

    return [
        case("Tacotron2Config.course:unknown-field", lambda: Tacotron2Config.course(n_heads=4), ["n_heads"]),
        case("Tacotron2Config.paper:unknown-field", lambda: Tacotron2Config.paper(n_heads=4), ["n_heads"]),
        case("Tacotron2Config.from_dict:unknown-field",
             lambda: Tacotron2Config.from_dict({**Tacotron2Config.course().to_dict(), "n_heads": 4}), ["n_heads"]),
        case("Tacotron2Config.from_dict:not-a-dict", lambda: Tacotron2Config.from_dict([1, 2]), ["dict"]),
        case("WaveGlowConfig.from_dict:unknown-field", lambda: WaveGlowConfig.from_dict({"n_heads": 4}), ["n_heads"]),
        case("WaveGlowConfig.from_dict:not-a-dict", lambda: WaveGlowConfig.from_dict(None), ["dict"]),
        case("AudioConfig.from_dict:unknown-field",
             lambda: AudioConfig.from_dict({**AudioConfig().to_dict(), "n_mel": 80}), ["n_mel", "known fields"]),
        case("AudioConfig.from_dict:not-a-dict", lambda: AudioConfig.from_dict("22050"), ["dict"]),
        case("TrainConfig:unknown-preset", lambda: TrainConfig(preset="huge"), ["preset"]),
        case("TrainConfig:override-typo", lambda: TrainConfig(model_overrides={"n_heads": 4}), ["n_heads"]),
        case("TrainConfig:no-budget", lambda: TrainConfig(max_steps=0, minutes=0), ["budget"]),
        case("TrainConfig.from_dict:unknown-field", lambda: TrainConfig.from_dict({"n_heads": 4}), ["n_heads"]),
        case("WaveGlowTrainConfig:no-budget", lambda: WaveGlowTrainConfig(), ["budget"]),
        case("WaveGlowTrainConfig:unknown-preset", lambda: WaveGlowTrainConfig(preset="huge", max_steps=1),
             ["preset"]),
        case("WaveGlowTrainConfig.from_dict:unknown-field",
             lambda: WaveGlowTrainConfig.from_dict({"max_steps": 1, "steps": 4}), ["steps"]),
    ]


@pytest.mark.parametrize("call, words, types", _preset_cases())
def test_presets_and_config_files(call, words, types):
    expect_clear_error(call, words, types)
