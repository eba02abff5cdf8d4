"""Alignment scores beside the constant-speed baseline (course_lib.tts.metrics.alignment, issue #18)."""

import math

import numpy as np
import pytest

from course_lib.data import load_corpus
from course_lib.tts.metrics.alignment import (
    ALIGNED_CORRELATION,
    ALIGNED_ERROR_RATIO,
    alignment_scores,
    constant_speed_attention,
    constant_speed_path,
    is_aligned,
    lead_corrected,
    mean_scores,
    step_targets,
    timing_correlation,
)
from course_lib.tts.tacotron2.train import TrainConfig

R = 3


@pytest.fixture(scope="module")
def val():
    """(utterance, n_frames, ground-truth path) of the validation sentences."""
    out = []
    for utt in load_corpus("val"):
        n = 1 + utt.num_samples // 256  # frames of a centred STFT with hop 256
        out.append((utt, n, step_targets(utt, n, R)))
    return out


def one_hot(path, chars):
    a = np.zeros((len(path), chars))
    a[np.arange(len(path)), path] = 1.0
    return a


def test_constant_speed_path_walks_the_whole_text():
    p = constant_speed_path(10, 4)
    assert p[0] == 0 and p[-1] == 3 and (np.diff(p) >= 0).all()
    assert constant_speed_path(1, 5).tolist() == [0]
    assert (constant_speed_attention(7, 5).argmax(1) == constant_speed_path(7, 5)).all()
    with pytest.raises(ValueError, match="steps"):
        constant_speed_path(0, 3)
    with pytest.raises(ValueError, match="equal length"):
        timing_correlation([0, 1], [0, 1, 2], 3)


def test_timing_scores_on_paths():
    truth = np.array([0, 0, 1, 3, 4, 4, 4, 6, 8, 9])
    ahead = np.minimum(truth + 2, 11)  # the truth, two characters early
    assert lead_corrected(ahead, truth) == (2.0, 0.0, 1.0)
    assert timing_correlation(ahead, truth, 12) == pytest.approx(1.0)
    line = constant_speed_path(len(truth), 12)
    assert timing_correlation(line, truth, 12) == 0.0  # no timing at all
    assert timing_correlation(line + 3, truth, 12) == 0.0  # nor does a line running 3 characters ahead


def test_constant_speed_line_is_its_own_baseline(val):
    scores = [alignment_scores(constant_speed_attention(math.ceil(n / R), len(u.text)), u, n, R) for u, n, _ in val]
    for s in scores:
        assert s.timing_correlation == 0.0 and s.error_ratio == pytest.approx(1.0)
        assert s.within == s.baseline_within and s.lead_error == s.baseline_lead_error
    m = mean_scores(scores)
    assert m["error_ratio"] == pytest.approx(1.0) and not is_aligned(m)
    assert m["within"] > 0.9, "the reason for the baseline: an even reader fools the ±3 score"


def test_truth_itself_is_aligned_and_shuffled_attention_is_worse_than_the_line(val):
    rng = np.random.default_rng(0)
    truth_scores, shuffled, random = [], [], []
    for u, n, truth in val:
        steps, chars = len(truth), len(u.text)
        truth_scores.append(alignment_scores(one_hot(truth, chars), u, n, R))
        shuffled.append(alignment_scores(one_hot(truth[rng.permutation(steps)], chars), u, n, R))
        random.append(alignment_scores(rng.random((steps, chars)), u, n, R))
    t = mean_scores(truth_scores)
    assert t["timing_correlation"] == pytest.approx(1.0) and t["error_ratio"] == 0.0 and is_aligned(t)
    for worse in (mean_scores(shuffled), mean_scores(random)):
        assert worse["error_ratio"] > 2 and worse["timing_correlation"] < ALIGNED_CORRELATION
        assert worse["lead_error"] > worse["baseline_lead_error"] and not is_aligned(worse)


def test_free_running_scores_stretch_the_truth(val):
    u, n, truth = val[0]
    longer = one_hot(np.repeat(truth, 2), len(u.text))  # the truth spoken twice as slowly
    s = alignment_scores(longer, u, n, R, rescale=True)
    assert s.steps == 2 * len(truth) and s.error_ratio < 0.1 and s.timing_correlation > 0.95


def test_is_aligned_thresholds():
    assert is_aligned({"timing_correlation": ALIGNED_CORRELATION, "error_ratio": ALIGNED_ERROR_RATIO})
    assert not is_aligned({"timing_correlation": 0.9, "error_ratio": 1.0})
    assert not is_aligned({"timing_correlation": 0.1, "error_ratio": 0.3})
    assert not is_aligned({"within": 1.0}), "without timing scores nothing counts as aligned"
    assert is_aligned({"free_timing_correlation": 0.8, "free_error_ratio": 0.5}, prefix="free_")


def test_train_config_uses_the_definition():
    c = TrainConfig()
    assert (c.aligned_correlation, c.aligned_error_ratio) == (ALIGNED_CORRELATION, ALIGNED_ERROR_RATIO)
    assert "aligned_within" not in c.to_dict()
    assert TrainConfig.from_dict({**c.to_dict(), "aligned_within": 0.9}) == c, "old checkpoints still load"
    with pytest.raises(ValueError, match="aligned_whithin"):  # any other unknown field is refused
        TrainConfig.from_dict({**c.to_dict(), "aligned_whithin": 0.9})
    with pytest.raises(ValueError, match="aligned_error_ratio"):
        TrainConfig(aligned_error_ratio=0)
