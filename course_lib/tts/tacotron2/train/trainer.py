"""Training Tacotron 2 (chapter 11): teacher forcing, masked losses, guided attention, Adam + clipping +
exponential decay, alignment scored as it trains — a :class:`~course_lib.training.Task` for the
course's one training loop, :func:`course_lib.training.fit` (checkpoints, exact resume, budgets,
divergence, ``torchrun``/DDP, AMP on CUDA).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from course_lib import settings, training
from course_lib.training import Budget, Every, RunFolder, fit
from course_lib.training import distributed as D
from course_lib.tts.metrics.alignment import is_aligned
from course_lib.tts.tacotron2 import Tacotron2

from .checkpoints import TRAIN_FORMAT, check_model_config, describe_differences
from .config import TrainConfig
from .data import MelNormalizer, TrainData, load_course_data
from .evaluation import evaluate
from .losses import guide_weight, tacotron2_loss


@dataclass
class TrainResult:
    out_dir: Path
    step: int
    elapsed_s: float
    last_eval: dict | None  # the latest evaluation (losses + alignment scores); None on ranks other than 0
    aligned_at: dict | None  # {"step", "elapsed_s"} of the first evaluation that counted as aligned (is_aligned)
    checkpoint: Path
    world_size: int = 1  # processes that trained together
    in_sync: bool = True  # every rank ended with rank 0's weights (always True for one process)


def _check_resume(payload: dict, config: TrainConfig, path) -> None:
    if payload.get("format") != TRAIN_FORMAT:
        raise ValueError(f"{path} is not a Tacotron 2 training checkpoint; use another --out folder")
    check_model_config(payload["model_config"], config.model_config(), path)
    saved = TrainConfig.from_dict(payload["train_config"]).to_dict()
    wanted = config.to_dict()
    diff = {k: (saved[k], wanted[k]) for k in wanted
            if k not in TrainConfig.BUDGET_FIELDS and saved.get(k) != wanted[k]}
    if diff:
        raise ValueError(describe_differences(diff, "training run", path))


class Tacotron2Task:
    """Bucketed epochs of the corpus, :func:`tacotron2_loss` with a fading guide, alignment scores."""

    def __init__(self, config: TrainConfig, data: TrainData, env: D.DistEnv, payload: dict | None):
        self.config, self.data, self.env = config, data, env
        self.r = config.model_config().n_frames_per_step
        self.extra = {"epoch": 0, "batch": 0, "aligned_at": None, "snapshots": {"steps": [], "alignments": []}}
        if payload is not None:
            self.extra = {k: payload[k] for k in self.extra}
            if payload.get("world_size", 1) != env.world_size:  # the batches are shared out differently now
                self.extra["batch"] = 0
        self._epoch = None

    def next_batch(self, state):
        x, c = self.extra, self.config
        while True:  # the epoch's bucketed batches, this rank's share; the next epoch when they are used up
            if self._epoch != x["epoch"]:
                batches = self.data.batches(c.batch_size, c.seed, x["epoch"])
                self._epoch, self._batches = x["epoch"], D.shard_batches(batches, self.env)
            if x["batch"] < len(self._batches):
                break
            x["epoch"], x["batch"] = x["epoch"] + 1, 0
        pairs = [self.data.train[i] for i in self._batches[x["batch"]]]
        x["batch"] += 1
        return self.data.collate(pairs, self.r)

    def forward(self, model, batch):
        text, text_lengths, mels, _, mel_lengths = batch
        return model(text, text_lengths, mels, mel_lengths)

    def loss(self, out, batch, state):
        _, text_lengths, mels, gates, mel_lengths = batch
        out = type(out)(*(t.float() for t in out))  # the losses in float32
        c = self.config
        return tacotron2_loss(out, mels, gates, mel_lengths, text_lengths, self.r, self.guide(state["step"]),
                              c.guide_sigma, c.gate_pos_weight)

    def guide(self, step: int) -> float:
        return guide_weight(step, self.config.guided_attention, self.config.guide_fade_steps)

    def evaluate(self, model, state):
        metrics, alignment = evaluate(model, self.data, self.config.n_eval)
        metrics = {"guide": self.guide(state["step"] - 1), **metrics}
        if "timing_correlation" in metrics:
            metrics["aligned"] = is_aligned(metrics, self.config.aligned_correlation, self.config.aligned_error_ratio)
        snaps = self.extra["snapshots"]
        snaps["steps"].append(state["step"])
        snaps["alignments"].append(alignment.to(torch.float16))
        return metrics

    def logged(self, row):
        if self.extra["aligned_at"] is None and row.get("aligned"):
            self.extra["aligned_at"] = {"step": row["step"], "elapsed_s": round(row["elapsed_s"], 1)}

    def checkpoint_state(self, state):
        return {"format": TRAIN_FORMAT, "model_config": self.config.model_config().to_dict(),
                "train_config": self.config.to_dict(), "audio_config": self.data.audio_config.to_dict(),
                "mel_stats": self.data.normalizer.state_dict(), **self.extra}


def train(config: TrainConfig = TrainConfig(), out_dir="runs/tacotron2", data: TrainData | None = None,
          progress: bool = True, resume: bool = True, *, env: D.DistEnv | None = None,
          amp: str = "auto") -> TrainResult:
    """Train (or resume) a Tacotron 2 in ``out_dir`` until the step or time budget is spent.

    Writes ``checkpoint.pt`` (atomic, every ``checkpoint_every`` steps and at the end) and
    ``metrics.jsonl`` (one line per evaluation). If ``out_dir`` holds a checkpoint of the same
    configuration, training continues from it exactly; another configuration raises a ``ValueError``
    naming the differing fields. A NaN/inf loss raises :class:`~course_lib.training.TrainingDiverged`.
    Sets torch's CPU thread count to ``config.threads`` (1 is fastest for the course preset on a shared CPU).

    ``env``: where this process sits (:func:`course_lib.training.distributed.init_from_env`; default: read
    from ``torchrun``'s variables, on the CPU — one process without them). ``amp``: mixed precision
    on CUDA (:func:`~course_lib.training.distributed.autocast`); ignored on the CPU.
    """
    run = RunFolder(out_dir)
    torch.set_num_threads(config.threads)
    model_config = config.model_config()
    payload = run.read() if resume else None  # read before the corpus: a wrong --out fails in a second
    if payload is not None:
        _check_resume(payload, config, run.checkpoint)
    if data is None:
        data = load_course_data(normalize=config.normalize_mels)
    env = env if env is not None else D.init_from_env("cpu")
    settings.seed_everything(config.seed)  # the same initial weights on every rank
    model = Tacotron2(model_config).to(env.device)
    if env.device.type == "cuda":  # the CPU trick of deferred weight gradients is not autocast-aware
        model.decoder.fused_weight_grads = False
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    state = training.resume(payload, model, optimizer, env)
    if payload is not None:
        data.normalizer = MelNormalizer.from_state_dict(payload["mel_stats"])
    if env.distributed:  # each rank its own dropout masks
        torch.manual_seed(config.seed + 1000 * env.rank + state["step"])
    task = Tacotron2Task(config, data, env, payload)
    state, in_sync = fit(task, model, optimizer, run, state, budget=Budget(config.max_steps, config.minutes),
                         eval_every=Every(config.eval_every), save_every=Every(config.checkpoint_every), env=env,
                         resumed=payload is not None, amp=amp, grad_clip=config.grad_clip,
                         lr_at=config.learning_rate_at, progress=progress, desc="Tacotron 2")
    return TrainResult(run.dir, state["step"], state["elapsed_s"], state["last_eval"], task.extra["aligned_at"],
                       run.checkpoint, env.world_size, in_sync)
