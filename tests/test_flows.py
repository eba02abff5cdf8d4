"""Normalizing flows: exact inverses and log-determinants equal to brute-force Jacobians."""

import numpy as np
import pytest
import torch

from course_lib.nn.flows import (
    ActNorm,
    AffineCoupling,
    Invertible1x1,
    affine_couple,
    affine_uncouple,
    glow_2d,
    log_det_1x1,
    make_two_moons,
    rotation,
    train_flow,
)


def perturb(module, scale=0.5, seed=0):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(scale * torch.randn(p.shape, generator=gen, dtype=p.dtype))
    return module


def brute_force_log_det(module, x):
    """log|det ∂f/∂x| per row, from torch.autograd.functional.jacobian."""
    out = []
    for row in x:
        jac = torch.autograd.functional.jacobian(lambda v: module(v[None])[0][0], row)
        out.append(torch.linalg.slogdet(jac)[1])
    return torch.stack(out)


@pytest.mark.parametrize("make, dim", [(lambda: AffineCoupling(5, 16), 5), (lambda: AffineCoupling(4, 8, flip=True), 4),
                                       (lambda: Invertible1x1(4), 4), (lambda: ActNorm(4), 4)])
def test_step_inverse_and_log_det(make, dim):
    torch.manual_seed(0)
    step = perturb(make()).double().eval()
    x = torch.randn(3, dim, dtype=torch.float64)
    y, log_det = step(x)
    assert log_det.shape == (3,)
    assert torch.allclose(step.inverse(y), x, atol=1e-10)
    assert torch.allclose(log_det, brute_force_log_det(step, x), atol=1e-10)


def test_rotation_is_orthonormal_with_determinant_one():
    torch.manual_seed(0)
    for dim in (2, 3, 8, 16):
        w = rotation(dim)
        assert torch.allclose(w @ w.T, torch.eye(dim), atol=1e-5)
        assert torch.det(w) == pytest.approx(1.0, abs=1e-4)


def test_coupling_functions_on_sequences_give_one_log_det_per_example():
    """WaveGlow's use (chapter 14): halves of channels [batch, C/2, time]; log|det| summed per example."""
    gen = torch.Generator().manual_seed(0)
    x_b, t, log_s = (torch.randn(3, 4, 7, generator=gen, dtype=torch.float64) for _ in range(3))
    y_b, log_det = affine_couple(x_b, t, log_s)
    assert log_det.shape == (3,) and torch.allclose(log_det, log_s.sum(dim=(1, 2)))
    assert torch.allclose(affine_uncouple(y_b, t, log_s), x_b, atol=1e-12)
    jac = torch.autograd.functional.jacobian(lambda v: affine_couple(v, t[:1], log_s[:1])[0], x_b[:1])
    assert torch.allclose(torch.linalg.slogdet(jac.reshape(28, 28))[1], log_det[0])


def test_log_det_1x1_over_positions_equals_brute_force():
    torch.manual_seed(0)
    w = torch.randn(4, 4, dtype=torch.float64)
    x = torch.randn(2, 4, 5, dtype=torch.float64)
    jac = torch.autograd.functional.jacobian(lambda v: torch.nn.functional.conv1d(v, w[:, :, None]), x[:1])
    got = log_det_1x1(w, batch=2, positions=5)
    assert got.shape == (2,) and torch.allclose(got, torch.linalg.slogdet(jac.reshape(20, 20))[1].expand(2))


def test_whole_flow_log_prob_is_a_density():
    torch.manual_seed(0)
    flow = glow_2d(n_steps=3, hidden=16)
    for step in flow.steps:
        if isinstance(step, AffineCoupling):
            perturb(step, scale=0.1)
    flow.eval()
    x = torch.randn(4, 2)
    z, log_det = flow(x)
    assert torch.allclose(flow.inverse(z), x, atol=1e-5)
    assert torch.allclose(log_det.double(), brute_force_log_det(flow.double(), x.double()), atol=1e-8)
    flow.float()
    # integrates to ~1 over a grid that covers the mass
    g = torch.linspace(-6, 6, 241)
    xx, yy = torch.meshgrid(g, g, indexing="xy")
    with torch.no_grad():
        density = flow.log_prob(torch.stack([xx.flatten(), yy.flatten()], 1)).exp()
    mass = float(density.sum() * (g[1] - g[0]) ** 2)
    assert abs(mass - 1) < 0.05


def test_coupling_starts_as_identity():
    step = AffineCoupling(4)
    x = torch.randn(5, 4)
    y, log_det = step(x)
    assert torch.equal(y, x) and torch.equal(log_det, torch.zeros(5))


def test_two_moons_are_learned_and_sampled():
    torch.manual_seed(0)
    data = make_two_moons(2000, seed=1)
    assert data.shape == (2000, 2) and data.dtype == np.float32
    flow = glow_2d(n_steps=4, hidden=32)
    losses = train_flow(flow, data, steps=150, batch_size=256, lr=5e-3)
    assert np.mean(losses[-10:]) < np.mean(losses[:10]) - 0.5
    held_out = torch.as_tensor(make_two_moons(500, seed=2))
    with torch.no_grad():
        assert flow.log_prob(held_out).mean() > flow.log_prob(torch.randn(500, 2) * 2).mean()
    samples = flow.sample(500, generator=torch.Generator().manual_seed(0))
    assert samples.shape == (500, 2) and torch.isfinite(samples).all()
    with pytest.raises(ValueError):
        train_flow(flow, np.zeros(5), steps=1)
    with pytest.raises(ValueError):
        make_two_moons(1)
