"""Training settings for Tacotron 2 (chapter 11)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from typing import Any

from course_lib import checks
from course_lib.tts.metrics.alignment import ALIGNED_CORRELATION, ALIGNED_ERROR_RATIO
from course_lib.tts.tacotron2 import Tacotron2Config

PRESETS = ("course", "paper")
_INT_MINIMA = {"batch_size": 1, "eval_every": 1, "checkpoint_every": 1, "n_eval": 1, "threads": 1, "decay_steps": 1,
               "decay_start": 0, "guide_fade_steps": 0, "max_steps": 0, "seed": 0}
_INF = float("inf")
#: name → (lowest, highest, lowest excluded?)
_FLOAT_RANGES = {"learning_rate": (0.0, _INF, True), "grad_clip": (0.0, _INF, True), "decay_rate": (0.0, 1.0, True),
                 "min_learning_rate": (0.0, _INF, False), "weight_decay": (0.0, _INF, False),
                 "guided_attention": (0.0, _INF, False), "guide_sigma": (0.0, _INF, True),
                 "gate_pos_weight": (0.0, _INF, True), "minutes": (0.0, _INF, False),
                 "aligned_correlation": (0.0, 1.0, True), "aligned_error_ratio": (0.0, _INF, True)}


@dataclass(frozen=True)
class TrainConfig:
    """How to train. Defaults: the course recipe that aligns on 2 CPU cores in minutes
    (batch 16 bucketed, Adam 3e-3, clip 1.0, per-channel mels, guided attention faded 1 → 0 over 1000 steps)."""

    preset: str = "course"
    model_overrides: dict = field(default_factory=dict)  # e.g. {"n_frames_per_step": 2}
    batch_size: int = 16
    learning_rate: float = 3e-3  # Shen et al.: 1e-3; 3e-3 aligns sooner on the course budget (docs/ALIGNMENT_LAB.md)
    weight_decay: float = 1e-6  # Adam's L2 term, as NVIDIA
    grad_clip: float = 1.0
    # exponential decay (Shen et al. 2018: 1e-3 → 1e-5 from 50k steps)
    decay_start: int = 3000
    decay_rate: float = 0.5  # multiply the learning rate by this ...
    decay_steps: int = 3000  # ... every this many steps after decay_start
    min_learning_rate: float = 1e-5
    # guided attention (Tachibana et al. 2017)
    guided_attention: float = 1.0  # initial weight; 0 = off
    guide_fade_steps: int = 1000  # linear fade to 0 (0 = constant weight)
    guide_sigma: float = 0.2  # g
    gate_pos_weight: float = 1.0
    normalize_mels: bool = True
    seed: int = 0
    threads: int = 1
    # budget: stop at whichever comes first (totals across resumes); 0 = no limit
    max_steps: int = 0
    minutes: float = 10.0
    eval_every: int = 50
    checkpoint_every: int = 200
    n_eval: int = 16  # validation utterances scored at each evaluation
    # "aligned" (course_lib.tts.metrics.alignment.is_aligned): the attention follows the speech's timing and,
    # one constant lead forgiven, errs less than a constant-speed line — thresholds measured there
    aligned_correlation: float = ALIGNED_CORRELATION  # timing correlation >= this ...
    aligned_error_ratio: float = ALIGNED_ERROR_RATIO  # ... and lead-corrected error <= this × the line's

    def __post_init__(self):
        checks.choice(self.preset, "TrainConfig.preset", PRESETS)
        if not isinstance(self.model_overrides, dict):
            raise TypeError(f"TrainConfig.model_overrides must be a dict, got {type(self.model_overrides).__name__}")
        checks.flag(self.normalize_mels, "TrainConfig.normalize_mels")
        for name, low in _INT_MINIMA.items():
            checks.integer(getattr(self, name), f"TrainConfig.{name}", low)
        for name, (low, high, low_open) in _FLOAT_RANGES.items():
            checks.real(getattr(self, name), f"TrainConfig.{name}", low, high, low_open=low_open)
        if self.max_steps <= 0 and self.minutes <= 0:
            raise ValueError("give a budget: max_steps > 0 or minutes > 0")
        self.model_config()  # validates the overrides

    def model_config(self) -> Tacotron2Config:
        make = Tacotron2Config.course if self.preset == "course" else Tacotron2Config.paper
        try:
            return make(**self.model_overrides)
        except TypeError as err:
            raise ValueError(f"model_overrides {self.model_overrides} do not fit Tacotron2Config: {err}") from None

    def learning_rate_at(self, step: int) -> float:
        if step < self.decay_start:
            return self.learning_rate
        lr = self.learning_rate * self.decay_rate ** ((step - self.decay_start) / self.decay_steps)
        return max(self.min_learning_rate, lr)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        """The config a checkpoint saved; fields of :data:`RETIRED_FIELDS` are dropped, any other unknown
        field is refused (as the model configs do)."""
        data = {k: v for k, v in data.items() if k not in cls.RETIRED_FIELDS}
        return cls(**checks.known_keys(data, (f.name for f in fields(cls)), "TrainConfig"))

    #: fields that earlier versions wrote and that no longer mean anything (the shipped assets hold them)
    RETIRED_FIELDS = ("aligned_within",)

    #: fields that may change between runs of one training without changing what is learned
    BUDGET_FIELDS = ("max_steps", "minutes", "threads", "eval_every", "checkpoint_every", "aligned_correlation",
                     "aligned_error_ratio")
