"""The textbook perceptron: one linear threshold unit, a binary classifier.

It is the learning unit of Rosenblatt's (1958) machine, without his fixed random association layer.

There is no hidden layer and no restriction to two dimensions: inputs are vectors of any length
and labels are -1 or +1. The learning rule adds ``y·x`` to the weights after each mistake;
on linearly separable data it stops after at most (R/γ)² mistakes (Novikoff 1962), and it can
never learn XOR, which no single line separates (Minsky & Papert 1969).
Defined in chapter 01.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def _check_data(X, y=None):
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X must be a non-empty 2-D array [samples, features], got shape {X.shape}")
    if not np.isfinite(X).all():
        raise ValueError("X contains NaN or infinite values; clean the data first")
    if y is None:
        return X, None
    y = np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},) to match X, got {y.shape}")
    if not np.isin(y, (-1, 1)).all():
        raise ValueError("perceptron labels must be -1 or +1; map your classes to ±1 first")
    return X, y.astype(int)


def predict(w: np.ndarray, b: float, X: np.ndarray) -> np.ndarray:
    """Threshold unit, eq. (1) of chapter 01: ``sign(w·x + b)`` with sign(0) = +1."""
    return np.where(X @ w + b >= 0, 1, -1)


def perceptron_step(w: np.ndarray, b: float, x: np.ndarray, y: int, lr: float = 1.0):
    """One step of the learning rule: on a mistake, ``w += lr·y·x`` and ``b += lr·y``."""
    if y * (x @ w + b) <= 0:
        return w + lr * y * x, b + lr * y, True
    return w, b, False


@dataclass
class Perceptron:
    """A perceptron trained by the mistake-driven rule, recording every update for plots."""

    lr: float = 1.0
    max_epochs: int = 100
    w: np.ndarray | None = None
    b: float = 0.0
    history: list[tuple[np.ndarray, float]] = field(default_factory=list)
    mistakes: list[int] = field(default_factory=list)
    converged: bool = False

    def fit(self, X, y, shuffle_seed: int | None = None) -> "Perceptron":
        """Cycle through the data until an epoch makes no mistake (or ``max_epochs``)."""
        X, y = _check_data(X, y)
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr}")
        rng = np.random.default_rng(shuffle_seed)
        self.w, self.b = np.zeros(X.shape[1]), 0.0
        self.history, self.mistakes, total = [(self.w.copy(), self.b)], [], 0
        self.converged = False
        for _ in range(self.max_epochs):
            order = rng.permutation(len(X)) if shuffle_seed is not None else range(len(X))
            epoch_mistakes = 0
            for i in order:
                self.w, self.b, wrong = perceptron_step(self.w, self.b, X[i], y[i], self.lr)
                if wrong:
                    epoch_mistakes += 1
                    total += 1
                    self.history.append((self.w.copy(), self.b))
                self.mistakes.append(total)
            if epoch_mistakes == 0:
                self.converged = True
                break
        return self


    def predict(self, X) -> np.ndarray:
        if self.w is None:
            raise RuntimeError("call fit(X, y) before predict(X)")
        X, _ = _check_data(X)
        if X.shape[1] != self.w.shape[0]:
            raise ValueError(f"X has {X.shape[1]} features but the perceptron was fit on {self.w.shape[0]}")
        return predict(self.w, self.b, X)


def novikoff_bound(X, y) -> float:
    """Upper bound (R/γ)² on the number of mistakes for separable data (Novikoff 1962).

    R is the largest norm of an input (with a constant 1 appended for the bias) and γ the margin
    of the max-margin separator through the origin of that augmented space, found by a hard-margin
    linear SVM. Returns ``inf`` when the data are not linearly separable.
    """
    from sklearn.svm import LinearSVC

    X, y = _check_data(X, y)
    Xa = np.hstack([X, np.ones((len(X), 1))])
    svm = LinearSVC(C=1e6, fit_intercept=False, loss="hinge", max_iter=200_000, tol=1e-8)
    svm.fit(Xa, y)
    u = svm.coef_.ravel()
    margins = y * (Xa @ u) / np.linalg.norm(u)
    gamma = margins.min()
    if gamma <= 0:
        return float("inf")
    R = np.linalg.norm(Xa, axis=1).max()
    return float((R / gamma) ** 2)


def make_xor() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR points in {0,1}² with labels +1 where exactly one input is 1, else -1."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([-1, 1, 1, -1])
    return X, y


def make_separable(n: int = 100, margin: float = 0.3, seed: int = 0, dim: int = 2):
    """``n`` points in ``dim`` dimensions, labelled by a random hyperplane, none closer than ``margin``."""
    if n < 2 or dim < 1 or margin < 0:
        raise ValueError("need n >= 2, dim >= 1 and margin >= 0")
    rng = np.random.default_rng(seed)
    normal = rng.normal(size=dim)
    normal /= np.linalg.norm(normal)
    offset = rng.uniform(-0.3, 0.3)
    points = []
    while len(points) < n:
        x = rng.uniform(-2, 2, size=dim)
        if abs(x @ normal + offset) >= margin:
            points.append(x)
    X = np.array(points)
    y = np.where(X @ normal + offset >= 0, 1, -1)
    return X, y
