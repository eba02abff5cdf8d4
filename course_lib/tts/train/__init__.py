"""Training Tacotron 2 on a CPU (chapter 11). Command line: ``python -m course_lib.tts.train --help``."""

from .checkpoints import export_model, load_model
from .config import TrainConfig
from .data import MelNormalizer, TrainData, load_course_data
from .losses import (
    guide_weight,
    guided_attention_loss,
    guided_attention_weights,
    masked_mse,
    tacotron2_loss,
)
from .evaluation import evaluate, evaluate_free_running
from .trainer import TrainingDiverged, TrainResult, train

__all__ = [
    "MelNormalizer", "TrainConfig", "TrainData", "TrainResult", "TrainingDiverged", "evaluate",
    "evaluate_free_running", "export_model", "guide_weight", "guided_attention_loss",
    "guided_attention_weights", "load_course_data", "load_model", "masked_mse", "tacotron2_loss",
    "train",
]
