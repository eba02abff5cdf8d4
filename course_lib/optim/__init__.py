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
    "SGD", "Momentum", "NAG", "Adagrad", "RMSprop", "Adadelta", "Adam", "OPTIMIZERS", "make_optimizer",
    "sgd_update", "adagrad_update", "rmsprop_update", "adadelta_update", "adam_update",
    "StepLR", "ExponentialLR", "step_lr", "exponential_lr", "schedule_curve",
    "rosenbrock", "beale", "Landscape", "LANDSCAPES", "trajectory",
]
