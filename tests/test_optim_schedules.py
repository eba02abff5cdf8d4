"""course_lib.optim.schedules equal torch's StepLR / ExponentialLR."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib import optim
from course_lib.optim import ExponentialLR, StepLR, schedule_curve


def _two_groups(cls, lrs):
    return cls([{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs], lr=lrs[0])


@settings(max_examples=30, deadline=None)
@given(lrs=st.lists(st.floats(1e-5, 1.0), min_size=1, max_size=3), step_size=st.integers(1, 10),
       gamma=st.floats(0.01, 1.0), epochs=st.integers(1, 60), torch_opt=st.booleans())
def test_step_lr_equals_torch(lrs, step_size, gamma, epochs, torch_opt):
    ours_opt = _two_groups(torch.optim.SGD if torch_opt else optim.SGD, lrs)
    ref_opt = _two_groups(torch.optim.SGD, lrs)
    ours, ref = StepLR(ours_opt, step_size, gamma), torch.optim.lr_scheduler.StepLR(ref_opt, step_size, gamma)
    for _ in range(epochs):
        ours_opt.step()
        ref_opt.step()
        ours.step()
        ref.step()
        assert ours.get_last_lr() == pytest.approx(ref.get_last_lr(), rel=1e-9, abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(lrs=st.lists(st.floats(1e-5, 1.0), min_size=1, max_size=3), gamma=st.floats(0.5, 1.0),
       epochs=st.integers(1, 100))
def test_exponential_lr_equals_torch(lrs, gamma, epochs):
    ours_opt, ref_opt = _two_groups(optim.Adam, lrs), _two_groups(torch.optim.Adam, lrs)
    ours, ref = ExponentialLR(ours_opt, gamma), torch.optim.lr_scheduler.ExponentialLR(ref_opt, gamma)
    for _ in range(epochs):
        ours_opt.step()
        ref_opt.step()
        ours.step()
        ref.step()
        assert ours.get_last_lr() == pytest.approx(ref.get_last_lr(), rel=1e-9, abs=1e-12)
    assert [g["lr"] for g in ours_opt.param_groups] == ours.get_last_lr()


def test_schedule_curve_values():
    assert schedule_curve("step", 1.0, 7, step_size=3, gamma=0.5) == [1, 1, 1, 0.5, 0.5, 0.5, 0.25]
    assert schedule_curve("exponential", 2.0, 3, gamma=0.5) == [2.0, 1.0, 0.5]
    with pytest.raises(ValueError, match="unknown schedule"):
        schedule_curve("cosine", 1.0, 3)


def test_schedule_changes_the_optimizer_steps():
    w = torch.zeros(1, requires_grad=True)
    opt = optim.SGD([w], lr=1.0)
    sched = ExponentialLR(opt, gamma=0.5)
    for _ in range(3):
        w.grad = torch.ones(1)
        opt.step()
        sched.step()
    assert w.item() == pytest.approx(-1.75)


@pytest.mark.parametrize("make", [
    lambda o: StepLR(o, step_size=0),
    lambda o: StepLR(o, step_size=2.5),
    lambda o: StepLR(o, step_size=2, gamma=math.nan),
    lambda o: ExponentialLR(o, gamma=-0.1),
])
def test_bad_schedule_arguments(make):
    with pytest.raises(ValueError):
        make(optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1))


def test_schedule_needs_an_optimizer():
    with pytest.raises(TypeError, match="Optimizer"):
        ExponentialLR([0.1], gamma=0.9)
