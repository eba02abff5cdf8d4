"""course_lib.nn.layers: the dropout that Tacotron 2 uses (the same distribution as F.dropout)."""

import pytest
import torch
import torch.nn.functional as F

from course_lib.nn.layers import dropout


def test_dropout_is_inverted_dropout():
    torch.manual_seed(0)
    x = torch.rand(400, 500) + 0.5
    y = dropout(x, 0.3)
    kept = y != 0
    assert abs(kept.float().mean().item() - 0.7) < 0.005, "each element survives with probability 1 - p"
    torch.testing.assert_close(y[kept], x[kept] / 0.7)
    reference = F.dropout(x, 0.3, training=True)
    assert abs(y.mean().item() - reference.mean().item()) < 0.01 * x.mean().item(), "same expectation as F.dropout"


def test_dropout_gradient_is_the_scaled_mask():
    x = torch.randn(64, 32, requires_grad=True)
    torch.manual_seed(1)
    y = dropout(x, 0.5)
    y.sum().backward()
    torch.testing.assert_close(x.grad, (y != 0).float() * 2.0)


@pytest.mark.parametrize("p, training", [(0.0, True), (0.5, False)])
def test_dropout_off_is_the_identity(p, training):
    x = torch.randn(10)
    assert torch.equal(dropout(x, p, training), x)


def test_dropout_of_one_drops_everything():
    assert torch.equal(dropout(torch.randn(10), 1.0), torch.zeros(10))
