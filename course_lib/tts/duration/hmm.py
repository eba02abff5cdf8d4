"""GMM-HMM forced alignment trained by Viterbi training (hard EM), as in classic ASR and HTS.

Each phoneme is a left-to-right HMM of ``states_per_phoneme`` states; an utterance's HMM is its
phonemes' models chained in order, with an optional silence model at each end. Every state emits
frames from a diagonal-covariance Gaussian mixture, shared by all occurrences of the same
(phoneme, state) across the corpus (Rabiner 1989; Young et al., *The HTK Book*; the HMM-based
synthesis systems reviewed by Zen, Tokuda & Black 2009 label their data this way).

Training (Viterbi training, a.k.a. segmental k-means; Juang & Rabiner 1990):
  1. flat start — cut every utterance uniformly into its states and estimate one Gaussian each;
  2. align every utterance with Viterbi in log space (:func:`viterbi.viterbi_batch`, many at once);
  3. re-estimate each state's mixture (a few EM steps on the frames it was given) and its
     stay/move probabilities from the counts; split mixtures when the schedule says so; repeat.

Defined in chapter 16 ("Beyond attention").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from course_lib.checks import flag, integer, real

from .viterbi import durations_from_states, viterbi_batch

__all__ = ["SILENCE", "HMMConfig", "ForcedAlignment", "GMMHMM", "diagonal_gaussian_log_density", "train_gmm_hmm"]

#: Name of the silence model that may open and close every utterance.
SILENCE = "<sil>"
_LOG_2PI = np.log(2.0 * np.pi)


@dataclass(frozen=True)
class HMMConfig:
    """Topology and training schedule of the aligner."""

    states_per_phoneme: int = 3  # 1–3 states per phoneme (HTK uses 3 emitting states)
    mixture_schedule: tuple[int, ...] = (1, 1, 2, 2, 4, 4)  # mixtures per state at each iteration
    em_steps: int = 2  # EM steps per mixture re-estimation
    var_floor: float = 0.01  # variance floor, as a fraction of the global variance (HTK's -f 0.01)
    edge_silence: bool = True  # optional silence model before the first and after the last phoneme

    def __post_init__(self):
        integer(self.states_per_phoneme, "HMMConfig.states_per_phoneme", 1, 5)
        sched = self.mixture_schedule
        if not isinstance(sched, (tuple, list)):
            raise TypeError(f"HMMConfig.mixture_schedule must be a tuple of ints, e.g. (1, 1, 2, 2, 4), got {sched!r}")
        for count in sched:
            integer(count, "HMMConfig.mixture_schedule entry")
        if not sched or sched[0] != 1 or any(b not in (a, 2 * a) for a, b in zip(sched, sched[1:])):
            raise ValueError("mixture_schedule must start at 1 and only repeat or double, e.g. (1, 1, 2, 2, 4)")
        integer(self.em_steps, "HMMConfig.em_steps")
        real(self.var_floor, "HMMConfig.var_floor", 0.0, 1.0, low_open=True, high_open=True)
        flag(self.edge_silence, "HMMConfig.edge_silence")


@dataclass(frozen=True)
class ForcedAlignment:
    """Viterbi alignment of one utterance. Frame counts are in mel frames."""

    phonemes: tuple[str, ...]
    states: np.ndarray  # [T] index of the HMM state (within this utterance) of every frame
    durations: np.ndarray  # [N] frames per phoneme
    leading_silence: int  # frames before the first phoneme
    trailing_silence: int  # frames after the last phoneme
    log_likelihood: float  # log score of the best path

    @property
    def boundaries(self) -> np.ndarray:
        """[N+1] frame where each phoneme starts; the last entry is where the last one ends."""
        return self.leading_silence + np.concatenate([[0], np.cumsum(self.durations)])


def _logsumexp(x: np.ndarray, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """log Σ exp(x) along ``axis``, stable (subtract the max first); rows of -inf give -inf."""
    peak = np.max(x, axis=axis, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    out = np.log(np.sum(np.exp(x - peak), axis=axis, keepdims=True)) + peak
    return out if keepdims else np.squeeze(out, axis=axis)


def diagonal_gaussian_log_density(x, means, variances) -> np.ndarray:
    """log N(x_t; μ_k, diag σ²_k) for every frame and component: [T, D], [K, D], [K, D] → [T, K]."""
    precision = 1.0 / variances  # [K, D]
    const = -0.5 * (x.shape[1] * _LOG_2PI + np.log(variances).sum(1) + (means**2 * precision).sum(1))  # [K]
    return const + x @ (means * precision).T - 0.5 * (x**2) @ precision.T  # [T, K]


def _check_features(feats, name: str = "features") -> np.ndarray:
    if hasattr(feats, "detach"):
        feats = feats.detach().cpu().numpy()
    arr = np.asarray(feats, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty [frames, dims] array, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or inf; recompute the features (see cepstral_features)")
    return arr


class GMMHMM:
    """Phoneme HMMs with diagonal-GMM emissions, shared across the corpus by phoneme identity."""

    def __init__(self, phonemes: Sequence[str], dim: int, config: HMMConfig = HMMConfig()):
        names = sorted(set(phonemes) - {SILENCE})
        if not names:
            raise ValueError("the phoneme inventory is empty; give at least one phoneme")
        self.config = config
        self.phonemes: tuple[str, ...] = (*names, SILENCE)
        self._index = {p: i for i, p in enumerate(self.phonemes)}
        k, n_units = config.states_per_phoneme, len(self.phonemes) * config.states_per_phoneme
        self.dim = dim
        self.log_weights = np.zeros((n_units, 1))  # [U, M]
        self.means = np.zeros((n_units, 1, dim))  # [U, M, D]
        self.variances = np.ones((n_units, 1, dim))  # [U, M, D]
        self.log_stay = np.full(n_units, np.log(0.5))  # [U]
        self.log_move = np.full(n_units, np.log(0.5))  # [U]
        self.var_floor = np.full(dim, 1e-3)  # [D]
        self._k = k

    @property
    def n_mix(self) -> int:
        return self.log_weights.shape[1]

    # ---- the utterance HMM -------------------------------------------------------------
    def state_units(self, phonemes: Sequence[str]) -> tuple[np.ndarray, int]:
        """Model unit of every state of the utterance HMM, and how many silence states lead it."""
        if isinstance(phonemes, str):
            raise TypeError("phonemes must be a sequence of phoneme names, not one string")
        phonemes = list(phonemes)
        if not phonemes:
            raise ValueError("the phoneme list is empty: an utterance needs at least one phoneme to align")
        unknown = sorted({p for p in phonemes if p not in self._index or p == SILENCE})
        if unknown:
            raise ValueError(f"phonemes not in the model's inventory: {unknown}; train on data that contains them")
        edge = [SILENCE] if self.config.edge_silence else []
        seq = edge + phonemes + edge
        units = np.array([self._index[p] * self._k + j for p in seq for j in range(self._k)])
        return units, (self._k if self.config.edge_silence else 0)

    def _start_end(self, n_states: int) -> tuple[np.ndarray, np.ndarray]:
        """Start in state 0 or (silence optional) in the first phoneme; end likewise at the far end."""
        start, end = np.full(n_states, -np.inf), np.full(n_states, -np.inf)
        start[0], end[-1] = 0.0, 0.0
        if self.config.edge_silence:
            start[self._k], end[-1 - self._k] = 0.0, 0.0
        return start, end

    def unit_log_likelihoods(self, feats, units) -> np.ndarray:
        """log p(x_t | unit) under each unit's mixture: [T, D], [S] → [T, S]."""
        uniq, inverse = np.unique(units, return_inverse=True)
        means = self.means[uniq].transpose(1, 0, 2).reshape(-1, self.dim)  # [M·U', D], mixture-major
        variances = self.variances[uniq].transpose(1, 0, 2).reshape(-1, self.dim)
        comp = diagonal_gaussian_log_density(feats, means, variances).reshape(len(feats), self.n_mix, len(uniq))
        per_unit = _logsumexp(comp + self.log_weights[uniq].T, axis=1)  # [T, U'] (reduce over M)
        return per_unit[:, inverse]

    def log_emissions(self, phonemes: Sequence[str], feats) -> np.ndarray:
        """[T, S] log emission likelihood of every frame in every state of the utterance HMM."""
        units, _ = self.state_units(phonemes)
        return self.unit_log_likelihoods(_check_features(feats), units)

    def phoneme_log_likelihoods(self, phonemes: Sequence[str], feats) -> np.ndarray:
        """[N, T] log-likelihood of each frame under each phoneme (its states pooled, equal weights).

        A text × frame matrix for monotonic alignment search; ``phonemes`` may include SILENCE.
        """
        feats = _check_features(feats)
        if not list(phonemes):
            raise ValueError("the phoneme list is empty")
        unknown = sorted({p for p in phonemes if p not in self._index})
        if unknown:
            raise ValueError(f"phonemes not in the model's inventory: {unknown}")
        units = np.array([self._index[p] * self._k + j for p in phonemes for j in range(self._k)])
        per_state = self.unit_log_likelihoods(feats, units).reshape(len(feats), len(phonemes), self._k)
        return (_logsumexp(per_state, axis=-1) - np.log(self._k)).T

    def best_paths(self, feats: Sequence[np.ndarray], units: Sequence[np.ndarray], batch_size: int = 32):
        """Viterbi paths and log scores of many utterances, decoded in padded batches of similar length.

        feats: list of [T_i, D]; units: list of [S_i] state units. Returns (list of [T_i] paths, [n] scores).
        """
        order = np.argsort([len(f) for f in feats], kind="stable")
        paths: list = [None] * len(feats)
        scores = np.empty(len(feats))
        for lo in range(0, len(order), batch_size):
            idx = order[lo : lo + batch_size]
            n_frames = np.array([len(feats[i]) for i in idx])
            n_states = max(len(units[i]) for i in idx)
            emit = np.full((len(idx), n_frames.max(), n_states), -np.inf)  # [B, T, S], padding impossible
            trans = np.full((4, len(idx), n_states), -np.inf)  # stay, move, start, end: [4, B, S]
            batch_units = np.unique(np.concatenate([units[i] for i in idx]))  # [U']
            # one large matrix product for the whole batch: [sum T, U']
            per_unit = self.unit_log_likelihoods(np.concatenate([feats[i] for i in idx]), batch_units)
            offsets = np.concatenate([[0], np.cumsum(n_frames)])
            for b, i in enumerate(idx):
                u = units[i]
                rows = per_unit[offsets[b] : offsets[b + 1]]  # [T_i, U']
                emit[b, : len(feats[i]), : len(u)] = rows[:, np.searchsorted(batch_units, u)]
                trans[0, b, : len(u)], trans[1, b, : len(u)] = self.log_stay[u], self.log_move[u]
                trans[2, b, : len(u)], trans[3, b, : len(u)] = self._start_end(len(u))
            states, batch_scores = viterbi_batch(emit, n_frames, *trans)
            for b, i in enumerate(idx):
                paths[i], scores[i] = states[b, : n_frames[b]], batch_scores[b]
        return paths, scores

    def align(self, phonemes: Sequence[str], feats) -> ForcedAlignment:
        """Forced alignment: the Viterbi state path of ``feats`` ([T, D]) through the phonemes' HMM."""
        return self.align_many([phonemes], [feats])[0]

    def align_many(self, phoneme_seqs: Sequence[Sequence[str]], features: Sequence) -> list[ForcedAlignment]:
        """:meth:`align` for many utterances at once (batched Viterbi, much faster than a loop)."""
        if len(phoneme_seqs) != len(features):
            raise ValueError(f"got {len(phoneme_seqs)} phoneme lists but {len(features)} feature arrays")
        feats, units, n_lead = [], [], 0
        for i, (phonemes, f) in enumerate(zip(phoneme_seqs, features)):
            f = _check_features(f)
            if f.shape[1] != self.dim:
                raise ValueError(f"features have {f.shape[1]} dims but the model was trained on {self.dim}")
            u, n_lead = self.state_units(phonemes)
            n_required = len(u) - 2 * n_lead
            if len(f) < n_required:
                raise ValueError(
                    f"utterance {i}: {len(f)} frames are fewer than the {n_required} HMM states of "
                    f"{len(u) // self._k - 2 * (n_lead > 0)} phonemes × {self._k} states: "
                    "use fewer states per phoneme or a smaller hop length"
                )
            feats.append(f)
            units.append(u)
        paths, scores = self.best_paths(feats, units)
        out = []
        for phonemes, u, states, score in zip(phoneme_seqs, units, paths, scores):
            per_state = durations_from_states(states, len(u))  # [S]
            lead, trail = per_state[:n_lead].sum(), per_state[len(u) - n_lead :].sum()
            core = per_state[n_lead : len(u) - n_lead].reshape(-1, self._k).sum(1)  # [N]
            out.append(ForcedAlignment(tuple(phonemes), states, core, int(lead), int(trail), float(score)))
        return out

    # ---- re-estimation -------------------------------------------------------------------
    def split_mixtures(self) -> None:
        """Double the mixtures: each component becomes two, means moved ±0.2 σ (HTK's HHEd MU)."""
        offset = 0.2 * np.sqrt(self.variances)
        self.means = np.concatenate([self.means - offset, self.means + offset], axis=1)
        self.variances = np.concatenate([self.variances, self.variances], axis=1)
        self.log_weights = np.concatenate([self.log_weights, self.log_weights], axis=1) - np.log(2.0)

    def reestimate(self, frames: np.ndarray, labels: np.ndarray, visits: np.ndarray) -> None:
        """M-step of Viterbi training. frames [F, D]; labels [F] unit per frame; visits [U] segments per unit."""
        occupancy = np.bincount(labels, minlength=len(self.log_stay))
        order = np.argsort(labels, kind="stable")
        bounds = np.concatenate([[0], np.cumsum(occupancy)])
        for u in np.flatnonzero(occupancy >= 2):  # units never seen keep their parameters
            x = frames[order[bounds[u] : bounds[u + 1]]]  # [n, D]
            for _ in range(self.config.em_steps):
                self._em_step(u, x)
        seen = occupancy > 0
        p_move = np.clip(visits[seen] / np.maximum(occupancy[seen], 1), 0.01, 0.99)
        self.log_move[seen], self.log_stay[seen] = np.log(p_move), np.log1p(-p_move)

    def _em_step(self, u: int, x: np.ndarray) -> None:
        """One EM step for unit u's diagonal GMM on its frames x [n, D]."""
        log_p = diagonal_gaussian_log_density(x, self.means[u], self.variances[u]) + self.log_weights[u]  # [n, M]
        resp = np.exp(log_p - _logsumexp(log_p, axis=1, keepdims=True))  # [n, M]
        mass = resp.sum(0)  # [M]
        alive = mass > 1e-3 * len(x)  # components that still explain data
        means = (resp.T @ x)[alive] / mass[alive, None]
        var = (resp.T @ x**2)[alive] / mass[alive, None] - means**2
        self.means[u, alive] = means
        self.variances[u, alive] = np.maximum(var, self.var_floor)
        self.log_weights[u] = np.log(np.maximum(mass, 1e-8) / mass.sum())


def _uniform_states(n_frames: int, n_states: int) -> np.ndarray:
    """Flat start: cut n_frames into n_states nearly equal consecutive segments."""
    return (np.arange(n_frames) * n_states) // n_frames


def train_gmm_hmm(
    phoneme_seqs: Sequence[Sequence[str]],
    features: Sequence[np.ndarray],
    config: HMMConfig = HMMConfig(),
    inventory: Sequence[str] | None = None,
    progress: bool = False,
) -> tuple[GMMHMM, list[float]]:
    """Viterbi-train a GMM-HMM on utterances (phoneme list, [T, D] features).

    ``inventory`` may name phonemes beyond those in the training data (e.g. every phoneme of the
    corpus when training on a subset); those keep the flat-start global Gaussian. Returns the
    model and, per iteration, the mean log-likelihood per frame of the best paths (the first
    entry scores the flat-start uniform segmentation).
    """
    if len(phoneme_seqs) != len(features):
        raise ValueError(f"got {len(phoneme_seqs)} phoneme lists but {len(features)} feature arrays")
    if not phoneme_seqs:
        raise ValueError("no training utterances")
    feats = [_check_features(f, f"features[{i}]") for i, f in enumerate(features)]
    dims = {f.shape[1] for f in feats}
    if len(dims) != 1:
        raise ValueError(f"all feature arrays must have the same number of dims, got {sorted(dims)}")
    model = GMMHMM([p for seq in phoneme_seqs for p in seq] + list(inventory or []), dims.pop(), config)
    all_frames = np.concatenate(feats)  # [F, D]
    model.var_floor = config.var_floor * all_frames.var(0)
    utt_units = [model.state_units(seq)[0] for seq in phoneme_seqs]
    for i, (f, units) in enumerate(zip(feats, utt_units)):
        if len(f) < len(units):
            raise ValueError(f"utterance {i} has {len(f)} frames, fewer than its {len(units)} HMM states")

    # flat start: global statistics everywhere, then one pass on a uniform segmentation
    model.means[:] = all_frames.mean(0)
    model.variances[:] = np.maximum(all_frames.var(0), model.var_floor)
    paths = [_uniform_states(len(f), len(u)) for f, u in zip(feats, utt_units)]
    history: list[float] = []
    iterator = range(len(config.mixture_schedule))
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, desc="Viterbi training")
    for it in iterator:
        if it > 0:  # align with the current model
            if config.mixture_schedule[it] > model.n_mix:
                model.split_mixtures()
            paths, scores = model.best_paths(feats, utt_units)
            history.append(float(scores.sum()) / len(all_frames))
        labels = np.concatenate([units[p] for units, p in zip(utt_units, paths)])  # [F] unit per frame
        visits = np.zeros(len(model.log_stay))
        for units, p in zip(utt_units, paths):
            np.add.at(visits, units[np.unique(p)], 1.0)
        model.reestimate(all_frames, labels, visits)
        if it == 0:  # score the flat start under the model it produced
            history.append(_path_score(model, feats, utt_units, paths) / len(all_frames))
    return model, history


def _path_score(model: GMMHMM, feats, utt_units, paths) -> float:
    """Total log score of given state paths (emissions + transitions) under the model."""
    total = 0.0
    for f, units, p in zip(feats, utt_units, paths):
        emit = model.unit_log_likelihoods(f, units)[np.arange(len(f)), p].sum()
        moves = np.diff(p) > 0
        trans = np.where(moves, model.log_move[units][p[:-1]], model.log_stay[units][p[:-1]]).sum()
        total += emit + trans
    return float(total)
