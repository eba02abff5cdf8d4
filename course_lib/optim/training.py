"""Minibatches and a small training loop to compare optimizers on a real task (chapter 03).

The task is scikit-learn's bundled 8×8 handwritten digits (1,797 images, 10 classes; no download).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch
from torch import nn

from .optimizers import make_optimizer


def random_minibatches(n: int, batch_size: int, generator: torch.Generator | None = None) -> Iterator[torch.Tensor]:
    """One epoch of SGD minibatches: a fresh random permutation of range(n), cut into batches."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    order = torch.randperm(n, generator=generator)
    yield from order.split(batch_size)


def load_digits_split(test_fraction: float = 0.25, seed: int = 0):
    """(X_train, y_train, X_test, y_test): pixels scaled to [0, 1], float32 [n, 64]; labels int64 [n]."""
    from sklearn.datasets import load_digits

    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1, got {test_fraction!r}.")
    digits = load_digits()
    X = torch.tensor(digits.data, dtype=torch.float32) / 16.0  # [1797, 64]
    y = torch.tensor(digits.target, dtype=torch.int64)  # [1797]
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    n_test = int(round(test_fraction * len(y)))
    test, train = order[:n_test], order[n_test:]
    return X[train], y[train], X[test], y[test]


def digits_mlp(hidden: int = 64, seed: int = 0) -> nn.Module:
    """64 → hidden → 10 MLP with a tanh hidden layer (logits out)."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(64, hidden), nn.Tanh(), nn.Linear(hidden, 10))


@torch.no_grad()
def accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """Share of rows of X whose arg-max logit equals y."""
    return (model(X).argmax(dim=1) == y).float().mean().item()


def train_classifier(model: nn.Module, optimizer: torch.optim.Optimizer, X: torch.Tensor, y: torch.Tensor,
                     *, epochs: int, batch_size: int | None = 32, seed: int = 0,
                     progress: Callable | None = None) -> list[float]:
    """Train with cross-entropy; return the mean training loss of each epoch.

    ``batch_size=None`` uses the whole training set per step (GD): one step per epoch.
    """
    generator = torch.Generator().manual_seed(seed)
    loss_fn = nn.CrossEntropyLoss()
    epoch_iter = progress(range(epochs)) if progress else range(epochs)
    history = []
    for _ in epoch_iter:
        batches = [torch.arange(len(y))] if batch_size is None else random_minibatches(len(y), batch_size, generator)
        total, count = 0.0, 0
        for idx in batches:
            optimizer.zero_grad()
            loss = loss_fn(model(X[idx]), y[idx])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
            count += len(idx)
        history.append(total / count)
    return history


def compare_on_digits(settings: dict[str, dict], *, epochs: int, hidden: int = 64, seed: int = 0,
                      progress: Callable | None = None) -> dict[str, dict]:
    """Train one fresh MLP per entry of ``settings`` (name -> {"optimizer", "lr", "batch_size", ...}).

    Every run starts from the same initial weights. Returns name -> {"losses", "train_acc", "test_acc"}.
    """
    X_train, y_train, X_test, y_test = load_digits_split(seed=seed)
    results = {}
    for label, cfg in settings.items():
        cfg = dict(cfg)
        name, lr, batch_size = cfg.pop("optimizer"), cfg.pop("lr"), cfg.pop("batch_size", 32)
        model = digits_mlp(hidden, seed)
        opt = make_optimizer(name, model.parameters(), lr, **cfg)
        losses = train_classifier(model, opt, X_train, y_train, epochs=epochs, batch_size=batch_size,
                                  seed=seed, progress=progress)
        results[label] = {"losses": losses, "train_acc": accuracy(model, X_train, y_train),
                          "test_acc": accuracy(model, X_test, y_test)}
    return results
