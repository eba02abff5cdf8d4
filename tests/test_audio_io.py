"""course_lib.audio files and preprocessing, including every kind of bad input (issue 5, point 7)."""

import os
import warnings

import numpy as np
import pytest
import soundfile as sf

from course_lib.audio import (
    clipped_fraction,
    de_emphasis,
    load_audio,
    loudness_normalize,
    peak,
    peak_normalize,
    pre_emphasis,
    resample,
    rms_db,
    save_audio,
    to_mono,
)

SR = 22050


def tone(freq=440.0, seconds=0.5, sr=SR, amp=0.5):
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def dominant_hz(x, sr):
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return np.argmax(spec) * sr / len(x)


# ---------------------------------------------------------------- round trip
@pytest.mark.parametrize("suffix", [".wav", ".flac"])
def test_save_then_load_round_trip_is_atomic(tmp_path, suffix):
    x = tone()
    path = save_audio(tmp_path / "sub" / f"a{suffix}", x)
    assert path.exists() and os.listdir(path.parent) == [path.name]  # no temp file left behind
    y = load_audio(path)
    assert y.dtype == np.float32 and y.shape == x.shape
    np.testing.assert_allclose(y, x, atol=1 / 2 ** 14)  # 16-bit quantisation


def test_save_audio_failure_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "b.wav"
    save_audio(target, tone(amp=0.1))
    before = target.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(sf, "write", boom)
    with pytest.raises(OSError, match="disk full"):
        save_audio(target, tone(amp=0.9))
    assert target.read_bytes() == before and os.listdir(tmp_path) == ["b.wav"]


def test_save_audio_rejects_bad_input(tmp_path):
    with pytest.raises(ValueError, match="0 samples"):
        save_audio(tmp_path / "e.wav", np.zeros(0))
    with pytest.raises(ValueError, match="NaN"):
        save_audio(tmp_path / "n.wav", np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match="suffix"):
        save_audio(tmp_path / "x.notaudio", tone())
    with pytest.warns(UserWarning, match="clipped when saved"):
        save_audio(tmp_path / "loud.wav", 3 * tone())
    with pytest.warns(UserWarning, match="looks clipped"):  # the clipped file is then reported on load
        assert load_audio(tmp_path / "loud.wav").max() <= 1.0


# ---------------------------------------------------------------- bad files
def test_missing_empty_and_corrupt_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_audio(tmp_path / "nope.wav")
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(ValueError, match="empty"):
        load_audio(tmp_path / "empty.wav")
    (tmp_path / "notes.wav").write_text("this is not audio, just text " * 20)
    with pytest.raises(ValueError, match="could not be decoded as audio"):
        load_audio(tmp_path / "notes.wav")
    good = save_audio(tmp_path / "good.wav", tone())
    (tmp_path / "truncated.wav").write_bytes(good.read_bytes()[:30])  # header cut in half
    with pytest.raises(ValueError, match="could not be decoded|no samples"):
        load_audio(tmp_path / "truncated.wav")
    with pytest.raises(ValueError, match="folder"):
        load_audio(tmp_path)


def test_header_without_samples(tmp_path):
    sf.write(tmp_path / "zero.wav", np.zeros(0, dtype=np.float32), SR)
    with pytest.raises(ValueError, match="no samples"):
        load_audio(tmp_path / "zero.wav")


def test_stereo_is_averaged_to_mono(tmp_path):
    left, right = tone(440, amp=0.4), tone(660, amp=0.2)
    sf.write(tmp_path / "stereo.wav", np.stack([left, right], axis=1), SR, subtype="FLOAT")
    y = load_audio(tmp_path / "stereo.wav")
    np.testing.assert_allclose(y, (left + right) / 2, atol=1e-6)
    np.testing.assert_allclose(to_mono(np.stack([left, right], axis=1)), (left + right) / 2, atol=1e-7)


@pytest.mark.parametrize("file_sr", [16000, 44100, 48000])
def test_other_sample_rates_are_resampled(tmp_path, file_sr):
    sf.write(tmp_path / "t.wav", tone(1000.0, seconds=1.0, sr=file_sr), file_sr, subtype="FLOAT")
    y = load_audio(tmp_path / "t.wav", sample_rate=SR)
    assert len(y) == SR  # one second at the new rate
    assert dominant_hz(y, SR) == pytest.approx(1000.0, abs=2.0)  # same pitch


def test_resampling_removes_what_would_alias():
    x = tone(10000.0, seconds=0.5, sr=44100)  # above the 8 kHz Nyquist of 16 kHz audio
    y = resample(x, 44100, 16000)
    assert rms_db(y) < rms_db(x) - 40  # filtered out, not folded down to 6 kHz
    assert resample(x, 44100, 44100) is not x and len(resample(np.zeros(0), 8000, 16000)) == 0


def test_clipping_warns(tmp_path):
    x = np.clip(3 * tone(), -1, 1)  # flat tops
    sf.write(tmp_path / "clipped.wav", x, SR, subtype="FLOAT")
    with pytest.warns(UserWarning, match="clipped"):
        load_audio(tmp_path / "clipped.wav")
    normal = peak_normalize(tone(), 1.0)  # one sample at full scale is not clipping
    sf.write(tmp_path / "fine.wav", normal, SR, subtype="FLOAT")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_audio(tmp_path / "fine.wav")
    assert clipped_fraction(x) > 0.3 and clipped_fraction(normal) == 0.0


def test_float_file_above_full_scale_is_scaled_and_described(tmp_path):
    """Issue #17.6: a float wav peaking at 1.5 comes back in [-1, 1] (the docstring's promise), with a
    warning that says what was seen (the peak, how many samples exceed 1), not "looks clipped"."""
    x = 1.5 * tone() / np.abs(tone()).max()  # peak 1.5
    sf.write(tmp_path / "loud.wav", x, SR, subtype="FLOAT")
    with pytest.warns(UserWarning) as record:
        y = load_audio(tmp_path / "loud.wav")
    messages = [str(w.message) for w in record]
    assert len(messages) == 1 and "1.500" in messages[0] and "above full scale" in messages[0], messages
    share = 100 * np.mean(np.abs(x) > 1)
    assert f"{share:.1f} %" in messages[0] and "scaled" in messages[0] and "clipped" not in messages[0]
    assert np.abs(y).max() <= 1.0 and np.allclose(y, x / 1.5, atol=1e-6)


def test_too_long_file_is_refused_before_decoding(tmp_path):
    sf.write(tmp_path / "long.wav", tone(440, seconds=5.0, sr=8000), 8000)
    with pytest.raises(ValueError, match="lasts 5.0 s, longer than max_duration=2 s"):
        load_audio(tmp_path / "long.wav", max_duration=2)
    assert len(load_audio(tmp_path / "long.wav", sample_rate=8000, max_duration=None)) == 40000


# ---------------------------------------------------------------- levels
def test_peak_and_loudness_normalisation():
    x = tone(amp=0.2)
    assert peak(peak_normalize(x, 0.9)) == pytest.approx(0.9, rel=1e-6)
    y = loudness_normalize(x, -20.0)
    assert rms_db(y) == pytest.approx(-20.0, abs=1e-4)
    assert rms_db(tone(amp=1.0)) == pytest.approx(-3.0103, abs=1e-3)  # full-scale sine
    with pytest.warns(UserWarning, match="clip"):
        loudness_normalize(x, -1.0)


def test_silent_file_loads_with_a_warning(tmp_path):
    sf.write(tmp_path / "silence.wav", np.zeros(2205, dtype=np.float32), SR)
    with pytest.warns(UserWarning, match="only silence"):
        y = load_audio(tmp_path / "silence.wav")
    assert len(y) == 2205 and not y.any()
    with pytest.raises(ValueError, match="silent"):
        peak_normalize(y)


def test_silence_has_documented_behaviour():
    silent = np.zeros(1000, dtype=np.float32)
    assert rms_db(silent) == -200.0 and rms_db(np.zeros(0)) == -200.0 and peak(np.zeros(0)) == 0.0
    for fn in (peak_normalize, loudness_normalize):
        with pytest.raises(ValueError, match="silent"):
            fn(silent)
        with pytest.raises(ValueError, match="silent"):
            fn(np.zeros(0))


def test_pre_emphasis_and_its_inverse():
    x = tone(300) + tone(5000, amp=0.05)
    y = pre_emphasis(x, 0.97)
    np.testing.assert_allclose(y[1:], x[1:] - 0.97 * x[:-1], atol=1e-6)
    np.testing.assert_allclose(de_emphasis(y, 0.97), x, atol=1e-5)
    assert len(pre_emphasis(np.zeros(0))) == 0
    with pytest.raises(ValueError, match="coef"):
        pre_emphasis(x, 1.5)


@pytest.mark.parametrize("fn", [to_mono, peak, rms_db, pre_emphasis, de_emphasis, clipped_fraction])
def test_preprocessing_rejects_non_finite(fn):
    with pytest.raises(ValueError, match="NaN"):
        fn(np.array([0.1, np.inf]))
