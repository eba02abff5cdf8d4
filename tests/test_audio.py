"""course_lib.audio: STFT, mel filterbank and Griffin-Lim from scratch equal torch / librosa."""

import librosa
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from course_lib import audio as A
from course_lib.audio import (
    AudioConfig,
    config_problem,
    dynamic_range_compression,
    dynamic_range_decompression,
    frame_signal,
    griffin_lim,
    griffin_lim_from_scratch,
    hz_to_mel,
    istft_from_scratch,
    mel_filterbank,
    mel_spectrogram,
    mel_to_audio,
    mel_to_hz,
    mel_to_linear,
    spectral_convergence,
    stft,
    stft_from_scratch,
    window,
)

SR = 22050


def chirp(seconds=0.5, sr=SR, seed=0):
    t = np.arange(int(seconds * sr)) / sr
    rng = np.random.default_rng(seed)
    x = 0.5 * np.sin(2 * np.pi * (200 * t + 3000 * t ** 2)) + 0.01 * rng.standard_normal(len(t))
    return x.astype(np.float32)


# ---------------------------------------------------------------- config
def test_config_defaults_are_tacotron2():
    c = AudioConfig()
    assert (c.sample_rate, c.n_fft, c.hop_length, c.win_length, c.n_mels) == (22050, 1024, 256, 1024, 80)
    assert (c.fmin, c.fmax, c.clip_val) == (0.0, 8000.0, 1e-5)
    assert c.n_freqs == 513 and c.num_frames(22050) == 87
    assert AudioConfig(**c.to_dict()) == c
    with pytest.raises(Exception):
        c.n_mels = 40  # frozen


@pytest.mark.parametrize("kwargs, words, error", [
    (dict(hop_length=2048), "hop_length", ValueError), (dict(win_length=2048), "win_length", ValueError),
    (dict(fmax=12000.0), "Nyquist", ValueError), (dict(fmin=8000.0), "below fmax", ValueError),
    (dict(n_mels=0), "n_mels", ValueError), (dict(clip_val=0.0), "clip_val", ValueError),
    (dict(fmin=float("nan")), "finite", ValueError),
    (dict(n_fft=1024.0), "n_fft", TypeError),  # wrong type → TypeError (docs/VALIDATION.md)
])
def test_config_rejects_invalid_combinations(kwargs, words, error):
    assert words in config_problem(**{**AudioConfig().to_dict(), **kwargs})
    with pytest.raises(error, match=words):
        AudioConfig(**kwargs)


# ---------------------------------------------------------------- STFT
@pytest.mark.parametrize("name, torch_fn", [("hann", torch.hann_window), ("hamming", torch.hamming_window)])
def test_window_equals_torch_periodic_window(name, torch_fn):
    np.testing.assert_allclose(window(name, 400), torch_fn(400, dtype=torch.float64).numpy(), atol=1e-12)
    assert (window("rect", 7) == 1).all()
    with pytest.raises(ValueError, match="unknown window"):
        window("kaiser", 8)


def test_frame_signal_cuts_overlapping_frames():
    frames = frame_signal(np.arange(10.0), frame_length=4, hop_length=3)
    np.testing.assert_array_equal(frames, [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]])
    with pytest.raises(ValueError, match="at least 4"):
        frame_signal(np.arange(3.0), 4, 1)


@pytest.mark.parametrize("n_fft, hop, win, name, center", [
    (1024, 256, 1024, "hann", True), (512, 128, 400, "hamming", True), (256, 64, 256, "rect", False),
    (255, 100, 200, "hann", True),  # odd n_fft
])
def test_stft_from_scratch_equals_torch_stft(n_fft, hop, win, name, center):
    x = chirp(0.3).astype(np.float64)
    ours = stft_from_scratch(x, n_fft, hop, win, name, center=center)
    w = {"hann": torch.hann_window, "hamming": torch.hamming_window,
         "rect": lambda n, dtype: torch.ones(n, dtype=dtype)}[name](win, dtype=torch.float64)
    ref = torch.stft(torch.from_numpy(x), n_fft, hop, win, w, center=center, pad_mode="reflect",
                     return_complex=True).numpy()
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, atol=1e-9)
    fast = stft(torch.from_numpy(x), n_fft, hop, win, name, center=center).numpy()  # float64 kept
    np.testing.assert_allclose(fast, ref, atol=1e-9)


def test_stft_frame_count_and_istft_round_trip():
    x = chirp(0.25).astype(np.float64)
    spec = stft_from_scratch(x)
    assert spec.shape == (513, 1 + len(x) // 256)
    y = istft_from_scratch(spec, length=len(x))
    np.testing.assert_allclose(y, x, atol=1e-9)
    np.testing.assert_allclose(istft_from_scratch(spec), librosa.istft(spec, hop_length=256), atol=1e-6)


# ---------------------------------------------------------------- mel
def test_slaney_mel_scale_equals_librosa():
    f = np.array([0.0, 100, 999.9, 1000, 1001, 4000, 11025])
    np.testing.assert_allclose(hz_to_mel(f), librosa.hz_to_mel(f, htk=False), rtol=1e-12)
    np.testing.assert_allclose(mel_to_hz(hz_to_mel(f)), f, rtol=1e-9, atol=1e-9)
    assert hz_to_mel(1000.0) == pytest.approx(15.0)


@pytest.mark.parametrize("sr, n_fft, n_mels, fmin, fmax", [
    (22050, 1024, 80, 0.0, 8000.0), (16000, 512, 40, 80.0, None), (22050, 2048, 128, 50.0, 11025.0),
])
def test_mel_filterbank_equals_librosa(sr, n_fft, n_mels, fmin, fmax):
    ours = mel_filterbank(sr, n_fft, n_mels, fmin, fmax)
    ref = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=False, norm="slaney")
    assert ours.shape == (n_mels, n_fft // 2 + 1)
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-8)
    ours[:] = 0  # a copy: the cache must not be corrupted
    assert mel_filterbank(sr, n_fft, n_mels, fmin, fmax).max() > 0


def test_mel_filterbank_rejects_bad_band_edges():
    with pytest.raises(ValueError, match="fmin < fmax"):
        mel_filterbank(22050, 1024, 80, 5000.0, 4000.0)
    with pytest.raises(ValueError, match="n_mels"):
        mel_filterbank(22050, 1024, -1)


def test_log_compression_and_inverse():
    x = torch.tensor([0.0, 1e-6, 1.0, 10.0])
    y = dynamic_range_compression(x)
    assert y[0] == pytest.approx(np.log(1e-5)) and y[1] == pytest.approx(np.log(1e-5))
    torch.testing.assert_close(dynamic_range_decompression(y)[2:], x[2:])
    np.testing.assert_allclose(dynamic_range_compression(np.array([2.0])), np.log(2.0))


def test_mel_spectrogram_matches_tacotron2_recipe():
    x = chirp(0.5)
    c = AudioConfig()
    ours = mel_spectrogram(x, c)
    assert ours.dtype == torch.float32 and ours.shape == (80, 1 + len(x) // 256)
    spec = np.abs(librosa.stft(x.astype(np.float64), n_fft=1024, hop_length=256, win_length=1024,
                               window="hann", center=True, pad_mode="reflect"))
    basis = librosa.filters.mel(sr=SR, n_fft=1024, n_mels=80, fmin=0.0, fmax=8000.0)
    ref = np.log(np.maximum(basis @ spec, 1e-5))
    np.testing.assert_allclose(ours.numpy(), ref, atol=2e-4)


def test_mel_spectrogram_batch_tensor_and_silence():
    x = torch.from_numpy(chirp(0.2))
    batch = torch.stack([x, torch.zeros_like(x)])  # [batch, samples]
    out = mel_spectrogram(batch)
    assert out.shape == (2, 80, 1 + len(x) // 256)
    torch.testing.assert_close(out[0], mel_spectrogram(x))
    assert torch.allclose(out[1], torch.full_like(out[1], float(np.log(1e-5))))  # silence ≈ −11.51
    small = mel_spectrogram(x.numpy().astype(np.float64), AudioConfig(n_fft=512, win_length=512, n_mels=40))
    assert small.shape == (40, 1 + len(x) // 256) and small.dtype == torch.float32


@pytest.mark.parametrize("bad, err, words", [
    (np.zeros(0), ValueError, "0 samples"), (np.zeros(100), ValueError, "at least 513"),
    (np.full(2000, np.nan), ValueError, "NaN"), (np.zeros((2, 2, 2000)), ValueError, "1-D or 2-D"),
    ("hello", TypeError, "numpy array"), (np.zeros(2000, dtype=complex), TypeError, "real-valued"),
    (np.zeros((3, 0)), ValueError, "0 samples"),
])
def test_mel_spectrogram_bad_input_gives_clear_error(bad, err, words):
    with pytest.raises(err, match=words):
        mel_spectrogram(bad)


@settings(max_examples=25, deadline=None)
@given(arrays(np.float32, st.integers(0, 1500), elements=st.floats(-1, 1, width=32)))
def test_mel_spectrogram_any_finite_array_works_or_says_why(x):
    try:
        out = mel_spectrogram(x)
    except ValueError as err:
        assert len(x) <= 512 and "samples" in str(err)
    else:
        assert out.shape == (80, 1 + len(x) // 256) and torch.isfinite(out).all()


# ---------------------------------------------------------------- Griffin-Lim
@pytest.mark.parametrize("momentum", [0.0, 0.99])
def test_griffin_lim_from_scratch_equals_librosa(momentum):
    mag = np.abs(stft_from_scratch(chirp(0.3).astype(np.float64)))
    ours = griffin_lim_from_scratch(mag, n_iter=8, momentum=momentum, init="zeros")
    ref = librosa.griffinlim(mag, n_iter=8, hop_length=256, win_length=1024, n_fft=1024, window="hann",
                             center=True, pad_mode="reflect", momentum=momentum, init=None)
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, atol=1e-7)


def test_fast_griffin_lim_equals_from_scratch_and_is_reproducible():
    mag = np.abs(stft_from_scratch(chirp(0.3).astype(np.float64)))
    scratch = griffin_lim_from_scratch(mag, n_iter=8, init="random", seed=3)
    fast = griffin_lim(mag, n_iter=8, init="random", seed=3)
    assert fast.dtype == np.float32 and fast.shape == scratch.shape
    np.testing.assert_allclose(fast, scratch, atol=1e-4)
    np.testing.assert_array_equal(fast, griffin_lim(torch.from_numpy(mag), n_iter=8, seed=3))


def test_griffin_lim_converges():
    x = chirp(0.5)
    mag = np.abs(stft_from_scratch(x))
    errors = [spectral_convergence(mag, griffin_lim(mag, n_iter=n)) for n in (0, 4, 32)]
    assert errors[0] > errors[1] > errors[2] and errors[2] < 0.15, errors
    plain = [spectral_convergence(mag, griffin_lim(mag, n_iter=n, momentum=0.0)) for n in (1, 2, 4, 8)]
    assert all(b <= a + 1e-6 for a, b in zip(plain, plain[1:])), plain  # no plain round makes it worse


def test_mel_to_linear_is_a_pseudo_inverse_and_mel_to_audio_sounds_right():
    c = AudioConfig()
    x = chirp(0.5)
    log_mel = mel_spectrogram(x, c)
    mel = torch.exp(log_mel)
    linear = mel_to_linear(mel, c)
    assert linear.shape == (513, log_mel.shape[1]) and (linear >= 0).all()
    basis = torch.from_numpy(mel_filterbank(c.sample_rate, c.n_fft, c.n_mels, c.fmin, c.fmax))
    rel = torch.linalg.norm(basis @ linear - mel) / torch.linalg.norm(mel)
    assert rel < 0.05, rel  # (measured 0.01) the filterbank maps the estimate back onto (almost) the same mel
    np.testing.assert_allclose(mel_to_linear(mel.numpy(), c), linear.numpy(), rtol=1e-4, atol=1e-6)
    y = mel_to_audio(log_mel, c, n_iter=32)
    assert y.shape == ((log_mel.shape[1] - 1) * 256,) and np.isfinite(y).all()
    rebuilt = mel_spectrogram(y, c)
    err = float((rebuilt - log_mel[:, :rebuilt.shape[1]]).abs().mean())
    assert err < 0.5, err  # mean |log-mel error| (measured 0.10; noise or a reversed chirp give ~2)


@pytest.mark.parametrize("call, words", [
    (lambda: griffin_lim(np.zeros((100, 10))), "frequency rows"),
    (lambda: griffin_lim(-np.ones((513, 10))), "≥ 0"),
    (lambda: griffin_lim(np.ones((513, 0))), "frames ≥ 1"),
    (lambda: griffin_lim(np.ones((513, 2))), "more than"),
    (lambda: griffin_lim(np.full((513, 9), np.inf)), "NaN or infinite"),
    (lambda: griffin_lim(np.ones((513, 9)), n_iter=-1), "n_iter"),
    (lambda: griffin_lim(np.ones((513, 9)), momentum=1.0), "momentum"),
    (lambda: griffin_lim(np.ones((513, 9)), init="ones"), "init"),
    (lambda: mel_to_audio(np.zeros((40, 10))), "n_mels=80"),
    (lambda: mel_to_audio(np.zeros((1, 80, 10))), "one utterance"),
])
def test_griffin_lim_bad_input(call, words):
    with pytest.raises(ValueError, match=words):
        call()


# ---------------------------------------------------------------- any finite array
def _raised_in_course_lib(err: BaseException) -> bool:
    tb = err.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    return "course_lib" in tb.tb_frame.f_code.co_filename


def _gl(x):
    return griffin_lim(np.abs(stft_from_scratch(x)), n_iter=1)


ANY_ARRAY = {
    "stft": lambda x: stft(x), "stft_from_scratch": stft_from_scratch,
    "frame_signal": lambda x: frame_signal(x, 256, 64),
    "mel_spectrogram": mel_spectrogram, "griffin_lim": _gl, "resample": lambda x: A.resample(x, 22050, 16000),
    "pre_emphasis": A.pre_emphasis, "de_emphasis": A.de_emphasis, "rms_db": A.rms_db, "peak": A.peak,
    "peak_normalize": A.peak_normalize, "loudness_normalize": A.loudness_normalize, "to_mono": A.to_mono,
    "clipped_fraction": A.clipped_fraction,
}


@pytest.mark.filterwarnings("ignore:loudness_normalize to")  # a spiky random array may clip: a warning, fine
@settings(max_examples=60, deadline=None)
@given(x=arrays(np.float64, st.integers(0, 1200), elements=st.floats(-1, 1)), name=st.sampled_from(sorted(ANY_ARRAY)))
def test_any_finite_array_works_or_raises_a_clear_course_lib_error(x, name):
    try:
        ANY_ARRAY[name](x)
    except ValueError as err:
        assert _raised_in_course_lib(err), f"{name} leaked an internal error: {err!r}"
        assert "samples" in str(err) or "silent" in str(err), str(err)


def test_istft_rejects_what_it_cannot_invert():
    spec = stft(torch.randn(4000), 1024, 1024)
    with pytest.raises(ValueError, match="NOLA"):
        A.istft(spec, 1024)
    with pytest.raises(TypeError, match="complex"):
        A.istft(spec.abs())
    with pytest.raises(ValueError, match="frames ≥ 1"):
        istft_from_scratch(np.zeros((513, 0), dtype=complex))
    x = torch.randn(2, 3, 4000)  # any leading batch shape round-trips
    torch.testing.assert_close(A.istft(stft(x), length=4000), x, atol=1e-5, rtol=0)
