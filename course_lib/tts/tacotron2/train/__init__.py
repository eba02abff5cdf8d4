"""Training Tacotron 2 on a CPU (chapter 11) with the course's training core (:mod:`course_lib.training`).
Command line: ``python -m course_lib.tts.tacotron2.train --help``."""

from .checkpoints import export_model, load_model
from .config import TrainConfig
from .data import MelNormalizer, TrainData, load_course_data
from .evaluation import evaluate, evaluate_free_running
from .losses import guide_weight, guided_attention_loss, guided_attention_weights, masked_mse, tacotron2_loss
from .trainer import Tacotron2Task, TrainResult, train

__all__ = [
    "MelNormalizer", "Tacotron2Task", "TrainConfig", "TrainData", "TrainResult", "evaluate", "evaluate_free_running",
    "export_model", "guide_weight", "guided_attention_loss", "guided_attention_weights", "load_course_data",
    "load_model", "masked_mse", "tacotron2_loss", "train",
]
