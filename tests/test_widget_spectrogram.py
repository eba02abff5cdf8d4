"""SpectrogramExplorer: controls change what is drawn; invalid settings show a message, never raise."""

import matplotlib

matplotlib.use("Agg")

from types import SimpleNamespace  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib.audio import chirp, sine, vowel  # noqa: E402
from course_lib.widgets.spectrogram import SpectrogramExplorer  # noqa: E402


@pytest.fixture(scope="module")
def explorer():
    return SpectrogramExplorer(chirp(100, 6000, 0.6))


def test_initial_draw_is_an_80_band_mel_image(explorer):
    img = explorer.last_image
    assert img.shape == (80, 1 + int(0.6 * 22050) // 256) and explorer.last_error is None
    assert img.max() - img.min() <= 80 + 1e-6  # clipped to the dB range
    assert "frames" in explorer.message.value


@pytest.mark.parametrize("name, value, check", [
    ("n_mels", 40, lambda before, after: after.shape[0] == 40),
    ("hop_length", 128, lambda before, after: after.shape[1] > before.shape[1]),
    ("scale", "linear", lambda before, after: after.shape[0] > 80),
    ("window", "rect", lambda before, after: not np.allclose(before, after)),
    ("db_range", 40, lambda before, after: after.min() > before.min()),
    ("fmax", 4000, lambda before, after: not np.allclose(before, after)),
])
def test_each_control_changes_the_drawn_data(explorer, name, value, check):
    control = explorer.controls[name]
    old = control.value
    before = explorer.last_image.copy()
    control.value = value
    try:
        assert explorer.last_error is None, explorer.last_error
        assert check(before, explorer.last_image)
    finally:
        control.value = old
    np.testing.assert_allclose(explorer.last_image, before)


@pytest.mark.parametrize("changes, words", [
    ({"hop_length": 2048, "win_length": 1024}, "hop_length"),
    ({"win_length": 2048, "n_fft": 1024}, "win_length"),
    ({"fmax": 16000}, "Nyquist"),
    ({"fmin": 6000, "fmax": 5000}, "below fmax"),
    ({"n_fft": 128, "win_length": 128, "hop_length": 64, "n_mels": 128}, "empty"),
])
def test_invalid_combinations_show_a_message_not_a_traceback(changes, words):
    ex = SpectrogramExplorer(chirp(100, 6000, 0.3))
    *first, (last_name, last_value) = changes.items()
    for name, value in first:
        ex.controls[name].value = value
    before = ex.last_image.copy()
    ex.controls[last_name].value = last_value
    assert ex.last_error is not None and words in ex.last_error
    assert "Cannot draw" in ex.message.value and words in ex.message.value
    np.testing.assert_array_equal(ex.last_image, before)  # nothing new was drawn
    assert ex.reconstruct() is None


def test_too_short_signal_is_a_message():
    ex = SpectrogramExplorer(np.zeros(300, dtype=np.float32))
    assert ex.last_image is None and "300 samples" in ex.last_error


def test_rebuild_button_plays_griffin_lim_audio(explorer):
    explorer.last_audio = None
    explorer.controls["rebuild"].click()
    wave = explorer.sources["your signal"][0]
    assert explorer.last_audio is not None and explorer.last_audio.shape == wave.shape
    # Griffin-Lim recovers the chirp's spectrum: it correlates with the original in magnitude
    spec = lambda x: np.abs(np.fft.rfft(x))  # noqa: E731
    assert np.corrcoef(spec(explorer.last_audio), spec(wave))[0, 1] > 0.8


def test_hann_with_hop_equal_to_window_cannot_be_inverted_and_says_so():
    ex = SpectrogramExplorer(sine(440, 0.3), n_iter=2)
    ex.controls["scale"].value = "linear"
    ex.controls["hop_length"].value = 1024  # = win_length: Hann windows do not overlap
    assert ex.last_error is None  # drawing still works
    assert ex.reconstruct() is None  # overlap-add is impossible; a message, not an exception


def test_utterance_dropdown_and_default_sounds():
    utts = [SimpleNamespace(id=f"u{i}", text=f"sentence number {i}", sample_rate=16000,
                            load_audio=lambda i=i: vowel("ai"[i], 100 + 50 * i, 0.5, 16000)) for i in range(2)]
    ex = SpectrogramExplorer(utterances=utts)
    labels = list(ex.controls["source"].options)
    assert labels == ["u0: sentence number 0", "u1: sentence number 1"]
    first = ex.last_image.copy()
    ex.controls["source"].value = labels[1]
    assert not np.allclose(first, ex.last_image)
    ex.controls["fmax"].value = 9000  # above 16 kHz audio's Nyquist (8 kHz)
    assert "Nyquist" in ex.last_error
    default = SpectrogramExplorer()
    assert len(default.controls["source"].options) == 2 and default.last_image is not None


def test_bad_wave_argument_raises_clearly():
    with pytest.raises(ValueError, match="NaN"):
        SpectrogramExplorer(np.array([0.0, np.nan] * 1000))
    with pytest.raises(TypeError, match="numpy array"):
        SpectrogramExplorer("speech.wav")
