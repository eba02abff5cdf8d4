"""Beyond attention: forced alignment (GMM-HMM + Viterbi), monotonic alignment search, and a
FastSpeech-style duration predictor with length regulation (chapter 16)."""

from .features import add_deltas, cepstral_features, mfcc_from_log_mel
from .hmm import SILENCE, GMMHMM, ForcedAlignment, HMMConfig, diagonal_gaussian_log_density, train_gmm_hmm
from .metrics import BoundaryError, boundary_errors, frames_from_times, times_from_frames, uniform_boundaries
from .predictor import (
    DurationPredictor,
    DurationPredictorConfig,
    PhonemeDurationModel,
    durations_from_log,
    length_regulate,
    log_duration_targets,
    pad_batch,
    predict_durations,
    train_duration_model,
)
from .synthetic import ToyUtterance, make_toy_corpus
from .viterbi import (
    brute_force_alignment,
    durations_from_states,
    monotonic_alignment_search,
    states_from_durations,
    viterbi_batch,
    viterbi_left_to_right,
    viterbi_step,
)

__all__ = [
    "add_deltas", "cepstral_features", "mfcc_from_log_mel",
    "SILENCE", "GMMHMM", "ForcedAlignment", "HMMConfig", "diagonal_gaussian_log_density", "train_gmm_hmm",
    "BoundaryError", "boundary_errors", "frames_from_times", "times_from_frames", "uniform_boundaries",
    "DurationPredictor", "DurationPredictorConfig", "PhonemeDurationModel", "durations_from_log",
    "length_regulate", "log_duration_targets", "pad_batch", "predict_durations", "train_duration_model",
    "ToyUtterance", "make_toy_corpus",
    "brute_force_alignment", "durations_from_states", "monotonic_alignment_search",
    "states_from_durations", "viterbi_batch", "viterbi_left_to_right", "viterbi_step",
]
