"""course_lib.nn.mlp: hand-written backprop equals autograd; the MLP solves XOR."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.nn import mlp
from course_lib.nn.perceptron import make_xor

TORCH_ACT = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": F.relu, "identity": lambda z: z}


def autograd_reference(model: mlp.MLP, x: torch.Tensor, loss_name: str, target: torch.Tensor):
    """The same network built from torch.nn.functional ops; gradients by autograd."""
    params = [p.clone().requires_grad_() for p in model.parameters()]
    x = x.clone().requires_grad_()
    h = x
    acts = [layer.name for layer in model.layers if isinstance(layer, mlp.Activation)]
    for (W, b), act in zip(zip(params[::2], params[1::2]), acts):
        h = TORCH_ACT[act](F.linear(h, W, b))
    if loss_name == "mse":
        loss = F.mse_loss(h, target)
    elif loss_name == "bce":
        loss = F.binary_cross_entropy_with_logits(h, target)
    else:
        loss = F.cross_entropy(h, target)
    loss.backward()
    return loss.detach(), [p.grad for p in params], x.grad


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(1, 7), min_size=2, max_size=5), batch=st.integers(1, 6),
       activation=st.sampled_from(["sigmoid", "tanh", "relu"]),
       output_activation=st.sampled_from(["identity", "sigmoid", "tanh"]),
       loss_name=st.sampled_from(["mse", "bce", "cross_entropy"]), seed=st.integers(0, 10_000))
def test_manual_backprop_equals_autograd(sizes, batch, activation, output_activation, loss_name, seed):
    gen = torch.Generator().manual_seed(seed)
    model = mlp.MLP(sizes, activation, output_activation, seed=seed)
    x = torch.randn(batch, sizes[0], generator=gen, dtype=torch.float64)
    if loss_name == "cross_entropy":
        target = torch.randint(0, sizes[-1], (batch,), generator=gen)
    elif loss_name == "bce":
        target = torch.rand(batch, sizes[-1], generator=gen, dtype=torch.float64)
    else:
        target = torch.randn(batch, sizes[-1], generator=gen, dtype=torch.float64)
    loss, grad_out = mlp.LOSSES[loss_name](model.forward(x), target)
    grad_x = model.backward(grad_out)
    ref_loss, ref_grads, ref_grad_x = autograd_reference(model, x, loss_name, target)
    torch.testing.assert_close(loss, ref_loss)
    for ours, theirs in zip(model.gradients(), ref_grads, strict=True):
        torch.testing.assert_close(ours, theirs, rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(grad_x, ref_grad_x, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "identity"])
def test_activation_derivatives_match_autograd(name):
    z = torch.linspace(-6, 6, 101, dtype=torch.float64).requires_grad_()
    f, f_prime = mlp.ACTIVATIONS[name]
    f(z).sum().backward()
    torch.testing.assert_close(f_prime(z.detach()), z.grad)
    torch.testing.assert_close(f(z.detach()), TORCH_ACT[name](z.detach()))


def test_sigmoid_is_stable_for_large_inputs():
    z = torch.tensor([-1000.0, 0.0, 1000.0], dtype=torch.float64)
    assert torch.equal(mlp.sigmoid(z), torch.tensor([0.0, 0.5, 1.0], dtype=torch.float64))
    loss, grad = mlp.bce_with_logits(torch.tensor([1000.0, -1000.0]), torch.tensor([1.0, 0.0]))
    assert loss.item() == 0.0 and torch.isfinite(grad).all()


def test_linear_backward_shapes_and_init():
    layer = mlp.Linear(3, 5, generator=torch.Generator().manual_seed(0))
    assert layer.weight.shape == (5, 3) and layer.weight.abs().max() <= 1 / np.sqrt(3)
    y = layer.forward(torch.ones(4, 3, dtype=torch.float64))
    dx = layer.backward(torch.ones_like(y))
    assert dx.shape == (4, 3) and layer.grad_weight.shape == (5, 3) and layer.grad_bias.shape == (5,)
    torch.testing.assert_close(layer.grad_bias, torch.full((5,), 4.0, dtype=torch.float64))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mlp_solves_xor_where_the_perceptron_fails(seed):
    X, y = make_xor()
    X, target = torch.tensor(X), torch.tensor((y + 1) / 2).reshape(-1, 1)  # labels ±1 -> 0/1
    model = mlp.MLP([2, 4, 1], "tanh", seed=seed)
    losses = mlp.fit(model, X, target, loss="bce", lr=1.0, steps=1500)
    predictions = (model(X) > 0).reshape(-1).long()
    assert predictions.tolist() == target.reshape(-1).long().tolist()
    assert losses[-1] < 0.05 < losses[0]


def test_same_seed_same_network():
    a, b = mlp.MLP([2, 3, 1], seed=5), mlp.MLP([2, 3, 1], seed=5)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


@pytest.mark.parametrize("call, error, match", [
    (lambda: mlp.MLP([2]), ValueError, "sizes"),
    (lambda: mlp.MLP([2, 0, 1]), ValueError, "sizes"),
    (lambda: mlp.MLP([2, 3, 1], activation="swish"), ValueError, "activation"),
    (lambda: mlp.MLP([2, 3, 1]).forward(torch.ones(4, 3)), ValueError, r"\[batch, 2\]"),
    (lambda: mlp.MLP([2, 3, 1]).forward(np.ones((4, 2))), TypeError, "torch.Tensor"),
    (lambda: mlp.MLP([2, 3, 1]).backward(torch.ones(4, 1)), RuntimeError, "before forward"),
    (lambda: mlp.mse_loss(torch.ones(3), torch.ones(4)), ValueError, "same shape"),
    (lambda: mlp.cross_entropy(torch.ones(3, 2), torch.ones(2).long()), ValueError, "labels"),
    (lambda: mlp.fit(mlp.MLP([2, 1]), torch.ones(1, 2), torch.ones(1, 1), lr=-1.0), ValueError, "lr"),
    (lambda: mlp.fit(mlp.MLP([2, 1]), torch.ones(1, 2), torch.ones(1, 1), loss="hinge"), ValueError, "loss"),
])
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
