"""Text → speech speed on the CPU: real-time factor and peak memory of the synthesis command.

    .venv/bin/python benchmarks/bench_pipeline.py [--threads 1] [--sentences 8] [--json out.json]

Two measurements with the shipped course checkpoints (or --tacotron / --waveglow):

- **warm**: the command's code path in this process (``pipeline.speak`` + ``save_audio``, what
  ``python -m course_lib.tts.speak`` runs per line) after one warm-up sentence, per vocoder;
- **cold**: the command itself in a fresh process, ``--file`` with all sentences: Python start-up,
  imports and model loading included.

Real-time factor (RTF) = compute time / duration of the audio made (goal ≤ 0.1: ten seconds of
speech in one second). Wall time and this process's CPU time are both reported: on a shared
machine other processes slow the wall clock down, and the load average is printed with them.
Peak memory: psutil's resident set size of this process (warm) and ``ru_maxrss`` of the child (cold).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GOAL = 0.1


class PeakRSS:
    """Sample this process's resident memory every 10 ms while inside the ``with`` block."""

    def __enter__(self):
        self.proc, self.peak, self._stop = psutil.Process(), 0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.01)

    def __exit__(self, *exc):
        self._stop.set()
        self.thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)


def sentences(n: int) -> list[str]:
    from course_lib.data.corpus import load_corpus

    return [u.text for u in load_corpus("test")[:n]]


def warm(texts, vocoder, tacotron, waveglow, out_dir) -> dict:
    from course_lib.audio import save_audio
    from course_lib.tts import pipeline

    pipeline.speak("A warm-up sentence.", vocoder=vocoder, tacotron=tacotron, waveglow=waveglow, seed=0)
    samples, taco_s, voc_s = 0, 0.0, 0.0
    with PeakRSS() as mem:
        wall, cpu = time.perf_counter(), time.process_time()
        for i, text in enumerate(texts):
            speech = pipeline.speak(text, vocoder=vocoder, tacotron=tacotron, waveglow=waveglow, seed=i)
            save_audio(Path(out_dir) / f"{vocoder}_{i:03d}.wav", speech.audio, speech.sample_rate)
            samples += len(speech.audio)
            taco_s, voc_s = taco_s + speech.seconds["tacotron2"], voc_s + speech.seconds["vocoder"]
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    audio_s = samples / 22050
    return {"mode": "warm", "vocoder": vocoder, "audio_s": audio_s, "wall_s": wall, "cpu_s": cpu,
            "rtf_wall": wall / audio_s, "rtf_cpu": cpu / audio_s, "rtf_tacotron2": taco_s / audio_s,
            "rtf_vocoder": voc_s / audio_s, "peak_mb": mem.peak / 2**20}


def cold(texts, vocoder, threads, tacotron, waveglow, out_dir) -> dict:
    lines = Path(out_dir) / "lines.txt"
    lines.write_text("\n".join(texts) + "\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "course_lib.tts.speak", "--file", str(lines), "-o", str(Path(out_dir) / "cold") + "/",
           "--vocoder", vocoder, "--threads", str(threads), "-q"]
    cmd += ["--tacotron", tacotron] if tacotron else []
    cmd += ["--waveglow", waveglow] if waveglow else []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise SystemExit(f"the command failed:\n{proc.stderr}")
    import soundfile as sf

    audio_s = sum(sf.info(str(p)).duration for p in (Path(out_dir) / "cold").glob("*.wav"))
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"mode": "cold", "vocoder": vocoder, "audio_s": audio_s, "wall_s": wall, "cpu_s": cpu,
            "rtf_wall": wall / audio_s, "rtf_cpu": cpu / audio_s, "rtf_tacotron2": None, "rtf_vocoder": None,
            "peak_mb": after.ru_maxrss / 1024}  # ru_maxrss is in KiB on Linux


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--sentences", type=int, default=8, help="held-out test sentences to speak")
    parser.add_argument("--tacotron", default=None)
    parser.add_argument("--waveglow", default=None)
    parser.add_argument("--json", default=None, help="also write the rows here")
    args = parser.parse_args(argv)
    import torch

    from course_lib.tts.pipeline import VOCODERS  # the default first

    torch.set_num_threads(args.threads)
    texts = sentences(args.sentences)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for vocoder in VOCODERS:
            rows.append(warm(texts, vocoder, args.tacotron, args.waveglow, tmp))
        rows.append(cold(texts, VOCODERS[0], args.threads, args.tacotron, args.waveglow, tmp))
    load = os.getloadavg()[0]
    print(f"{len(texts)} held-out sentences, torch threads {args.threads}, {os.cpu_count()} CPUs, "
          f"load average {load:.1f} (other processes slow the wall clock)\n")
    print("| mode | vocoder | audio (s) | wall (s) | RTF wall | RTF CPU | RTF Tacotron 2 | RTF vocoder "
          "| peak memory (MB) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    fmt = lambda v: "–" if v is None else f"{v:.3f}"  # noqa: E731
    for r in rows:
        print(f"| {r['mode']} | {r['vocoder']} | {r['audio_s']:.1f} | {r['wall_s']:.2f} | {fmt(r['rtf_wall'])} | "
              f"{fmt(r['rtf_cpu'])} | {fmt(r['rtf_tacotron2'])} | {fmt(r['rtf_vocoder'])} | {r['peak_mb']:.0f} |")
    warm_default = next(r for r in rows if r["mode"] == "warm" and r["vocoder"] == VOCODERS[0])
    cold_default = next(r for r in rows if r["mode"] == "cold")
    startup = cold_default["wall_s"] - warm_default["wall_s"] * cold_default["audio_s"] / warm_default["audio_s"]
    rtf = max(warm_default["rtf_wall"], warm_default["rtf_cpu"])
    print(f"\nGoal RTF ≤ {GOAL} (synthesis with the default vocoder, {VOCODERS[0]}, wall and CPU): {rtf:.3f}, "
          f"{'met' if rtf <= GOAL else 'NOT met'}. "
          f"The command's start-up (imports, loading, ≈ {startup:.1f} s once per run) is in the cold row; "
          + (f"it is below the goal for inputs of ≥ {startup / (GOAL - rtf):.0f} s of speech." if rtf < GOAL else
             "with synthesis itself above the goal, no input length brings the command below it."))
    if args.json:
        Path(args.json).write_text(json.dumps({"threads": args.threads, "load": load, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
