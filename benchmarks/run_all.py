"""`make bench`: run every benchmark, print one report and write it to benchmarks/RESULTS.md.

Each benchmark is a script that prints a Markdown table; this runner collects the tables under
one heading per benchmark, with the machine and the date. Numbers come from this run only —
compare ratios within one run, since a shared machine is noisy.

    .venv/bin/python benchmarks/run_all.py [--only NAME ...] [--quick-notebooks]

``--only`` re-measures those sections and keeps the rest of RESULTS.md (each re-measured section
says when and where).

The notebooks run in quick and full mode (full mode takes most of the hour ``make bench`` needs;
``--quick-notebooks`` skips it).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# (name, script, arguments, what it measures)
BENCHMARKS = [
    ("notebooks", "notebooks.py", [], "time and peak memory of every notebook, quick and full mode"),
    ("tacotron2-speed", "bench_tacotron2.py", [], "Tacotron 2 training step, both presets"),
    ("tacotron2-alignment", "align_tacotron2.py", [],
     "time for the course Tacotron 2 to align from scratch on 1 and 2 threads, scored beside a constant-speed line"),
    ("waveglow-speed", "bench_waveglow.py", [],
     "WaveGlow inference and training speed: paper, the course sizes in NVIDIA's layout, course (per flow)"),
    ("waveglow-vs-nvidia", "bench_nvidia_waveglow.py", [],
     "the paper WaveGlow as load_vocoder gives it against NVIDIA's own glow.py (a clone in /tmp/nvidia-waveglow)"),
    ("vocoder-quality", "vocoder_quality.py", [], "WaveGlow vs Griffin-Lim: PESQ, STOI, log-spectral distance"),
    ("pipeline", "bench_pipeline.py", [], "text → speech real-time factor and peak memory"),
]


def machine() -> str:
    import torch

    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__} "
            f"({torch.get_num_threads()} threads), Python {platform.python_version()}")


def run(script: str, args: list[str]) -> tuple[str, float, int]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, str(HERE / script), *args], capture_output=True, text=True)
    kept, gap = [], False
    for line in proc.stdout.splitlines():
        if line.startswith(("|", "Goal")):
            kept += [""] if gap and kept else []  # a blank line ends a Markdown table
            kept.append(line)
            gap = False
        else:
            gap = True
    body = "\n".join(kept) if kept else f"```\n{proc.stdout.strip()[-3000:]}\n```"
    if proc.returncode:
        body += f"\n\n**failed** (exit {proc.returncode}):\n```\n{proc.stderr.strip()[-1500:]}\n```"
    return body, time.perf_counter() - start, proc.returncode


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", help="names of benchmarks to run")
    parser.add_argument("--quick-notebooks", action="store_true", help="time the notebooks in quick mode only")
    args = parser.parse_args(argv)
    unknown = set(args.only or ()) - {b[0] for b in BENCHMARKS}
    if unknown:
        parser.error(f"unknown benchmarks {sorted(unknown)}; choose from {[b[0] for b in BENCHMARKS]}")
    chosen = [b for b in BENCHMARKS if not args.only or b[0] in args.only]
    report = [f"# Benchmark results\n\nMeasured {datetime.date.today()} on {machine()} by `make bench`.\n"]
    failed = 0
    for name, script, extra, what in chosen:
        if not (HERE / script).exists():
            report.append(f"## {name}\n\n{what}: not available yet (`benchmarks/{script}` is missing).\n")
            continue
        extra = extra + (["--full"] if name == "notebooks" and not args.quick_notebooks else [])
        print(f"running {name} …", flush=True)
        body, seconds, code = run(script, extra)
        failed += bool(code)
        when = f", measured {datetime.date.today()} on {machine()}" if args.only else ""
        report.append(f"## {name}\n\n{what} (`python benchmarks/{script} {' '.join(extra)}`, {seconds:.0f} s{when})"
                      f"\n\n{body}\n")
    results = HERE / "RESULTS.md"
    text = "\n".join(report)
    if args.only and results.exists():  # re-measure some sections, keep the others
        text = merge(results.read_text(), report[1:])
    print(text)
    results.write_text(text)
    return 1 if failed else 0


def merge(old: str, sections: list[str]) -> str:
    """``old`` with each of its ``## name`` sections replaced by the new one of that name (new ones appended)."""
    head, *parts = re.split(r"(?m)^(?=## )", old)
    by_name = {part.split("\n", 1)[0]: part for part in parts}
    for section in sections:
        by_name[section.split("\n", 1)[0]] = section if section.endswith("\n") else section + "\n"
    return head + "".join(part if part.endswith("\n\n") else part + "\n" for part in by_name.values())


if __name__ == "__main__":
    sys.exit(main())
