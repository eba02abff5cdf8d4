"""Viterbi decoding for left-to-right HMMs, and the same recursion as monotonic alignment search.

A left-to-right HMM with states ``0 … S-1`` may, at every frame, either stay in its state or move
on to the next one; each state emits one frame at a time. The Viterbi algorithm (Viterbi 1967;
Rabiner 1989, Sec. III-B) finds the single best state sequence in log space:

    δ_t(s) = max(δ_{t-1}(s) + log a_stay(s),  δ_{t-1}(s-1) + log a_move(s-1)) + log b_s(x_t)

Glow-TTS's monotonic alignment search (Kim et al. 2020, Alg. 1) is exactly this recursion with the
transition terms set to zero: text tokens play the states, the log-likelihood matrix the emissions.

Defined in chapter 16 ("Beyond attention").
"""

from __future__ import annotations

import itertools
import math

import numpy as np

__all__ = [
    "viterbi_step",
    "viterbi_batch",
    "viterbi_left_to_right",
    "monotonic_alignment_search",
    "brute_force_alignment",
    "durations_from_states",
    "states_from_durations",
]

# Stop brute force before it enumerates an absurd number of paths.
_BRUTE_FORCE_MAX_PATHS = 200_000


def _as_float_array(x, name: str, ndim: int) -> np.ndarray:
    """Convert a NumPy array or torch tensor to float64 NumPy, checking the number of dimensions."""
    if hasattr(x, "detach"):  # a torch tensor
        x = x.detach().cpu().numpy()
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be a numeric array, got {type(x).__name__}") from err
    if arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {arr.shape}")
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN; check the features or log-likelihoods that produced it")
    if np.isposinf(arr).any():
        raise ValueError(f"{name} contains +inf; log-probabilities must be finite or -inf")
    return arr


def _transitions(values, n_states: int, name: str) -> np.ndarray:
    """A per-state vector of log transition probabilities (``None`` means log 1 = 0)."""
    if values is None:
        return np.zeros(n_states)
    arr = _as_float_array(values, name, 1)
    if arr.shape[0] != n_states:
        raise ValueError(f"{name} must have one entry per state ({n_states}), got {arr.shape[0]}")
    return arr


def viterbi_step(delta_prev, log_emit_t, log_stay, log_move):
    """One Viterbi recursion step for a left-to-right HMM (Rabiner 1989, eq. 33).

    delta_prev: [..., S] best log score of a path ending in each state at frame t-1.
    log_emit_t: [..., S] log b_s(x_t). log_stay/log_move: [..., S] log transition probabilities.
    Returns (delta [..., S], moved [..., S] bool: True where the best path came from state s-1).
    """
    stay = delta_prev + log_stay  # remain in s
    move = np.full_like(stay, -np.inf)  # arrive from s-1
    move[..., 1:] = delta_prev[..., :-1] + log_move[..., :-1]
    moved = move > stay
    return np.where(moved, move, stay) + log_emit_t, moved


def viterbi_batch(log_emit, n_frames, log_stay, log_move, log_start, log_end):
    """:func:`viterbi_left_to_right` for a padded batch, one recursion for all utterances.

    log_emit: [B, T, S] (pad states with -inf emissions; frames past n_frames[b] are ignored);
    n_frames: [B]; log_stay, log_move, log_start, log_end: [B, S].
    Returns (states [B, T] int64, -1 after each utterance's end; scores [B]).
    """
    log_emit = _as_float_array(log_emit, "log_emit", 3)
    batch, max_frames, n_states = log_emit.shape
    n_frames = np.asarray(n_frames, dtype=np.int64)
    if n_frames.shape != (batch,) or (n_frames < 1).any() or (n_frames > max_frames).any():
        raise ValueError(f"n_frames must hold {batch} frame counts between 1 and {max_frames}")
    log_stay, log_move, log_start, log_end = (
        _as_float_array(v, name, 2) for v, name in
        ((log_stay, "log_stay"), (log_move, "log_move"), (log_start, "log_start"), (log_end, "log_end"))
    )
    rows = np.arange(batch)
    moved = np.zeros((max_frames, batch, n_states), dtype=bool)  # [T, B, S] back-pointers
    final = np.empty((batch, n_states))  # [B, S] delta at each utterance's last frame
    delta = log_start + log_emit[:, 0]  # [B, S]
    for t in range(max_frames):
        if t > 0:
            delta, moved[t] = viterbi_step(delta, log_emit[:, t], log_stay, log_move)
        done = n_frames == t + 1
        final[done] = delta[done]
    final += log_end
    state = final.argmax(1)  # [B]
    scores = final[rows, state]
    if (scores == -np.inf).any():
        bad = np.flatnonzero(scores == -np.inf).tolist()
        raise ValueError(
            f"no monotonic path fits utterance(s) {bad}: every state needs at least one frame "
            "(give more frames or fewer states) and some path must have a finite score"
        )
    states = np.full((batch, max_frames), -1, dtype=np.int64)
    for t in range(max_frames - 1, -1, -1):  # backtrack all utterances at once
        active = t < n_frames
        states[active, t] = state[active]
        state = state - (moved[t, rows, state] & active)
    return states, scores


def viterbi_left_to_right(log_emit, log_stay=None, log_move=None, log_start=None, log_end=None):
    """Best state path through a left-to-right HMM (no skips), computed in log space.

    log_emit: [T, S] log emission likelihood of frame t in state s.
    log_stay, log_move: [S] log probability of staying in / moving on from each state (default 0).
    log_start: [S] log initial probabilities (default: start in state 0).
    log_end: [S] log probability of ending in each state (default: end in state S-1).
    Returns (states [T] int64, best log score).
    """
    log_emit = _as_float_array(log_emit, "log_emit", 2)
    n_frames, n_states = log_emit.shape
    if n_states == 0:
        raise ValueError("log_emit has no states (empty phoneme or token list); give at least one")
    if n_frames == 0:
        raise ValueError("log_emit has no frames; give at least one frame")
    log_stay = _transitions(log_stay, n_states, "log_stay")
    log_move = _transitions(log_move, n_states, "log_move")
    if log_start is None:
        log_start = np.full(n_states, -np.inf)
        log_start[0] = 0.0
    log_start = _transitions(log_start, n_states, "log_start")
    if log_end is None:
        log_end = np.full(n_states, -np.inf)
        log_end[-1] = 0.0
    log_end = _transitions(log_end, n_states, "log_end")
    try:
        states, scores = viterbi_batch(log_emit[None], [n_frames], log_stay[None], log_move[None],
                                       log_start[None], log_end[None])
    except ValueError as err:
        raise ValueError(
            f"no monotonic path fits {n_frames} frame(s) through {n_states} state(s): every state needs "
            "at least one frame (give more frames or fewer states) and some path must have a finite score"
        ) from err
    return states[0], float(scores[0])


def monotonic_alignment_search(log_lik):
    """Glow-TTS monotonic alignment search (Kim et al. 2020): the most likely hard alignment.

    log_lik: [N, T] log-likelihood of frame j under text token i (N ≤ T).
    Every token gets at least one frame, tokens appear in order, none is skipped.
    Returns (path [N, T] float 0/1 matrix, total log-likelihood of the path).
    """
    log_lik = _as_float_array(log_lik, "log_lik", 2)
    n_tokens, n_frames = log_lik.shape
    if n_tokens == 0:
        raise ValueError("log_lik has no text tokens; give at least one")
    if n_frames < n_tokens:
        raise ValueError(
            f"{n_tokens} tokens cannot be aligned to only {n_frames} frames: each token needs at least one frame"
        )
    states, score = viterbi_left_to_right(log_lik.T)  # tokens are states, no transition cost
    path = np.zeros((n_tokens, n_frames))
    path[states, np.arange(n_frames)] = 1.0
    return path, score


def brute_force_alignment(log_emit, log_stay=None, log_move=None):
    """Score every monotonic path explicitly (for tiny cases only): the reference for Viterbi.

    Same arguments and result as :func:`viterbi_left_to_right` with the default start/end states.
    """
    log_emit = _as_float_array(log_emit, "log_emit", 2)
    n_frames, n_states = log_emit.shape
    if n_states == 0 or n_frames < n_states:
        raise ValueError(f"need at least one state and as many frames as states, got {n_frames}×{n_states}")
    n_paths = math.comb(n_frames - 1, n_states - 1)
    if n_paths > _BRUTE_FORCE_MAX_PATHS:
        raise ValueError(f"{n_paths} paths is too many for brute force; use viterbi_left_to_right")
    log_stay = _transitions(log_stay, n_states, "log_stay")
    log_move = _transitions(log_move, n_states, "log_move")
    best_score, best_states = -np.inf, None
    for cuts in itertools.combinations(range(1, n_frames), n_states - 1):  # frames where a new state begins
        durations = np.diff((0, *cuts, n_frames))
        states = np.repeat(np.arange(n_states), durations)
        score = log_emit[np.arange(n_frames), states].sum()
        score += ((durations - 1) * log_stay).sum() + log_move[:-1].sum()
        if score > best_score:
            best_score, best_states = score, states
    if best_states is None:
        raise ValueError("every path has score -inf")
    return best_states, float(best_score)


def durations_from_states(states, n_states: int) -> np.ndarray:
    """Frames spent in each state: [T] state path → [n_states] int64 durations."""
    states = np.asarray(states)
    if states.ndim != 1 or (states.size and (np.diff(states) < 0).any()):
        raise ValueError("states must be a 1-D non-decreasing (monotonic) state path")
    if states.size and (states.min() < 0 or states.max() >= n_states):
        raise ValueError(f"states must lie in 0..{n_states - 1}")
    return np.bincount(states.astype(np.int64), minlength=n_states).astype(np.int64)


def states_from_durations(durations) -> np.ndarray:
    """Inverse of :func:`durations_from_states`: [N] durations → [sum(durations)] state path."""
    durations = np.asarray(durations)
    if durations.ndim != 1 or (durations < 0).any():
        raise ValueError("durations must be a 1-D array of non-negative frame counts")
    return np.repeat(np.arange(len(durations)), durations.astype(np.int64))
