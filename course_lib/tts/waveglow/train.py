"""Train WaveGlow on the course corpus by maximum likelihood (chapter 14).

    python -m course_lib.tts.waveglow.train --out runs/waveglow --minutes 60        # resumes if possible
    python -m course_lib.tts.waveglow.train --out runs/waveglow --export assets/waveglow/waveglow_course.pt

Random segments of ground-truth audio with their mel frames; ±0.5 LSB of uniform noise
(dequantisation) is added to the audio, because a quarter of the corpus samples are exact digital
zeros and a density on a discrete set of values can grow without bound. Checkpoints are written
atomically and carry the optimiser, step and history, so a killed run resumes where it stopped.
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch

from course_lib.tts.waveglow.checkpoint import export_model, load_payload, save_atomic, write_manifest
from course_lib.tts.waveglow.config import WaveGlowConfig
from course_lib.tts.waveglow.model import WaveGlow, waveglow_loss

LSB = 1.0 / 32768  # one step of 16-bit audio in [-1, 1]


class SegmentSampler:
    """Random (mel, audio) training segments cut at frame boundaries from whole utterances."""

    def __init__(self, waves: list[np.ndarray], segment_length: int, audio_config=None):
        from course_lib.audio import AudioConfig, mel_spectrogram

        self.audio_config = audio_config or AudioConfig()
        if not waves:
            raise ValueError("need at least one waveform to sample training segments from")
        self.hop = self.audio_config.hop_length
        self.segment_length = segment_length
        self.n_frames = math.ceil(segment_length / self.hop)
        self.silence = math.log(self.audio_config.clip_val)
        self.waves = [torch.as_tensor(np.asarray(w, dtype=np.float32)) for w in waves]
        self.mels = [mel_spectrogram(w, self.audio_config) for w in self.waves]  # each [n_mels, frames]
        lengths = np.array([len(w) for w in self.waves], dtype=np.float64)
        self.weights = lengths / lengths.sum()  # longer utterances are sampled more often

    def segment(self, index: int, start_frame: int) -> tuple[torch.Tensor, torch.Tensor]:
        wave, mel = self.waves[index], self.mels[index]
        start = start_frame * self.hop
        audio = wave[start:start + self.segment_length]
        audio = torch.nn.functional.pad(audio, (0, self.segment_length - len(audio)))
        frames = mel[:, start_frame:start_frame + self.n_frames]
        frames = torch.nn.functional.pad(frames, (0, self.n_frames - frames.shape[1]), value=self.silence)
        return frames, audio

    def batch(self, batch_size: int, rng: np.random.Generator, dequantize: bool = True):
        """``(mel [batch, n_mels, frames], audio [batch, segment_length])``."""
        mels, audios = [], []
        for index in rng.choice(len(self.waves), size=batch_size, p=self.weights):
            last = max(0, self.mels[index].shape[1] - self.n_frames)
            mel, audio = self.segment(int(index), int(rng.integers(0, last + 1)))
            mels.append(mel)
            audios.append(audio)
        audio = torch.stack(audios)
        if dequantize:
            audio = audio + (torch.from_numpy(rng.random(audio.shape, dtype=np.float32)) - 0.5) * LSB
        return torch.stack(mels), audio


def train_step(model: WaveGlow, optimizer: torch.optim.Optimizer, mel, audio, sigma: float,
               bf16: bool = False) -> float:
    """One maximum-likelihood step; returns the loss (NLL per sample, NVIDIA's convention).

    ``bf16=True`` runs the convolutions in bfloat16 autocast (about 2x faster on CPUs with
    AVX-512 BF16); the loss, log-determinants and weights stay float32.
    """
    model.train()
    with torch.autocast(mel.device.type, dtype=torch.bfloat16, enabled=bf16):
        z, log_s, log_det = model(mel, audio)
    loss = waveglow_loss(z.float(), [ls.float() for ls in log_s], log_det, sigma)
    if not torch.isfinite(loss):
        raise FloatingPointError("WaveGlow loss became NaN/inf; lower the learning rate or check the data")
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.item()


@torch.no_grad()
def evaluate(model: WaveGlow, val_batch, val_waves, sigma_train: float, audio_config=None) -> dict:
    """Held-out loss on fixed segments, and STOI/LSD/PESQ of a few vocoded validation utterances."""
    from course_lib.audio import AudioConfig, mel_spectrogram
    from course_lib.tts.vocoder_eval import vocoder_metrics

    model.eval()
    z, log_s, log_det = model(*val_batch)
    result = {"val_loss": float(waveglow_loss(z, log_s, log_det, sigma_train))}
    scores = []
    for wave in val_waves:
        mel = mel_spectrogram(wave, audio_config or AudioConfig())[None]
        out = model.infer(mel, sigma=0.6, generator=torch.Generator().manual_seed(0))[0]
        scores.append(vocoder_metrics(wave, out.numpy()))
    for key in ("pesq", "stoi", "lsd"):
        result[key] = float(np.mean([s[key] for s in scores]))
    return result


def _load_split(split: str, limit: int | None = None, root=None) -> list[np.ndarray]:
    from course_lib.data.corpus import load_corpus

    utterances = load_corpus(split, root=root)
    if limit is not None:
        utterances = utterances[:limit]
    return [u.load_audio() for u in utterances]


def train(out: str | Path, preset: str | WaveGlowConfig = "course", minutes: float | None = None, steps: int | None = None,
          seed: int = 0, eval_minutes: float = 10.0, save_minutes: float = 5.0, n_eval_utts: int = 3,
          command: str | None = None, progress: bool = True, bf16: bool = False,
          corpus: str | Path | None = None) -> dict:
    """Train (or resume) a WaveGlow in ``out/checkpoint.pt`` until ``minutes`` of this run or ``steps`` in all.

    ``preset`` is "course", "paper" or a :class:`WaveGlowConfig`; a resumed run keeps its saved config.
    """
    from tqdm.auto import tqdm

    if minutes is None and steps is None:
        raise ValueError("give a budget: minutes=... (wall time of this run) and/or steps=... (total)")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ckpt_path = out / "checkpoint.pt"
    if ckpt_path.exists():
        payload = load_payload(ckpt_path)
        cfg = WaveGlowConfig.from_dict(payload["config"])
    elif isinstance(preset, WaveGlowConfig):
        payload, cfg = None, preset
    else:
        payload = None
        cfg = {"course": WaveGlowConfig.course, "paper": WaveGlowConfig.paper}[preset]()
    torch.manual_seed(seed)
    model = WaveGlow(cfg)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.learning_rate)
    step, seconds, history, commands = 0, 0.0, [], []
    if payload is not None:
        model.load_state_dict(payload["model"])
        optimizer.load_state_dict(payload["optimizer"])
        step, seconds = payload["step"], payload["train_seconds"]
        history, commands = list(payload["history"]), list(payload["commands"])
    commands.append(command or "train(...)")

    sampler = SegmentSampler(_load_split("train", root=corpus), cfg.segment_length)
    val_waves = _load_split("val", root=corpus)
    val_sampler = SegmentSampler(val_waves, cfg.segment_length)
    val_batch = val_sampler.batch(8, np.random.default_rng(1234))
    eval_waves = val_waves[:n_eval_utts]
    rng = np.random.default_rng(seed + step)  # a resumed run draws fresh segments

    def save():
        save_atomic(ckpt_path, {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                                "config": cfg.to_dict(), "step": step, "train_seconds": seconds,
                                "history": history, "commands": commands})

    start = time.monotonic()
    last_save = last_eval = start
    total = steps if steps is not None else None
    bar = tqdm(total=total, initial=step, disable=not progress, desc="WaveGlow", unit="step")
    losses = []
    while True:
        now = time.monotonic()
        if minutes is not None and now - start >= minutes * 60:
            break
        if steps is not None and step >= steps:
            break
        mel, audio = sampler.batch(cfg.batch_size, rng)
        t0 = time.monotonic()
        losses.append(train_step(model, optimizer, mel, audio, cfg.sigma, bf16))
        seconds += time.monotonic() - t0
        step += 1
        bar.update(1)
        if step % 25 == 0:
            bar.set_postfix(loss=f"{np.mean(losses[-25:]):.3f}")
        if now - last_eval >= eval_minutes * 60:
            row = {"step": step, "train_seconds": round(seconds, 1),
                   "train_loss": float(np.mean(losses[-100:])),
                   **evaluate(model, val_batch, eval_waves, cfg.sigma)}
            history.append(row)
            with open(out / "log.jsonl", "a") as fh:
                fh.write(json.dumps(row) + "\n")
            bar.write(json.dumps(row))
            last_eval = time.monotonic()
        if time.monotonic() - last_save >= save_minutes * 60:
            save()
            last_save = time.monotonic()
    bar.close()
    row = {"step": step, "train_seconds": round(seconds, 1),
           "train_loss": float(np.mean(losses[-100:])) if losses else float("nan"),
           **evaluate(model, val_batch, eval_waves, cfg.sigma)}
    history.append(row)
    with open(out / "log.jsonl", "a") as fh:
        fh.write(json.dumps(row) + "\n")
    save()
    return row


def export(out: str | Path, target: str | Path) -> dict:
    """Export ``out/checkpoint.pt`` as a float16 asset plus ``MANIFEST.json`` next to it."""
    payload = load_payload(Path(out) / "checkpoint.pt")
    last = payload["history"][-1] if payload["history"] else {}
    info = export_model(Path(out) / "checkpoint.pt", target,
                        {"commands": payload["commands"], "last_validation": last,
                         "history": payload["history"]})
    target = Path(target)
    manifest_path = target.parent / "MANIFEST.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest["description"] = ("Course WaveGlow (Prenger et al. 2018, WaveGlowConfig.course()) trained "
                               "on the course corpus by course_lib.tts.waveglow.train; float16 weights.")
    manifest[info["file"]] = info
    write_manifest(manifest_path, manifest)
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_lib.tts.waveglow.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="run folder (checkpoint.pt, log.jsonl); resumes if present")
    parser.add_argument("--preset", choices=["course", "paper"], default="course")
    parser.add_argument("--minutes", type=float, default=None, help="wall-clock budget of this run")
    parser.add_argument("--steps", type=int, default=None, help="stop at this total step count")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 leaves the laptop usable)")
    parser.add_argument("--eval-minutes", type=float, default=10.0)
    parser.add_argument("--save-minutes", type=float, default=5.0)
    parser.add_argument("--bf16", action="store_true", help="bfloat16 autocast for the convolutions (~2x faster)")
    parser.add_argument("--corpus", default=None, help="corpus folder (default: assets/corpus)")
    parser.add_argument("--export", default=None, metavar="PATH",
                        help="do not train: export out/checkpoint.pt (float16) to PATH and update MANIFEST.json")
    args = parser.parse_args(argv)
    if args.export:
        print(json.dumps({k: v for k, v in export(args.out, args.export).items() if k != "history"}, indent=2))
        return 0
    if args.minutes is None and args.steps is None:
        parser.error("give --minutes and/or --steps")
    torch.set_num_threads(args.threads)
    command = "python -m course_lib.tts.waveglow.train " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    row = train(args.out, args.preset, args.minutes, args.steps, args.seed, args.eval_minutes,
                args.save_minutes, command=command, bf16=args.bf16,
                corpus=args.corpus)
    print(json.dumps(row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
