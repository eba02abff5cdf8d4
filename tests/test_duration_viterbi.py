"""Viterbi for left-to-right HMMs and monotonic alignment search (course_lib.tts.duration.viterbi)."""

import numpy as np
import pytest
import torch

from course_lib.tts.duration.viterbi import (
    brute_force_alignment,
    durations_from_states,
    monotonic_alignment_search,
    states_from_durations,
    viterbi_left_to_right,
    viterbi_step,
)


def _is_monotonic_full(states, n_states):
    return states[0] == 0 and states[-1] == n_states - 1 and set(np.diff(states)) <= {0, 1}


@pytest.mark.parametrize("n_frames,n_states", [(1, 1), (5, 1), (4, 4), (6, 3), (8, 4), (9, 5), (10, 2)])
@pytest.mark.parametrize("seed", range(4))
def test_viterbi_equals_brute_force(n_frames, n_states, seed):
    rng = np.random.default_rng(seed)
    log_emit = rng.normal(size=(n_frames, n_states)) * 2
    p_move = rng.uniform(0.1, 0.9, size=n_states)
    log_stay, log_move = np.log1p(-p_move), np.log(p_move)
    states, score = viterbi_left_to_right(log_emit, log_stay, log_move)
    bf_states, bf_score = brute_force_alignment(log_emit, log_stay, log_move)
    assert score == pytest.approx(bf_score, abs=1e-9)
    np.testing.assert_array_equal(states, bf_states)
    assert _is_monotonic_full(states, n_states)


def test_viterbi_score_is_the_score_of_its_path():
    rng = np.random.default_rng(1)
    log_emit = rng.normal(size=(12, 4))
    log_stay, log_move = np.log([0.7, 0.6, 0.5, 0.9]), np.log([0.3, 0.4, 0.5, 0.1])
    states, score = viterbi_left_to_right(log_emit, log_stay, log_move)
    moves = np.diff(states) == 1
    transitions = np.where(moves, log_move[states[:-1]], log_stay[states[:-1]])
    expected = log_emit[np.arange(12), states].sum() + transitions.sum()
    assert score == pytest.approx(expected)


def test_viterbi_step_one_recursion():
    delta = np.array([-1.0, -2.0, -np.inf])
    emit = np.array([-0.5, -0.1, -0.3])
    stay, move = np.log([0.5, 0.5, 0.5]), np.log([0.5, 0.5, 0.5])
    new, moved = viterbi_step(delta, emit, stay, move)
    # state 1: stay gives -2 + log .5, move from state 0 gives -1 + log .5 → move wins
    assert new[1] == pytest.approx(-1 + np.log(0.5) - 0.1) and moved[1]
    assert new[0] == pytest.approx(-1 + np.log(0.5) - 0.5) and not moved[0]
    assert new[2] == pytest.approx(-2 + np.log(0.5) - 0.3) and moved[2]


def test_optional_start_and_end_states():
    # frames look like state 1 … state 1 then state 2: a path may skip the optional state 0
    log_emit = np.log(np.array([[0.01, 0.98, 0.01]] * 3 + [[0.01, 0.01, 0.98]] * 2))
    start = np.array([0.0, 0.0, -np.inf])
    states, _ = viterbi_left_to_right(log_emit, log_start=start)
    np.testing.assert_array_equal(states, [1, 1, 1, 2, 2])
    forced, _ = viterbi_left_to_right(log_emit)  # default: must start in state 0
    assert forced[0] == 0


def test_mas_recovers_a_planted_alignment():
    rng = np.random.default_rng(0)
    durations = np.array([3, 5, 2, 6, 4])
    truth = states_from_durations(durations)  # [20]
    log_lik = rng.normal(scale=0.3, size=(5, truth.size)) - 3.0
    log_lik[truth, np.arange(truth.size)] += 3.0  # the true token is much more likely
    path, score = monotonic_alignment_search(log_lik)
    assert path.shape == (5, 20) and set(np.unique(path)) <= {0.0, 1.0}
    assert (path.sum(0) == 1).all(), "every frame belongs to exactly one token"
    np.testing.assert_array_equal(path.sum(1), durations)
    assert score == pytest.approx((path * log_lik).sum())


@pytest.mark.parametrize("seed", range(5))
def test_mas_is_viterbi_without_transition_costs(seed):
    rng = np.random.default_rng(seed)
    log_lik = rng.normal(size=(3, 7))
    path, score = monotonic_alignment_search(torch.tensor(log_lik))  # torch input accepted
    bf_states, bf_score = brute_force_alignment(log_lik.T)
    assert score == pytest.approx(bf_score)
    np.testing.assert_array_equal(path.argmax(0), bf_states)


def test_durations_round_trip():
    d = np.array([2, 1, 4, 3])
    np.testing.assert_array_equal(durations_from_states(states_from_durations(d), 4), d)
    np.testing.assert_array_equal(durations_from_states([0, 0, 2], 4), [2, 0, 1, 0])
    with pytest.raises(ValueError, match="monotonic"):
        durations_from_states([1, 0], 2)
    with pytest.raises(ValueError, match="lie in"):
        durations_from_states([0, 3], 2)
    with pytest.raises(ValueError, match="non-negative"):
        states_from_durations([1, -1])


def test_bad_input_gives_clear_errors():
    with pytest.raises(ValueError, match="no text tokens"):
        monotonic_alignment_search(np.zeros((0, 5)))
    with pytest.raises(ValueError, match="at least one frame"):
        monotonic_alignment_search(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="NaN"):
        monotonic_alignment_search(np.array([[0.0, np.nan]]))
    with pytest.raises(ValueError, match=r"\+inf"):
        viterbi_left_to_right(np.array([[np.inf]]))
    with pytest.raises(ValueError, match="dimension"):
        viterbi_left_to_right(np.zeros(5))
    with pytest.raises(ValueError, match="no states"):
        viterbi_left_to_right(np.zeros((3, 0)))
    with pytest.raises(ValueError, match="one entry per state"):
        viterbi_left_to_right(np.zeros((3, 2)), log_stay=np.zeros(3))
    with pytest.raises(ValueError, match="no monotonic path"):
        viterbi_left_to_right(np.zeros((2, 3)))  # fewer frames than states
    with pytest.raises(TypeError, match="numeric"):
        viterbi_left_to_right([["a", "b"]])
    with pytest.raises(ValueError, match="too many"):
        brute_force_alignment(np.zeros((60, 12)))


def test_batch_equals_one_at_a_time():
    from course_lib.tts.duration.viterbi import viterbi_batch

    rng = np.random.default_rng(7)
    sizes = [(7, 3), (12, 5), (4, 4), (9, 1)]  # (frames, states) per utterance
    T, S = max(t for t, _ in sizes), max(s for _, s in sizes)
    emit = np.full((len(sizes), T, S), -np.inf)
    trans = np.full((4, len(sizes), S), -np.inf)
    singles = []
    for b, (t, s) in enumerate(sizes):
        e, p = rng.normal(size=(t, s)), rng.uniform(0.2, 0.8, size=s)
        emit[b, :t, :s] = e
        trans[0, b, :s], trans[1, b, :s] = np.log1p(-p), np.log(p)
        trans[2, b, 0], trans[3, b, s - 1] = 0.0, 0.0
        singles.append(viterbi_left_to_right(e, np.log1p(-p), np.log(p)))
    states, scores = viterbi_batch(emit, [t for t, _ in sizes], *trans)
    for b, (t, _) in enumerate(sizes):
        np.testing.assert_array_equal(states[b, :t], singles[b][0])
        assert (states[b, t:] == -1).all()
        assert scores[b] == pytest.approx(singles[b][1])
    with pytest.raises(ValueError, match="utterance"):
        viterbi_batch(emit[:1, :2], [2], *trans[:, :1])  # 2 frames cannot visit 3 states
