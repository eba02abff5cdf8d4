"""Harmonic-plus-noise synthesis (course_lib.tts.waveglow.harmonic_noise): harmonics where F0 says, the mel matched."""

import numpy as np
import pytest
import torch

from course_lib.audio import AudioConfig, mel_spectrogram
from course_lib.tts.metrics.harmonics import harmonic_metrics
from course_lib.tts.waveglow.harmonic_noise import harmonic_plus_noise, harmonics

SR = 22050


def vowel(f0_hz=110.0, seconds=0.6, formants=(700, 1200, 2600)):
    """A synthetic vowel: harmonics of f0 shaped by three formant peaks (each harmonic its own amplitude)."""
    t = np.arange(int(SR * seconds)) / SR
    wave = np.zeros_like(t)
    for k in range(1, int(7500 // f0_hz)):
        f = k * f0_hz
        amp = sum(1 / (1 + ((f - fc) / 120) ** 2) for fc in formants) + 0.02
        wave += amp * np.cos(2 * np.pi * f * t)
    return (0.3 * wave / np.abs(wave).max()).astype(np.float32)


@pytest.fixture(scope="module")
def steady():
    wave = vowel()
    mel = mel_spectrogram(wave)
    return wave, mel, np.full(mel.shape[1], 110.0)


def test_voiced_output_has_harmonics_at_f0_and_the_given_length(steady):
    wave, mel, f0 = steady
    out = harmonic_plus_noise(mel, f0, generator=torch.Generator().manual_seed(0))
    assert out.dtype == np.float32 and out.shape == (mel.shape[1] * 256,)
    scores = harmonic_metrics(out, f0)
    assert scores["harmonic_contrast_db"] > 15 and scores["harmonic_share"] > 0.8
    wrong_pitch = harmonic_metrics(harmonic_plus_noise(mel, f0 * 1.5, phase=0.0), f0)  # the F0 input is obeyed
    assert wrong_pitch["harmonic_contrast_db"] < scores["harmonic_contrast_db"] - 10


def test_matching_the_mel_brings_the_output_closer_to_it(steady):
    wave, mel, f0 = steady
    inner = slice(3, -3)  # edge frames see the reflect padding

    def error(n_iter):
        out = harmonic_plus_noise(mel, f0, phase=0.0, n_iter=n_iter, generator=torch.Generator().manual_seed(0))
        return float((mel_spectrogram(out)[:, :mel.shape[1]][:, inner] - mel[:, inner]).abs().mean())

    assert error(8) < 0.5 * error(0)
    assert error(8) < 0.25


def test_unvoiced_input_gives_shaped_noise_and_silence_gives_silence(steady):
    _, mel, f0 = steady
    voiced = harmonic_metrics(harmonic_plus_noise(mel, f0, generator=torch.Generator().manual_seed(0)), f0)
    noise = harmonic_plus_noise(mel, np.zeros_like(f0), generator=torch.Generator().manual_seed(0))
    assert np.isfinite(noise).all() and noise.std() > 1e-3
    # no pitch was given: the mel's narrow low bands resolve a 110 Hz voice's lowest harmonics, so noise
    # shaped by it keeps a little of their pattern, far less than a pitch makes
    assert harmonic_metrics(noise, f0)["harmonic_contrast_db"] < voiced["harmonic_contrast_db"] - 5
    silent = harmonic_plus_noise(np.full((80, 20), np.log(1e-5)), np.full(20, 100.0))
    assert np.abs(silent).max() < 1e-6


def test_the_phase_is_not_heard_but_fixes_the_waveform(steady):
    _, mel, f0 = steady
    a = harmonic_plus_noise(mel, f0, phase=0.0, generator=torch.Generator().manual_seed(0))
    b = harmonic_plus_noise(mel, f0, phase=0.0, generator=torch.Generator().manual_seed(0))
    c = harmonic_plus_noise(mel, f0, phase=1.0, generator=torch.Generator().manual_seed(0))
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 0.01
    inner = slice(3, -3)
    assert float((mel_spectrogram(a)[:, inner] - mel_spectrogram(c)[:, inner]).abs().mean()) < 0.1


def test_harmonic_amplitudes_follow_the_envelope():
    """A flat envelope of height A gives harmonics of peak 2A/Σw — a sine whose |STFT| peaks at A."""
    cfg = AudioConfig()
    envelope = torch.full((513, 10), 3.0, dtype=torch.float64)
    h = harmonics(envelope, torch.full((10,), 2000.0, dtype=torch.float64), 2560, cfg, 0.0)
    spec = torch.stft(h, 1024, 256, window=torch.hann_window(1024, dtype=torch.float64), return_complex=True).abs()
    peaks = spec[:, 4][[round(k * 2000 / (SR / 1024)) for k in (1, 2, 3)]]
    assert torch.allclose(peaks, torch.full_like(peaks, 3.0), rtol=0.1)


@pytest.mark.parametrize("f0, match", [
    (np.full(30, 1000.0), "outside the speech range"),
    (np.full(30, np.nan), "NaN"),
    (np.full(29, 100.0), "one value per mel frame"),
])
def test_bad_f0_is_refused_with_a_clear_message(f0, match):
    with pytest.raises(ValueError, match=match):
        harmonic_plus_noise(np.full((80, 30), -3.0), f0)


def test_a_mel_in_decibels_is_refused():
    with pytest.raises(ValueError, match="decibels"):
        harmonic_plus_noise(np.full((80, 30), 60.0), np.full(30, 100.0))
