"""The alignment viewer: sliders change what is drawn; the ground-truth overlay; bad input shows a message."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from course_lib.widgets.alignment_viewer import AlignmentViewer

TEXT = "hello"


def diagonal(steps=8, chars=5, sharp=True):
    a = np.full((steps, chars), 0.01)
    for t in range(steps):
        a[t, min(t * chars // steps, chars - 1)] = 1.0 if sharp else 0.3
    return a / a.sum(1, keepdims=True)


def test_step_slider_shows_that_steps_attention_and_mel_frames():
    mel = np.arange(80 * 24, dtype=float).reshape(80, 24)
    viewer = AlignmentViewer(diagonal(), TEXT, mel=mel, r=3)
    viewer.controls["step"].value = 6
    drawn = viewer.last_drawn
    assert drawn["step"] == 6 and drawn["attended"] == 3
    np.testing.assert_allclose(drawn["weights"], diagonal()[6])
    np.testing.assert_allclose(drawn["mel_frames"], mel[:, 18:21])
    assert "'l'" in viewer.message.value


def test_snapshot_slider_walks_through_training():
    early = np.full((8, 5), 0.2)
    viewer = AlignmentViewer([early, diagonal()], TEXT, snapshot_steps=[100, 900])
    assert viewer.last_drawn["training_step"] == 900, "starts on the latest snapshot"
    viewer.controls["step"].value = 7
    before = viewer.last_drawn["weights"].copy()
    viewer.controls["snapshot"].value = 0
    assert viewer.last_drawn["training_step"] == 100
    assert not np.allclose(before, viewer.last_drawn["weights"])


def test_ground_truth_overlay_can_be_toggled():
    truth = np.array([0, 0, 1, 1, 2, 3, 3, 4])
    viewer = AlignmentViewer(diagonal(), TEXT, truth=truth)
    viewer.controls["step"].value = 5
    assert viewer.last_drawn["truth"] == 3
    viewer.controls["truth"].value = False
    assert viewer.last_drawn["truth"] is None
    assert AlignmentViewer(diagonal(), TEXT).controls["truth"].disabled


def test_bad_combinations_show_a_message_not_a_traceback():
    viewer = AlignmentViewer([diagonal(4), diagonal(8)], TEXT)
    viewer.controls["step"].value = 7
    viewer.controls["snapshot"].value = 0  # only 4 steps in this snapshot
    assert viewer.last_drawn["step"] == 3 and "only 4 decoder steps" in viewer.message.value
    wrong = AlignmentViewer(diagonal(), "hi")
    assert wrong.last_drawn is None and "Cannot draw" in wrong.message.value
    with pytest.raises(ValueError, match="decoder_steps, symbols"):
        AlignmentViewer(np.zeros(5), TEXT)
