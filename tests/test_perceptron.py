import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from course_lib.nn import perceptron as P
from course_lib.widgets.decision_boundary import DecisionBoundaryExplorer


@hsettings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), dim=st.integers(1, 6), margin=st.floats(0.1, 0.5))
def test_converges_within_novikoff_bound_in_any_dimension(seed, dim, margin):
    X, y = P.make_separable(n=60, margin=margin, seed=seed, dim=dim)
    model = P.Perceptron(max_epochs=1000).fit(X, y, shuffle_seed=seed)
    assert model.converged
    assert (model.predict(X) == y).all()
    assert model.mistakes[-1] <= P.novikoff_bound(X, y) + 1e-9


def test_xor_never_converges_and_is_not_separable():
    X, y = P.make_xor()
    model = P.Perceptron(max_epochs=100).fit(X, y)
    assert not model.converged
    assert (model.predict(X) != y).any()
    assert P.novikoff_bound(X, y) == float("inf")


def test_step_updates_only_on_mistakes():
    w, b, wrong = P.perceptron_step(np.array([1.0, 0.0]), 0.0, np.array([2.0, 0.0]), 1)
    assert not wrong and b == 0.0
    w, b, wrong = P.perceptron_step(np.array([1.0, 0.0]), 0.0, np.array([2.0, 0.0]), -1, lr=0.5)
    assert wrong and np.allclose(w, [0.0, 0.0]) and b == -0.5


@pytest.mark.parametrize(
    "X, y, match",
    [
        (np.zeros((0, 2)), np.zeros(0), "non-empty 2-D"),
        (np.zeros(3), np.zeros(3), "non-empty 2-D"),
        (np.ones((3, 2)), np.array([1, -1]), "shape \\(3,\\)"),
        (np.ones((2, 2)), np.array([0, 1]), "-1 or \\+1"),
        (np.array([[np.nan, 1.0]]), np.array([1]), "NaN"),
    ],
)
def test_bad_input(X, y, match):
    with pytest.raises(ValueError, match=match):
        P.Perceptron().fit(X, y)


def test_predict_before_fit_and_wrong_width():
    with pytest.raises(RuntimeError, match="call fit"):
        P.Perceptron().predict(np.ones((1, 2)))
    model = P.Perceptron().fit(*P.make_separable(20))
    with pytest.raises(ValueError, match="3 features"):
        model.predict(np.ones((1, 3)))


def test_decision_boundary_widget_redraws_on_slider_change():
    import matplotlib

    matplotlib.use("Agg")
    X, y = P.make_separable(30, seed=3)
    explorer = DecisionBoundaryExplorer(X, y)
    final = explorer.last_boundary
    explorer.controls["update"].value = 1
    first = explorer.last_boundary
    assert not np.allclose(np.append(*final), np.append(*first))
    assert "after 1 update(s)" in explorer.message.value
    with pytest.raises(ValueError, match="shape \\[samples, 2\\]"):
        DecisionBoundaryExplorer(np.ones((4, 3)), np.array([1, -1, 1, -1]))
