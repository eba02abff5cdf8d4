"""Scoring alignments against ground-truth phoneme timings (chapter 16).

Frame convention (course_lib.audio: STFT with ``center=True``): frame t is centred on sample
t·hop. A phoneme that starts at time s owns the frames whose centre lies at or after s, so its
first frame is ceil(s·sr/hop), and a boundary between frames b-1 and b sits at (b - ½)·hop/sr.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BoundaryError", "frames_from_times", "times_from_frames", "uniform_boundaries", "boundary_errors"]


@dataclass(frozen=True)
class BoundaryError:
    """Mean absolute boundary error, and the share of boundaries within 20 ms (a common
    forced-alignment tolerance), over all boundaries scored."""

    ms: float
    frames: float
    within_20ms: float
    n_boundaries: int

    def __str__(self) -> str:
        return (f"{self.ms:.1f} ms ({self.frames:.2f} frames), {self.within_20ms:.0%} within 20 ms, "
                f"over {self.n_boundaries} boundaries")


def _check_positive(hop_length: int, sample_rate: int) -> None:
    if hop_length <= 0 or sample_rate <= 0:
        raise ValueError(f"hop_length and sample_rate must be positive, got {hop_length}, {sample_rate}")


def frames_from_times(times, hop_length: int = 256, sample_rate: int = 22050) -> np.ndarray:
    """Boundary times in seconds → index of the first frame whose centre is at or after each time."""
    _check_positive(hop_length, sample_rate)
    times = np.asarray(times, dtype=np.float64)
    if not np.isfinite(times).all():
        raise ValueError("times contain NaN or inf")
    # the small tolerance keeps exact frame centres (t·hop/sr in floating point) on their own frame
    return np.maximum(np.ceil(times * sample_rate / hop_length - 1e-9), 0).astype(np.int64)


def times_from_frames(boundaries, hop_length: int = 256, sample_rate: int = 22050) -> np.ndarray:
    """Frame boundaries (b = first frame of a segment) → seconds, halfway between frames b-1 and b."""
    _check_positive(hop_length, sample_rate)
    b = np.asarray(boundaries, dtype=np.float64)
    return np.maximum(b - 0.5, 0.0) * hop_length / sample_rate


def uniform_boundaries(n_phonemes: int, n_frames: int) -> np.ndarray:
    """The no-knowledge baseline: split the frames evenly among the phonemes. → [N+1]."""
    if n_phonemes < 1 or n_frames < n_phonemes:
        raise ValueError(f"need 1 <= n_phonemes <= n_frames, got {n_phonemes} phonemes and {n_frames} frames")
    return np.round(np.linspace(0, n_frames, n_phonemes + 1)).astype(np.int64)


def boundary_errors(pred_boundaries, true_times, hop_length: int = 256, sample_rate: int = 22050) -> BoundaryError:
    """Mean |predicted − true| boundary, in ms (against the exact times) and in frames.

    pred_boundaries: [K] frame indices (e.g. ``ForcedAlignment.boundaries``), or a list of such
    arrays, one per utterance; true_times: the matching boundary times in seconds.
    """
    if isinstance(pred_boundaries, (list, tuple)) and pred_boundaries and np.ndim(pred_boundaries[0]) == 1:
        if len(pred_boundaries) != len(true_times):
            raise ValueError(f"{len(pred_boundaries)} predicted utterances but {len(true_times)} true ones")
        pred = np.concatenate([np.asarray(p) for p in pred_boundaries])
        true = np.concatenate([np.asarray(t, dtype=np.float64) for t in true_times])
        for i, (p, t) in enumerate(zip(pred_boundaries, true_times)):
            if len(p) != len(t):
                raise ValueError(f"utterance {i}: {len(p)} predicted boundaries but {len(t)} true ones")
    else:
        pred, true = np.asarray(pred_boundaries), np.asarray(true_times, dtype=np.float64)
    if pred.shape != true.shape or pred.ndim != 1 or pred.size == 0:
        raise ValueError(f"need matching non-empty 1-D boundary arrays, got {pred.shape} and {true.shape}")
    ms = np.abs(times_from_frames(pred, hop_length, sample_rate) - true) * 1000.0
    frames = np.abs(pred - frames_from_times(true, hop_length, sample_rate))
    return BoundaryError(float(ms.mean()), float(frames.mean()), float((ms <= 20.0).mean()), int(pred.size))
