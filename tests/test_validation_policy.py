"""docs/VALIDATION.md: one problem, one exception type, at every boundary (a bool is never a number)."""

import numpy as np
import pytest
import torch

from course_lib import audio as A
from course_lib import checks
from course_lib.nn import conv, rnn

WAVE = np.sin(np.linspace(0, 100, 4000)).astype(np.float32)
X = torch.randn(1, 2, 16)
W = torch.randn(3, 2, 3)

WRONG_TYPE = {
    "checks.integer": lambda v: checks.integer(v, "n"),
    "stft:n_fft": lambda v: A.stft(WAVE, n_fft=v),
    "frame_signal:hop_length": lambda v: A.frame_signal(WAVE, 256, v),
    "mel_filterbank:n_mels": lambda v: A.mel_filterbank(n_mels=v),
    "resample:target_sr": lambda v: A.resample(WAVE, 22050, v),
    "conv1d:stride": lambda v: conv.conv1d(X, W, stride=v),
    "LSTMCell:hidden_size": lambda v: rnn.LSTMCell(4, v),
}


@pytest.mark.parametrize("value", [True, 2.0, "8"])
@pytest.mark.parametrize("name", sorted(WRONG_TYPE))
def test_wrong_type_is_a_type_error(name, value):
    with pytest.raises(TypeError, match="integer"):
        WRONG_TYPE[name](value)


@pytest.mark.parametrize("name", sorted(WRONG_TYPE))
def test_out_of_range_is_a_value_error(name):
    with pytest.raises(ValueError):
        WRONG_TYPE[name](0 if name != "conv1d:stride" else -1)


@pytest.mark.parametrize("bad,error", [(None, TypeError), (3, TypeError), ("", ValueError), (" \n", ValueError)])
def test_one_empty_text_check(bad, error):
    from course_lib.tts.tacotron2 import encode_text
    for call in (lambda: checks.text(bad), lambda: encode_text(bad)):
        with pytest.raises(error, match="str|empty"):
            call()


def test_checked_by_runs_the_check_first_and_keeps_the_name():
    seen = []
    @checks.checked_by(lambda x: seen.append(x))
    def double(x):
        """Twice x."""
        return 2 * x
    assert double(3) == 6 and seen == [3] and double.__name__ == "double" and double.__doc__ == "Twice x."


def test_a_bare_config_is_the_papers_and_the_course_preset_is_named():
    from course_lib.nn.rnn import ConvBiLSTMConfig
    from course_lib.tts.duration import DurationPredictorConfig
    from course_lib.tts.tacotron2 import Tacotron2Config
    from course_lib.tts.waveglow import WaveGlowConfig
    for cls in (ConvBiLSTMConfig, DurationPredictorConfig, Tacotron2Config, WaveGlowConfig):
        assert cls() == cls.paper() != cls.course(), cls.__name__


def test_a_bare_model_builds_the_papers_config():
    from course_lib.nn.rnn import ConvBiLSTM, ConvBiLSTMConfig
    from course_lib.tts.duration import DurationPredictor, DurationPredictorConfig
    from course_lib.tts.tacotron2 import Tacotron2, Tacotron2Config
    from course_lib.tts.waveglow import WaveGlow, WaveGlowConfig
    for model, config in ((ConvBiLSTM, ConvBiLSTMConfig), (DurationPredictor, DurationPredictorConfig),
                          (Tacotron2, Tacotron2Config), (WaveGlow, WaveGlowConfig)):
        assert model().config == config.paper(), model.__name__
