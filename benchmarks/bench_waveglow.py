"""WaveGlow speed on the CPU: inference samples/s and real-time factor, and training steps/s.

    .venv/bin/python benchmarks/bench_waveglow.py [--threads 2] [--seconds 2] [--json out.json]

Inference vocodes ``--seconds`` of random mel (random weights: speed does not depend on them) with
the paper preset, the course sizes in NVIDIA's layout (``course-upsampled``) and the course preset
(per-flow conditioning), in these variants: ``weight norm kept`` (recomputed on every call);
``NVIDIA inference.py pattern`` (what NVIDIA's inference script runs: weight norm removed, W⁻¹
cached, float32, the upsampler and every cond_layer as separate convolutions); ``fused bf16``
(the WN coupling networks in bfloat16); and, where the folded matrices are small
(``course-upsampled``), ``+ folded`` (upsampler and cond layers composed,
course_lib/tts/waveglow/folding.py). COURSE.md measured NVIDIA's reference WaveGlow at
≈ 10–16 k samples/s on 2 threads of this machine. Real-time factor = compute time / audio
duration (< 1 is faster than real time).
Training rows time ``course-upsampled`` (the course preset before per-flow conditioning),
``course`` (each flow conditioned from frame-rate mels, course_lib/tts/waveglow/source_filter.py),
``course-excitation`` (per-flow plus a source excitation) and ``course-excitation + hybrid`` (plus
the MR-STFT term of a sample drawn through the inverse flow, the hybrid objective) on the same
batch, so before/after is one run: ``--threads 1 --skip-inference --skip-paper-training``.
Wall time and process CPU time are both reported: other processes on a shared CPU slow the
wall-clock numbers down, and the machine's load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from course_lib.tts.waveglow.excitation import excitation  # noqa: E402
from course_lib.tts.waveglow.folding import MAX_FOLDED_NUMBERS, folded_numbers  # noqa: E402
from course_lib.tts.waveglow.source_filter import build_waveglow  # noqa: E402
from course_lib.tts.waveglow.train import PRESETS, WaveGlowTask, WaveGlowTrainConfig  # noqa: E402

SAMPLE_RATE = 22050
NVIDIA_REFERENCE = (10_000, 16_000)  # samples/s, COURSE.md, 2 threads of this CPU


def time_infer(models: dict, mel: torch.Tensor, repeats: int) -> dict:
    """Best wall and CPU time per variant; the variants take turns so that a change in the load of a
    shared machine hits all of them alike."""
    for model in models.values():
        model.infer(mel[:, :, :4])  # warm-up
    wall = {name: float("inf") for name in models}
    cpu = dict(wall)
    for _ in range(repeats):
        for name, model in models.items():
            w, c = time.perf_counter(), time.process_time()
            model.infer(mel, sigma=0.6, generator=torch.Generator().manual_seed(0))
            wall[name] = min(wall[name], time.perf_counter() - w)
            cpu[name] = min(cpu[name], time.process_time() - c)
    n = mel.shape[2] * next(iter(models.values())).config.hop_length
    return {name: {"samples_per_s": n / wall[name], "rtf": wall[name] / (n / SAMPLE_RATE),
                   "samples_per_cpu_s": n / cpu[name]} for name in models}


def inference(preset: str, seconds: float, repeats: int) -> list[dict]:
    torch.manual_seed(0)
    cfg = PRESETS[preset]()
    frames = int(seconds * SAMPLE_RATE / cfg.hop_length)
    mel = torch.randn(1, cfg.n_mel_channels, frames, generator=torch.Generator().manual_seed(1)) - 5
    reference = build_waveglow(cfg).eval()
    models = {"weight norm kept, fp32": reference}
    variants = [("NVIDIA inference.py pattern", torch.float32, False)]
    foldable = cfg.conditioning == "upsampled" and folded_numbers(cfg) <= MAX_FOLDED_NUMBERS
    if foldable:
        variants.append(("fused fp32 + folded", torch.float32, True))
    variants += [("fused bf16", torch.bfloat16, False)] + (
        [("fused bf16 + folded", torch.bfloat16, True)] if foldable else [])
    for name, dtype, fold in variants:
        model = build_waveglow(cfg)
        model.load_state_dict(reference.state_dict())
        models[name] = model.prepare_for_inference(dtype, fold=fold)
    return [{"preset": preset, "variant": name, **row} for name, row in time_infer(models, mel, repeats).items()]


def training(preset: str, bf16: bool, steps: int, stft_weight: float = 0.0) -> dict:
    """Best time of ``steps`` training steps on random data (the excitation, when the preset takes one, included),
    with the trainer's own forward pass and loss (:class:`WaveGlowTask`; ``stft_weight``: the hybrid objective)."""
    torch.manual_seed(0)
    cfg = PRESETS[preset]()
    task = WaveGlowTask(WaveGlowTrainConfig(preset=cfg, max_steps=1, stft_weight=stft_weight), cfg, None, None,
                        None, [], [])
    batch = 1 if preset == "paper" else cfg.batch_size
    frames = -(-cfg.segment_length // cfg.hop_length)
    model = build_waveglow(cfg).train()
    opt = torch.optim.Adam(model.parameters(), lr=cfg.learning_rate)
    mel = torch.randn(batch, cfg.n_mel_channels, frames) - 5
    audio = 0.1 * torch.randn(batch, cfg.segment_length)
    extra = (excitation(torch.full((batch, frames), 100.0), cfg.segment_length),) if cfg.excitation else ()
    noise = (0.6 * torch.randn(batch, cfg.n_group, cfg.segment_length // cfg.n_group),) if stft_weight else ()
    times = []
    for i in range(steps + 1):
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            output = task.forward(model, (mel, audio, *extra, *noise))
        loss = task.loss(output, (mel, audio, *extra, *noise), {})["total"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if i:
            times.append(time.perf_counter() - start)
    best = min(times)
    return {"preset": preset + (" + hybrid" if stft_weight else ""), "batch": f"{batch} x {cfg.segment_length}",
            "bf16": bf16,
            "steps_per_s": 1 / best, "s_per_step": best, "samples_per_s": batch * cfg.segment_length / best,
            "parameters": sum(p.numel() for p in model.parameters())}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=2.0, help="audio length vocoded per timing")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--train-steps", type=int, default=3)
    parser.add_argument("--skip-paper-training", action="store_true")
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--skip-inference", action="store_true")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} threads, load average {os.getloadavg()[0]:.1f}")
    infer_rows = [] if args.skip_inference else \
        [row for preset in ("paper", "course-upsampled", "course")
         for row in inference(preset, args.seconds, args.repeats)]
    print(f"\nInference ({args.seconds:g} s of audio at {SAMPLE_RATE} Hz; NVIDIA reference "
          f"{NVIDIA_REFERENCE[0] // 1000}–{NVIDIA_REFERENCE[1] // 1000} k samples/s)")
    print(f"{'preset':16} {'variant':28} {'samples/s':>10} {'RTF':>6} {'samples/CPU-s':>14}")
    for r in infer_rows:
        print(f"{r['preset']:16} {r['variant']:28} {r['samples_per_s']:10,.0f} {r['rtf']:6.2f} "
              f"{r['samples_per_cpu_s']:14,.0f}")
    train_rows = [] if args.skip_training else \
        [training("course-upsampled", False, args.train_steps), training("course-upsampled", True, args.train_steps),
         training("course", False, args.train_steps), training("course-excitation", False, args.train_steps),
         training("course-excitation", False, args.train_steps, stft_weight=1.0)]
    if not (args.skip_paper_training or args.skip_training):
        train_rows.append(training("paper", False, 1))
    print("\nTraining (forward + backward + Adam)" if train_rows else "")
    for r in train_rows:
        print(f"{r['preset']:26} {r['parameters']:>10,} params  batch {r['batch']:>10} bf16={r['bf16']!s:5} "
              f"{r['steps_per_s']:6.2f} steps/s ({r['s_per_step']:.2f} s/step) {r['samples_per_s']:9,.0f} samples/s")
    rows = {(r["preset"], r["bf16"]): r for r in train_rows}
    if ("course", False) in rows and ("course-upsampled", False) in rows:
        speedup = rows['course', False]['steps_per_s'] / rows['course-upsampled', False]['steps_per_s']
        print(f"per-flow conditioning (the course preset): {speedup:.2f}x the steps/s of NVIDIA's layout at the same "
              "size (fp32), same batch and segment")
    for preset in ("paper", "course-upsampled", "course") if infer_rows else ():
        rows = {r["variant"]: r for r in infer_rows if r["preset"] == preset}
        best = max(rows.values(), key=lambda r: r["samples_per_s"])
        base = rows["NVIDIA inference.py pattern"]
        print(f"\n{preset} preset, best variant ({best['variant']}): {best['samples_per_s']:,.0f} samples/s = "
              f"{best['samples_per_s'] / base['samples_per_s']:.2f}x the NVIDIA pattern in this run (wall), "
              f"{best['samples_per_cpu_s'] / base['samples_per_cpu_s']:.2f}x (CPU time)")
    paper_best = max((r["samples_per_s"] for r in infer_rows if r["preset"] == "paper"), default=0)
    if paper_best:
        print(f"paper preset against COURSE.md's measurement of NVIDIA's code here: "
              f"{paper_best / NVIDIA_REFERENCE[1]:.1f}–{paper_best / NVIDIA_REFERENCE[0]:.1f}x")
    if args.json:
        Path(args.json).write_text(json.dumps({"threads": args.threads, "load_average": os.getloadavg()[0],
                                               "inference": infer_rows, "training": train_rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
