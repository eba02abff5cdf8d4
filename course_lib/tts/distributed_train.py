"""Data-parallel training loops for Tacotron 2 and WaveGlow (``torchrun``; chapter 15, docs/SCALING.md).

The same recipe as :func:`course_lib.tts.train.train` and :func:`course_lib.tts.waveglow.train.train`
(losses, optimiser, schedule, clipping, checkpoint formats — so ``--export`` and resuming work with
either), plus what several processes need: the model wrapped in DistributedDataParallel, each rank
on its own share of the data, rank 0 alone evaluating and writing checkpoints, one shared decision
of when to stop, and mixed precision on CUDA. ``--data ljspeech --root DIR`` trains on LJSpeech 1.1.
Tacotron 2 runs :func:`course_lib.tts.train.train` and WaveGlow :func:`course_lib.tts.waveglow.train.train`
themselves, which have these hooks built in.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from course_lib.tts import distributed as D


# ---------------------------------------------------------------------------- shared pieces
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
    w = sub.add_parser("waveglow", parents=[common], help="train WaveGlow (course_lib.tts.waveglow.train)")
    w.add_argument("--steps", type=int, default=None)
    w.add_argument("--max-utterances", type=int, default=None, help="use only the first N training utterances")
    w.add_argument("--val-size", type=int, default=100, help="LJSpeech clips held out for validation")
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
            from course_lib.tts.train import TrainConfig, train

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
            done = train(config, args.out, data, progress=not args.no_progress, env=env, amp=args.amp)
            result = {"step": done.step, "world_size": env.world_size, "in_sync": done.in_sync,
                      **(done.last_eval or {})}
        else:  # the course WaveGlow trainer, which runs data-parallel under torchrun
            from course_lib.tts.waveglow.train import _load_split
            from course_lib.tts.waveglow.train import train as train_waveglow

            waves, val_waves = None, None
            if args.data == "ljspeech":
                from course_lib.data.ljspeech import read_ljspeech_metadata

                paths = [item.audio_path for item in read_ljspeech_metadata(_root(args))]
                if not 0 < args.val_size < len(paths):
                    raise ValueError(f"--val-size {args.val_size} must lie between 1 and the {len(paths) - 1} "
                                     f"clips {args.root} can spare")
                waves, val_waves = paths[:-args.val_size][: args.max_utterances], paths[-args.val_size:]
            elif args.max_utterances is not None:
                waves = _load_split("train", args.max_utterances)
            result = train_waveglow(args.out, args.preset, args.minutes, args.steps, args.seed,
                                    command=f"python -m course_lib.tts.distributed waveglow (world size {env.world_size})",
                                    progress=not args.no_progress, env=env, amp=args.amp, waves=waves,
                                    val_waves=val_waves, batch_size=args.batch_size)
        if env.is_main:
            print(json.dumps({k: v for k, v in result.items() if not isinstance(v, list)}))
        return 0 if result["in_sync"] else 1
    finally:
        D.cleanup(env)
