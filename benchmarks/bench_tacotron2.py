"""Time Tacotron 2 on the CPU: one training step (forward + backward + Adam) and inference, both presets.

    .venv/bin/python benchmarks/bench_tacotron2.py [--threads 2] [--repeats 3] [--json out.json]

Workloads: the paper preset at batch 4, 40 characters, 200 mel frames (the setting in which
NVIDIA/tacotron2's reference took ≈ 6–7.6 s per step on 2 threads of this machine, COURSE.md), and
the course preset at its training batch (16 utterances, ~45 characters, ~220 frames, r = 3).
Each runs in two variants, timed alternately: with the one-GEMM recurrent weight gradients
(``Decoder.fused_weight_grads``, the default) and with plain per-step autograd — the computation pattern of
the reference.
Inference: one 45-character sentence, random weights, ``gate_threshold=1`` so that the decoder
runs exactly 200 steps (the stop token of an untrained model never fires); reported as decoder
steps/s and real-time factor (the audio those frames stand for at 22,050 Hz, hop 256).
The machine's load average is printed: other processes on the CPU slow every number down, and
with 2 threads on 2 busy cores OpenMP's spin-waiting makes it far worse (run with
``OMP_WAIT_POLICY=PASSIVE`` on a shared machine, or compare 1-thread numbers).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from course_lib.tts.tacotron2 import Tacotron2, Tacotron2Config, count_parameters  # noqa: E402

NVIDIA_REFERENCE_S = (6.0, 7.6)  # COURSE.md: measured here, paper config, batch 4, ~40 chars, 200 frames, 2 threads


def workload(preset: str):
    g = torch.Generator().manual_seed(0)
    if preset == "paper":
        config, batch, chars, frames = Tacotron2Config.paper(), 4, 40, 200
    else:
        config, batch, chars, frames = Tacotron2Config.course(), 16, 45, 222
    text = torch.randint(1, 148, (batch, chars), generator=g)
    text_lengths = torch.full((batch,), chars)
    text_lengths[1:] -= torch.arange(1, batch)  # a little padding, as in real batches
    mels = torch.randn(batch, 80, frames, generator=g) - 5
    mel_lengths = torch.full((batch,), frames) - torch.arange(batch) * config.n_frames_per_step
    return config, (text, text_lengths, mels, mel_lengths)


def time_steps(preset: str, repeats: int) -> list[dict]:
    """Time the fused and the plain variant alternately, so both see the same machine load."""
    config, (text, text_lengths, mels, mel_lengths) = workload(preset)
    runs = {}
    for fused in (True, False):
        torch.manual_seed(0)
        model = Tacotron2(config).train()
        model.decoder.fused_weight_grads = fused
        runs[fused] = (model, torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-6), [])
    for i in range(repeats + 1):  # the first round warms up allocators and kernels
        for fused, (model, optimizer, times) in runs.items():
            start = time.perf_counter()
            out = model(text, text_lengths, mels, mel_lengths)
            loss = ((out.mel - mels) ** 2).mean() + ((out.mel_postnet - mels) ** 2).mean() + out.gate.sigmoid().mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            if i:
                times.append(time.perf_counter() - start)
    return [{"preset": preset, "weight_grads": "one GEMM (tape)" if fused else "per step (plain autograd)",
             "parameters": count_parameters(model), "batch": text.shape[0], "frames": mels.shape[2],
             "decoder_steps": mels.shape[2] // config.n_frames_per_step,
             "median_s": statistics.median(times), "min_s": min(times)}
            for fused, (model, _, times) in runs.items()]


def time_inference(preset: str, repeats: int, steps: int = 200) -> dict:
    import warnings

    config = getattr(Tacotron2Config, preset)()
    torch.manual_seed(0)
    model = Tacotron2(config).eval()
    text = torch.randint(1, 148, (1, 45), generator=torch.Generator().manual_seed(0))
    times = []
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "reached max_decoder_steps": wanted here
        for i in range(repeats + 1):
            start = time.perf_counter()
            out = model.inference(text, max_decoder_steps=steps, gate_threshold=1.0)
            if i:
                times.append(time.perf_counter() - start)
    frames = out.mel.shape[2]
    best = min(times)
    return {"preset": preset, "decoder_steps": steps, "frames": frames, "steps_per_s": steps / best,
            "rtf": best / (frames * 256 / 22050)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--presets", nargs="+", default=["paper", "course"], choices=["paper", "course"])
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    load_before = os.getloadavg()[0]
    rows = [row for p in args.presets for row in time_steps(p, args.repeats)]
    load_after = os.getloadavg()[0]
    print(f"\nTacotron 2 training step (forward + backward + Adam), {args.threads} thread(s), "
          f"median of {args.repeats}; load average {load_before:.1f} → {load_after:.1f}\n")
    print("| preset | parameters | batch × frames | weight gradients | median s/step | min s/step |")
    print("|---|---:|---|---|---:|---:|")
    for r in rows:
        print(f"| {r['preset']} | {r['parameters']:,} | {r['batch']} × {r['frames']} | {r['weight_grads']} | "
              f"{r['median_s']:.2f} | {r['min_s']:.2f} |")
    if "paper" in args.presets:
        lo, hi = NVIDIA_REFERENCE_S
        print(f"| paper, NVIDIA/tacotron2 reference (COURSE.md) | 28,193,153 | 4 × 200 | per step | {lo}–{hi} | |")
        ours = next(r for r in rows if r["preset"] == "paper" and r["weight_grads"].startswith("one"))
        verdict = "at least as fast as" if ours["median_s"] <= lo else "SLOWER than"
        print(f"\npaper preset: {ours['median_s']:.2f} s/step — {verdict} the reference's {lo}–{hi} s")
    infer = [time_inference(p, args.repeats) for p in args.presets]
    print(f"\n| preset | inference: decoder steps | mel frames | steps/s | RTF (best of {args.repeats}) |")
    print("|---|---:|---:|---:|---:|")
    for r in infer:
        print(f"| {r['preset']} | {r['decoder_steps']} | {r['frames']} | {r['steps_per_s']:.0f} | {r['rtf']:.3f} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"threads": args.threads, "load": [load_before, load_after],
                                               "rows": rows, "inference": infer}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
