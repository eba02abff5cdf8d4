"""Train WaveGlow on the course corpus by maximum likelihood (chapter 14) — the same training core as
chapter 11 (:func:`course_lib.training.fit`), a new model: this module supplies its config, loss
(:func:`~course_lib.tts.waveglow.model.waveglow_loss`), data (:mod:`course_lib.tts.waveglow.data`)
and evaluation.

    python -m course_lib.tts.waveglow.train --out runs/waveglow --minutes 60        # resumes if possible
    python -m course_lib.tts.waveglow.train --out runs/wg-exc --preset course-excitation --minutes 60 \
        --stft-weight 4                            # + pYIN excitation, hybrid objective (docs/VOCODER_LAB.md)
    python -m course_lib.tts.waveglow.train --out runs/waveglow --export assets/waveglow/waveglow_course.pt
    torchrun --nproc_per_node 2 -m course_lib.tts.waveglow.train --out runs/wg --max-steps 50

Checkpoints carry the optimiser, step, history and the random state of the segment stream, so a
killed run resumes exactly where it stopped. ``--minutes`` is this invocation's budget.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
import sys
import warnings
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

from course_lib import checks, training
from course_lib.optim.schedules import warmup_cosine_lr
from course_lib.training import Budget, Every, RunFolder, TrainingDiverged, fit
from course_lib.training import distributed as D
from course_lib.tts.metrics.vocoder import mr_stft_loss
from course_lib.tts.waveglow.checkpoint import load_payload, model_for
from course_lib.tts.waveglow.config import WaveGlowConfig
from course_lib.tts.waveglow.data import SegmentSampler, ljspeech_paths, load_split, rank_share
from course_lib.tts.waveglow.excitation import PitchedSegmentSampler, excitation, pitch_track
from course_lib.tts.waveglow.model import WaveGlow, waveglow_loss
from course_lib.tts.waveglow.source_filter import build_waveglow

PRESETS = {"course": WaveGlowConfig.course, "paper": WaveGlowConfig.paper,
           "course-upsampled": partial(WaveGlowConfig.course, conditioning="upsampled"),
           "course-excitation": partial(WaveGlowConfig.course, excitation=3)}


def train_step(model: WaveGlow, optimizer: torch.optim.Optimizer, mel, audio, sigma: float,
               bf16: bool = False) -> float:
    """One maximum-likelihood step; returns the loss (NLL per sample, NVIDIA's convention).

    ``bf16=True`` runs the convolutions in bfloat16 autocast (about 2x faster on CPUs with
    AVX-512 BF16); the loss, log-determinants and weights stay float32.
    """
    model.train()
    with torch.autocast(mel.device.type, dtype=torch.bfloat16, enabled=bf16):
        z, log_det = model(mel, audio)
    loss = waveglow_loss(z.float(), log_det.float(), sigma)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.item()


@dataclass(frozen=True)
class WaveGlowTrainConfig:
    """How to train a WaveGlow; budgets and cadences: 0 = none. ``None``: the preset's (or, for
    ``learning_rate``, what a resumed run last used)."""

    preset: str | WaveGlowConfig = "course"  # a name in PRESETS, or a config
    max_steps: int = 0  # total steps of the run
    minutes: float = 0.0  # wall-clock budget of this invocation
    seed: int = 0
    threads: int = 1
    batch_size: int | None = None  # per process
    learning_rate: float | None = None  # Adam's step size from now on
    warmup_steps: int | None = None  # linear warm-up, then ...
    decay_steps: int | None = None  # ... a cosine to a tenth of the rate at this total step (0: constant)
    max_silence: float | None = None  # redraw segments with more digital silence than this share (1: keep all)
    # hybrid objective (WG-WaveNet, Hsu & Lee 2020): + stft_weight · MR-STFT distance between the audio and a
    # sample drawn through the inverse flow at z ~ N(0, stft_sigma²) (0: likelihood alone)
    stft_weight: float = 0.0
    stft_sigma: float = 0.6
    phase_lock: bool = False  # excitation presets: start each segment's clock at the recording's phase
    gaussian_lsb: float = 0.0  # dequantisation: 0 = uniform ±½ LSB; > 0 = Gaussian of this std in LSB
    bf16: bool = False  # bfloat16 autocast on the CPU
    eval_minutes: float = 10.0
    eval_every: int = 0  # steps
    save_minutes: float = 5.0
    checkpoint_every: int = 0  # steps
    n_eval_utts: int = 3  # validation utterances vocoded at each evaluation

    def __post_init__(self):
        if not isinstance(self.preset, WaveGlowConfig) and self.preset not in PRESETS:
            raise ValueError(f"preset must be one of {sorted(PRESETS)} or a WaveGlowConfig, got {self.preset!r}")
        for name in ("max_steps", "seed", "eval_every", "checkpoint_every", "warmup_steps", "decay_steps"):
            if getattr(self, name) is not None:  # None: the preset's
                checks.integer(getattr(self, name), name, 0)
        for name in ("threads", "n_eval_utts") + (("batch_size",) if self.batch_size is not None else ()):
            checks.integer(getattr(self, name), name, 1)
        for name in ("minutes", "eval_minutes", "save_minutes", "stft_weight", "stft_sigma", "gaussian_lsb"):
            checks.real(getattr(self, name), name, 0.0)
        if self.learning_rate is not None:
            checks.real(self.learning_rate, "learning_rate", 0.0, low_open=True)
        if self.max_silence is not None:
            checks.real(self.max_silence, "max_silence", 0.0, 1.0, hint="A share of samples; 1 keeps every segment.")
        checks.flag(self.bf16, "bf16")
        checks.flag(self.phase_lock, "phase_lock")
        if self.max_steps == 0 and self.minutes == 0:
            raise ValueError("give a budget: max_steps > 0 or minutes > 0")

    def model_config(self) -> WaveGlowConfig:
        return self.preset if isinstance(self.preset, WaveGlowConfig) else PRESETS[self.preset]()

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "WaveGlowTrainConfig":
        return cls(**checks.known_keys(data, (f.name for f in dataclasses.fields(cls)), "WaveGlowTrainConfig"))


@torch.no_grad()
def evaluate(model: WaveGlow, val_batch, val_waves, sigma_train: float, audio_config=None) -> dict:
    """Held-out loss on fixed segments, and STOI/LSD/PESQ of a few vocoded validation utterances."""
    from course_lib.audio import AudioConfig, mel_spectrogram
    from course_lib.tts.metrics.vocoder import vocoder_metrics

    model.eval()
    device = next(model.parameters()).device
    z, log_det = model(*(t.to(device) for t in val_batch))  # (mel, audio[, excitation])
    result = {"val_loss": float(waveglow_loss(z, log_det, sigma_train))}
    scores = []
    for wave in val_waves:
        mel = mel_spectrogram(wave, audio_config or AudioConfig())[None].to(device)
        extra = {}
        if model.config.excitation:  # the pitch clock from pYIN on the reference, phase 0
            extra["excitation"] = excitation(pitch_track(wave)[None], mel.shape[2] * model.config.hop_length,
                                             phase=0.0).to(device)
        out = model.infer(mel, sigma=0.6, generator=torch.Generator(device).manual_seed(0), **extra)[0]
        scores.append(vocoder_metrics(wave, out.float().cpu().numpy()))
    for key in ("pesq", "stoi", "lsd"):
        result[key] = float(np.mean([s[key] for s in scores])) if scores else float("nan")
    return result


OBJECTIVE = ("max_silence", "stft_weight", "stft_sigma", "phase_lock", "gaussian_lsb")  # what the loss sees


def objective(config: WaveGlowTrainConfig) -> dict:
    """The settings that define what a run optimises (saved in its checkpoint, compared on resume)."""
    return {k: getattr(config, k) for k in OBJECTIVE}


class WaveGlowTask:
    """Random segments from this rank's utterances, :func:`waveglow_loss`, held-out loss and vocoded scores."""

    def __init__(self, config: WaveGlowTrainConfig, cfg: WaveGlowConfig, sampler, rng, env, history, commands,
                 val=None):
        self.config, self.cfg, self.sampler, self.rng, self.env = config, cfg, sampler, rng, env
        self.history, self.commands, self.val = history, commands, val  # val: (fixed batch, waves), rank 0

    def next_batch(self, state):
        batch = self.sampler.batch(self.config.batch_size or self.cfg.batch_size, self.rng)
        if not self.config.stft_weight:
            return batch
        mel = batch[0]  # + the noise z of the sample drawn through the inverse, from the segment stream
        shape = (mel.shape[0], self.cfg.n_group, mel.shape[2] * self.cfg.hop_length // self.cfg.n_group)
        return (*batch, torch.from_numpy(self.rng.standard_normal(shape, dtype=np.float32)) * self.config.stft_sigma)

    def forward(self, model, batch):
        if not self.config.stft_weight:
            return model(*batch)  # (mel, audio[, excitation]); DDP all-reduces the gradients in backward()
        mel, audio, *excitation, z = batch
        return (*model(mel, audio, *excitation), model.inverse(mel, z, *excitation))

    def loss(self, output, batch, state):
        z, log_det, *sample = output
        nll = waveglow_loss(z.float(), log_det.float(), self.cfg.sigma)
        if not sample:
            return {"total": nll}
        stft = mr_stft_loss(batch[1], sample[0].float())
        return {"total": nll + self.config.stft_weight * stft, "nll": nll, "stft": stft}

    def evaluate(self, model, state):
        return evaluate(model, *self.val, self.cfg.sigma)

    def logged(self, row):
        self.history.append(row)

    def checkpoint_state(self, state):
        states = [self.rng.bit_generator.state]
        if self.env.distributed:  # every rank's stream, in rank order (a collective)
            states = [None] * self.env.world_size
            dist.all_gather_object(states, self.rng.bit_generator.state)
        return {"config": self.cfg.to_dict(), "history": self.history, "commands": self.commands, "rng": states,
                "objective": objective(self.config)}


def train(config: WaveGlowTrainConfig, out, *, waves: list | None = None, val_waves: list | None = None,
          corpus=None, init_from=None, command: str | None = None, progress: bool = True,
          env: D.DistEnv | None = None, amp: str = "auto") -> dict:
    """Train (or resume) a WaveGlow in ``out/checkpoint.pt`` until ``config``'s budget is spent → the last
    log line with ``step`` and ``in_sync``. A resumed run keeps its saved model config.

    ``waves``/``val_waves``: waveforms or audio paths (default: the course corpus at ``corpus``).
    ``init_from``: a new run (no checkpoint in ``out``) starts from these weights — e.g. the shipped
    float16 asset — with a fresh optimiser, counting steps on from the asset's and keeping its
    commands and history (the provenance the manifest shows). ``env``: where this process sits under
    ``torchrun`` (:func:`course_lib.training.distributed.init_from_env`): each rank samples from its
    share of the utterances with its own stream seeded by ``(seed, rank, step)``.
    """
    env = env or D.DistEnv()
    if config.stft_weight and env.distributed:
        raise ValueError("the hybrid objective (stft_weight > 0) trains in one process only; drop --stft-weight "
                         "or run without torchrun")
    run = RunFolder(out)
    torch.set_num_threads(config.threads)
    payload = load_payload(run.checkpoint) if run.checkpoint.exists() else None
    start_from = load_payload(init_from) if payload is None and init_from is not None else None
    if payload is not None:
        if not {"optimizer", "step"} <= set(payload):
            raise ValueError(f"{run.checkpoint} holds WaveGlow weights but no optimiser state or step, so training "
                             "cannot resume from it; use another --out folder")
        payload.setdefault("elapsed_s", payload.get("train_seconds", 0.0))  # checkpoints written before the core
    source = payload or start_from
    cfg = WaveGlowConfig.from_dict(source["config"]) if source is not None else config.model_config()
    torch.manual_seed(config.seed)
    model = build_waveglow(cfg).to(env.device)  # on the device before the optimiser state is loaded
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.learning_rate)
    if source is not None:
        training.check_state_dict(model, source["model"], run.checkpoint if payload else init_from,
                                  "the WaveGlow its config describes")
    state = training.resume(payload, model, optimizer, env)
    changed = {k: (v, getattr(config, k)) for k, v in (payload or {}).get("objective", {}).items()
               if k in OBJECTIVE and v != getattr(config, k)}
    if changed and env.is_main:
        warnings.warn(f"{run.checkpoint} was trained with another objective; resuming with "
                      + ", ".join(f"{k} {old!r} → {new!r}" for k, (old, new) in changed.items())
                      + " (give the run's flags again to keep its objective)", stacklevel=2)
    history, commands = list((source or {}).get("history", [])), list((source or {}).get("commands", []))
    if start_from is not None:
        model.load_state_dict({k: v.float() for k, v in start_from["model"].items()})
        state["step"] = int(start_from.get("step", 0))
        state["elapsed_s"] = float(start_from.get("elapsed_s", start_from.get("train_seconds", 0.0)))
    if config.learning_rate is not None:
        for group in optimizer.param_groups:
            group["lr"] = config.learning_rate
    lr_at = None
    warmup = cfg.warmup_steps if config.warmup_steps is None else config.warmup_steps
    decay = cfg.decay_steps if config.decay_steps is None else config.decay_steps
    if warmup or decay:
        lr_at = partial(warmup_cosine_lr, config.learning_rate or cfg.learning_rate, warmup=warmup, decay=decay)
    commands.append(command or "train(...)")

    Sampler = SegmentSampler
    if cfg.excitation:  # pYIN once per utterance, cached in the run folder
        run.dir.mkdir(parents=True, exist_ok=True)
        Sampler = partial(PitchedSegmentSampler, f0_cache=run.dir / "f0_cache.pt", phase_lock=config.phase_lock)
    waves = waves if waves is not None else load_split("train", root=corpus)
    max_silence = cfg.max_silence if config.max_silence is None else config.max_silence
    sampler = Sampler(rank_share(waves, env, config.seed), cfg.segment_length, max_silence=max_silence,
                      gaussian_lsb=config.gaussian_lsb)
    val = None
    if env.is_main:  # only rank 0 evaluates
        val_waves = rank_share(val_waves if val_waves is not None else load_split("val", root=corpus), D.DistEnv(), 0)
        val = (Sampler(val_waves, cfg.segment_length).batch(8, np.random.default_rng(1234)),
               val_waves[:config.n_eval_utts])
    # a fresh run, or one whose checkpoint has no stream: seeded by the step (one process: as before)
    rng = np.random.default_rng([config.seed, env.rank, state["step"]] if env.distributed else
                                config.seed + state["step"])
    saved = (payload or {}).get("rng")
    if isinstance(saved, list) and len(saved) == env.world_size:
        rng.bit_generator.state = saved[env.rank]  # exact resume: continue the interrupted run's stream
    task = WaveGlowTask(config, cfg, sampler, rng, env, history, commands, val)
    state, in_sync = fit(task, model, optimizer, run, state,
                         budget=Budget(config.max_steps, config.minutes, per_session=True),
                         eval_every=Every(config.eval_every, config.eval_minutes),
                         save_every=Every(config.checkpoint_every, config.save_minutes), env=env,
                         resumed=payload is not None, amp=amp, cpu_bf16=config.bf16, lr_at=lr_at,
                         progress=progress, desc="WaveGlow")
    return {**(state["last_eval"] or {}), "step": state["step"], "in_sync": in_sync}


def export(checkpoint, target) -> dict:
    """Export a training checkpoint as a float16 asset plus ``MANIFEST.json`` next to it."""
    payload = load_payload(checkpoint)
    model_for(payload, checkpoint)  # refuse a file that would not load
    elapsed = payload.get("elapsed_s", payload.get("train_seconds", 0.0))
    history = payload.get("history") or []
    small = {"model": training.cast_weights(payload["model"], torch.float16), "config": payload["config"],
             "step": payload.get("step", 0), "elapsed_s": elapsed,  # and its provenance, for --init-from
             "commands": payload.get("commands", []), "history": history}
    info = {**training.export(target, small), "step": small["step"], "train_minutes": round(elapsed / 60, 1),
            "config": payload["config"], "commands": small["commands"],
            "last_validation": history[-1] if history else {}, "history": history}
    manifest_path = Path(target).parent / "MANIFEST.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest["description"] = ("Course WaveGlow (Prenger et al. 2018, WaveGlowConfig.course()) trained "
                               "on the course corpus by course_lib.tts.waveglow.train; float16 weights.")
    manifest[info["file"]] = info
    training.write_manifest(manifest_path, manifest)
    return info


def _parser() -> argparse.ArgumentParser:
    d = WaveGlowTrainConfig(max_steps=1)
    p = argparse.ArgumentParser(prog="python -m course_lib.tts.waveglow.train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="run folder (checkpoint.pt, metrics.jsonl); resumed if present")
    p.add_argument("--preset", choices=sorted(PRESETS), default="course",
                   help="course: conditioning per flow from frame-rate mels (source_filter.py); course-upsampled: "
                        "NVIDIA's layout at the course's size; course-excitation: per flow plus a pYIN source "
                        "excitation; paper: NVIDIA's published WaveGlow")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   help="a new run: change one WaveGlowConfig field of the preset, e.g. --set wn_channels=88 "
                        "(repeatable; a resumed run keeps its saved config)")
    p.add_argument("--minutes", type=float, default=0.0, help="wall-clock budget of this run (0 = none)")
    p.add_argument("--max-steps", type=int, default=0, help="total step budget (0 = none)")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--threads", type=int, default=d.threads, help="torch CPU threads (1 leaves the laptop usable)")
    p.add_argument("--eval-minutes", type=float, default=d.eval_minutes)
    p.add_argument("--save-minutes", type=float, default=d.save_minutes)
    p.add_argument("--bf16", action="store_true", help="CPU: bfloat16 autocast for the convolutions (~2x faster)")
    p.add_argument("--corpus", default=None, help="course corpus folder (default: assets/corpus)")
    p.add_argument("--data", default=None, metavar="DIR",
                   help="an LJSpeech-layout folder (metadata.csv, wavs/) instead of the course corpus")
    p.add_argument("--val-size", type=int, default=100, help="with --data: clips held out for validation")
    p.add_argument("--max-utterances", type=int, default=None, help="train on the first N utterances only")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                   help="cuda: one GPU per process (GPU LOCAL_RANK under torchrun)")
    p.add_argument("--amp", choices=["auto", "bf16", "fp16", "off"], default="auto",
                   help="mixed precision on CUDA (auto: bfloat16 where supported)")
    p.add_argument("--batch-size", type=int, default=None, help="per process (default: the preset's)")
    p.add_argument("--lr", type=float, default=None,
                   help="Adam learning rate from now on (default: the preset's, or what a resumed run used)")
    p.add_argument("--warmup-steps", type=int, default=None,
                   help="linear learning-rate warm-up over these steps (default: the preset's; course 200)")
    p.add_argument("--decay-steps", type=int, default=None,
                   help="cosine decay to a tenth of --lr at this total step (0: none; default: the preset's, "
                        "course 8,000)")
    p.add_argument("--max-silence", type=float, default=None,
                   help="redraw training segments with more than this share of digital silence (1: keep all; "
                        "default: the preset's, course 0.1)")
    p.add_argument("--stft-weight", type=float, default=d.stft_weight,
                   help="hybrid objective: add this times the MR-STFT distance of a sample drawn through the "
                        "inverse flow (docs/VOCODER_LAB.md; 0: likelihood alone)")
    p.add_argument("--stft-sigma", type=float, default=d.stft_sigma, help="noise scale of that sample")
    p.add_argument("--gaussian-lsb", type=float, default=0.0,
                   help="dequantise with Gaussian noise of this std in LSB instead of uniform ±0.5 LSB")
    p.add_argument("--phase-lock", action="store_true",
                   help="excitation presets: start each training segment's clock at the recording's phase")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--init-from", default=None, metavar="PATH",
                   help="start a new run from these weights (e.g. assets/waveglow/waveglow_course.pt)")
    p.add_argument("--export", default=None, metavar="PATH",
                   help="do not train: export out/checkpoint.pt (float16) to PATH and update MANIFEST.json")
    return p


def _with_changes(config: WaveGlowConfig, changes: list[str]) -> WaveGlowConfig:
    """``config`` with ``FIELD=VALUE`` changes (values in JSON: 88, 0.1, "per_flow")."""
    fields = config.to_dict()
    for change in changes:
        name, sep, value = change.partition("=")
        if not sep or name not in fields:
            raise ValueError(f"--set needs FIELD=VALUE with a WaveGlowConfig field ({', '.join(fields)}), "
                             f"got {change!r}")
        try:
            fields[name] = json.loads(value)
        except json.JSONDecodeError:
            fields[name] = value  # a bare word, e.g. --set conditioning=per_flow
    return WaveGlowConfig.from_dict(fields)


def main(argv: list[str] | None = None) -> int:
    """The CLI; under ``torchrun --nproc_per_node N`` it trains data-parallel (rank 0 prints and saves)."""
    args = _parser().parse_args(argv)
    if args.export:
        try:
            info = export(RunFolder(args.out).checkpoint, args.export)
        except (ValueError, TypeError, OSError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        print(json.dumps({k: v for k, v in info.items() if k != "history"}, indent=2))
        return 0
    command = "python -m course_lib.tts.waveglow.train " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    env = None
    try:
        config = WaveGlowTrainConfig(
            preset=_with_changes(PRESETS[args.preset](), args.set), max_steps=args.max_steps, minutes=args.minutes,
            seed=args.seed, threads=args.threads,
            batch_size=args.batch_size, learning_rate=args.lr, warmup_steps=args.warmup_steps,
            decay_steps=args.decay_steps, max_silence=args.max_silence, bf16=args.bf16,
            stft_weight=args.stft_weight, stft_sigma=args.stft_sigma, phase_lock=args.phase_lock,
            gaussian_lsb=args.gaussian_lsb,
            eval_minutes=args.eval_minutes, save_minutes=args.save_minutes)
        env = D.init_from_env(args.device)
        if env.distributed:
            command = f"torchrun --nproc_per_node {env.world_size} " + command
        waves = val_waves = None
        if args.data is not None:
            waves, val_waves = ljspeech_paths(args.data, args.val_size, args.max_utterances)
        elif args.max_utterances is not None:
            waves = load_split("train", args.max_utterances, root=args.corpus)
        row = train(config, args.out, waves=waves, val_waves=val_waves, corpus=args.corpus, init_from=args.init_from,
                    command=command, progress=not args.no_progress, env=env, amp=args.amp)
    except (ValueError, TypeError, OSError, TrainingDiverged, RuntimeError) as err:
        where = f" (rank {env.rank})" if env is not None and env.distributed else ""
        print(f"error{where}: {str(err).splitlines()[0] if str(err) else type(err).__name__}", file=sys.stderr)
        return 1
    finally:
        if env is not None:
            D.cleanup(env)
    if env.is_main:
        print(json.dumps({k: v for k, v in row.items() if not isinstance(v, list)}))
    return 0 if row["in_sync"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
