"""Data-parallel training loops for Tacotron 2 and WaveGlow (``torchrun``; chapter 15, docs/SCALING.md).

The same recipe as :func:`course_lib.tts.train.train` and :func:`course_lib.tts.waveglow.train.train`
(losses, optimiser, schedule, clipping, checkpoint formats — so ``--export`` and resuming work with
either), plus what several processes need: the model wrapped in DistributedDataParallel, each rank
on its own share of the data, rank 0 alone evaluating and writing checkpoints, one shared decision
of when to stop, and mixed precision on CUDA. ``--data ljspeech --root DIR`` trains on LJSpeech 1.1.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

from course_lib.tts import distributed as D


# ---------------------------------------------------------------------------- shared pieces
def _stop_together(local_stop: bool, env: D.DistEnv) -> bool:
    """Rank clocks differ, so a time budget must be decided once for all ranks (any rank done → all stop)."""
    if not env.distributed:
        return local_stop
    flag = torch.tensor([float(local_stop)], device=env.device if env.backend == "nccl" else "cpu")
    dist.all_reduce(flag, op=dist.ReduceOp.MAX)
    return bool(flag.item())


class _LazyPairs(Sequence):
    """``(text_ids, mel)`` pairs read from a dataset on demand (LJSpeech does not fit in memory as a list)."""

    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, list(indices)

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, i):
        return self.dataset[self.indices[i]]


def ljspeech_train_data(root, normalize: bool = True, n_val: int = 100, cache=None, seed: int = 0):
    """LJSpeech as :class:`~course_lib.tts.train.TrainData`: the last ``n_val`` clips for validation,
    mels cached on disk (``cache``, default ``<root>/mel_cache``), bucketing from file headers."""
    from course_lib.data.ljspeech import LJSpeechDataset
    from course_lib.tts.train.data import MelNormalizer, TrainData

    dataset = LJSpeechDataset(root, cache=cache or Path(root) / "mel_cache")
    if len(dataset) <= n_val:
        raise ValueError(f"{root} holds {len(dataset)} clips; need more than n_val={n_val}")
    train_idx, val_idx = range(len(dataset) - n_val), range(len(dataset) - n_val, len(dataset))
    lengths = dataset.frame_lengths()

    @dataclass
    class LJSpeechData(TrainData):
        frame_lengths: list = field(default_factory=list)

        def batches(self, batch_size, seed, epoch):
            from course_lib.data.collate import BucketBatchSampler

            sampler = BucketBatchSampler(self.frame_lengths, batch_size, shuffle=True, seed=seed)
            sampler.set_epoch(epoch)
            return sampler.batches()

    normalizer = None
    if normalize:  # per-channel statistics from a sample of 500 training clips
        rng = np.random.default_rng(seed)
        sample = rng.choice(len(train_idx), size=min(500, len(train_idx)), replace=False)
        normalizer = MelNormalizer.fit([dataset[int(i)][1] for i in sample])
    return LJSpeechData(_LazyPairs(dataset, train_idx), _LazyPairs(dataset, val_idx), None, dataset.config,
                        normalizer, frame_lengths=[lengths[i] for i in train_idx])


# ---------------------------------------------------------------------------- Tacotron 2
@torch.no_grad()
def _validate(model, data, n: int, device, seed: int = 1234) -> dict:
    """Teacher-forced validation loss (and alignment scores when the data has ground truth), on ``device``."""
    from course_lib.tts.alignment import alignment_scores, mean_scores
    from course_lib.tts.train.losses import tacotron2_loss

    r = model.config.n_frames_per_step
    totals, scores = {}, []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        was_training = model.training
        model.eval()
        for i in range(min(n, len(data.val))):
            batch = [t.to(device) for t in data.collate([data.val[i]], r)]
            text, text_lengths, mels, gates, mel_lengths = batch
            out = model(text, text_lengths, mels, mel_lengths)
            for k, v in tacotron2_loss(out, mels, gates, mel_lengths, text_lengths, r).items():
                totals[k] = totals.get(k, 0.0) + float(v)
            if data.val_utterances is not None:
                steps = math.ceil(int(mel_lengths[0]) / r)
                scores.append(alignment_scores(out.alignments[0, :steps].float().cpu(), data.val_utterances[i],
                                               int(mel_lengths[0]), r))
        model.train(was_training)
    metrics = {f"val_{k}": v / max(1, min(n, len(data.val))) for k, v in totals.items()}
    if scores:
        metrics.update(mean_scores(scores))
    return metrics


def train_tacotron2(config, out_dir, env: D.DistEnv, data=None, amp: str = "auto", progress: bool = True) -> dict:
    """Train (or resume) a Tacotron 2 data-parallel; every rank calls this. Returns rank 0's last metrics."""
    from tqdm.auto import tqdm

    from course_lib import settings
    from course_lib.checkpoint import load_checkpoint, save_checkpoint
    from course_lib.tts.tacotron2 import Tacotron2
    from course_lib.tts.train.checkpoints import TRAIN_FORMAT, check_model_config
    from course_lib.tts.train.data import MelNormalizer, load_course_data
    from course_lib.tts.train.losses import guide_weight, tacotron2_loss

    out_dir = Path(out_dir)
    ckpt_path, log_path = out_dir / "checkpoint.pt", out_dir / "metrics.jsonl"
    torch.set_num_threads(config.threads)
    model_config = config.model_config()
    r = model_config.n_frames_per_step
    payload = load_checkpoint(ckpt_path) if ckpt_path.exists() else None
    if payload is not None:
        if payload.get("format") != TRAIN_FORMAT:
            raise ValueError(f"{ckpt_path} is not a Tacotron 2 training checkpoint; use another --out folder")
        check_model_config(payload["model_config"], model_config, ckpt_path)
    data = data if data is not None else load_course_data(normalize=config.normalize_mels)
    settings.seed_everything(config.seed)  # the same initial weights on every rank (DDP also broadcasts rank 0's)
    model = Tacotron2(model_config)
    if env.device.type == "cuda":  # the CPU trick of deferred weight gradients is not autocast-aware
        model.decoder.fused_weight_grads = False
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: config.learning_rate_at(s) / config.learning_rate)
    state = {"step": 0, "epoch": 0, "batch": 0, "elapsed_s": 0.0, "aligned_at": None, "last_eval": None,
             "snapshots": {"steps": [], "alignments": []}}
    if payload is not None:
        model.load_state_dict(payload["model"])
        optimizer.load_state_dict(payload["optimizer"])
        scheduler.load_state_dict(payload["scheduler"])
        data.normalizer = MelNormalizer.from_state_dict(payload["mel_stats"])
        state = {k: payload[k] for k in state}
        if payload.get("world_size", 1) != env.world_size:  # another sharding: restart the epoch's order
            state["batch"] = 0
    ddp = D.wrap_model(model, env)
    scaler = D.grad_scaler(env, amp)
    torch.manual_seed(config.seed + 1000 * env.rank + state["step"])  # independent dropout per rank

    def save():
        return save_checkpoint(ckpt_path, {
            "format": TRAIN_FORMAT, "model_config": model_config.to_dict(), "train_config": config.to_dict(),
            "audio_config": data.audio_config.to_dict(), "mel_stats": data.normalizer.state_dict(),
            "model": {k: v.cpu() for k, v in model.state_dict().items()}, "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(), "rng_torch": torch.get_rng_state(), "world_size": env.world_size,
            **state})

    def budget_spent() -> bool:
        return (config.max_steps > 0 and state["step"] >= config.max_steps) or \
               (config.minutes > 0 and state["elapsed_s"] >= config.minutes * 60)

    out_dir.mkdir(parents=True, exist_ok=True)
    bar = tqdm(total=config.max_steps or None, initial=state["step"], disable=not (progress and env.is_main),
               desc=f"Tacotron 2 ×{env.world_size}", unit="step")
    start, before = time.perf_counter(), state["elapsed_s"]
    ddp.train()
    while not _stop_together(budget_spent(), env):
        batches = D.shard_batches(data.batches(config.batch_size, config.seed, state["epoch"]), env)
        while state["batch"] < len(batches):
            if _stop_together(budget_spent(), env):
                break
            pairs = [data.train[i] for i in batches[state["batch"]]]
            text, text_lengths, mels, gates, mel_lengths = (t.to(env.device) for t in data.collate(pairs, r))
            guide = guide_weight(state["step"], config.guided_attention, config.guide_fade_steps)
            with D.autocast(env, amp):
                out = ddp(text, text_lengths, mels, mel_lengths)
            out = type(out)(*(t.float() for t in out))
            loss = tacotron2_loss(out, mels, gates, mel_lengths, text_lengths, r, guide, config.guide_sigma,
                                  config.gate_pos_weight)["total"]
            if not torch.isfinite(loss):
                raise RuntimeError(f"the loss became {loss.item()} at step {state['step'] + 1} on rank {env.rank}; "
                                   "lower the learning rate (the last checkpoint is kept)")
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()  # DDP all-reduces (averages) the gradients here
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            state["step"], state["batch"] = state["step"] + 1, state["batch"] + 1
            state["elapsed_s"] = before + time.perf_counter() - start
            bar.update(1)
            if env.is_main and (state["step"] % config.eval_every == 0 or budget_spent()):
                metrics = {"step": state["step"], "elapsed_s": round(state["elapsed_s"], 2), "train_loss": loss.item(),
                           "world_size": env.world_size, **_validate(model, data, config.n_eval, env.device)}
                state["last_eval"] = metrics
                with open(log_path, "a", encoding="utf-8") as f:
                    f.write(json.dumps(metrics) + "\n")
                bar.set_postfix(loss=f"{loss.item():.3f}")
            if state["step"] % config.checkpoint_every == 0:
                D.save_on_main(save, env)
        else:
            state["epoch"], state["batch"] = state["epoch"] + 1, 0
    bar.close()
    D.save_on_main(save, env)
    return {"step": state["step"], "in_sync": D.weights_in_sync(ddp, env), **(state["last_eval"] or {})}


# ---------------------------------------------------------------------------- WaveGlow
def train_waveglow(out_dir, env: D.DistEnv, preset: str = "course", steps: int | None = None,
                   minutes: float | None = None, seed: int = 0, amp: str = "auto", waves=None,
                   batch_size: int | None = None, progress: bool = True) -> dict:
    """Train (or resume) a WaveGlow data-parallel on random segments; every rank calls this.

    Each rank draws its segments from its own share of the utterances (a :class:`DistributedSampler`
    split) with its own random stream. ``waves``: waveforms, or audio file paths (each rank then reads
    only its share — LJSpeech is 24 hours). The checkpoint is the format of :mod:`course_lib.tts.waveglow.train`.
    """
    from tqdm.auto import tqdm

    from course_lib.tts.waveglow.checkpoint import load_payload, save_atomic
    from course_lib.tts.waveglow.config import WaveGlowConfig
    from course_lib.tts.waveglow.model import WaveGlow, waveglow_loss
    from course_lib.tts.waveglow.train import SegmentSampler, _load_split

    if steps is None and minutes is None:
        raise ValueError("give a budget: steps and/or minutes")
    out_dir = Path(out_dir)
    ckpt_path = out_dir / "checkpoint.pt"
    payload = load_payload(ckpt_path) if ckpt_path.exists() else None
    cfg = WaveGlowConfig.from_dict(payload["config"]) if payload else getattr(WaveGlowConfig, preset)()
    torch.manual_seed(seed)
    model = WaveGlow(cfg)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.learning_rate)
    step, seconds, history, commands = 0, 0.0, [], []
    if payload is not None:
        model.load_state_dict(payload["model"])
        optimizer.load_state_dict(payload["optimizer"])
        step, seconds, history, commands = payload["step"], payload["train_seconds"], payload["history"], payload["commands"]
    commands = list(commands) + [f"distributed_train.train_waveglow(world_size={env.world_size})"]
    waves = waves if waves is not None else _load_split("train")
    mine = list(D.distributed_sampler(range(len(waves)), env, shuffle=True, seed=seed, drop_last=True))
    if isinstance(waves[0], (str, Path)):
        from course_lib.audio import load_audio

        waves = {i: load_audio(waves[i]) for i in mine}
    sampler = SegmentSampler([waves[i] for i in mine], cfg.segment_length)
    rng = np.random.default_rng([seed, env.rank, step])
    ddp = D.wrap_model(model, env)
    scaler = D.grad_scaler(env, amp)
    batch = batch_size or cfg.batch_size

    def save():
        save_atomic(ckpt_path, {"model": {k: v.cpu() for k, v in model.state_dict().items()},
                                "optimizer": optimizer.state_dict(), "config": cfg.to_dict(), "step": step,
                                "train_seconds": seconds, "history": history, "commands": commands})

    out_dir.mkdir(parents=True, exist_ok=True)
    bar = tqdm(total=steps, initial=step, disable=not (progress and env.is_main), desc=f"WaveGlow ×{env.world_size}")
    start, losses = time.monotonic(), []
    ddp.train()
    while not _stop_together((steps is not None and step >= steps) or
                             (minutes is not None and time.monotonic() - start >= minutes * 60), env):
        mel, audio = (t.to(env.device) for t in sampler.batch(batch, rng))
        t0 = time.monotonic()
        with D.autocast(env, amp):
            z, log_s, log_det = ddp(mel, audio)
        loss = waveglow_loss(z.float(), [s.float() for s in log_s], [d.float() for d in log_det], cfg.sigma)
        if not torch.isfinite(loss):
            raise RuntimeError(f"the WaveGlow loss became {loss.item()} at step {step + 1}; lower the learning rate")
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        seconds += time.monotonic() - t0
        step += 1
        losses.append(loss.item())
        bar.update(1)
    bar.close()
    row = {"step": step, "train_seconds": round(seconds, 1), "world_size": env.world_size,
           "train_loss": float(np.mean(losses[-100:])) if losses else float("nan")}
    history = list(history) + [row]
    D.save_on_main(save, env)
    return {**row, "in_sync": D.weights_in_sync(ddp, env)}


# ---------------------------------------------------------------------------- command line
def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="torchrun --nproc_per_node N -m course_lib.tts.distributed",
                                description="Data-parallel training; see docs/SCALING.md.")
    sub = p.add_subparsers(dest="model", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--out", required=True, help="run folder; resumed if it holds a checkpoint")
    common.add_argument("--preset", choices=["course", "paper"], default="course")
    common.add_argument("--device", choices=["cpu", "cuda"], default=None, help="default: cuda when available")
    common.add_argument("--amp", choices=["auto", "bf16", "fp16", "off"], default="auto", help="CUDA only")
    common.add_argument("--seed", type=int, default=0)
    common.add_argument("--threads", type=int, default=1, help="torch CPU threads per process")
    common.add_argument("--batch-size", type=int, default=None, help="per process (global = processes × this)")
    common.add_argument("--minutes", type=float, default=None)
    common.add_argument("--no-progress", action="store_true")
    common.add_argument("--data", choices=["course", "ljspeech"], default="course")
    common.add_argument("--root", default=None, help="LJSpeech-1.1 folder (with --data ljspeech)")
    t = sub.add_parser("tacotron2", parents=[common], help="train Tacotron 2")
    t.add_argument("--max-steps", type=int, default=0)
    t.add_argument("--lr", type=float, default=None)
    t.add_argument("--val-size", type=int, default=100, help="LJSpeech clips held out for validation")
    t.add_argument("--decay-start", type=int, default=None, help="step where exponential lr decay begins")
    t.add_argument("--decay-rate", type=float, default=None, help="lr factor per --decay-steps after that")
    t.add_argument("--decay-steps", type=int, default=None)
    t.add_argument("--no-normalize", action="store_true", help="raw log-mels, as NVIDIA (default: per-channel)")
    t.add_argument("--guided-attention", type=float, default=None, help="initial weight (0 = off)")
    t.add_argument("--eval-every", type=int, default=None)
    t.add_argument("--checkpoint-every", type=int, default=None)
    w = sub.add_parser("waveglow", parents=[common], help="train WaveGlow")
    w.add_argument("--steps", type=int, default=None)
    w.add_argument("--max-utterances", type=int, default=None, help="use only the first N training utterances")
    return p.parse_args(argv)


def _root(args) -> str:
    if not args.root:
        raise ValueError("--data ljspeech needs --root pointing at the LJSpeech-1.1 folder (metadata.csv, wavs/)")
    return args.root


def run(args: argparse.Namespace) -> int:
    env = D.init_from_env(args.device)
    try:
        torch.set_num_threads(args.threads)
        if args.model == "tacotron2":
            from course_lib.tts.train import TrainConfig

            given = {"batch_size": args.batch_size, "learning_rate": args.lr, "guided_attention": args.guided_attention,
                     "eval_every": args.eval_every, "checkpoint_every": args.checkpoint_every,
                     "decay_start": args.decay_start, "decay_rate": args.decay_rate, "decay_steps": args.decay_steps}
            config = TrainConfig(preset=args.preset, max_steps=args.max_steps, minutes=args.minutes or 0.0,
                                 normalize_mels=not args.no_normalize, seed=args.seed, threads=args.threads,
                                 **{k: v for k, v in given.items() if v is not None})
            data = None
            if args.data == "ljspeech":
                data = ljspeech_train_data(_root(args), normalize=config.normalize_mels, n_val=args.val_size,
                                           seed=args.seed)
            result = train_tacotron2(config, args.out, env, data, args.amp, not args.no_progress)
        else:
            from course_lib.tts.waveglow.train import _load_split

            if args.data == "ljspeech":
                from course_lib.data.ljspeech import read_ljspeech_metadata

                waves = [item.audio_path for item in read_ljspeech_metadata(_root(args))][: args.max_utterances]
            else:
                waves = _load_split("train", args.max_utterances)
            result = train_waveglow(args.out, env, args.preset, args.steps, args.minutes, args.seed, args.amp,
                                    waves=waves, batch_size=args.batch_size, progress=not args.no_progress)
        if env.is_main:
            print(json.dumps({k: v for k, v in result.items() if not isinstance(v, list)}))
        return 0 if result["in_sync"] else 1
    finally:
        D.cleanup(env)
