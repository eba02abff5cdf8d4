"""FastSpeech duration predictor and length regulator (course_lib.tts.duration.predictor)."""

import numpy as np
import pytest
import torch

from course_lib.tts.duration.predictor import (
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


def test_paper_preset_architecture_and_parameter_count():
    model = DurationPredictor(DurationPredictorConfig.paper())
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv1d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size[0]) for c in convs] == [(384, 256, 3), (256, 256, 3)]
    assert len([m for m in model.modules() if isinstance(m, torch.nn.LayerNorm)]) == 2
    # conv 384·256·3+256, conv 256·256·3+256, 2 LayerNorms of 2·256, linear 256+1
    assert sum(p.numel() for p in model.parameters()) == 295_168 + 196_864 + 1_024 + 257


def test_predictor_shapes_and_padding_does_not_leak():
    torch.manual_seed(0)
    model = DurationPredictor(DurationPredictorConfig(in_channels=8, filter_size=16)).eval()
    x = torch.randn(2, 7, 8)
    mask = torch.tensor([[False] * 7, [False] * 4 + [True] * 3])  # True on padding
    out = model(x, mask)
    assert out.shape == (2, 7)
    assert (out[1, 4:] == 0).all()
    x_changed = x.clone()
    x_changed[1, 4:] = 100.0  # garbage in the padding
    torch.testing.assert_close(model(x_changed, mask), out)
    alone = model(x[1:, :4], mask[1:, :4])
    torch.testing.assert_close(alone, out[1:, :4])
    with pytest.raises(ValueError, match="must be"):
        model(torch.randn(2, 7, 5))
    with pytest.raises(ValueError, match="odd"):
        DurationPredictor(DurationPredictorConfig(kernel_size=4))


def test_length_regulate_expands_states():
    x = torch.arange(6.0).reshape(1, 3, 2)  # phonemes [0,1], [2,3], [4,5]
    out, lengths = length_regulate(x, torch.tensor([[2, 0, 3]]))
    assert lengths.tolist() == [5]
    assert out[0].tolist() == [[0, 1], [0, 1], [4, 5], [4, 5], [4, 5]]


def test_length_regulate_batch_padding_matches_a_loop():
    torch.manual_seed(0)
    x = torch.randn(3, 4, 5)
    d = torch.tensor([[1, 2, 3, 0], [4, 4, 1, 1], [0, 0, 2, 1]])
    out, lengths = length_regulate(x, d, max_len=12)
    assert out.shape == (3, 12, 5) and lengths.tolist() == [6, 10, 3]
    for b in range(3):
        expected = [x[b, i] for i in range(4) for _ in range(int(d[b, i]))]
        torch.testing.assert_close(out[b, : lengths[b]], torch.stack(expected))
        assert (out[b, lengths[b]:] == 0).all()


def test_length_regulate_errors():
    x = torch.randn(1, 3, 2)
    with pytest.raises(TypeError, match="integer"):
        length_regulate(x, torch.tensor([[1.0, 2.0, 3.0]]))
    with pytest.raises(ValueError, match="non-negative"):
        length_regulate(x, torch.tensor([[1, -2, 3]]))
    with pytest.raises(ValueError, match="shorter"):
        length_regulate(x, torch.tensor([[1, 2, 3]]), max_len=4)
    with pytest.raises(ValueError, match=r"\[batch, N\]"):
        length_regulate(x, torch.tensor([[1, 2]]))


def test_log_durations_round_trip_and_speed_control():
    d = torch.tensor([[1, 4, 9, 0]])
    mask = torch.tensor([[False, False, False, True]])  # True on padding
    back = durations_from_log(log_duration_targets(d), mask)
    assert back.tolist() == [[1, 4, 9, 0]]
    assert durations_from_log(log_duration_targets(d), mask, alpha=2.0).tolist() == [[2, 8, 18, 0]]
    assert durations_from_log(torch.tensor([[-5.0]])).tolist() == [[1]], "real phonemes keep >= 1 frame"
    with pytest.raises(ValueError, match="alpha"):
        durations_from_log(torch.zeros(1, 1), alpha=0)


def test_pad_batch():
    assert pad_batch([[1, 2, 3], [4]]).tolist() == [[1, 2, 3], [4, 0, 0]]
    with pytest.raises(ValueError):
        pad_batch([[1], []])


@pytest.fixture
def one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def test_training_learns_durations_that_depend_on_the_phoneme(one_thread):
    rng = np.random.default_rng(0)
    ids = [rng.integers(1, 6, size=rng.integers(4, 12)).tolist() for _ in range(64)]
    durs = [[2 * i + 1 for i in seq] for seq in ids]  # phoneme i lasts 2i+1 frames
    torch.manual_seed(0)
    model = PhonemeDurationModel(6, DurationPredictorConfig(in_channels=16, filter_size=32, dropout=0.0))
    losses = train_duration_model(model, ids, durs, steps=150, batch_size=16, lr=3e-3)
    assert np.mean(losses[-10:]) < 0.1 * np.mean(losses[:5])
    pred = predict_durations(model, [1, 5, 3, 2])
    assert np.abs(pred - np.array([3, 11, 7, 5])).max() <= 1
    with pytest.raises(ValueError, match="durations"):
        train_duration_model(model, [[1, 2]], [[3]], steps=1)
    with pytest.raises(ValueError, match="padding"):
        train_duration_model(model, [[0, 2]], [[3, 3]], steps=1)
