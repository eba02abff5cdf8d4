"""The Tacotron 2 training loop (chapter 11): teacher forcing, masked losses, guided attention,
Adam + clipping + exponential decay, resumable atomic checkpoints, alignment scored as it trains.

The same loop trains data-parallel under ``torchrun`` (docs/SCALING.md §4): each process wraps the
model in DistributedDataParallel, takes every ``WORLD_SIZE``-th batch, and only rank 0 evaluates,
logs and saves; all ranks decide together when to stop; CUDA runs the forward pass under autocast.
With one process on the CPU every one of these hooks is a no-op: a plain run is what it always was.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm

from course_lib import settings
from course_lib.checkpoint import append_line, load_checkpoint, save_checkpoint, write_text_atomic
from course_lib.tts import distributed as D
from course_lib.tts.alignment import is_aligned
from course_lib.tts.tacotron2 import Tacotron2

from .checkpoints import TRAIN_FORMAT, check_model_config, describe_differences
from .config import TrainConfig
from .data import MelNormalizer, TrainData, load_course_data
from .evaluation import evaluate
from .losses import guide_weight, tacotron2_loss


class TrainingDiverged(RuntimeError):
    """The loss or the gradient became NaN/inf; the last good checkpoint is kept."""


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
    check_model_config(payload["model_config"], config.model_config(), path)
    saved = TrainConfig.from_dict(payload["train_config"]).to_dict()
    wanted = config.to_dict()
    diff = {k: (saved[k], wanted[k]) for k in wanted if k not in TrainConfig.BUDGET_FIELDS and saved.get(k) != wanted[k]}
    if diff:
        raise ValueError(describe_differences(diff, "training run", path))


def _truncate_log(path: Path, step: int) -> None:
    """Keep the metrics lines up to ``step``; a line cut short by a killed writer is dropped."""
    if path.exists():
        lines = []
        for line in path.read_text().splitlines():
            try:
                if json.loads(line)["step"] <= step:
                    lines.append(line)
            except (json.JSONDecodeError, KeyError, TypeError):
                continue
        write_text_atomic(path, "".join(line + "\n" for line in lines))


def _read_resume(out_dir: Path, config: TrainConfig, resume: bool) -> dict | None:
    """The checkpoint to continue from (checked against ``config``), or None; read before any data."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"the run folder {out_dir} is a file, not a folder; give another --out / out_dir")
    path = out_dir / "checkpoint.pt"
    if not (resume and path.exists()):
        return None
    payload = load_checkpoint(path)
    if payload.get("format") != TRAIN_FORMAT:
        raise ValueError(f"{path} is not a course_lib.tts.train checkpoint; use another --out folder")
    _check_resume(payload, config, path)
    return payload


def train(config: TrainConfig = TrainConfig(), out_dir="runs/tacotron2", data: TrainData | None = None,
          progress: bool = True, resume: bool = True, *, env: D.DistEnv | None = None,
          amp: str = "auto") -> TrainResult:
    """Train (or resume) a Tacotron 2 in ``out_dir`` until the step or time budget is spent.

    Writes ``checkpoint.pt`` (atomic, every ``checkpoint_every`` steps and at the end) and
    ``metrics.jsonl`` (one line per evaluation). If ``out_dir`` holds a checkpoint of the same
    configuration, training continues from it exactly; another configuration raises a ``ValueError``
    naming the differing fields. A NaN/inf loss raises :class:`TrainingDiverged`. Sets torch's CPU
    thread count to ``config.threads`` (1 is fastest for the course preset on a shared CPU).

    ``env``: where this process sits (:func:`course_lib.tts.distributed.init_from_env`; default: read
    from ``torchrun``'s variables, on the CPU — one process without them). ``amp``: mixed precision
    on CUDA (:func:`~course_lib.tts.distributed.autocast`); ignored on the CPU.
    """
    out_dir = Path(out_dir)
    ckpt_path, log_path = out_dir / "checkpoint.pt", out_dir / "metrics.jsonl"
    torch.set_num_threads(config.threads)
    model_config = config.model_config()
    r = model_config.n_frames_per_step
    payload = _read_resume(out_dir, config, resume)
    if data is None:
        data = load_course_data(normalize=config.normalize_mels)
    env = env if env is not None else D.init_from_env("cpu")
    settings.seed_everything(config.seed)  # the same initial weights on every rank
    model = Tacotron2(model_config).to(env.device)
    if env.device.type == "cuda":  # the CPU trick of deferred weight gradients is not autocast-aware
        model.decoder.fused_weight_grads = False
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: config.learning_rate_at(s) / config.learning_rate)
    state = {"step": 0, "epoch": 0, "batch": 0, "elapsed_s": 0.0, "aligned_at": None, "last_eval": None,
             "snapshots": {"steps": [], "alignments": []}}
    running: dict[str, float] = {}  # sums of the training losses since the last evaluation
    if payload is not None:
        model.load_state_dict(payload["model"])
        optimizer.load_state_dict(payload["optimizer"])
        scheduler.load_state_dict(payload["scheduler"])
        torch.set_rng_state(payload["rng_torch"])
        if "rng_cuda" in payload and env.device.type == "cuda":
            torch.cuda.set_rng_state(payload["rng_cuda"], env.device)
        data.normalizer = MelNormalizer.from_state_dict(payload["mel_stats"])
        state = {k: payload[k] for k in state}
        running = dict(payload.get("running", {}))
        if payload.get("world_size", 1) != env.world_size:  # the batches are shared out differently now
            state["batch"] = 0
        if env.is_main:
            _truncate_log(log_path, state["step"])
    if env.distributed:  # each rank its own dropout masks
        torch.manual_seed(config.seed + 1000 * env.rank + state["step"])
    ddp = D.wrap_model(model, env)  # DistributedDataParallel with several processes; `model` itself otherwise
    scaler = D.grad_scaler(env, amp)  # enabled only for float16 on CUDA

    def save() -> Path:
        cuda = {"rng_cuda": torch.cuda.get_rng_state(env.device)} if env.device.type == "cuda" else {}
        return save_checkpoint(ckpt_path, {
            "format": TRAIN_FORMAT, "model_config": model_config.to_dict(), "train_config": config.to_dict(),
            "audio_config": data.audio_config.to_dict(), "mel_stats": data.normalizer.state_dict(),
            "model": {k: v.cpu() for k, v in model.state_dict().items()}, "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(), "rng_torch": torch.get_rng_state(), **cuda,
            "world_size": env.world_size, "running": dict(running), **state})

    def budget_spent() -> bool:  # decided by all ranks together: their clocks differ
        return D.any_rank((config.max_steps > 0 and state["step"] >= config.max_steps) or
                          (config.minutes > 0 and state["elapsed_s"] >= config.minutes * 60), env)

    if env.is_main:
        out_dir.mkdir(parents=True, exist_ok=True)
        if payload is None:
            log_path.unlink(missing_ok=True)  # a fresh run starts a fresh log
    last_saved = state["step"] if payload is not None else -1
    bar = tqdm(total=config.max_steps or None, initial=state["step"], disable=not (progress and env.is_main),
               desc="Tacotron 2" + (f" ×{env.world_size}" if env.distributed else ""), unit="step")
    session_start, elapsed_before = time.perf_counter(), state["elapsed_s"]
    ddp.train()
    done = budget_spent()
    try:
        while not done:
            batches = D.shard_batches(data.batches(config.batch_size, config.seed, state["epoch"]), env)
            while state["batch"] < len(batches) and not done:
                pairs = [data.train[i] for i in batches[state["batch"]]]
                text, text_lengths, mels, gates, mel_lengths = (t.to(env.device) for t in data.collate(pairs, r))
                guide = guide_weight(state["step"], config.guided_attention, config.guide_fade_steps)
                with D.autocast(env, amp):
                    out = ddp(text, text_lengths, mels, mel_lengths)
                out = type(out)(*(t.float() for t in out))  # the losses in float32
                terms = tacotron2_loss(out, mels, gates, mel_lengths, text_lengths, r, guide, config.guide_sigma,
                                       config.gate_pos_weight)
                loss = terms["total"]
                if D.any_rank(not torch.isfinite(loss), env):
                    raise TrainingDiverged(_diverged_message("loss", loss.item(), state["step"], ckpt_path, last_saved))
                optimizer.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()  # with several processes, DDP averages the gradients here
                scaler.unscale_(optimizer)
                grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
                if not scaler.is_enabled() and not torch.isfinite(grad_norm):  # (float16's scaler skips such steps)
                    raise TrainingDiverged(_diverged_message("gradient norm", float(grad_norm), state["step"],
                                                             ckpt_path, last_saved))
                scaler.step(optimizer)  # optimizer.step(), unless float16 overflowed
                scaler.update()
                scheduler.step()
                state["step"] += 1
                state["batch"] += 1
                state["elapsed_s"] = elapsed_before + time.perf_counter() - session_start
                for k, v in terms.items():
                    running[k] = running.get(k, 0.0) + v.item()
                running["n"] = running.get("n", 0) + 1
                bar.update(1)
                done = budget_spent()
                if state["step"] % config.eval_every == 0 or done:
                    if env.is_main:
                        _log_eval(model, data, config, state, running, optimizer, guide, log_path, bar, env)
                    running = {}
                if state["step"] % config.checkpoint_every == 0:
                    D.save_on_main(save, env)
                    last_saved = state["step"]
            if state["batch"] >= len(batches):
                state["epoch"], state["batch"] = state["epoch"] + 1, 0
    finally:
        bar.close()
    if last_saved != state["step"]:
        D.save_on_main(save, env)
    return TrainResult(out_dir, state["step"], state["elapsed_s"], state["last_eval"], state["aligned_at"], ckpt_path,
                       env.world_size, D.weights_in_sync(ddp, env))


def _diverged_message(what: str, value: float, step: int, ckpt_path: Path, last_saved: int) -> str:
    kept = f"the last good checkpoint {ckpt_path} (step {last_saved}) is kept" if last_saved >= 0 else \
        "no checkpoint was written yet"
    return (f"training stopped: the {what} became {value} at step {step + 1}; {kept}. "
            "Lower the learning rate, keep gradient clipping on, and check the data for NaN/inf mels.")


def _log_eval(model, data, config, state, running, optimizer, guide, log_path, bar, env) -> None:
    metrics, alignment = evaluate(model, data, config.n_eval)
    n = max(running.pop("n", 1), 1)
    line = {"step": state["step"], "elapsed_s": round(state["elapsed_s"], 2), "lr": optimizer.param_groups[0]["lr"],
            "guide": guide, **{f"train_{k}": v / n for k, v in running.items()}, **metrics}
    if "timing_correlation" in metrics:
        line["aligned"] = is_aligned(metrics, config.aligned_correlation, config.aligned_error_ratio)
    if env.distributed:
        line["world_size"] = env.world_size
    state["last_eval"] = line
    snaps = state["snapshots"]
    snaps["steps"].append(state["step"])
    snaps["alignments"].append(alignment.to(torch.float16))
    if state["aligned_at"] is None and line.get("aligned"):
        state["aligned_at"] = {"step": state["step"], "elapsed_s": round(state["elapsed_s"], 1)}
    append_line(log_path, json.dumps(line))
    post = {"loss": f"{line.get('train_total', float('nan')):.3f}"}
    if "timing_correlation" in metrics:
        post.update(within=f"{metrics['within']:.2f}", corr=f"{metrics['timing_correlation']:.2f}",
                    ratio=f"{metrics['error_ratio']:.2f}")
    bar.set_postfix(post)
