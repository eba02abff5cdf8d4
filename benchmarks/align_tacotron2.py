"""Does the course Tacotron 2 learn to align on a CPU in 10 minutes? Train from scratch and measure.

    .venv/bin/python benchmarks/align_tacotron2.py [--minutes 10] [--threads 2] [--out runs/align] [--json out.json]

Trains ``TrainConfig(preset="course")`` on the course corpus with ``course_lib.tts.train.train`` (the
same code as ``python -m course_lib.tts.train``), then reports: the time and step at which the
teacher-forced attention first had ≥ 90 % of decoder steps within ±3 characters of the corpus'
ground-truth path, the final scores (share within ±3, mean error in phonemes, focus), steps per
second, and free-running synthesis of validation sentences (does it stop on time, does it align).
Other processes slow training down: the load average is printed next to the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/align_tacotron2")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)

    from course_lib.tts.train import TrainConfig, evaluate_free_running, load_course_data, load_model, train

    out = Path(args.out)
    if out.exists():
        shutil.rmtree(out)  # always from scratch
    load_before = os.getloadavg()
    data = load_course_data()
    config = TrainConfig(preset="course", minutes=args.minutes, threads=args.threads, seed=args.seed)
    start = time.perf_counter()
    result = train(config, out, data, progress=True)
    wall = time.perf_counter() - start
    load_after = os.getloadavg()
    model, _, _ = load_model(result.checkpoint)
    free = evaluate_free_running(model, data, n=len(data.val))
    ev = result.last_eval or {}
    aligned = result.aligned_at
    rows = [
        ("training time (s)", f"{result.elapsed_s:.0f}"),
        ("steps", f"{result.step}"),
        ("steps / s", f"{result.step / result.elapsed_s:.2f}"),
        ("aligned (≥ 90 % within ±3 chars) at", f"step {aligned['step']}, {aligned['elapsed_s']:.0f} s" if aligned
         else "not within the budget"),
        ("final: share of steps within ±3 characters", f"{ev.get('within', float('nan')):.3f}"),
        ("final: mean alignment error (phonemes)", f"{ev.get('phoneme_error', float('nan')):.2f}"),
        ("final: focus (mean max weight)", f"{ev.get('focus', float('nan')):.2f}"),
        ("free running: stopped by the stop token", f"{free['stopped']:.0%} of {len(data.val)} val sentences"),
        ("free running: length predicted / true", f"{free['length_ratio']:.2f}"),
        ("free running: within ±3 (time-stretched truth)", f"{free.get('free_within', float('nan')):.3f}"),
        ("free running: backward jumps", f"{free.get('free_backward_jumps', 'n/a')}"),
        ("load average (1 min) before → after", f"{load_before[0]:.1f} → {load_after[0]:.1f}"),
    ]
    print(f"\nCourse Tacotron 2 from scratch, {args.threads} thread(s), budget {args.minutes} min (wall {wall:.0f} s)\n")
    print("| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "result": {
            "step": result.step, "elapsed_s": result.elapsed_s, "aligned_at": aligned, "last_eval": ev,
            "free_running": free, "load_before": load_before, "load_after": load_after}}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
