"""How fast does the course Tacotron 2 learn to align on a CPU? Train from scratch and measure.

    .venv/bin/python benchmarks/align_tacotron2.py [--minutes 10] [--threads 1 2] [--out runs/align] [--json out.json]

For each thread count, trains ``TrainConfig(preset="course")`` from scratch on the course corpus with
``course_lib.tts.tacotron2.train.train`` (the same code as ``python -m course_lib.tts.tacotron2.train``), then
reports the time and step of the first evaluation that counts as **aligned**
(:func:`course_lib.tts.metrics.alignment.is_aligned`: timing correlation ≥ 0.6 and lead-corrected
error ≤ 0.7 × a constant-speed line's, on 16 validation sentences), the final scores, steps per
second, and free-running synthesis of the validation sentences scored the same way against the
time-stretched truth. The constant-speed line's scores on the same sentences stand in the last
column: a score means something only next to it.
Other processes slow training down: the load average is printed next to the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GOAL_S = 300  # the course preset should align from scratch in 5 minutes on 2 threads


def run_one(threads: int, args, data) -> dict:
    from course_lib.tts.tacotron2.train import TrainConfig, evaluate_free_running, load_model, train

    out = Path(args.out) / f"threads{threads}"
    if out.exists():
        shutil.rmtree(out)  # always from scratch
    load_before = os.getloadavg()[0]
    config = TrainConfig(preset="course", minutes=args.minutes, threads=threads, seed=args.seed)
    result = train(config, out, data, progress=False)
    load_after = os.getloadavg()[0]
    model, _, _ = load_model(result.checkpoint)
    free = evaluate_free_running(model, data, n=args.free_sentences)
    return {"threads": threads, "step": result.step, "elapsed_s": result.elapsed_s, "aligned_at": result.aligned_at,
            "last_eval": result.last_eval or {}, "free_running": free, "load": (load_before, load_after)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="training budget per thread count")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--free-sentences", type=int, default=28, help="validation sentences synthesised")
    parser.add_argument("--out", default="runs/align_tacotron2")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)

    from course_lib.tts.tacotron2.train import load_course_data

    data = load_course_data()
    runs = [run_one(t, args, data) for t in args.threads]
    nan = float("nan")

    def row(name, fmt, get, baseline=""):
        return (name, [fmt(get(r)) for r in runs], baseline)

    def ev(key):
        return lambda r: r["last_eval"].get(key, nan)

    def fr(key):
        return lambda r: r["free_running"].get(key, nan)

    first = runs[0]
    rows = [
        row("training time (s)", "{:.0f}".format, lambda r: r["elapsed_s"]),
        row("steps", "{}".format, lambda r: r["step"]),
        row("steps / s", "{:.2f}".format, lambda r: r["step"] / r["elapsed_s"]),
        row("**aligned** (correlation ≥ 0.6, error ≤ 0.7 × line) at",
            lambda a: f"step {a['step']}, {a['elapsed_s']:.0f} s" if a else "not within the budget",
            lambda r: r["aligned_at"], "never (by definition)"),
        row("final: timing correlation", "{:.2f}".format, ev("timing_correlation"), "0"),
        row("final: lead-corrected error / the line's", "{:.2f}".format, ev("error_ratio"), "1"),
        row("final: lead-corrected error (characters)", "{:.2f}".format, ev("lead_error"),
            f"{first['last_eval'].get('baseline_lead_error', nan):.2f}"),
        row("final: within ±1 character after the lead", "{:.3f}".format, ev("within1"),
            f"{first['last_eval'].get('baseline_within1', nan):.3f}"),
        row("final: lead (characters ahead)", "{:.1f}".format, ev("lead")),
        row("final: share of steps within ±3 characters", "{:.3f}".format, ev("within"),
            f"{first['last_eval'].get('baseline_within', nan):.3f}"),
        row("final: mean alignment error (phonemes)", "{:.2f}".format, ev("phoneme_error"),
            f"{first['last_eval'].get('baseline_phoneme_error', nan):.2f}"),
        row("free running: stopped by the stop token", "{:.0%}".format, fr("stopped")),
        row("free running: length predicted / true", "{:.2f}".format, fr("length_ratio")),
        row("free running: timing correlation (stretched truth)", "{:.2f}".format, fr("free_timing_correlation"), "0"),
        row("free running: error / the line's", "{:.2f}".format, fr("free_error_ratio"), "1"),
        row("free running: within ±3", "{:.3f}".format, fr("free_within"),
            f"{first['free_running'].get('free_baseline_within', nan):.3f}"),
        row("free running: aligned", "{}".format, fr("free_aligned"), "no"),
        row("load average (1 min) before → after", lambda x: f"{x[0]:.1f} → {x[1]:.1f}", lambda r: r["load"]),
    ]
    print(f"\nCourse Tacotron 2 from scratch, budget {args.minutes} min per run; final scores on 16 validation "
          f"sentences (teacher forced), free running on {args.free_sentences}\n")
    print("| measure | " + " | ".join(f"{r['threads']} thread{'s' * (r['threads'] > 1)}" for r in runs)
          + " | constant-speed line |")
    print("|---|" + "---|" * (len(runs) + 1))
    for name, values, baseline in rows:
        print(f"| {name} | " + " | ".join(values) + f" | {baseline} |")
    two = next((r for r in runs if r["threads"] == 2), None)
    if two is not None:
        a = two["aligned_at"]
        verdict = "met" if a and a["elapsed_s"] <= GOAL_S else "not met"
        print(f"\nGoal: aligned from scratch in ≤ {GOAL_S} s on 2 threads — {verdict}"
              f" ({'%.0f s' % a['elapsed_s'] if a else 'not aligned'} in this run)."
              " Pilots of other recipes: docs/ALIGNMENT_LAB.md.")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "runs": runs}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
