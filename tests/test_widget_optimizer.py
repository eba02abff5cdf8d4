"""The optimizer playground redraws when a control changes and reports problems in the widget."""

import numpy as np
import pytest

from course_lib.optim import LANDSCAPES, trajectory
from course_lib.widgets.optimizer_playground import CHOICES, OptimizerPlayground

PNG = b"\x89PNG"


@pytest.fixture(scope="module")
def pg():
    return OptimizerPlayground(optimizers=("GD", "Adam"), lr=1e-3, steps=40)


def test_initial_draw(pg):
    assert set(pg.last_paths) == {"GD", "Adam"}
    assert all(path.shape == (41, 2) for path in pg.last_paths.values())
    assert bytes(pg.image.value).startswith(PNG) and pg.message == ""
    assert set(pg.controls) >= {"optimizers", "lr", "x0", "y0", "steps", "landscape"}
    assert "<table>" in pg.summary.value


def test_paths_are_the_library_trajectories(pg):
    expected = trajectory("Rosenbrock", "Adam", LANDSCAPES["Rosenbrock"].start, lr=1e-3, steps=40)
    np.testing.assert_allclose(pg.last_paths["Adam"], expected)
    np.testing.assert_allclose(pg.last_losses["Adam"], LANDSCAPES["Rosenbrock"].fn(*expected.T))


def test_changing_lr_changes_paths_and_image(pg):
    before, image = {k: v.copy() for k, v in pg.last_paths.items()}, pg.image.value
    pg.controls["lr"].value = 1e-2
    assert not np.allclose(before["Adam"][-1], pg.last_paths["Adam"][-1])
    assert bytes(pg.image.value) != bytes(image)
    pg.controls["lr"].value = 1e-3


def test_changing_selection_start_and_steps(pg):
    pg.controls["optimizers"].value = ("NAG", "RMSprop", "Adadelta")
    assert set(pg.last_paths) == {"NAG", "RMSprop", "Adadelta"}
    pg.controls["x0"].value = 0.5
    assert all(path[0, 0] == pytest.approx(0.5) for path in pg.last_paths.values())
    pg.controls["steps"].value = 10
    assert all(len(path) == 11 for path in pg.last_paths.values())
    pg.controls["grad_noise"].value = 5.0
    noisy = pg.last_paths["NAG"].copy()
    pg.controls["grad_noise"].value = 0.0
    assert not np.allclose(noisy, pg.last_paths["NAG"])


def test_landscape_switch_moves_start(pg):
    pg.controls["landscape"].value = "Beale"
    assert (pg.controls["x0"].value, pg.controls["y0"].value) == LANDSCAPES["Beale"].start
    assert all(tuple(path[0]) == LANDSCAPES["Beale"].start for path in pg.last_paths.values())
    pg.controls["landscape"].value = "Rosenbrock"
    assert tuple(next(iter(pg.last_paths.values()))[0]) == LANDSCAPES["Rosenbrock"].start


def test_bad_combinations_show_a_message_not_a_traceback(pg):
    pg.controls["optimizers"].value = ()
    assert pg.last_paths == {} and "Pick at least one" in pg.message
    assert bytes(pg.image.value).startswith(PNG)
    pg.controls["optimizers"].value = ("GD",)
    pg.controls["lr"].value = 1.0
    assert "diverged" in pg.message and len(pg.last_paths["GD"]) < pg.controls["steps"].value + 1
    pg.controls["lr"].value = 1e-3
    assert pg.message == ""


def test_constructor_rejects_bad_arguments():
    with pytest.raises(ValueError, match="optimizer"):
        OptimizerPlayground(optimizers=("LBFGS",))
    with pytest.raises(ValueError, match="landscape"):
        OptimizerPlayground(landscape="Himmelblau")
    with pytest.raises(ValueError, match="lr"):
        OptimizerPlayground(lr=-1.0)
    assert "SGD" not in CHOICES and "Adam" in CHOICES
