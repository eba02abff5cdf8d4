"""Beyond attention: forced alignment (GMM-HMM + Viterbi), monotonic alignment search, and a
FastSpeech-style duration predictor with length regulation (chapter 16)."""

from .features import add_deltas, cepstral_features, mfcc_from_log_mel
from .hmm import (
    GMMHMM,
    SILENCE,
    ForcedAlignment,
    HMMConfig,
    diagonal_gaussian_log_density,
    train_gmm_hmm,
)
from .metrics import (
    BoundaryError,
    boundary_errors,
    frames_from_times,
    times_from_frames,
    uniform_boundaries,
)
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
    "BoundaryError", "DurationPredictor", "DurationPredictorConfig", "ForcedAlignment", "GMMHMM",
    "HMMConfig", "PhonemeDurationModel", "SILENCE", "ToyUtterance", "add_deltas", "boundary_errors",
    "brute_force_alignment", "cepstral_features", "diagonal_gaussian_log_density",
    "durations_from_log", "durations_from_states", "frames_from_times", "length_regulate",
    "log_duration_targets", "make_toy_corpus", "mfcc_from_log_mel", "monotonic_alignment_search",
    "pad_batch", "predict_durations", "states_from_durations", "times_from_frames",
    "train_duration_model", "train_gmm_hmm", "uniform_boundaries", "viterbi_batch",
    "viterbi_left_to_right", "viterbi_step",
]
