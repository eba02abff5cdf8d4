"""GMM-HMM forced alignment, its features and its metrics (course_lib.tts.duration)."""

import dataclasses

import librosa
import numpy as np
import pytest
from scipy.stats import multivariate_normal

from course_lib.tts.duration import (
    GMMHMM,
    HMMConfig,
    add_deltas,
    boundary_errors,
    brute_force_alignment,
    cepstral_features,
    diagonal_gaussian_log_density,
    frames_from_times,
    make_toy_corpus,
    mfcc_from_log_mel,
    times_from_frames,
    train_gmm_hmm,
    uniform_boundaries,
)


@pytest.fixture(scope="module")
def toy():
    corpus = make_toy_corpus(60, seed=3)
    train, test = corpus[:40], corpus[40:]
    model, history = train_gmm_hmm([u.phonemes for u in train], [u.features for u in train],
                                   HMMConfig(mixture_schedule=(1, 1, 1, 2, 2)))
    return model, history, train, test


# ---- features ---------------------------------------------------------------------------------
def test_mfcc_equals_librosa():
    log_mel = np.random.default_rng(0).normal(size=(80, 40))
    np.testing.assert_allclose(mfcc_from_log_mel(log_mel, 13), librosa.feature.mfcc(S=log_mel, n_mfcc=13), atol=1e-10)


def test_deltas_of_a_ramp_are_its_slope():
    ramp = np.arange(20.0)[None] * 0.5  # [1, 20]
    out = add_deltas(ramp, order=2)
    assert out.shape == (3, 20)
    np.testing.assert_allclose(out[1, 2:-2], 0.5)  # interior: exact slope
    np.testing.assert_allclose(out[2, 4:-4], 0.0, atol=1e-12)


def test_cepstral_features_shape_and_mean_normalised():
    log_mel = np.random.default_rng(1).normal(size=(80, 30))
    f = cepstral_features(log_mel)
    assert f.shape == (30, 39)
    np.testing.assert_allclose(f[:, :13].mean(0), 0.0, atol=1e-12)
    with pytest.raises(ValueError, match="NaN"):
        cepstral_features(np.full((80, 5), np.nan))
    with pytest.raises(ValueError, match="n_mels, frames"):
        cepstral_features(np.zeros(80))


# ---- Gaussian mixtures ------------------------------------------------------------------------
def test_diagonal_gaussian_matches_scipy():
    rng = np.random.default_rng(0)
    x, means, var = rng.normal(size=(6, 3)), rng.normal(size=(2, 3)), rng.uniform(0.5, 2, size=(2, 3))
    ours = diagonal_gaussian_log_density(x, means, var)
    for k in range(2):
        np.testing.assert_allclose(ours[:, k], multivariate_normal(means[k], np.diag(var[k])).logpdf(x))


def test_reestimate_one_gaussian_is_the_sample_mean_and_variance():
    rng = np.random.default_rng(0)
    model = GMMHMM(["a"], dim=2, config=HMMConfig(states_per_phoneme=1, edge_silence=False))
    frames = rng.normal(loc=[3.0, -1.0], scale=[0.5, 2.0], size=(500, 2))
    model.reestimate(frames, np.zeros(500, dtype=np.int64), np.array([5.0, 0.0]))
    np.testing.assert_allclose(model.means[0, 0], frames.mean(0))
    np.testing.assert_allclose(model.variances[0, 0], frames.var(0))
    assert np.exp(model.log_move[0]) == pytest.approx(5 / 500)  # 5 visits over 500 frames


def test_split_and_em_find_two_clusters():
    rng = np.random.default_rng(0)
    model = GMMHMM(["a"], dim=1, config=HMMConfig(states_per_phoneme=1, edge_silence=False, em_steps=30))
    frames = np.concatenate([rng.normal(-4, 0.5, 400), rng.normal(4, 0.5, 400)])[:, None]
    labels = np.zeros(800, dtype=np.int64)
    model.reestimate(frames, labels, np.array([1.0, 0.0]))
    model.split_mixtures()
    model.reestimate(frames, labels, np.array([1.0, 0.0]))
    np.testing.assert_allclose(np.sort(model.means[0, :, 0]), [-4, 4], atol=0.1)
    np.testing.assert_allclose(np.exp(model.log_weights[0]), 0.5, atol=0.02)


# ---- training and alignment on toy data with known boundaries --------------------------------
def test_viterbi_training_increases_the_likelihood(toy):
    _, history, _, _ = toy
    assert len(history) == 5
    assert history[-1] > history[0] + 1.0
    assert all(b >= a - 1e-6 for a, b in zip(history[:3], history[1:3]))  # fixed mixtures: non-decreasing


def test_alignment_recovers_known_boundaries(toy):
    model, _, _, test = toy
    errors = np.concatenate([np.abs(model.align(u.phonemes, u.features).boundaries - u.boundaries) for u in test])
    assert (errors == 0).mean() > 0.85, f"only {(errors == 0).mean():.0%} of held-out boundaries exact"
    assert errors.max() <= 3
    uniform = np.concatenate([np.abs(uniform_boundaries(len(u.phonemes), len(u.features)) - u.boundaries)
                              for u in test])
    assert errors.mean() < uniform.mean() / 5


def test_alignment_durations_are_consistent(toy):
    model, _, _, test = toy
    u = test[0]
    a = model.align(u.phonemes, u.features)
    assert a.durations.sum() + a.leading_silence + a.trailing_silence == len(u.features)
    assert (a.durations >= model.config.states_per_phoneme).all()
    assert a.boundaries[-1] == len(u.features) - a.trailing_silence


def test_model_viterbi_equals_brute_force_on_a_tiny_utterance():
    corpus = make_toy_corpus(20, n_phonemes=3, dim=2, states=1, seed=5)
    cfg = HMMConfig(states_per_phoneme=1, mixture_schedule=(1, 1), edge_silence=False)
    model, _ = train_gmm_hmm([u.phonemes for u in corpus], [u.features for u in corpus], cfg)
    phonemes, feats = ("p0", "p1", "p2"), np.random.default_rng(0).normal(size=(9, 2)) * 3
    a = model.align(phonemes, feats)
    units, _ = model.state_units(phonemes)
    bf_states, bf_score = brute_force_alignment(model.log_emissions(phonemes, feats), model.log_stay[units],
                                                model.log_move[units])
    np.testing.assert_array_equal(a.states, bf_states)
    assert a.log_likelihood == pytest.approx(bf_score)


def test_phoneme_log_likelihood_matrix_shape(toy):
    model, _, _, test = toy
    u = test[0]
    m = model.phoneme_log_likelihoods(u.phonemes, u.features)
    assert m.shape == (len(u.phonemes), len(u.features)) and np.isfinite(m).all()


def test_bad_input_gives_clear_errors(toy):
    model, _, _, test = toy
    u = test[0]
    with pytest.raises(ValueError, match="phoneme list is empty"):
        model.align([], u.features)
    with pytest.raises(ValueError, match="fewer than the"):
        model.align(u.phonemes, u.features[:4])
    bad = u.features.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.align(u.phonemes, bad)
    with pytest.raises(ValueError, match="inventory"):
        model.align(["zz"], u.features)
    with pytest.raises(ValueError, match="dims"):
        model.align(u.phonemes, u.features[:, :2])
    with pytest.raises(TypeError, match="one string"):
        model.align("p0p1", u.features)
    with pytest.raises(ValueError, match="fewer than its"):
        train_gmm_hmm([u.phonemes], [u.features[:5]])
    with pytest.raises(ValueError, match="no training"):
        train_gmm_hmm([], [])
    with pytest.raises(ValueError, match="NaN"):
        train_gmm_hmm([u.phonemes], [bad])
    with pytest.raises(ValueError, match="mixture_schedule"):
        HMMConfig(mixture_schedule=(1, 3))
    with pytest.raises(ValueError, match="states_per_phoneme"):
        dataclasses.replace(HMMConfig(), states_per_phoneme=0)


# ---- metrics ----------------------------------------------------------------------------------
def test_frame_time_conversions():
    hop, sr = 256, 22050
    frame = hop / sr
    np.testing.assert_array_equal(frames_from_times([0.0, frame, 1.5 * frame, 2.01 * frame], hop, sr), [0, 1, 2, 3])
    np.testing.assert_allclose(times_from_frames([0, 2], hop, sr), [0.0, 1.5 * frame])
    np.testing.assert_array_equal(uniform_boundaries(3, 10), [0, 3, 7, 10])
    with pytest.raises(ValueError):
        uniform_boundaries(0, 10)


def test_boundary_errors():
    hop, sr = 256, 22050
    frame_ms = 1000 * hop / sr
    true = times_from_frames(np.array([0, 5, 9]), hop, sr)
    perfect = boundary_errors([np.array([0, 5, 9])], [true], hop, sr)
    assert perfect.frames == 0 and perfect.ms == pytest.approx(0, abs=1e-9)
    off = boundary_errors(np.array([0, 6, 9]), true, hop, sr)
    assert off.frames == pytest.approx(1 / 3) and off.ms == pytest.approx(frame_ms / 3)
    with pytest.raises(ValueError, match="2 predicted"):
        boundary_errors([np.array([0, 1]), np.array([1, 2])], [true], hop, sr)


def test_align_many_equals_align(toy):
    model, _, _, test = toy
    many = model.align_many([u.phonemes for u in test], [u.features for u in test])
    for u, a in zip(test, many):
        one = model.align(u.phonemes, u.features)
        np.testing.assert_array_equal(a.states, one.states)
        assert a.log_likelihood == pytest.approx(one.log_likelihood)
    with pytest.raises(ValueError, match="2 phoneme lists but 1"):
        model.align_many([test[0].phonemes, test[1].phonemes], [test[0].features])


def test_inventory_beyond_training_data_keeps_the_global_gaussian():
    corpus = make_toy_corpus(10, n_phonemes=3, seed=1)
    model, _ = train_gmm_hmm([u.phonemes for u in corpus], [u.features for u in corpus],
                             HMMConfig(mixture_schedule=(1, 1)), inventory=["unseen"])
    assert "unseen" in model.phonemes
    units, _ = model.state_units(["unseen"])
    frames = np.concatenate([u.features for u in corpus])
    np.testing.assert_allclose(model.means[units[len(units) // 2], 0], frames.mean(0))
    a = model.align(["p0", "unseen"], corpus[0].features)  # aligns without error
    assert a.durations.sum() + a.leading_silence + a.trailing_silence == len(corpus[0].features)
