"""The vocoders on held-out utterances' ground-truth mels: WaveGlow, harmonic-plus-noise, Griffin-Lim.

    .venv/bin/python benchmarks/vocoder_quality.py [--split test] [--limit N] [--json assets/waveglow/quality.json]

For every utterance of the split: the log-mel of the original audio (course_lib.audio.mel_spectrogram)
is turned back into audio by the shipped course WaveGlow (σ = 0, 0.3, 0.6, 1.0; σ = 0.6 also with
the denoiser at strengths 0.01 and 0.1), by the harmonic-plus-noise synthesizer (the pipeline's
default; F0 from the shipped predictor's reading of the mel, course_lib.tts.waveglow.harmonic_noise)
and by Griffin-Lim (32 and 100 iterations, fast Griffin-Lim momentum 0.99, seeded random initial
phase). Each output is scored against the original audio with wide-band PESQ (16 kHz), STOI and
log-spectral distance (course_lib.tts.metrics.vocoder); "ΔPESQ vs GL-32" is the mean per-utterance
difference from Griffin-Lim 32, ± its standard error (the baseline every vocoder must beat). The
table is printed and written as JSON for chapter 14; with ``--manifest`` the metrics are also
stored in assets/waveglow/MANIFEST.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from course_lib import settings  # noqa: E402
from course_lib.audio import AudioConfig, mel_spectrogram, mel_to_audio  # noqa: E402
from course_lib.data.corpus import load_corpus  # noqa: E402
from course_lib.training import write_manifest  # noqa: E402
from course_lib.tts.metrics.vocoder import vocoder_metrics  # noqa: E402
from course_lib.tts.waveglow.checkpoint import SHIPPED_NAME, load_waveglow  # noqa: E402
from course_lib.tts.waveglow.denoiser import Denoiser  # noqa: E402
from course_lib.tts.waveglow.f0_predictor import load_f0_predictor  # noqa: E402
from course_lib.tts.waveglow.harmonic_noise import harmonic_plus_noise  # noqa: E402

SIGMAS = (0.0, 0.3, 0.6, 1.0)
STRENGTHS = (0.01, 0.1)
GL_ITERS = (32, 100)
BASELINE = "Griffin-Lim 32 it."


def vocoders(waveglow, denoiser):
    """name → function(log_mel [80, frames], n_samples) → audio [samples]."""
    def wg(sigma, strength=None):
        def run(mel, n):
            out = waveglow.infer(mel[None], sigma=sigma, generator=torch.Generator().manual_seed(0))[0]
            if strength is not None:
                out = denoiser(out, strength=strength)
            return out.numpy()[:n]
        return run

    def gl(n_iter):
        return lambda mel, n: mel_to_audio(mel, AudioConfig(), n_iter=n_iter, length=n)

    table = {f"WaveGlow σ={s:g}": wg(s) for s in SIGMAS}
    table.update({f"WaveGlow σ=0.6 + denoiser {k:g}": wg(0.6, k) for k in STRENGTHS})
    predictor = load_f0_predictor()

    def hnm(mel, n):
        out = harmonic_plus_noise(mel, predictor.predict(mel[None])[0], generator=torch.Generator().manual_seed(0))
        return np.pad(out, (0, max(0, n - len(out))))[:n]

    table["Harmonic-plus-noise"] = hnm
    table.update({f"Griffin-Lim {n} it.": gl(n) for n in GL_ITERS})
    return table


def evaluate(split: str = "test", limit: int | None = None, checkpoint=None, corpus=None) -> dict:
    waveglow = load_waveglow(checkpoint)
    denoiser = Denoiser(waveglow)
    utterances = load_corpus(split, root=corpus)[:limit]
    runs = vocoders(waveglow, denoiser)
    scores = {name: [] for name in runs}
    seconds = {name: 0.0 for name in runs}
    for utt in utterances:
        wave = utt.load_audio()
        mel = mel_spectrogram(wave)                                   # [80, frames]
        for name, run in runs.items():
            start = time.perf_counter()
            out = run(mel, len(wave))
            seconds[name] += time.perf_counter() - start
            scores[name].append(vocoder_metrics(wave, out))
    audio_s = sum(u.num_samples for u in utterances) / 22050
    rows = {}
    for name, values in scores.items():
        rows[name] = {key: {"mean": float(np.mean([v[key] for v in values])),
                            "std": float(np.std([v[key] for v in values]))} for key in ("pesq", "stoi", "lsd")}
        rows[name]["rtf"] = seconds[name] / audio_s
        diff = np.array([v["pesq"] for v in values]) - np.array([v["pesq"] for v in scores[BASELINE]])
        se = float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else float("nan")
        rows[name]["dpesq_vs_gl32"] = {"mean": float(diff.mean()), "se": se}
    return {"split": split, "utterances": len(utterances), "audio_seconds": round(audio_s, 1), "results": rows}


def print_table(report: dict) -> None:
    print(f"{report['utterances']} {report['split']} utterances ({report['audio_seconds']} s), ground-truth mels")
    print(f"{'vocoder':32} {'PESQ-WB':>12} {'STOI':>12} {'LSD (dB)':>12} {'RTF':>6} {'ΔPESQ vs GL-32':>16}")
    for name, r in report["results"].items():
        d = r["dpesq_vs_gl32"]
        delta = "(baseline)" if name == BASELINE else f"{d['mean']:+.2f} ±{d['se']:.2f}"
        print(f"{name:32} {r['pesq']['mean']:6.2f} ±{r['pesq']['std']:4.2f} "
              f"{r['stoi']['mean']:6.3f} ±{r['stoi']['std']:4.2f}"
              f" {r['lsd']['mean']:6.1f} ±{r['lsd']['std']:4.1f} {r['rtf']:6.2f} {delta:>16}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", default="test", choices=["train", "val", "test"])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--checkpoint", default=None, help=f"default: assets/waveglow/{SHIPPED_NAME}")
    parser.add_argument("--corpus", default=None, help="default: assets/corpus")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", default=None,
                        help="write the table here (chapter 14 reads assets/waveglow/quality.json)")
    parser.add_argument("--manifest", action="store_true", help="store the metrics in assets/waveglow/MANIFEST.json")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    report = evaluate(args.split, args.limit, args.checkpoint, args.corpus)
    report["command"] = "python benchmarks/vocoder_quality.py " + " ".join(argv if argv is not None else sys.argv[1:])
    report["load_average"] = round(os.getloadavg()[0], 1)
    print_table(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    if args.manifest:
        path = settings.ASSETS / "waveglow" / "MANIFEST.json"
        manifest = json.loads(path.read_text()) if path.exists() else {}
        manifest.setdefault(SHIPPED_NAME, {})["quality"] = {
            "split": report["split"], "utterances": report["utterances"], "command": report["command"],
            **{name: {k: round(v["mean"], 3) for k, v in r.items() if k not in ("rtf", "dpesq_vs_gl32")}
               for name, r in report["results"].items()}}
        write_manifest(path, manifest)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
