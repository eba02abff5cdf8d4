"""The training core that every course model uses (chapters 11 and 14): one loop, one run folder,
one checkpoint format, ``torchrun``/DDP. A model supplies its config, loss, data and evaluation."""

from .loop import Budget, Every, Task, TrainingDiverged, fit, resume
from .run import RunFolder, cast_weights, check_state_dict, export, write_manifest

__all__ = ["Budget", "Every", "RunFolder", "Task", "TrainingDiverged", "cast_weights", "check_state_dict", "export",
           "fit", "resume", "write_manifest"]
