"""``python -m course_lib.tts.tacotron2.train --preset course --out runs/x --minutes 10``

Trains a Tacotron 2 on the course corpus (or an LJSpeech folder: ``--data DIR``); running the same
command again resumes from ``<out>/checkpoint.pt``. ``--export DIR`` writes a small model +
MANIFEST.json when done. Under ``torchrun --nproc_per_node N -m course_lib.tts.tacotron2.train ...``
the N processes train data-parallel (global batch N × --batch-size; rank 0 logs, saves and exports;
see docs/SCALING.md).
"""

from __future__ import annotations

import argparse
import shlex
import sys

from .config import TrainConfig


def parse_args(argv=None) -> argparse.Namespace:
    d = TrainConfig()
    p = argparse.ArgumentParser(prog="python -m course_lib.tts.tacotron2.train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", choices=["course", "paper"], default="course")
    p.add_argument("--out", required=True, help="run folder (checkpoint.pt, metrics.jsonl); resumed if present")
    p.add_argument("--minutes", type=float, default=d.minutes, help="total training time budget (0 = none)")
    p.add_argument("--max-steps", type=int, default=d.max_steps, help="total step budget (0 = none)")
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--lr", type=float, default=d.learning_rate)
    p.add_argument("--frames-per-step", type=int, default=None, help="reduction factor r (default: the preset's)")
    p.add_argument("--attention", choices=["forward", "location"], default=None,
                   help="forward (Zhang et al. 2018) or the paper's location-sensitive (default: the preset's)")
    p.add_argument("--decay-start", type=int, default=d.decay_start, help="step where exponential lr decay begins")
    p.add_argument("--decay-rate", type=float, default=d.decay_rate, help="lr factor per --decay-steps after that")
    p.add_argument("--decay-steps", type=int, default=d.decay_steps)
    p.add_argument("--guided-attention", type=float, default=d.guided_attention, help="initial weight, 0 = off")
    p.add_argument("--guide-fade-steps", type=int, default=d.guide_fade_steps)
    p.add_argument("--no-normalize", action="store_true", help="train on raw log-mels (no per-channel stats)")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--threads", type=int, default=d.threads, help="torch CPU threads")
    p.add_argument("--data", default=None, metavar="DIR",
                   help="an LJSpeech-layout folder (metadata.csv, wavs/); default: the course corpus")
    p.add_argument("--val-size", type=int, default=100, help="with --data: clips held out for validation")
    p.add_argument("--eval-every", type=int, default=d.eval_every)
    p.add_argument("--checkpoint-every", type=int, default=d.checkpoint_every)
    p.add_argument("--export", default=None, help="after training, export the model + MANIFEST.json here")
    p.add_argument("--export-name", default="tacotron2_course.pt", help="file name of the exported model")
    p.add_argument("--export-without-weights", action="store_true",
                   help="export only the alignment snapshots and metrics (e.g. of a failed run, to show it)")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                   help="cuda: one GPU per process (GPU LOCAL_RANK under torchrun)")
    p.add_argument("--amp", choices=["auto", "bf16", "fp16", "off"], default="auto",
                   help="mixed precision on CUDA (auto: bfloat16 where supported); the CPU stays float32")
    p.add_argument("--no-progress", action="store_true")
    return p.parse_args(argv)


def model_overrides(args) -> dict:
    """The model fields set on the command line; a flag left out keeps the preset's value."""
    overrides = {} if args.frames_per_step is None else {"n_frames_per_step": args.frames_per_step}
    if args.attention is not None:
        overrides["forward_attention"] = args.attention == "forward"
    return overrides


def main(argv=None) -> int:
    args = parse_args(argv)
    overrides = model_overrides(args)
    from course_lib.training import TrainingDiverged
    from course_lib.training import distributed as D

    from .data import load_ljspeech_data
    from .trainer import train

    env = None
    try:
        config = TrainConfig(preset=args.preset, model_overrides=overrides, batch_size=args.batch_size,
                             learning_rate=args.lr, guided_attention=args.guided_attention,
                             guide_fade_steps=args.guide_fade_steps, decay_start=args.decay_start,
                             decay_rate=args.decay_rate, decay_steps=args.decay_steps,
                             normalize_mels=not args.no_normalize, seed=args.seed, threads=args.threads,
                             max_steps=args.max_steps, minutes=args.minutes,
                             eval_every=args.eval_every, checkpoint_every=args.checkpoint_every)
        env = D.init_from_env(args.device)
        # train() reads the run folder and checkpoint before the corpus: a wrong --out fails in a second
        data = None if args.data is None else load_ljspeech_data(args.data, config.normalize_mels, args.val_size,
                                                                 seed=args.seed)
        result = train(config, args.out, data, progress=not args.no_progress, env=env, amp=args.amp)
        if env.is_main:
            _report(result, config, args, argv, data)
    except (ValueError, OSError, TrainingDiverged) as err:
        print(f"error{_rank(env)}: {err}", file=sys.stderr)
        return 1
    except RuntimeError as err:  # from init_from_env: no CUDA, or more processes than GPUs
        if env is not None:
            raise
        print(f"error: {err}", file=sys.stderr)
        return 1
    finally:
        if env is not None:
            D.cleanup(env)
    if not result.in_sync:
        print(f"error{_rank(env)}: the processes ended with different weights", file=sys.stderr)
        return 1
    return 0


def _rank(env) -> str:
    return f" (rank {env.rank})" if env is not None and env.distributed else ""


def _report(result, config: TrainConfig, args, argv, data) -> None:
    """Print the run's summary; with ``--export``, score free running and write the small model."""
    from .checkpoints import export_model, load_model
    from .data import load_course_data
    from .evaluation import evaluate_free_running

    ev = result.last_eval or {}
    print(f"step {result.step}, {result.elapsed_s / 60:.1f} min; checkpoint {result.checkpoint}")
    if "timing_correlation" in ev:
        print(f"alignment: timing correlation {ev['timing_correlation']:.2f} (constant-speed line: 0), "
              f"lead-corrected error {ev['error_ratio']:.2f}× the line's, {ev['within']:.1%} of decoder steps "
              f"within ±3 characters (line: {ev['baseline_within']:.1%}); aligned at {result.aligned_at}")
    if args.export:
        command = "python -m course_lib.tts.tacotron2.train " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
        data = data or load_course_data(normalize=config.normalize_mels)
        model, _, _ = load_model(result.checkpoint)
        free = evaluate_free_running(model, data, n=len(data.val))
        print(f"free running on {len(data.val)} val sentences: stopped {free['stopped']:.0%}, "
              f"length ratio {free['length_ratio']:.2f}, timing correlation "
              f"{free.get('free_timing_correlation', float('nan')):.2f}, error "
              f"{free.get('free_error_ratio', float('nan')):.2f}× the line's, aligned: {free.get('free_aligned')}")
        path = export_model(result.checkpoint, args.export, name=args.export_name, command=command,
                            weights=not args.export_without_weights, extra_metrics=free)
        print(f"exported {path}")


if __name__ == "__main__":
    sys.exit(main())
