"""Test functions, trajectories, minibatches and the digits comparison of course_lib.optim."""

import numpy as np
import pytest
import torch

from course_lib.optim import LANDSCAPES, beale, rosenbrock, trajectory
from course_lib.optim.training import compare_on_digits, load_digits_split, random_minibatches


@pytest.mark.parametrize("name", list(LANDSCAPES))
def test_minimum_is_a_stationary_point_with_value_zero(name):
    land = LANDSCAPES[name]
    p = torch.tensor(land.minimum, dtype=torch.float64, requires_grad=True)
    value = land.fn(p[0], p[1])
    value.backward()
    assert value.item() == 0.0
    assert torch.allclose(p.grad, torch.zeros(2, dtype=torch.float64))
    X, Y, Z = land.grid(50)
    assert Z.shape == (50, 50) and Z.min() >= 0 and Z.max() > 10


def test_functions_known_values():
    assert rosenbrock(0.0, 0.0) == 1.0
    assert rosenbrock(-1.0, 1.0) == 4.0
    assert beale(0.0, 0.0) == pytest.approx(1.5**2 + 2.25**2 + 2.625**2)
    assert np.allclose(rosenbrock(np.ones(3), np.ones(3)), 0.0)


def test_trajectory_shape_and_progress():
    path = trajectory("Rosenbrock", "Adam", (-1.5, 2.0), lr=0.1, steps=500)
    assert path.shape == (501, 2)
    assert tuple(path[0]) == (-1.5, 2.0)
    start, end = rosenbrock(*path[0]), rosenbrock(*path[-1])
    assert end < 0.05 * start


def test_trajectory_differs_by_optimizer_and_lr():
    a = trajectory("Beale", "GD", lr=1e-3, steps=50)
    b = trajectory("Beale", "Momentum", lr=1e-3, steps=50)
    c = trajectory("Beale", "GD", lr=2e-3, steps=50)
    assert not np.allclose(a, b) and not np.allclose(a, c)


def test_divergent_run_stops_early():
    path = trajectory("Rosenbrock", "GD", (-1.5, 2.0), lr=0.1, steps=100)
    assert len(path) < 101 and np.isfinite(path).all()


def test_gradient_noise_is_seeded():
    a = trajectory("Rosenbrock", "GD", lr=1e-4, steps=20, grad_noise=5.0, seed=1)
    b = trajectory("Rosenbrock", "GD", lr=1e-4, steps=20, grad_noise=5.0, seed=1)
    c = trajectory("Rosenbrock", "GD", lr=1e-4, steps=20, grad_noise=5.0, seed=2)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


@pytest.mark.parametrize("kwargs, match", [
    ({"landscape": "Himmelblau"}, "landscape"),
    ({"optimizer": "LBFGS"}, "optimizer"),
    ({"steps": -1}, "steps"),
    ({"start": (0.0, float("nan"))}, "start"),
    ({"lr": -0.1}, "lr"),
    ({"grad_noise": -1.0}, "grad_noise"),
])
def test_trajectory_bad_input(kwargs, match):
    args = {"landscape": "Rosenbrock", "optimizer": "Adam", "lr": 0.01, "steps": 5, **kwargs}
    with pytest.raises(ValueError, match=match):
        trajectory(**args)


def test_random_minibatches_cover_each_index_once_and_reshuffle():
    gen = torch.Generator().manual_seed(0)
    first = list(random_minibatches(10, 3, gen))
    second = list(random_minibatches(10, 3, gen))
    assert [len(b) for b in first] == [3, 3, 3, 1]
    assert sorted(torch.cat(first).tolist()) == list(range(10))
    assert not torch.equal(torch.cat(first), torch.cat(second))
    with pytest.raises(ValueError, match="batch_size"):
        list(random_minibatches(10, 0))


def test_digits_split():
    X_train, y_train, X_test, y_test = load_digits_split()
    assert X_train.shape[1] == 64 and len(X_train) + len(X_test) == 1797
    assert 0.0 <= X_train.min() and X_train.max() <= 1.0
    assert set(y_test.tolist()) == set(range(10))


def test_digits_comparison_learns():
    torch.set_num_threads(1)
    res = compare_on_digits({"Adam": {"optimizer": "Adam", "lr": 3e-3},
                             "GD": {"optimizer": "GD", "lr": 0.5, "batch_size": None}}, epochs=5)
    assert res["Adam"]["test_acc"] > 0.85
    assert res["Adam"]["losses"][-1] < res["Adam"]["losses"][0]
    # five full-batch GD steps are far fewer updates than five epochs of minibatches
    assert res["GD"]["test_acc"] < res["Adam"]["test_acc"]
