"""Train WaveGlow on the course corpus by maximum likelihood (chapter 14).

    python -m course_lib.tts.waveglow.train --out runs/waveglow --minutes 60        # resumes if possible
    python -m course_lib.tts.waveglow.train --out runs/wg-exc --preset course-excitation --minutes 60 \
        --warmup-steps 200 --decay-steps 3000      # per-flow conditioning + pYIN excitation (docs/VOCODER_LAB.md)
    python -m course_lib.tts.waveglow.train --out runs/waveglow --export assets/waveglow/waveglow_course.pt
    torchrun --nproc_per_node 2 -m course_lib.tts.waveglow.train --out runs/wg --steps 50 --device cpu

Random segments of ground-truth audio with their mel frames; ±0.5 LSB of uniform noise
(dequantisation) is added to the audio, because a quarter of the corpus samples are exact digital
zeros and a density on a discrete set of values can grow without bound. Checkpoints are written
atomically and carry the optimiser, step, history and the random state of the segment stream, so a
killed run resumes exactly where it stopped. Under ``torchrun`` the same loop trains data-parallel
(docs/SCALING.md §4); with one process every distributed step is a no-op.
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from course_lib import checks
from course_lib.checkpoint import append_line
from course_lib.optim.schedules import warmup_cosine_lr
from course_lib.tts import distributed as D
from course_lib.tts.waveglow.checkpoint import check_state_dict, export_model, load_payload, save_atomic, write_manifest
from course_lib.tts.waveglow.config import WaveGlowConfig
from course_lib.tts.waveglow.model import WaveGlow, waveglow_loss
from course_lib.tts.waveglow.source_filter import build_waveglow

LSB = 1.0 / 32768  # one step of 16-bit audio in [-1, 1]
PRESETS = {"course": WaveGlowConfig.course, "paper": WaveGlowConfig.paper,
           "course-per-flow": WaveGlowConfig.course_per_flow,
           "course-excitation": lambda: WaveGlowConfig.course_per_flow(excitation=3)}


class SegmentSampler:
    """Random (mel, audio) training segments cut at frame boundaries from whole utterances."""

    def __init__(self, waves: list[np.ndarray], segment_length: int, audio_config=None,
                 max_silence: float | None = None):
        from course_lib.audio import AudioConfig, mel_spectrogram

        self.audio_config = audio_config or AudioConfig()
        if not waves:
            raise ValueError("need at least one waveform to sample training segments from")
        self.hop = self.audio_config.hop_length
        self.segment_length = segment_length
        self.n_frames = math.ceil(segment_length / self.hop)
        self.silence = math.log(self.audio_config.clip_val)
        self.waves = [torch.as_tensor(np.asarray(w, dtype=np.float32)) for w in waves]
        self.mels = [mel_spectrogram(w, self.audio_config) for w in self.waves]  # each [n_mels, frames]
        lengths = np.array([len(w) for w in self.waves], dtype=np.float64)
        self.weights = lengths / lengths.sum()  # longer utterances are sampled more often
        # redraw a segment whose share of digital silence (|x| < 2 LSB) exceeds this (None: keep all)
        self.max_silence = None if max_silence is None else checks.probability(max_silence, "max_silence")
        self.picks: list[tuple[int, int]] = []  # (utterance, start frame) of the last batch

    def segment(self, index: int, start_frame: int) -> tuple[torch.Tensor, torch.Tensor]:
        wave, mel = self.waves[index], self.mels[index]
        start = start_frame * self.hop
        audio = wave[start:start + self.segment_length]
        audio = torch.nn.functional.pad(audio, (0, self.segment_length - len(audio)))
        frames = mel[:, start_frame:start_frame + self.n_frames]
        frames = torch.nn.functional.pad(frames, (0, self.n_frames - frames.shape[1]), value=self.silence)
        return frames, audio

    def batch(self, batch_size: int, rng: np.random.Generator, dequantize: bool = True):
        """``(mel [batch, n_mels, frames], audio [batch, segment_length])``."""
        mels, audios, self.picks = [], [], []
        for index in rng.choice(len(self.waves), size=batch_size, p=self.weights):
            last = max(0, self.mels[index].shape[1] - self.n_frames)
            pick = int(index), int(rng.integers(0, last + 1))
            mel, audio = self.segment(*pick)
            for _ in range(20 if self.max_silence is not None else 0):
                if float((audio.abs() < 2 * LSB).float().mean()) <= self.max_silence:
                    break
                index = int(rng.choice(len(self.waves), p=self.weights))
                pick = index, int(rng.integers(0, max(0, self.mels[index].shape[1] - self.n_frames) + 1))
                mel, audio = self.segment(*pick)
            self.picks.append(pick)
            mels.append(mel)
            audios.append(audio)
        audio = torch.stack(audios)
        if dequantize:
            audio = audio + (torch.from_numpy(rng.random(audio.shape, dtype=np.float32)) - 0.5) * LSB
        return torch.stack(mels), audio


def train_step(model: WaveGlow, optimizer: torch.optim.Optimizer, mel, audio, sigma: float,
               bf16: bool = False) -> float:
    """One maximum-likelihood step; returns the loss (NLL per sample, NVIDIA's convention).

    ``bf16=True`` runs the convolutions in bfloat16 autocast (about 2x faster on CPUs with
    AVX-512 BF16); the loss, log-determinants and weights stay float32.
    """
    precision = torch.autocast(mel.device.type, dtype=torch.bfloat16, enabled=bf16)
    return _step(model, optimizer, mel, audio, sigma, precision)


def _step(model: nn.Module, optimizer, mel, audio, sigma: float, precision, scaler=None,
          env: D.DistEnv | None = None, extra: tuple = ()) -> float:
    """:func:`train_step` inside an autocast context ``precision``; ``scaler`` for float16 on CUDA."""
    model.train()
    with precision:
        z, log_det = model(mel, audio, *extra)  # extra: the excitation, if the model takes one; a DDP-wrapped model all-reduces the gradients in backward()
    loss = waveglow_loss(z.float(), log_det.float(), sigma)
    if D.any_rank(not torch.isfinite(loss), env or D.DistEnv()):  # all ranks stop, or the others wait forever
        raise FloatingPointError("WaveGlow loss became NaN/inf; lower the learning rate or check the data "
                                 "(the last checkpoint is kept)")
    optimizer.zero_grad(set_to_none=True)
    if scaler is None:
        loss.backward()
        optimizer.step()
    else:
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    return loss.item()


@torch.no_grad()
def evaluate(model: WaveGlow, val_batch, val_waves, sigma_train: float, audio_config=None) -> dict:
    """Held-out loss on fixed segments, and STOI/LSD/PESQ of a few vocoded validation utterances."""
    from course_lib.audio import AudioConfig, mel_spectrogram
    from course_lib.tts.vocoder_eval import vocoder_metrics

    model.eval()
    device = next(model.parameters()).device
    z, log_det = model(*(t.to(device) for t in val_batch))  # (mel, audio[, excitation])
    result = {"val_loss": float(waveglow_loss(z, log_det, sigma_train))}
    scores = []
    for wave in val_waves:
        mel = mel_spectrogram(wave, audio_config or AudioConfig())[None].to(device)
        extra = {}
        if model.config.excitation:  # the pitch clock from pYIN on the reference, phase 0
            from course_lib.tts.waveglow.excitation import excitation, pitch_track

            extra["excitation"] = excitation(pitch_track(wave)[None], mel.shape[2] * model.config.hop_length,
                                             phase=0.0).to(device)
        out = model.infer(mel, sigma=0.6, generator=torch.Generator(device).manual_seed(0), **extra)[0]
        scores.append(vocoder_metrics(wave, out.float().cpu().numpy()))
    for key in ("pesq", "stoi", "lsd"):
        result[key] = float(np.mean([s[key] for s in scores])) if scores else float("nan")
    return result


def _load_split(split: str, limit: int | None = None, root=None) -> list[np.ndarray]:
    from course_lib.data.corpus import load_corpus

    utterances = load_corpus(split, root=root)
    if limit is not None:
        utterances = utterances[:limit]
    return [u.load_audio() for u in utterances]


# ---------------------------------------------------------------------------- several processes (torchrun)
def _rng_states(rng: np.random.Generator, env: D.DistEnv) -> list[dict]:
    """Every rank's segment-stream state, in rank order (a collective with several processes)."""
    if not env.distributed:
        return [rng.bit_generator.state]
    states = [None] * env.world_size
    dist.all_gather_object(states, rng.bit_generator.state)
    return states


def _my_waves(waves, env: D.DistEnv, seed: int) -> list:
    """This rank's utterances (a DistributedSampler share; all of them for one process), read if paths."""
    mine = range(len(waves))
    if env.distributed:
        mine = list(D.distributed_sampler(range(len(waves)), env, shuffle=True, seed=seed, drop_last=True))
    if any(isinstance(waves[i], (str, Path)) for i in mine):
        from course_lib.audio import load_audio

        return [load_audio(waves[i]) if isinstance(waves[i], (str, Path)) else waves[i] for i in mine]
    return [waves[i] for i in mine]


def train(out: str | Path, preset: str | WaveGlowConfig = "course", minutes: float | None = None, steps: int | None = None,
          seed: int = 0, eval_minutes: float = 10.0, save_minutes: float = 5.0, n_eval_utts: int = 3,
          command: str | None = None, progress: bool = True, bf16: bool = False,
          corpus: str | Path | None = None, *, env: D.DistEnv | None = None, amp: str = "auto",
          waves: list | None = None, val_waves: list | None = None, batch_size: int | None = None,
          init_from: str | Path | None = None, learning_rate: float | None = None,
          warmup_steps: int = 0, decay_steps: int = 0, max_silence: float | None = None) -> dict:
    """Train (or resume) a WaveGlow in ``out/checkpoint.pt`` until ``minutes`` of this run or ``steps`` in all.

    ``preset`` is "course", "paper" or a :class:`WaveGlowConfig`; a resumed run keeps its saved config.
    ``waves``/``val_waves``: waveforms or audio paths (default: the corpus's train/val splits);
    ``batch_size``: per process (default: the config's). ``bf16``: bfloat16 autocast on the CPU.
    ``init_from``: a new run (no checkpoint in ``out``) starts from these weights — e.g. the shipped
    float16 asset — with a fresh optimiser, counting steps on from the asset's and keeping its
    commands and history (the provenance the manifest shows).
    ``learning_rate``: Adam's step size from now on (default: the config's, or what a resumed run
    last used); a lower one for the last part of a run settles the weights (the log records it).
    ``warmup_steps``/``decay_steps``: linear warm-up, then a cosine to a tenth of that rate at total step
    ``decay_steps`` (course_lib.optim.schedules.warmup_cosine_lr; 0/0: constant). ``max_silence``:
    redraw segments with more than this share of digital silence.

    Under ``torchrun`` pass ``env=course_lib.tts.distributed.init_from_env()`` (the CLI does): the model
    is wrapped in DistributedDataParallel, each rank samples from its share of the utterances with its
    own stream seeded by ``(seed, rank, step)``, ``amp`` autocast runs on CUDA, the ranks decide the time
    budget and checkpoint times together, and rank 0 alone evaluates, logs and saves. One process
    (``env=None``): none of that happens, and the stream is restored from the checkpoint (exact resume).
    """
    from tqdm.auto import tqdm

    env = env or D.DistEnv()
    if learning_rate is not None:
        checks.real(learning_rate, "learning_rate", 0.0, low_open=True)
    if minutes is None and steps is None:
        raise ValueError("give a budget: minutes=... (wall time of this run) and/or steps=... (total)")
    out = Path(out)
    ckpt_path = out / "checkpoint.pt"
    if ckpt_path.exists():
        payload = load_payload(ckpt_path)
        cfg = WaveGlowConfig.from_dict(payload["config"])
    elif init_from is not None:
        payload, start_from = None, load_payload(init_from)
        cfg = WaveGlowConfig.from_dict(start_from["config"])
    elif isinstance(preset, WaveGlowConfig):
        payload, cfg = None, preset
    else:
        payload = None
        if preset not in PRESETS:
            raise ValueError(f"preset must be one of {sorted(PRESETS)} or a WaveGlowConfig, got {preset!r}")
        cfg = PRESETS[preset]()
    torch.manual_seed(seed)
    model = build_waveglow(cfg).to(env.device)  # on the device before the optimiser state is loaded
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.learning_rate)
    step, seconds, history, commands = 0, 0.0, [], []
    if payload is not None:
        if not {"optimizer", "step"} <= set(payload):
            raise ValueError(f"{ckpt_path} holds WaveGlow weights but no optimiser state or step, so training "
                             "cannot resume from it; use another --out folder")
        check_state_dict(model, payload["model"], ckpt_path)
        model.load_state_dict(payload["model"])
        optimizer.load_state_dict(payload["optimizer"])
        step, seconds = payload["step"], payload.get("train_seconds", 0.0)
        history, commands = list(payload.get("history", [])), list(payload.get("commands", []))
    elif init_from is not None:
        check_state_dict(model, start_from["model"], init_from)
        model.load_state_dict({k: v.float() for k, v in start_from["model"].items()})
        step, seconds = int(start_from.get("step", 0)), float(start_from.get("train_seconds", 0.0))
        history, commands = list(start_from.get("history", [])), list(start_from.get("commands", []))
    if learning_rate is not None:
        for group in optimizer.param_groups:
            group["lr"] = learning_rate
    base_lr = optimizer.param_groups[0]["lr"] if learning_rate is None and payload is not None and not (
        warmup_steps or decay_steps) else (learning_rate or cfg.learning_rate)
    commands.append(command or "train(...)")

    Sampler = SegmentSampler
    if cfg.excitation:  # pYIN once per utterance, cached in the run folder
        from functools import partial

        from course_lib.tts.waveglow.excitation import PitchedSegmentSampler
        out.mkdir(parents=True, exist_ok=True)
        Sampler = partial(PitchedSegmentSampler, f0_cache=out / "f0_cache.pt")
    sampler = Sampler(_my_waves(waves if waves is not None else _load_split("train", root=corpus), env, seed),
                      cfg.segment_length, max_silence=max_silence)
    if env.is_main:  # only rank 0 evaluates
        val_waves = _my_waves(val_waves if val_waves is not None else _load_split("val", root=corpus), D.DistEnv(), 0)
        val_batch = Sampler(val_waves, cfg.segment_length).batch(8, np.random.default_rng(1234))
        eval_waves = val_waves[:n_eval_utts]
    # a fresh run, or one whose checkpoint has no stream: seeded by the step (one process: as before)
    rng = np.random.default_rng([seed, env.rank, step] if env.distributed else seed + step)
    saved = payload.get("rng") if payload is not None else None
    if isinstance(saved, list) and len(saved) == env.world_size:
        rng.bit_generator.state = saved[env.rank]  # exact resume: continue the interrupted run's stream
    ddp = D.wrap_model(model, env)
    scaler = D.grad_scaler(env, amp)
    batch = batch_size or cfg.batch_size

    def save():
        states = _rng_states(rng, env)  # every rank takes part; rank 0 writes
        D.save_on_main(lambda: save_atomic(ckpt_path, {
            "model": {k: v.cpu() for k, v in model.state_dict().items()}, "optimizer": optimizer.state_dict(),
            "config": cfg.to_dict(), "step": step, "train_seconds": seconds, "history": history,
            "commands": commands, "rng": states, "world_size": env.world_size}), env)

    def log(row):
        history.append(row)
        append_line(out / "log.jsonl", json.dumps(row))

    out.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    last_save = last_eval = start
    bar = tqdm(total=steps, initial=step, disable=not (progress and env.is_main),
               desc="WaveGlow" + (f" ×{env.world_size}" if env.distributed else ""), unit="step")
    losses = []
    while True:
        now = time.monotonic()
        if D.any_rank(minutes is not None and now - start >= minutes * 60, env) or (steps is not None and step >= steps):
            break
        mel, audio, *extra = (t.to(env.device) for t in sampler.batch(batch, rng))
        if warmup_steps or decay_steps:
            for group in optimizer.param_groups:
                group["lr"] = warmup_cosine_lr(base_lr, step, warmup_steps, decay_steps)
        precision = D.autocast(env, amp) if env.device.type == "cuda" else \
            torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16)
        t0 = time.monotonic()
        losses.append(_step(ddp, optimizer, mel, audio, cfg.sigma, precision, scaler, env, tuple(extra)))
        seconds += time.monotonic() - t0
        step += 1
        bar.update(1)
        if step % 25 == 0:
            bar.set_postfix(loss=f"{np.mean(losses[-25:]):.3f}")
        if env.is_main and now - last_eval >= eval_minutes * 60:
            row = {"step": step, "train_seconds": round(seconds, 1), "train_loss": float(np.mean(losses[-100:])),
                   "lr": optimizer.param_groups[0]["lr"], **evaluate(model, val_batch, eval_waves, cfg.sigma)}
            log(row)
            bar.write(json.dumps(row))
            last_eval = time.monotonic()
        if D.any_rank(time.monotonic() - last_save >= save_minutes * 60, env):
            save()
            last_save = time.monotonic()
    bar.close()
    row = {"step": step, "train_seconds": round(seconds, 1),
           "train_loss": float(np.mean(losses[-100:])) if losses else float("nan"), "lr": optimizer.param_groups[0]["lr"]}
    if env.distributed:
        row["world_size"] = env.world_size
    if env.is_main:
        row.update(evaluate(model, val_batch, eval_waves, cfg.sigma))
        log(row)
    save()
    return {**row, "in_sync": D.weights_in_sync(ddp, env)}


def export(out: str | Path, target: str | Path) -> dict:
    """Export ``out/checkpoint.pt`` as a float16 asset plus ``MANIFEST.json`` next to it."""
    payload = load_payload(Path(out) / "checkpoint.pt")
    history = payload.get("history") or []
    info = export_model(Path(out) / "checkpoint.pt", target,
                        {"commands": payload.get("commands", []), "last_validation": history[-1] if history else {},
                         "history": history})
    target = Path(target)
    manifest_path = target.parent / "MANIFEST.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest["description"] = ("Course WaveGlow (Prenger et al. 2018, WaveGlowConfig.course()) trained "
                               "on the course corpus by course_lib.tts.waveglow.train; float16 weights.")
    manifest[info["file"]] = info
    write_manifest(manifest_path, manifest)
    return info


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m course_lib.tts.waveglow.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="run folder (checkpoint.pt, log.jsonl); resumes if present")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="course",
                        help="course-per-flow: conditioning per flow from frame-rate mels; course-excitation: plus "
                             "a pYIN source excitation (source_filter.py)")
    parser.add_argument("--minutes", type=float, default=None, help="wall-clock budget of this run")
    parser.add_argument("--steps", type=int, default=None, help="stop at this total step count")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 leaves the laptop usable)")
    parser.add_argument("--eval-minutes", type=float, default=10.0)
    parser.add_argument("--save-minutes", type=float, default=5.0)
    parser.add_argument("--bf16", action="store_true", help="CPU: bfloat16 autocast for the convolutions (~2x faster)")
    parser.add_argument("--corpus", default=None, help="corpus folder (default: assets/corpus)")
    parser.add_argument("--device", choices=["cpu", "cuda"], default=None, help="default: cuda when available")
    parser.add_argument("--amp", choices=["auto", "bf16", "fp16", "off"], default="auto",
                        help="CUDA mixed precision (auto: bfloat16 where supported)")
    parser.add_argument("--batch-size", type=int, default=None, help="per process (default: the preset's)")
    parser.add_argument("--lr", type=float, default=None,
                        help="Adam learning rate from now on (default: the preset's, or what a resumed run used)")
    parser.add_argument("--warmup-steps", type=int, default=0, help="linear learning-rate warm-up over these steps")
    parser.add_argument("--decay-steps", type=int, default=0,
                        help="cosine decay to a tenth of --lr (or the preset's) at this total step (0: none)")
    parser.add_argument("--max-silence", type=float, default=None,
                        help="redraw training segments with more than this share of digital silence (e.g. 0.5)")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--init-from", default=None, metavar="PATH",
                        help="start a new run from these weights (e.g. assets/waveglow/waveglow_course.pt)")
    parser.add_argument("--export", default=None, metavar="PATH",
                        help="do not train: export out/checkpoint.pt (float16) to PATH and update MANIFEST.json")
    return parser


def main(argv: list[str] | None = None) -> int:
    """The CLI; under ``torchrun --nproc_per_node N`` it trains data-parallel (rank 0 prints and saves)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error(f"--threads must be >= 1, got {args.threads}")
    if args.export:
        try:
            info = export(args.out, args.export)
        except (ValueError, TypeError, OSError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        print(json.dumps({k: v for k, v in info.items() if k != "history"}, indent=2))
        return 0
    if args.minutes is None and args.steps is None:
        parser.error("give --minutes and/or --steps")
    for name, value in (("--steps", args.steps), ("--batch-size", args.batch_size)):
        if value is not None and value < 1:
            parser.error(f"{name} must be >= 1, got {value}")
    for name, value in (("--warmup-steps", args.warmup_steps), ("--decay-steps", args.decay_steps)):
        if value < 0:
            parser.error(f"{name} must be >= 0, got {value}")
    if args.minutes is not None and not (math.isfinite(args.minutes) and args.minutes > 0):
        parser.error(f"--minutes must be a positive number, got {args.minutes}")
    torch.set_num_threads(args.threads)
    command = "python -m course_lib.tts.waveglow.train " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    env = None
    try:
        env = D.init_from_env(args.device)
        if env.distributed:
            command = f"torchrun --nproc_per_node {env.world_size} " + command
        row = train(args.out, args.preset, args.minutes, args.steps, args.seed, args.eval_minutes,
                    args.save_minutes, command=command, bf16=args.bf16, corpus=args.corpus,
                    progress=not args.no_progress, env=env, amp=args.amp, batch_size=args.batch_size,
                    init_from=args.init_from, learning_rate=args.lr, warmup_steps=args.warmup_steps,
                    decay_steps=args.decay_steps, max_silence=args.max_silence)
    except (ValueError, TypeError, OSError, FloatingPointError, RuntimeError) as err:
        where = f" (rank {env.rank})" if env is not None and env.distributed else ""
        print(f"error{where}: {str(err).splitlines()[0] if str(err) else type(err).__name__}", file=sys.stderr)
        return 1
    finally:
        if env is not None:
            D.cleanup(env)
    if env.is_main:
        print(json.dumps(row))
    return 0 if row["in_sync"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
