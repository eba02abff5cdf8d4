"""Learning-rate schedules (chapter 03), equal to ``torch.optim.lr_scheduler``'s StepLR and ExponentialLR.

A schedule rewrites ``group["lr"]`` of every param group once per ``step()`` (usually once per
epoch). Here each schedule is a closed-form function of the epoch, wrapped in a small class that
works with any ``torch.optim.Optimizer`` — ours or torch's.
"""

from __future__ import annotations

import math

import torch

from course_lib import checks


def step_lr(base_lr: float, epoch: int, step_size: int, gamma: float = 0.1) -> float:
    """η_e = η₀ · γ^⌊e / step_size⌋: drop by a factor γ every ``step_size`` epochs."""
    return base_lr * gamma ** (epoch // step_size)


def exponential_lr(base_lr: float, epoch: int, gamma: float) -> float:
    """η_e = η₀ · γ^e: decay by a factor γ every epoch."""
    return base_lr * gamma**epoch


def warmup_cosine_lr(base_lr: float, step: int, warmup: int = 0, decay: int = 0, final: float = 0.1) -> float:
    """Linear warm-up over ``warmup`` steps, then a cosine from η₀ to ``final``·η₀ until step ``decay``
    (Loshchilov & Hutter 2017, without restarts), then constant; ``decay = 0`` keeps η₀ after the warm-up."""
    if step < warmup:
        return base_lr * (step + 1) / warmup
    if decay <= warmup:
        return base_lr
    progress = min(1.0, (step - warmup) / (decay - warmup))
    return base_lr * (final + (1 - final) * 0.5 * (1 + math.cos(math.pi * progress)))


class _Schedule:
    def __init__(self, optimizer: torch.optim.Optimizer, gamma: float):
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"{type(self).__name__} needs a torch.optim.Optimizer, got {type(optimizer).__name__}.")
        self.optimizer = optimizer
        self.gamma = checks.real(gamma, f"{type(self).__name__}.gamma", 0.0, hint="A decay factor such as 0.1 or 0.95.")
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.last_epoch = 0

    def lr_at(self, base_lr: float, epoch: int) -> float:
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The learning rates the schedule set last (one per param group)."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def step(self) -> None:
        """Advance one epoch and write the new learning rate into every param group."""
        self.last_epoch += 1
        for group, base_lr in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = self.lr_at(base_lr, self.last_epoch)


class StepLR(_Schedule):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs (torch's StepLR)."""

    def __init__(self, optimizer: torch.optim.Optimizer, step_size: int, gamma: float = 0.1):
        super().__init__(optimizer, gamma)
        if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"StepLR: step_size must be a positive integer number of epochs, got {step_size!r}.")
        self.step_size = step_size

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return step_lr(base_lr, epoch, self.step_size, self.gamma)


class ExponentialLR(_Schedule):
    """Multiply the learning rate by ``gamma`` every epoch (torch's ExponentialLR)."""

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return exponential_lr(base_lr, epoch, self.gamma)


def schedule_curve(kind: str, base_lr: float, epochs: int, **kwargs) -> list[float]:
    """The learning rate at epochs 0 … epochs−1 for ``kind`` in {"step", "exponential"}."""
    if kind == "step":
        return [step_lr(base_lr, e, **kwargs) for e in range(epochs)]
    if kind == "exponential":
        return [exponential_lr(base_lr, e, **kwargs) for e in range(epochs)]
    raise ValueError(f"unknown schedule {kind!r}; choose 'step' or 'exponential'.")


__all__ = ["step_lr", "exponential_lr", "warmup_cosine_lr", "StepLR", "ExponentialLR", "schedule_curve"]
