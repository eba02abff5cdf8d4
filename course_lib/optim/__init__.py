"""Optimizers from scratch (chapter 03): update rules equal to ``torch.optim``, schedules, test functions.

Later chapters use ``torch.optim`` itself; this package is where the course shows that the two agree.
"""

from .functions import LANDSCAPES, Landscape, beale, rosenbrock, trajectory
from .optimizers import (
    NAG,
    OPTIMIZERS,
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Momentum,
    RMSprop,
    adadelta_update,
    adagrad_update,
    adam_update,
    make_optimizer,
    rmsprop_update,
    sgd_update,
)
from .schedules import ExponentialLR, StepLR, exponential_lr, schedule_curve, step_lr

__all__ = [
    "Adadelta", "Adagrad", "Adam", "ExponentialLR", "LANDSCAPES", "Landscape", "Momentum", "NAG",
    "OPTIMIZERS", "RMSprop", "SGD", "StepLR", "adadelta_update", "adagrad_update", "adam_update",
    "beale", "exponential_lr", "make_optimizer", "rmsprop_update", "rosenbrock", "schedule_curve",
    "sgd_update", "step_lr", "trajectory",
]
