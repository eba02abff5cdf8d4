"""course_lib.augment.audio: SNR is exact, shifts/stretches have the right lengths, SpecAugment
masks cover the widths they claim."""

import numpy as np
import pytest
import torch

from course_lib.augment import audio as A

SR = 22050


def _tone(seconds=0.5, f0=220.0):
    t = np.arange(int(seconds * SR)) / SR
    return (0.3 * np.sin(2 * np.pi * f0 * t) + 0.1 * np.sin(2 * np.pi * 3 * f0 * t)).astype(np.float32)


@pytest.mark.parametrize("snr", [30.0, 10.0, 0.0, -5.0])
def test_white_noise_hits_the_requested_snr(snr):
    wave = _tone()
    noisy = A.add_noise(wave, snr, rng=1)
    assert noisy.dtype == wave.dtype and noisy.shape == wave.shape
    assert A.snr_db(wave, noisy) == pytest.approx(snr, abs=1e-3)


def test_given_noise_is_cut_to_length_and_scaled():
    wave, hum = _tone(0.2), _tone(0.3, f0=50.0)
    noisy = A.add_noise(wave, 6.0, noise=hum)
    assert A.snr_db(wave, noisy) == pytest.approx(6.0, abs=1e-3)
    # the added signal is the hum itself, scaled: correlation 1
    assert np.corrcoef(noisy - wave, hum[: len(wave)])[0, 1] == pytest.approx(1.0, abs=1e-6)


def test_noise_is_reproducible_with_a_seed():
    wave = _tone(0.1)
    assert np.array_equal(A.add_noise(wave, 10, rng=3), A.add_noise(wave, 10, rng=3))
    assert not np.array_equal(A.add_noise(wave, 10, rng=3), A.add_noise(wave, 10, rng=4))


def test_time_shift_moves_and_zero_fills():
    wave = np.arange(1, 11, dtype=np.float32)
    assert A.time_shift(wave, 3).tolist() == [0, 0, 0, 1, 2, 3, 4, 5, 6, 7]
    assert A.time_shift(wave, -2).tolist() == [3, 4, 5, 6, 7, 8, 9, 10, 0, 0]
    assert np.array_equal(A.time_shift(wave, 0), wave)


@pytest.mark.slow  # the first librosa STFT imports scipy.signal and numba: seconds
def test_stretch_pitch_and_speed_change_what_they_should():
    wave = _tone(1.0)
    faster = A.time_stretch(wave, 1.25)
    assert len(faster) == pytest.approx(len(wave) / 1.25, rel=0.01)
    higher = A.pitch_shift(wave, 12, sample_rate=SR)               # one octave up, same length
    assert len(higher) == len(wave)
    spectrum = lambda w: np.abs(np.fft.rfft(w * np.hanning(len(w))))
    f = np.fft.rfftfreq(len(wave), 1 / SR)
    assert f[spectrum(higher).argmax()] == pytest.approx(440.0, rel=0.02)
    tape = A.speed_perturb(wave, 1.1, sample_rate=SR)              # tempo and pitch together
    assert len(tape) == pytest.approx(len(wave) / 1.1, abs=2)
    f_tape = np.fft.rfftfreq(len(tape), 1 / SR)
    assert f_tape[spectrum(tape).argmax()] == pytest.approx(242.0, rel=0.02)


def test_fixed_masks_cover_exactly_their_bands():
    spec = torch.randn(80, 50)
    out = A.freq_mask(spec, 10, 7, value=-11.5)
    changed = (out != spec).any(dim=1)
    assert changed.nonzero().flatten().tolist() == list(range(10, 17))
    assert (out[10:17] == -11.5).all()
    out = A.time_mask(spec.numpy(), 40, 10)                          # numpy in, numpy out
    assert isinstance(out, np.ndarray)
    assert np.flatnonzero((out != spec.numpy()).any(axis=0)).tolist() == list(range(40, 50))
    assert np.allclose(out[:, 40:], spec.mean().item())              # default fill: the mean


def test_spec_augment_widths_are_uniform_up_to_the_limit():
    spec = torch.randn(80, 200) + 5.0
    rng = np.random.default_rng(0)
    freq_widths, time_widths = [], []
    for _ in range(200):
        _, mask = A.spec_augment(spec, freq_width=27, time_width=30, n_freq_masks=1, n_time_masks=0, rng=rng)
        rows = mask.any(dim=1).nonzero().flatten()
        freq_widths.append(len(rows))
        if len(rows):                                              # one contiguous band
            assert rows.tolist() == list(range(int(rows[0]), int(rows[0]) + len(rows)))
            assert mask[rows].all()                                 # the band covers every frame
        _, mask = A.spec_augment(spec, freq_width=27, time_width=30, n_freq_masks=0, n_time_masks=1, rng=rng)
        time_widths.append(int(mask.any(dim=0).sum()))
    assert max(freq_widths) == 27 and min(freq_widths) == 0 and abs(np.mean(freq_widths) - 13.5) < 1.5
    assert max(time_widths) == 30 and min(time_widths) == 0 and abs(np.mean(time_widths) - 15) < 1.5


def test_spec_augment_fills_masks_and_respects_p():
    spec = torch.randn(2, 80, 100)
    out, mask = A.spec_augment(spec, 20, 100, 2, 2, max_time_fraction=0.1, value=0.0, rng=0)
    assert out.shape == spec.shape and mask.shape == spec.shape
    assert (out[mask] == 0).all() and torch.equal(out[~mask], spec[~mask])
    for b in range(2):                                             # two time masks of ≤ 10 frames each
        assert int(mask[b].all(dim=0).sum()) <= 20
    assert not torch.equal(mask[0], mask[1])                       # each example gets its own masks
    out_np, mask_np = A.spec_augment(spec[0].numpy(), rng=0)
    assert isinstance(out_np, np.ndarray) and mask_np.dtype == bool


@pytest.mark.parametrize("call, message", [
    (lambda: A.add_noise(np.zeros(100), 10), "all zeros"),
    (lambda: A.add_noise(_tone(0.1), float("nan")), "snr"),
    (lambda: A.add_noise(_tone(0.1), 10, noise=np.ones(10)), "samples"),
    (lambda: A.add_noise(_tone(0.1), 10, rng="seed"), "rng"),
    (lambda: A.add_noise(np.ones((2, 100)), 10), "1-D"),
    (lambda: A.snr_db(np.ones(3), np.ones(4)), "same shape"),
    (lambda: A.time_shift(np.ones(10), 10), "shift"),
    (lambda: A.time_shift(np.ones(10), 1.5), "shift"),
    (lambda: A.time_stretch(_tone(0.2), 0), "rate"),
    (lambda: A.pitch_shift(_tone(0.2), 2, sample_rate=0), "sample_rate"),
    (lambda: A.speed_perturb(_tone(0.2), -1), "factor"),
    (lambda: A.freq_mask(torch.zeros(80, 10), 75, 10), "runs past"),
    (lambda: A.time_mask(torch.zeros(80, 10), -1, 2), "start"),
    (lambda: A.spec_augment(torch.zeros(10), 2, 2), r"\[n_mels, frames\]"),
    (lambda: A.spec_augment(torch.zeros(80, 10), 81, 2), "exceeds"),
    (lambda: A.spec_augment(torch.zeros(80, 10), 2, 2, max_time_fraction=1.5), "max_time_fraction"),
    (lambda: A.spec_augment(torch.zeros(80, 10), -2, 2), "freq_width"),
])
def test_bad_input_is_a_clear_error(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
