"""Two-dimensional test functions and optimizer trajectories on them (chapter 03).

Rosenbrock (1960): a long, curved, flat-bottomed valley — easy to find, hard to follow.
Beale (1958): flat plateaus and steep walls meeting at (3, 0.5).
The functions accept NumPy arrays (for contour plots) and torch tensors (for autograd) alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from .optimizers import OPTIMIZERS, make_optimizer


def rosenbrock(x, y, a: float = 1.0, b: float = 100.0):
    """f(x, y) = (a − x)² + b (y − x²)²; minimum 0 at (a, a²)."""
    return (a - x) ** 2 + b * (y - x**2) ** 2


def beale(x, y):
    """f(x, y) = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²; minimum 0 at (3, 0.5)."""
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


@dataclass(frozen=True)
class Landscape:
    """A test function with where its minimum is, a plotting window and a default start."""

    name: str
    fn: Callable
    minimum: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    start: tuple[float, float]

    def grid(self, n: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(X, Y, Z) on an n × n grid over the window, for ``contour``."""
        X, Y = np.meshgrid(np.linspace(*self.xlim, n), np.linspace(*self.ylim, n))  # [n, n]
        return X, Y, self.fn(X, Y)


LANDSCAPES: dict[str, Landscape] = {
    "Rosenbrock": Landscape("Rosenbrock", rosenbrock, (1.0, 1.0), (-2.0, 2.0), (-1.0, 3.0), (-1.5, 2.0)),
    "Beale": Landscape("Beale", beale, (3.0, 0.5), (-1.5, 4.5), (-2.0, 2.5), (1.0, 1.5)),
}


def trajectory(landscape: Landscape | str, optimizer: str, start=None, *, lr: float, steps: int,
               grad_noise: float = 0.0, seed: int = 0, bound: float = 1e6, **kwargs) -> np.ndarray:
    """Run ``optimizer`` (a name in OPTIMIZERS) from ``start``; return the visited points [n, 2].

    Point 0 is the start, point k the position after k steps. ``grad_noise`` adds Gaussian noise of
    that standard deviation to each gradient — a stand-in for minibatch noise. A run that leaves
    ``|x|, |y| ≤ bound`` or becomes non-finite stops there, so fewer than steps + 1 points mean
    it diverged.
    """
    if isinstance(landscape, str):
        if landscape not in LANDSCAPES:
            raise ValueError(f"unknown landscape {landscape!r}; choose one of {list(LANDSCAPES)}.")
        landscape = LANDSCAPES[landscape]
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {list(OPTIMIZERS)}.")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}.")
    if not (isinstance(grad_noise, (int, float)) and math.isfinite(grad_noise) and grad_noise >= 0):
        raise ValueError(f"grad_noise must be a finite number ≥ 0, got {grad_noise!r}.")
    start = landscape.start if start is None else tuple(float(v) for v in start)
    if len(start) != 2 or not all(math.isfinite(v) for v in start):
        raise ValueError(f"start must be two finite numbers (x, y), got {start!r}.")
    point = torch.tensor(start, dtype=torch.float64, requires_grad=True)  # [2]
    opt = make_optimizer(optimizer, [point], lr, **kwargs)
    generator = torch.Generator().manual_seed(seed)
    path = [point.detach().clone()]
    for _ in range(steps):
        opt.zero_grad()
        landscape.fn(point[0], point[1]).backward()
        if grad_noise > 0:
            point.grad += grad_noise * torch.randn(2, generator=generator, dtype=torch.float64)
        opt.step()
        now = point.detach().clone()
        if not torch.isfinite(now).all() or now.abs().max() > bound:
            break
        path.append(now)
    return torch.stack(path).numpy()  # [n, 2]
