"""F0 / voicing / harmonic metrics after DTW, for speech from predicted (unaligned) mels."""

import numpy as np
import pytest

from course_lib.audio import mel_spectrogram
from course_lib.tts.metrics import harmonics as H
from course_lib.tts.metrics import speech as S

SR, HOP = 22050, 256


def utterance(stretch=1.0, cents=0.0, glide=(100, 125)):
    """Silence, a voiced glide 100→125 Hz whose formant moves 300→1200 Hz (a diphthong), noise, a steady
    150 Hz with a formant at 1.8 kHz, silence (segment lengths × ``stretch``, F0 × 2^(cents/1200))
    → (wave, F0 per mel frame)."""
    segments = [(0.15, None, 0), (0.35, glide, (300, 1200)), (0.12, "noise", 0), (0.35, (150, 150), (1800, 1800)),
                (0.15, None, 0)]
    rng, parts, f0s = np.random.default_rng(0), [], []
    for seconds, pitch, formant in segments:
        n = int(seconds * stretch * SR)
        if pitch is None or pitch == "noise":
            parts.append(rng.normal(size=n) * (0.02 if pitch else 0.0))
            f0s.append(np.zeros(n))
            continue
        f0 = np.linspace(*pitch, n) * 2 ** (cents / 1200)
        phase, centre = 2 * np.pi * np.cumsum(f0) / SR, np.linspace(*formant, n)
        parts.append(sum(np.cos(h * phase) * (0.2 + np.exp(-((h * f0 - centre) / 300) ** 2)) for h in range(1, 30))
                     * 0.03)
        f0s.append(f0)
    wave, f0 = np.concatenate(parts).astype(np.float32), np.concatenate(f0s)
    return wave, f0[np.minimum(np.arange(len(wave) // HOP + 1) * HOP, len(wave) - 1)]


def scores(degraded, reference):
    (wave, f0), (ref_wave, ref_f0) = degraded, reference
    return S.aligned_voice_metrics(wave, f0, mel_spectrogram(wave), mel_spectrogram(ref_wave), ref_f0)


def test_a_time_stretched_copy_scores_zero_cents_after_dtw_but_not_without():
    reference, stretched = utterance(), utterance(stretch=1.3)
    aligned = scores(stretched, reference)
    assert aligned["f0_rmse_cents"] < 15 and aligned["vuv_f1"] > 0.95
    assert aligned["harmonic_share"] > 0.85
    raw = H.f0_metrics(reference[1], stretched[1])  # frame by frame, no DTW
    assert raw["f0_rmse_cents"] > 100 and raw["vuv_f1"] < 0.85
    assert H.harmonic_metrics(stretched[0], reference[1])["harmonic_share"] < aligned["harmonic_share"] - 0.1


def test_a_wrong_pitch_copy_scores_its_cent_offset():
    steady = (110, 110)  # on a glide DTW may pair a sharp frame with a later, higher one (see the docstring)
    for cents in (-200.0, 50.0):
        aligned = scores(utterance(cents=cents, glide=steady), utterance(glide=steady))
        assert aligned["f0_mean_cents"] == pytest.approx(abs(cents), abs=5) and aligned["vuv_f1"] > 0.95


def test_the_reference_f0_lands_on_the_degraded_frames():
    (wave, f0), (ref_wave, ref_f0) = utterance(stretch=0.8), utterance()
    mapped = S.dtw_reference_f0(mel_spectrogram(ref_wave), ref_f0, mel_spectrogram(wave))
    assert mapped.shape == f0.shape and set(np.unique(mapped)) <= set(np.unique(ref_f0))
    identity = S.dtw_reference_f0(mel_spectrogram(ref_wave), ref_f0, mel_spectrogram(ref_wave))
    np.testing.assert_array_equal(identity, ref_f0)


def test_aligned_metrics_refuse_mismatched_input():
    wave, f0 = utterance()
    mel = mel_spectrogram(wave)
    with pytest.raises(ValueError, match="one F0 per reference frame"):
        S.dtw_reference_f0(mel, f0[:-3], mel)
    with pytest.raises(ValueError, match="same bands"):
        S.dtw_reference_f0(mel, f0, mel[:40])
    with pytest.raises(ValueError, match="one F0 per reference frame"):
        S.dtw_reference_f0(mel[:, :-1], f0, mel)
    with pytest.raises(ValueError, match=">= 0"):
        S.dtw_reference_f0(mel, -f0, mel)
    with pytest.raises(TypeError, match="reference_f0"):
        S.dtw_reference_f0(mel, "120 Hz", mel)
