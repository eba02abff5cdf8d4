"""Widget controls: every control at every extreme, alone and in seeded random combinations, never raises
and never leaves a traceback in the widget; invalid combinations explain themselves in the widget.

The per-widget tests (tests/test_widget_*.py, test_perceptron.py, test_conv.py) check that specific
invalid combinations show specific messages; this file sweeps all of them.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import random  # noqa: E402

import ipywidgets as W  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402


def _alignment(steps: int, chars: int) -> np.ndarray:
    a = np.full((steps, chars), 0.01)
    for t in range(steps):
        a[t, min(t * chars // steps, chars - 1)] = 1.0
    return a / a.sum(1, keepdims=True)


def make_widget(name: str):
    if name == "decision_boundary":
        from course_lib.widgets.decision_boundary import DecisionBoundaryExplorer

        rng = np.random.default_rng(0)
        X = rng.normal(size=(30, 2))
        return DecisionBoundaryExplorer(X, np.where(X[:, 0] + X[:, 1] > 0, 1, -1), max_epochs=5)
    if name == "feature_maps":
        from course_lib.nn.conv import LeNet
        from course_lib.widgets.feature_maps import FeatureMapExplorer

        torch.manual_seed(0)
        return FeatureMapExplorer(LeNet(), torch.rand(3, 1, 8, 8), torch.tensor([0, 1, 2]))
    if name == "optimizer_playground":
        from course_lib.widgets.optimizer_playground import OptimizerPlayground

        return OptimizerPlayground(steps=30)
    if name == "spectrogram":
        from course_lib.audio import chirp
        from course_lib.widgets.spectrogram import SpectrogramExplorer

        return SpectrogramExplorer(chirp(100, 6000, 0.25), n_iter=2)
    if name == "alignment_viewer":
        from course_lib.widgets.alignment_viewer import AlignmentViewer

        return AlignmentViewer([_alignment(4, 5), _alignment(9, 5)], "hello", mel=np.zeros((8, 9)),
                               truth=np.arange(9) * 5 // 9)
    raise KeyError(name)


WIDGETS = ["alignment_viewer", "decision_boundary", "feature_maps", "optimizer_playground", "spectrogram"]


def candidates(control) -> list:
    """The values worth trying: both ends of a slider (and beyond, which ipywidgets clamps), every option."""
    if isinstance(control, W.Button):
        return ["click"]
    if isinstance(control, W.SelectMultiple):
        options = list(control.options)
        return [(), tuple(options[:1]), tuple(options)]
    if hasattr(control, "options"):
        return [o[1] if isinstance(o, tuple) else o for o in control.options]
    if isinstance(control, W.Checkbox):
        return [True, False]
    if isinstance(control, W.FloatLogSlider):
        return [control.base ** control.min, control.base ** control.max]
    if hasattr(control, "min") and hasattr(control, "max"):
        mid = type(control.value)((control.min + control.max) / 2)
        return [control.min, control.max, mid, control.min - 10**6, control.max + 10**6]
    raise TypeError(f"no candidates for {type(control).__name__}")


def set_control(control, value) -> None:
    if value == "click":
        control.click()
    elif not control.disabled:
        control.value = value


def _message(widget) -> str:
    m = getattr(widget, "message", "")
    return m.value if isinstance(m, W.HTML) else str(m)


def assert_no_traceback_shown(widget) -> None:
    """Nothing the widget displays holds a Python traceback."""
    texts = [_message(widget)]
    for name in ("output", "plot", "player"):
        out = getattr(widget, name, None)
        if isinstance(out, W.Output):
            for item in out.outputs:
                assert item.get("output_type") != "error", f"{name} shows an exception: {item}"
                texts.append(str(item.get("text", "")))
    shown = "\n".join(texts)
    assert "Traceback" not in shown and "Error:" not in shown.replace("Cannot draw", ""), shown[-800:]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.slow
@pytest.mark.parametrize("name", WIDGETS)
def test_every_control_at_every_extreme(name):
    widget = make_widget(name)
    for key, control in widget.controls.items():
        original = getattr(control, "value", None)
        for value in candidates(control):
            set_control(control, value)  # must not raise
            assert_no_traceback_shown(widget)
        if original is not None:  # one control at a time: the others stay at their defaults
            set_control(control, original)


@pytest.mark.slow
@pytest.mark.parametrize("name", WIDGETS)
def test_random_combinations_never_raise_and_invalid_ones_say_why(name):
    widget = make_widget(name)
    rng = random.Random(f"{name}-combinations")
    keys = sorted(widget.controls)
    for _ in range(12):
        for key in rng.sample(keys, k=min(len(keys), rng.randint(2, 4))):
            set_control(widget.controls[key], rng.choice(candidates(widget.controls[key])))
        assert_no_traceback_shown(widget)
        error = getattr(widget, "last_error", None)
        if error:  # an invalid combination: the reason is shown in the widget, not raised
            assert error in _message(widget) or "Cannot draw" in _message(widget), _message(widget)


FIGURE_LEAKS: dict[str, str] = {}  # widget name → the fix its draw() needs (xfail(strict) until then)


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=FIGURE_LEAKS[n])) if n in FIGURE_LEAKS else n
    for n in WIDGETS])
def test_redraws_do_not_pile_up_figures(name):
    plt.close("all")
    widget = make_widget(name)
    key, control = next((k, c) for k, c in sorted(widget.controls.items())
                        if not isinstance(c, W.Button) and not c.disabled and len(candidates(c)) >= 2)
    values = candidates(control)[:2]
    open_before = len(plt.get_fignums())
    for i in range(6):
        set_control(control, values[i % 2])
    assert len(plt.get_fignums()) <= open_before, f"{len(plt.get_fignums()) - open_before} figures left open"


#: Values code can force past a slider's range (issue #17.7): (widget, control, values, words of the message).
FORCED = [
    ("spectrogram", "db_range", [0, -20], ["dB range must be", "try 80"]),
]


@pytest.mark.parametrize("name, key, values, words", FORCED, ids=[f"{r[0]}:{r[1]}" for r in FORCED])
def test_values_forced_past_a_slider_explain_themselves(name, key, values, words):
    widget = make_widget(name)
    control = widget.controls[key]
    control.min = min(values)  # what code (or a notebook user) can do; the slider alone cannot
    for value in values:
        control.value = value
        assert control.value == value
        message = _message(widget)
        assert "Cannot draw" in message and all(w in message for w in words), message
        assert_no_traceback_shown(widget)
    control.value = 80
    assert getattr(widget, "last_error", None) is None, _message(widget)
