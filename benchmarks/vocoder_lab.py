"""Score WaveGlow pilots against Griffin-Lim and the shipped WaveGlow on the test utterances, paired.

    .venv/bin/python benchmarks/vocoder_lab.py --candidate NAME=RUN/checkpoint.pt[@SIGMA[/SIGMA_UNVOICED]] ...
        [--candidate NAME=harmonic-noise[@N_ITER][,predicted-f0]] ...
        [--mels ground-truth|tacotron] [--split test] [--limit N] [--baselines] [--json out.json]

Every vocoder gets the ground-truth log-mel of each utterance; a model trained with a source
excitation gets the excitation from pYIN's F0 of the original at a random starting phase (seeded
per utterance), or with ``,predicted-f0`` the shipped F0 predictor's reading of the mel (the synthesis path).
``@0.6/1.0`` draws z with σ = 0.6 on voiced and 1.0 on unvoiced group steps (the
voicing-gated noise scale). Metrics per utterance: PESQ-WB, STOI, LSD
(course_lib.tts.metrics.vocoder), multi-resolution STFT distance, harmonic-energy share, harmonic
contrast, and F0 RMSE / V/UV F1 of pYIN on the output against pYIN on the original
(course_lib.tts.metrics.harmonics). ``--baselines`` adds the original itself, Griffin-Lim 32 and 100
iterations and the shipped WaveGlow (σ = 0.6); ``--merge`` adds earlier runs' scores (no re-scoring).
A candidate ``harmonic-noise`` is the pipeline's default vocoder (course_lib.tts.waveglow.harmonic_noise,
``@N`` mel-matching rounds, default 8) on pYIN's F0 of the original, or the F0 predictor's with ``,predicted-f0``.
The table gives means; "ΔPESQ vs GL-32" is the mean per-utterance difference with its standard error.

``--mels tacotron``: every vocoder gets instead the shipped Tacotron 2's mel of the utterance's text (prenet
dropout seeded per utterance; one mel shared by all vocoders), an excitation model its F0 from the shipped
F0 predictor. Nothing is sample-aligned with the recording, so the metrics are F0 RMSE / mean error (cents)
and V/UV F1 of pYIN on the output, and the harmonic share / contrast of the output, all against pYIN on the
recording mapped onto the output's frames by DTW of the predicted mel against the recording's mel
(``speech.aligned_voice_metrics``), and the MCD between the predicted mel and the mel re-analysed from the
output (same frames, no DTW). The "original" row is the recording on its own frames (the ceiling; no MCD);
"F0 predictor" scores the F0 an excitation model is given (no audio), with its mean signed error (bias) and
the MCD (DTW) of the predicted mel against the recording's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from course_lib.audio import AudioConfig, mel_spectrogram, mel_to_audio  # noqa: E402
from course_lib.data.corpus import load_corpus  # noqa: E402
from course_lib.tts.metrics.harmonics import f0_metrics, harmonic_metrics  # noqa: E402
from course_lib.tts.metrics.speech import aligned_voice_metrics, dtw_reference_f0, mel_cepstral_distortion  # noqa: E402
from course_lib.tts.metrics.vocoder import mr_stft_distance, vocoder_metrics  # noqa: E402
from course_lib.tts.waveglow.checkpoint import load_waveglow  # noqa: E402
from course_lib.tts.waveglow.excitation import excitation, pitch_track  # noqa: E402
from course_lib.tts.waveglow.f0_predictor import load_f0_predictor  # noqa: E402
from course_lib.tts.waveglow.harmonic_noise import harmonic_plus_noise  # noqa: E402

KEYS = ("pesq", "stoi", "lsd", "mr_stft", "harmonic_share", "harmonic_contrast_db", "f0_rmse_cents", "vuv_f1")
TACOTRON_KEYS = ("f0_rmse_cents", "f0_mean_cents", "vuv_f1", "harmonic_share", "harmonic_contrast_db",
                 "mcd_reanalysed_db")


def waveglow_vocoder(path, sigma: float = 0.6, sigma_unvoiced: float | None = None, predicted_f0: bool = False):
    """function(mel [80, frames], original wave, f0 [frames], seed) → audio, for a course WaveGlow checkpoint.
    ``predicted_f0``: an excitation model's clock runs on the shipped F0 predictor's reading of the mel (as at
    synthesis) instead of pYIN on the original."""
    model = load_waveglow(path)
    cfg = model.config
    predictor = load_f0_predictor() if predicted_f0 and (cfg.excitation or sigma_unvoiced is not None) else None

    def run(mel, wave, f0, seed):
        gen = torch.Generator().manual_seed(seed)
        if predictor is not None:
            f0 = predictor.predict(mel[None])[0]
        n_samples = mel.shape[1] * cfg.hop_length
        extra = {"excitation": excitation(f0[None], n_samples, phase=None, generator=gen)} if cfg.excitation else {}
        steps = n_samples // cfg.n_group
        z = torch.randn(1, cfg.n_group, steps, generator=gen)
        if sigma_unvoiced is None:
            z = z * sigma
        else:  # voicing of the group step's frame (frame f centred on sample f·hop)
            frame = ((torch.arange(steps) * cfg.n_group + cfg.n_group // 2 + cfg.hop_length // 2) // cfg.hop_length)
            voiced = torch.as_tensor(f0)[frame.clamp(max=len(f0) - 1)] > 0
            z = z * torch.where(voiced, sigma, sigma_unvoiced).float()
        with torch.inference_mode():
            out = model.inverse(mel[None], z, **extra)[0].numpy()
        return out if wave is None else out[:len(wave)]
    return run


def harmonic_noise_vocoder(n_iter: int = 8, predicted_f0: bool = False):
    """function(mel, original wave, f0, seed) → audio of the harmonic-plus-noise vocoder (F0 from pYIN on the
    original, or the shipped F0 predictor's reading of the mel)."""
    predictor = load_f0_predictor() if predicted_f0 else None

    def run(mel, wave, f0, seed):
        if predictor is not None:
            f0 = predictor.predict(mel[None])[0]
        out = harmonic_plus_noise(mel, f0, n_iter=n_iter, generator=torch.Generator().manual_seed(seed))
        return out if wave is None else np.pad(out, (0, max(0, len(wave) - len(out))))[:len(wave)]
    return run


def score(wave, out, f0_ref) -> dict:
    return {**vocoder_metrics(wave, out), "mr_stft": mr_stft_distance(wave, out),
            **harmonic_metrics(out, f0_ref), **f0_metrics(f0_ref, pitch_track(out))}


def score_unaligned(out, mel, wave_mel, f0_ref) -> dict:
    """Scores of audio ``out`` vocoded from a predicted ``mel`` against a recording (its mel and pYIN F0)."""
    return {**aligned_voice_metrics(out, pitch_track(out), mel, wave_mel, f0_ref),
            "mcd_reanalysed_db": mel_cepstral_distortion(mel, mel_spectrogram(out), use_dtw=False)}


def original(mel, wave, f0, seed):
    """The recording itself (the ceiling row)."""
    return wave


def griffin_lim(n_iter: int):
    return lambda mel, wave, f0, seed: mel_to_audio(mel, AudioConfig(), n_iter=n_iter,
                                                    length=None if wave is None else len(wave))


def parse_candidate(text: str, predicted_f0: bool = False):
    name, _, spec = text.partition("=")
    spec, predicted = (spec[:-len(",predicted-f0")], True) if spec.endswith(",predicted-f0") else (spec, predicted_f0)
    path, _, sigmas = spec.partition("@")
    if not name or not path:
        raise SystemExit(f"--candidate must be NAME=PATH[@SIGMA[/SIGMA_UNVOICED]][,predicted-f0] or "
                         f"NAME=harmonic-noise[@N_ITER][,predicted-f0], got {text!r}")
    if path == "harmonic-noise":
        return name, harmonic_noise_vocoder(int(sigmas) if sigmas else 8, predicted)
    sigma, _, unvoiced = sigmas.partition("/")
    return name, waveglow_vocoder(path, float(sigma) if sigma else 0.6, float(unvoiced) if unvoiced else None,
                                  predicted)


def tacotron_mel(text: str, acoustic, seed: int) -> tuple[torch.Tensor, bool]:
    """The shipped Tacotron 2's log mel of ``text`` (prenet dropout seeded) and whether it hit max steps."""
    from course_lib.tts.pipeline import acoustic_mel

    with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
        torch.manual_seed(seed)
        warnings.filterwarnings("ignore", message=".*max_decoder_steps.*")
        mel, _, _, hit = acoustic_mel(text, acoustic)
    return mel, any(hit)


def predictor_scores(predictor, given, wave_mel, f0) -> dict:
    """The F0 predictor's reading of a predicted mel against the recording's pYIN F0 after DTW, its mean signed
    error (cents), and the predicted mel's MCD (DTW) against the recording's."""
    with torch.inference_mode():
        f0_given = predictor.predict(given[None])[0].numpy()
    f0_ref = dtw_reference_f0(wave_mel, f0, given)
    both = (f0_ref > 0) & (f0_given > 0)
    bias = float(np.mean(1200 * np.log2(f0_given[both] / f0_ref[both]))) if both.any() else float("nan")
    return {**f0_metrics(f0_ref, f0_given), "f0_bias_cents": bias,
            "tacotron_mcd_db": mel_cepstral_distortion(wave_mel, given)}


def evaluate(vocoders: dict, split: str = "test", limit: int | None = None, mels: str = "ground-truth") -> dict:
    utterances = load_corpus(split)[:limit]
    acoustic = None
    if mels == "tacotron":
        from course_lib.tts.pipeline import load_tacotron2

        acoustic, predictor = load_tacotron2(), load_f0_predictor()
        if acoustic.audio_config != AudioConfig():
            raise SystemExit(f"the shipped Tacotron 2 uses {acoustic.audio_config}, the lab {AudioConfig()}")
    per_utt = {name: [] for name in vocoders}
    seconds = {name: 0.0 for name in vocoders}
    extra = {"tacotron_seconds": 0.0, "hit_max_steps": [], "F0 predictor": []}
    for i, utt in enumerate(utterances):
        wave = utt.load_audio()
        mel, f0 = mel_spectrogram(wave), pitch_track(wave)
        if acoustic is not None:
            start = time.perf_counter()
            given, hit = tacotron_mel(utt.text, acoustic, 1000 + i)
            extra["tacotron_seconds"] += time.perf_counter() - start
            extra["hit_max_steps"].append(hit)
            extra["F0 predictor"].append(predictor_scores(predictor, given, mel, f0))
        for name, run in vocoders.items():
            start = time.perf_counter()
            if acoustic is None:
                out = run(mel, wave, f0, 1000 + i)
            else:
                out = run(given, None, None, 1000 + i) if run is not original else wave
            seconds[name] += time.perf_counter() - start
            if acoustic is None:
                per_utt[name].append(score(wave, out, f0))
            elif run is original:  # the recording on its own frames: nothing to align, no mel was given
                per_utt[name].append({**harmonic_metrics(wave, f0), **f0_metrics(f0, f0),
                                      "mcd_reanalysed_db": float("nan")})
            else:
                per_utt[name].append(score_unaligned(out, given, mel, f0))
        print(f"  {i + 1}/{len(utterances)} {utt.id}", file=sys.stderr, flush=True)
    audio_s = sum(u.num_samples for u in utterances) / 22050
    report = {"split": split, "mels": mels, "utterances": len(utterances), "audio_seconds": round(audio_s, 1),
              "rtf": {k: v / audio_s for k, v in seconds.items()}, "per_utterance": per_utt}
    if acoustic is not None:
        report["per_utterance"]["F0 predictor"] = extra.pop("F0 predictor")
        report.update(extra)
    return report


def summary(report: dict, reference: str | None, keys=KEYS) -> dict:
    rows = {}
    for name, scores in report["per_utterance"].items():
        with warnings.catch_warnings():  # F0 RMSE of a vocoder that never voices: NaN, no warning
            warnings.simplefilter("ignore", RuntimeWarning)
            rows[name] = {k: float(np.nanmean([s.get(k, np.nan) for s in scores])) for k in keys}
        if reference in report["per_utterance"] and name != reference:
            reference_pesq = [s["pesq"] for s in report["per_utterance"][reference]]
            diff = np.array([s["pesq"] for s in scores]) - np.array(reference_pesq)
            rows[name]["dpesq_vs_ref"] = float(diff.mean())
            rows[name]["dpesq_se"] = float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else float("nan")
    return rows


def merge(report: dict, path: str) -> str | None:
    """Add the scores of an earlier run's JSON to ``report``; the reason it cannot be merged, or None."""
    earlier = json.loads(Path(path).read_text())
    mels = earlier.get("mels", "ground-truth")  # reports from before --mels were all on ground-truth mels
    if mels != report["mels"]:
        return (f"{path} scored vocoders on {mels} mels, this run on {report['mels']} mels: their metrics differ, "
                f"so they cannot share a table (merge only JSONs made with --mels {report['mels']})")
    if report["utterances"] not in (None, earlier["utterances"]) or earlier["split"] != report["split"]:
        return (f"{path} scored {earlier['utterances']} {earlier['split']} utterances, not "
                f"{report['utterances']} {report['split']}")
    report.update({k: earlier[k] for k in ("utterances", "audio_seconds")})
    report["per_utterance"] = {**earlier["per_utterance"], **report["per_utterance"]}
    report["rtf"] = {**earlier.get("rtf", {}), **report["rtf"]}
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidate", action="append", default=[],
                        metavar="NAME=PATH[@SIGMA[/SIGMA_UNVOICED]][,predicted-f0]")
    parser.add_argument("--baselines", action="store_true",
                        help="add the original, GL-32, GL-100 and the shipped WaveGlow")
    parser.add_argument("--mels", default="ground-truth", choices=["ground-truth", "tacotron"],
                        help="vocode the recordings' mels, or the shipped Tacotron 2's mels of their text")
    parser.add_argument("--split", default="test", choices=["train", "val", "test"])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", default=None)
    parser.add_argument("--merge", nargs="+", default=[], metavar="JSON",
                        help="add the per-utterance scores of earlier runs (same split, limit and --mels)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    tacotron = args.mels == "tacotron"
    vocoders = {}
    if args.baselines:
        vocoders["original"] = original
        vocoders["Griffin-Lim 32"] = griffin_lim(32)
        vocoders["Griffin-Lim 100"] = griffin_lim(100)
        vocoders["shipped WaveGlow σ=0.6"] = waveglow_vocoder(None, 0.6, predicted_f0=tacotron)
    vocoders.update(parse_candidate(c, predicted_f0=tacotron) for c in args.candidate)
    if not vocoders and not args.merge:
        parser.error("nothing to score: give --baselines, --candidate and/or --merge")
    report = evaluate(vocoders, args.split, args.limit, args.mels) if vocoders else \
        {"split": args.split, "mels": args.mels, "utterances": None, "per_utterance": {}, "rtf": {}}
    for path in args.merge:
        if (problem := merge(report, path)) is not None:
            parser.error(problem)
    report["command"] = "python benchmarks/vocoder_lab.py " + " ".join(argv if argv is not None else sys.argv[1:])
    report["load_average"] = round(os.getloadavg()[0], 1)
    keys = TACOTRON_KEYS if tacotron else KEYS
    report["summary"] = summary(report, None if tacotron else "Griffin-Lim 32", keys)
    print(f"{report['utterances']} {report['split']} utterances, {args.mels} mels; {report['command']}")
    print(f"{'vocoder':28}" + "".join(f"{k[:12]:>13}" for k in keys) + ("" if tacotron else f"{'ΔPESQ vs GL32':>18}"))
    for name, r in report["summary"].items():
        delta = f"{r['dpesq_vs_ref']:+.3f} ±{r['dpesq_se']:.3f}" if "dpesq_vs_ref" in r else ""
        print(f"{name:28}" + "".join(f"{r[k]:13.3f}" if np.isfinite(r[k]) else f"{'–':>13}" for k in keys)
              + f"{delta:>18}")
    if tacotron and "F0 predictor" in report["per_utterance"]:
        row = summary({"per_utterance": {"p": report["per_utterance"]["F0 predictor"]}}, None,
                      ("f0_bias_cents", "tacotron_mcd_db"))["p"]
        print(f"F0 predictor on the predicted mels: bias {row['f0_bias_cents']:+.1f} cents; Tacotron 2's mels vs the "
              f"recordings': MCD {row['tacotron_mcd_db']:.2f} dB (DTW)")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
