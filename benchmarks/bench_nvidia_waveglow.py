"""The paper WaveGlow as a user loads it, against NVIDIA's own ``glow.py``, back to back in one process.

    git clone https://github.com/NVIDIA/waveglow /tmp/nvidia-waveglow      # not part of this repository
    .venv/bin/python benchmarks/bench_nvidia_waveglow.py [--nvidia /tmp/nvidia-waveglow] [--threads 1] [--json out.json]

NVIDIA's published checkpoint is a pickled ``glow.WaveGlow`` (weight norm still on). No download is
possible here, so this script builds NVIDIA's module from their code with the published configuration
and random weights (the speed of a convolution does not depend on its values) and pickles it the way
their ``train.py`` saves. Then, on the same 100-frame mel, it alternates

- **NVIDIA**: the module that file holds (what their ``inference.py`` gets from ``torch.load``; this script
  has it already and need not unpickle), ``remove_weightnorm``, ``eval()``, ``infer(mel, sigma)`` under
  ``torch.no_grad()`` (their ``infer`` draws its noise with ``torch.cuda.FloatTensor``, which this script
  points at the CPU);
- **course**: ``course_lib.tts.pipeline.load_vocoder(path)`` (the file read without running its pickle,
  converted, prepared for inference with the default precision: bfloat16 coupling networks on CPUs with
  AVX-512 BF16/AMX, float32 elsewhere; the float32 path is timed too) and ``infer(mel, sigma)``,

and prints the median time of each and their ratio. Both outputs are compared first: the same
weights must give the same audio for the same noise (the check fixes NVIDIA's noise to ours).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from course_lib.tts import pipeline  # noqa: E402

PAPER = dict(n_mel_channels=80, n_flows=12, n_group=8, n_early_every=4, n_early_size=2,
             WN_config=dict(n_layers=8, n_channels=256, kernel_size=3))  # NVIDIA's config.json


def nvidia_module(repo: Path):
    """Import NVIDIA's glow.py from ``repo``; their infer's torch.cuda.FloatTensor draws on the CPU here."""
    if not (repo / "glow.py").is_file():
        raise SystemExit(f"error: no glow.py in {repo}; clone https://github.com/NVIDIA/waveglow there")
    sys.path.insert(0, str(repo))
    import glow

    torch.cuda.FloatTensor = lambda *size: torch.empty(*size)  # noqa: E731  (CPU stand-in, this process only)
    return glow


def pickled_checkpoint(glow, folder: Path, seed: int = 0):
    """NVIDIA's WaveGlow with random weights (the coupling's zero-initialised ``end`` made non-zero),
    saved as their train.py does: ``{"model": module, "iteration": …, "optimizer": …, "learning_rate": …}``
    → (the file, the module itself)."""
    torch.manual_seed(seed)
    model = glow.WaveGlow(**PAPER)
    with torch.no_grad():
        for wn in model.WN:
            wn.end.weight.normal_(0, 1e-3)
    path = folder / "waveglow_random_paper.pt"
    torch.save({"model": model, "iteration": 0, "optimizer": None, "learning_rate": 1e-4}, path)
    return path, model


class _Drawn:
    """Stands in for ``torch.cuda.FloatTensor(size)`` whose ``normal_()`` returns noise fixed in advance."""

    def __init__(self, z: torch.Tensor):
        self.z = z

    def normal_(self) -> torch.Tensor:
        return self.z.clone()


def timed(fn, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--nvidia", type=Path, default=Path("/tmp/nvidia-waveglow"),
                   help="a clone of NVIDIA/waveglow (glow.py); default /tmp/nvidia-waveglow")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--frames", type=int, default=100)
    p.add_argument("--repeats", type=int, default=5, help="timed calls of each, alternating")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    if not (args.nvidia / "glow.py").is_file():
        print(f"Not measured: no NVIDIA/waveglow clone at {args.nvidia} (git clone https://github.com/NVIDIA/waveglow "
              f"{args.nvidia}, then run this script again).")
        return 0
    torch.set_num_threads(args.threads)
    glow = nvidia_module(args.nvidia)
    with tempfile.TemporaryDirectory() as tmp:
        path, theirs = pickled_checkpoint(glow, Path(tmp))  # the module their inference.py would unpickle
        theirs = theirs.remove_weightnorm(theirs).eval()      # (the same object: no need to run a pickle)
        user = pipeline.load_vocoder(path)  # precision "auto": what `synthesize --waveglow PATH` gets here
        fp32 = pipeline.load_vocoder(path, precision="fp32")
        mel = torch.randn(1, 80, args.frames, generator=torch.Generator().manual_seed(1)) - 5

        with torch.no_grad():  # same weights, same noise → same audio (fp32: bf16 rounds the WN)
            z = torch.randn(1, 8, args.frames * 256 // 8, generator=torch.Generator().manual_seed(2))
            a = fp32.inverse(mel, z)
            draws = iter([z[:, 4:]] + [z[:, 2 * i:2 * i + 2] for i in (1, 0)])  # late channels first, as infer
            torch.cuda.FloatTensor = lambda *size: _Drawn(next(draws))  # noqa: E731
            b = theirs.infer(mel, sigma=1.0)
            torch.cuda.FloatTensor = lambda *size: torch.empty(*size)  # noqa: E731
            agree = float((a - b).abs().max() / b.abs().max())

            wn = str(user.WN[0].dtype).replace("torch.", "")
            calls = {"NVIDIA glow.py (weight norm removed)": lambda: theirs.infer(mel, sigma=0.6),
                     f"course load_vocoder, default precision ({wn} WN)": lambda: user.infer(mel, sigma=0.6)}
            if wn != "float32":
                calls["course load_vocoder, precision='fp32'"] = lambda: fp32.infer(mel, sigma=0.6)
            times = {name: [] for name in calls}
            for fn in calls.values():
                fn()  # warm-up
            for _ in range(args.repeats):
                for name, fn in calls.items():
                    times[name] += timed(fn, 1)
    n_samples = args.frames * 256
    medians = {name: statistics.median(t) for name, t in times.items()}
    base = medians["NVIDIA glow.py (weight norm removed)"]
    print(f"Paper WaveGlow on one {args.frames}-frame mel ({n_samples} samples), {args.threads} thread(s), median of "
          f"{args.repeats} alternating calls; torch {torch.__version__}, {platform.machine()}. fp32 outputs for the "
          f"same noise agree to {agree:.1e} of full scale.\n")
    print(f"| implementation ({args.frames}-frame mel, {args.threads} thread(s), median of {args.repeats}) "
          "| s per call | samples/s | speed-up vs NVIDIA |")
    print("|---|---:|---:|---:|")
    for name, t in medians.items():
        print(f"| {name} | {t:.3f} | {n_samples / t:,.0f} | {base / t:.2f}x |")
    best = base / medians[f"course load_vocoder, default precision ({wn} WN)"]
    print(f"\nGoal (issue 19.5): the default path ≥ 1.5x NVIDIA's glow.py: {best:.2f}x — "
          f"{'met' if best >= 1.5 else 'not met'} on this machine (same weights and noise agree to {agree:.0e}).")
    if args.json:
        args.json.write_text(json.dumps({"frames": args.frames, "threads": args.threads, "times_s": times,
                                         "agreement": agree}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
