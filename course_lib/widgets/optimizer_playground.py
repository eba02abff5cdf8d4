"""Optimizer playground (chapter 03): paths of several optimizers on a 2-D test function.

Pick optimizers, a learning rate (log slider), a start point, a number of steps and — to mimic
minibatch noise — Gaussian noise on the gradient. The left panel shows the paths on the contour
plot, the right panel the loss per step; a text summary under the figure gives the same numbers.

Built on ipywidgets + matplotlib (rendered to a PNG ``Image`` widget), so it runs in plain
JupyterLab without any extension. For tests: ``.controls`` (dict of widgets), ``.last_paths``
(name → [n, 2] points), ``.last_losses`` (name → [n] values) and ``.message``.
"""

from __future__ import annotations

import html
import io

import ipywidgets as widgets
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from course_lib.optim import LANDSCAPES, trajectory

#: the optimizers on offer ("SGD" is GD's rule; here noise on the gradient plays the minibatch).
CHOICES = ("GD", "Momentum", "NAG", "Adagrad", "RMSprop", "Adadelta", "Adam")

# One fixed colour, line style and marker per optimizer, so that paths stay apart in greyscale.
_STYLES = {
    "GD": ("#000000", "-", "o"),
    "Momentum": ("#0072B2", "--", "s"),
    "NAG": ("#56B4E9", "-.", "^"),
    "Adagrad": ("#009E73", ":", "v"),
    "RMSprop": ("#E69F00", (0, (5, 1)), "D"),
    "Adadelta": ("#CC79A7", (0, (3, 1, 1, 1, 1, 1)), "P"),
    "Adam": ("#D55E00", (0, (1, 1)), "*"),
}


class OptimizerPlayground:
    """Interactive comparison of optimizers on Rosenbrock or Beale.

    >>> pg = OptimizerPlayground(optimizers=("GD", "Adam"))
    >>> pg.controls["lr"].value = 0.01      # the figure and pg.last_paths update
    >>> pg                                   # in a notebook: shows the widget
    """

    def __init__(self, optimizers=("GD", "Momentum", "NAG", "Adam"), landscape: str = "Rosenbrock",
                 lr: float = 1e-3, steps: int = 300, grad_noise: float = 0.0, seed: int = 0):
        if landscape not in LANDSCAPES:
            raise ValueError(f"unknown landscape {landscape!r}; choose one of {list(LANDSCAPES)}.")
        unknown = [name for name in optimizers if name not in CHOICES]
        if unknown:
            raise ValueError(f"unknown optimizer(s) {unknown}; choose from {list(CHOICES)}.")
        if not (isinstance(lr, (int, float)) and 1e-5 <= lr <= 1.0):
            raise ValueError(f"lr must be a number in [1e-5, 1], got {lr!r}.")
        land = LANDSCAPES[landscape]
        self.seed = seed
        self.controls: dict[str, widgets.ValueWidget] = {
            "landscape": widgets.Dropdown(options=list(LANDSCAPES), value=landscape, description="function"),
            "optimizers": widgets.SelectMultiple(options=list(CHOICES), value=tuple(optimizers),
                                                 rows=len(CHOICES), description="optimizers"),
            "lr": widgets.FloatLogSlider(value=lr, base=10, min=-5, max=0, step=0.1,
                                         description="learning rate", readout_format=".1e"),
            "x0": widgets.FloatSlider(value=land.start[0], min=land.xlim[0], max=land.xlim[1], step=0.05,
                                      description="start x"),
            "y0": widgets.FloatSlider(value=land.start[1], min=land.ylim[0], max=land.ylim[1], step=0.05,
                                      description="start y"),
            "steps": widgets.IntSlider(value=steps, min=1, max=2000, step=1, description="steps"),
            "grad_noise": widgets.FloatSlider(value=grad_noise, min=0.0, max=20.0, step=0.5,
                                              description="grad noise σ"),
        }
        style = {"description_width": "initial"}
        for control in self.controls.values():
            control.style = style
            if hasattr(control, "continuous_update"):
                control.continuous_update = False  # recompute when a slider is released, not while dragging
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="100%", max_width="980px"))
        self.summary = widgets.HTML()
        self.last_paths: dict[str, np.ndarray] = {}
        self.last_losses: dict[str, np.ndarray] = {}
        self.message = ""
        self._busy = False
        left = widgets.VBox([self.controls[k] for k in ("landscape", "lr", "x0", "y0", "steps", "grad_noise")])
        self.widget = widgets.VBox([widgets.HBox([left, self.controls["optimizers"]]), self.image, self.summary])
        for name, control in self.controls.items():
            control.observe(self._on_landscape if name == "landscape" else self._on_change, names="value")
        self.update()

    # ---------------------------------------------------------------- events

    def _on_landscape(self, change) -> None:
        """A new function: move the start sliders to its window and default start, redraw once."""
        land = LANDSCAPES[change["new"]]
        self._busy = True
        try:
            for key, lim, value in (("x0", land.xlim, land.start[0]), ("y0", land.ylim, land.start[1])):
                slider = self.controls[key]
                slider.min, slider.max = min(lim[0], slider.min), max(lim[1], slider.max)
                slider.value = value
                slider.min, slider.max = lim
        finally:
            self._busy = False
        self.update()

    def _on_change(self, change) -> None:
        if not self._busy:
            self.update()

    # ---------------------------------------------------------------- computing and drawing

    def update(self) -> None:
        """Recompute every selected optimizer's path and redraw; problems go to ``.message``."""
        c = {name: control.value for name, control in self.controls.items()}
        land = LANDSCAPES[c["landscape"]]
        self.last_paths, self.last_losses, notes = {}, {}, []
        if not c["optimizers"]:
            self._show(land, "Pick at least one optimizer in the list (Ctrl/⌘-click selects several).")
            return
        for name in c["optimizers"]:
            path = trajectory(land, name, (c["x0"], c["y0"]), lr=float(c["lr"]), steps=int(c["steps"]),
                              grad_noise=float(c["grad_noise"]), seed=self.seed)
            self.last_paths[name] = path
            self.last_losses[name] = land.fn(path[:, 0], path[:, 1])
            if len(path) < c["steps"] + 1:
                notes.append(f"{name} diverged after {len(path) - 1} steps — lower the learning rate.")
        self._show(land, " ".join(notes))

    def _show(self, land, message: str) -> None:
        self.message = message
        self.image.value = self._render(land)
        rows = "".join(
            f"<tr><td>{html.escape(name)}</td><td>{len(path) - 1}</td>"
            f"<td>({path[-1, 0]:.3f}, {path[-1, 1]:.3f})</td><td>{self.last_losses[name][-1]:.3g}</td></tr>"
            for name, path in self.last_paths.items())
        table = ("<table><tr><th>optimizer</th><th>steps run</th><th>end point</th><th>f(end)</th></tr>"
                 f"{rows}</table>") if rows else ""
        note = f"<p style='color:#a00'><b>{html.escape(message)}</b></p>" if message else ""
        self.summary.value = (f"<p>{land.name}: minimum 0 at {land.minimum}.</p>" + note + table)

    def _render(self, land) -> bytes:
        fig = Figure(figsize=(10, 4.2))
        ax, ax_loss = fig.subplots(1, 2, width_ratios=[1.15, 1])
        fig.subplots_adjust(left=0.06, right=0.98, bottom=0.12, top=0.92, wspace=0.22)  # fixed: fast redraws
        X, Y, Z = land.grid(250)
        levels = np.logspace(np.log10(max(Z.min(), 1e-3)), np.log10(Z.max()), 25)
        ax.contourf(X, Y, Z, levels=levels, norm=LogNorm(), cmap="Greys", alpha=0.5)
        ax.contour(X, Y, Z, levels=levels[::3], norm=LogNorm(), colors="0.35", linewidths=0.4, alpha=0.6)
        ax.plot(*land.minimum, marker="*", markersize=16, color="white", markeredgecolor="black", linestyle="none")
        for name, path in self.last_paths.items():
            colour, dash, marker = _STYLES[name]
            ax.plot(path[:, 0], path[:, 1], color=colour, linestyle=dash, linewidth=1.8)
            ax.plot(*path[-1], marker=marker, color=colour, markeredgecolor="white", markersize=9)
            loss = self.last_losses[name]
            ax_loss.semilogy(np.arange(len(loss)), np.maximum(loss, 1e-16), color=colour, linestyle=dash,
                             linewidth=1.8, marker=marker, markevery=[len(loss) - 1], markersize=8, label=name)
        if self.last_paths:
            start = next(iter(self.last_paths.values()))[0]
            ax.plot(*start, marker="o", markersize=8, color="white", markeredgecolor="black", linestyle="none")
            ax_loss.legend(fontsize=8, title="end point marker", title_fontsize=8)
        ax.set(xlim=land.xlim, ylim=land.ylim, xlabel="x", ylabel="y", title=f"{land.name}: ○ start, ☆ minimum")
        ax_loss.set(xlabel="step", ylabel="f(x, y) (log scale)", title="loss per step")
        ax_loss.grid(True, which="major", alpha=0.3)
        if self.message:
            ax.text(0.02, 0.98, self.message, transform=ax.transAxes, va="top", fontsize=8, wrap=True,
                    bbox=dict(facecolor="white", alpha=0.9, edgecolor="#a00"))
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=90)
        return buffer.getvalue()

    # ---------------------------------------------------------------- display

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
