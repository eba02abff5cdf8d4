"""course_lib.optim optimizers: equal to torch.optim step by step, and reject bad settings."""

import math

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course_lib import optim
from course_lib.optim import OPTIMIZERS, make_optimizer

TOL = 1e-6
STEPS = 100

lrs = st.floats(1e-4, 0.5)
decays = st.one_of(st.just(0.0), st.floats(1e-4, 0.1))
unit = st.floats(0.0, 0.99)


@st.composite
def hyper(draw, name):
    """Randomly drawn hyperparameters for each optimizer (keyword arguments of both classes)."""
    kw = {"lr": draw(lrs), "weight_decay": draw(decays)}
    if name == "SGD":
        nesterov = draw(st.booleans())
        kw["momentum"] = draw(st.floats(0.01, 0.99) if nesterov else st.one_of(st.just(0.0), unit))
        kw["dampening"] = 0.0 if nesterov else draw(st.floats(0.0, 1.0))
        kw["nesterov"] = nesterov
    elif name == "Adagrad":
        kw.update(lr_decay=draw(decays), initial_accumulator_value=draw(st.floats(0.0, 1.0)),
                  eps=draw(st.floats(1e-10, 1e-3)))
    elif name == "RMSprop":
        kw.update(alpha=draw(unit), eps=draw(st.floats(1e-8, 1e-3)), momentum=draw(st.one_of(st.just(0.0), unit)),
                  centered=draw(st.booleans()))
    elif name == "Adadelta":
        kw.update(lr=draw(st.floats(1e-2, 2.0)), rho=draw(unit), eps=draw(st.floats(1e-8, 1e-3)))
    elif name == "Adam":
        kw.update(betas=(draw(unit), draw(st.floats(0.0, 0.9999))), eps=draw(st.floats(1e-8, 1e-3)))
    return kw


shapes = st.lists(st.lists(st.integers(1, 5), min_size=0, max_size=3).map(tuple), min_size=1, max_size=3)
CLASSES = {"SGD": optim.SGD, "Adagrad": optim.Adagrad, "RMSprop": optim.RMSprop,
           "Adadelta": optim.Adadelta, "Adam": optim.Adam}
TORCH = {"SGD": torch.optim.SGD, "Adagrad": torch.optim.Adagrad, "RMSprop": torch.optim.RMSprop,
         "Adadelta": torch.optim.Adadelta, "Adam": torch.optim.Adam}


def _pair(name, kw, shapes, seed, dtype=torch.float64):
    gen = torch.Generator().manual_seed(seed)
    init = [torch.randn(s, generator=gen, dtype=dtype) for s in shapes]
    ours = [p.clone().requires_grad_() for p in init]
    ref = [p.clone().requires_grad_() for p in init]
    return ours, CLASSES[name](ours, **kw), ref, TORCH[name](ref, **kw)


@pytest.mark.parametrize("name", list(CLASSES))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), shapes=shapes, seed=st.integers(0, 2**16))
def test_same_updates_as_torch_on_random_gradients(name, data, shapes, seed):
    """Feed both optimizers the same random gradient sequence; parameters agree at every step."""
    kw = data.draw(hyper(name))
    ours, opt, ref, opt_ref = _pair(name, kw, shapes, seed)
    gen = torch.Generator().manual_seed(seed + 1)
    scale = data.draw(st.floats(1e-3, 10.0))
    for step in range(STEPS):
        for a, b in zip(ours, ref):
            g = scale * torch.randn(a.shape, generator=gen, dtype=a.dtype)
            a.grad, b.grad = g.clone(), g.clone()
        opt.step()
        opt_ref.step()
        for a, b in zip(ours, ref):  # NaN where torch gives NaN too (e.g. centered RMSprop with alpha=0)
            torch.testing.assert_close(a, b, rtol=0, atol=TOL, equal_nan=True,
                                       msg=lambda m: f"{name} {kw} differs from torch at step {step + 1}: {m}")


@pytest.mark.parametrize("name", list(CLASSES))
@settings(max_examples=10, deadline=None)
@given(data=st.data(), shapes=shapes, seed=st.integers(0, 2**16))
def test_same_trajectory_as_torch_on_a_loss(name, data, shapes, seed):
    """Closed loop: each optimizer follows its own gradients of a bounded-gradient loss."""
    kw = data.draw(hyper(name))
    ours, opt, ref, opt_ref = _pair(name, kw, shapes, seed)
    gen = torch.Generator().manual_seed(seed + 2)
    targets = [torch.randn(p.shape, generator=gen, dtype=p.dtype) for p in ours]

    def loss(params):
        return sum((torch.log(torch.cosh(p - t)) + 0.1 * torch.sin(3 * p)).sum() for p, t in zip(params, targets))

    for _ in range(STEPS):
        for params, o in ((ours, opt), (ref, opt_ref)):
            o.zero_grad()
            loss(params).backward()
            o.step()
    for a, b in zip(ours, ref):
        torch.testing.assert_close(a, b, rtol=0, atol=TOL, equal_nan=True)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_named_lineup_matches_torch_in_float32(name):
    gen = torch.Generator().manual_seed(3)
    a = torch.randn(7, 4, generator=gen).requires_grad_()
    b = a.detach().clone().requires_grad_()
    oa, ob = make_optimizer(name, [a], 0.01), make_optimizer(name, [b], 0.01, reference=True)
    assert type(ob).__module__.startswith("torch.optim")
    for _ in range(STEPS):
        g = torch.randn(a.shape, generator=gen)
        a.grad, b.grad = g.clone(), g.clone()
        oa.step()
        ob.step()
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_param_groups_closure_and_missing_grads():
    w1, w2, w3 = (torch.ones(3, requires_grad=True) for _ in range(3))
    opt = optim.Adam([{"params": [w1]}, {"params": [w2, w3], "lr": 0.1}], lr=0.01)

    def closure():
        opt.zero_grad()
        loss = (w1 * 2).sum() + (w2 * 2).sum()  # w3 gets no gradient
        loss.backward()
        return loss

    assert opt.step(closure).item() == 12.0
    # Adam's first step moves every coordinate by lr (m̂/√v̂ = sign g).
    torch.testing.assert_close(w1.detach(), torch.full((3,), 0.99))
    torch.testing.assert_close(w2.detach(), torch.full((3,), 0.9))
    torch.testing.assert_close(w3.detach(), torch.ones(3))
    assert opt.state_dict()["state"][0]["step"] == 1


def test_update_functions_work_on_plain_tensors():
    param, state = torch.zeros(2), {}
    for _ in range(3):
        optim.adam_update(param, torch.tensor([1.0, -2.0]), state, lr=0.1)
    torch.testing.assert_close(param, torch.tensor([-0.3, 0.3]))  # |step| = lr for a constant gradient
    assert state["step"] == 3


def test_torch_scheduler_drives_our_optimizer():
    w = torch.zeros(1, requires_grad=True)
    opt = optim.SGD([w], lr=1.0)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(4):
        w.grad = torch.ones(1)
        opt.step()
        sched.step()
    assert w.item() == pytest.approx(-(1 + 1 + 0.5 + 0.5))


def test_nag_is_sutskever_lookahead_momentum():
    """Sutskever et al. 2013 form (gradient at θ + μv) equals torch's form for φ = θ + μv."""
    A = torch.tensor([[3.0, 0.5], [0.5, 1.0]], dtype=torch.float64)

    def grad(x):
        return A @ x  # gradient of ½ xᵀ A x

    lr, mu = 0.1, 0.9
    theta, v = torch.tensor([1.0, -2.0], dtype=torch.float64), torch.zeros(2, dtype=torch.float64)
    phi = theta.clone().requires_grad_()
    opt = optim.NAG([phi], lr=lr, momentum=mu)
    for _ in range(50):
        v = mu * v - lr * grad(theta + mu * v)
        theta = theta + v
        phi.grad = grad(phi.detach())
        opt.step()
        torch.testing.assert_close(phi.detach(), theta + mu * v)


def test_momentum_and_nag_differ_from_plain_gd():
    ends = {}
    for name in ("GD", "Momentum", "NAG"):
        w = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
        opt = make_optimizer(name, [w], 0.01)
        for _ in range(20):
            w.grad = 2 * w.detach()
            opt.step()
        ends[name] = w.item()
    assert ends["Momentum"] < ends["GD"] and ends["NAG"] < ends["GD"]
    assert ends["NAG"] != ends["Momentum"]


# ------------------------------------------------------------------ bad input


def _w():
    return [torch.zeros(2, requires_grad=True)]


@pytest.mark.parametrize("cls, kwargs, match", [
    (optim.SGD, {"lr": -0.1}, "lr"),
    (optim.SGD, {"lr": math.nan}, "lr"),
    (optim.Adam, {"lr": math.inf}, "lr"),
    (optim.Adam, {"betas": (1.0, 0.999)}, r"betas\[0\]"),
    (optim.Adam, {"betas": (0.9, -0.1)}, r"betas\[1\]"),
    (optim.Adam, {"eps": -1e-8}, "eps"),
    (optim.Adam, {"weight_decay": -1.0}, "weight_decay"),
    (optim.SGD, {"lr": 0.1, "momentum": 1.0}, "momentum"),
    (optim.SGD, {"lr": 0.1, "nesterov": True}, "Nesterov"),
    (optim.SGD, {"lr": 0.1, "momentum": 0.9, "dampening": 0.5, "nesterov": True}, "dampening"),
    (optim.RMSprop, {"alpha": 1.0}, "alpha"),
    (optim.RMSprop, {"momentum": -0.5}, "momentum"),
    (optim.Adadelta, {"rho": 1.5}, "rho"),
    (optim.Adagrad, {"lr_decay": -1.0}, "lr_decay"),
    (optim.Adagrad, {"eps": math.nan}, "eps"),
])
def test_bad_hyperparameters_raise_value_error(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(_w(), **kwargs)


@pytest.mark.parametrize("cls, kwargs", [
    (optim.SGD, {"lr": "0.1"}),
    (optim.Adam, {"lr": torch.tensor(0.1)}),
    (optim.Adam, {"betas": 0.9}),
    (optim.SGD, {"lr": 0.1, "nesterov": 1}),
])
def test_wrong_types_raise_type_error(cls, kwargs):
    with pytest.raises(TypeError):
        cls(_w(), **kwargs)


def test_bad_param_group_and_name():
    opt = optim.Adam(_w(), lr=1e-3)
    with pytest.raises(ValueError, match="lr"):
        opt.add_param_group({"params": [torch.zeros(1, requires_grad=True)], "lr": -1.0})
    with pytest.raises(ValueError, match="unknown optimizer"):
        make_optimizer("Newton", _w(), 0.1)
    with pytest.raises(ValueError, match="lr"):
        make_optimizer("Adam", _w(), math.nan)
