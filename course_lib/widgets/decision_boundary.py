"""Step through the perceptron's updates and watch its decision boundary move (chapter 01)."""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from course_lib.nn.perceptron import Perceptron, predict


class DecisionBoundaryExplorer:
    """A slider over the perceptron's updates; each position redraws the boundary ``w·x + b = 0``.

    ``controls`` holds the widgets; ``last_boundary`` is ``(w, b)`` as last drawn.
    """

    def __init__(self, X, y, lr: float = 1.0, max_epochs: int = 50, seed: int | None = 0):
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != 2:
            raise ValueError(f"the explorer draws 2-D data: X must have shape [samples, 2], got {X.shape}")
        self.X, self.y = X, np.asarray(y)
        self.model = Perceptron(lr=lr, max_epochs=max_epochs).fit(X, y, shuffle_seed=seed)
        n = len(self.model.history) - 1
        self.controls = {
            "update": widgets.IntSlider(value=n, min=0, max=n, description="update", continuous_update=False),
        }
        self.output = widgets.Output()
        self.message = widgets.HTML()
        self.last_boundary: tuple[np.ndarray, float] | None = None
        self.controls["update"].observe(lambda _: self.draw(), names="value")
        self.widget = widgets.VBox([self.controls["update"], self.message, self.output])
        self.draw()

    def draw(self) -> None:
        k = self.controls["update"].value
        w, b = self.model.history[k]
        self.last_boundary = (w.copy(), b)
        errors = int((predict(w, b, self.X) != self.y).sum())
        self.message.value = f"after {k} update(s): w = {np.round(w, 2)}, b = {b:.2f}, {errors} point(s) misclassified"
        with self.output:
            self.output.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(4.5, 4.5))
            for label, marker in ((1, "o"), (-1, "x")):
                pts = self.X[self.y == label]
                ax.scatter(pts[:, 0], pts[:, 1], marker=marker, c="k" if label == 1 else "0.45",
                           label=f"y = {label:+d}")
            lo, hi = self.X.min(0) - 0.5, self.X.max(0) + 0.5
            xs = np.linspace(lo[0], hi[0], 2)
            if abs(w[1]) > 1e-12:
                ax.plot(xs, -(w[0] * xs + b) / w[1], "k--", label="w·x + b = 0")
            elif abs(w[0]) > 1e-12:
                ax.axvline(-b / w[0], color="k", ls="--", label="w·x + b = 0")
            ax.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]), xlabel="$x_1$", ylabel="$x_2$")
            ax.legend(loc="upper left", fontsize=8)
            plt.show()
            plt.close(fig)  # Agg/ipympl keep shown figures open otherwise

    def _ipython_display_(self):
        display(self.widget)
