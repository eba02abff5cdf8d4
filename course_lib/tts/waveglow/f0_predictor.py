"""F0 and voicing from the mel spectrogram: the pitch a source excitation needs at synthesis time.

In training, pYIN reads F0 from the recording (:func:`~course_lib.tts.waveglow.excitation.pitch_track`);
at synthesis there is no recording, only a mel. The mel still resolves the lowest harmonics (below
1 kHz a band of the course's 80-band mel is ~37 Hz wide; the course voice's harmonics are 78–119 Hz
apart), so a small CNN can read F0 from it. As in CREPE (Kim et al. 2018, Sec. 2.1), F0 is a
classification over log-frequency bins with Gaussian-blurred targets,

    y_i = exp(−(c_i − c_true)² / (2·σ²)),   c = 1200·log2(f / f_min) cents,  σ = 25 cents,

trained with binary cross-entropy per bin, and decoded as the probability-weighted mean of the bins
around the most likely one; one more logit says voiced or not. Training data: the course corpus's
mels with pYIN's F0 of the recordings as targets.

    python -m course_lib.tts.waveglow.f0_predictor --out runs/f0 --max-steps 1500
    python -m course_lib.tts.waveglow.f0_predictor --out runs/f0 --export assets/waveglow/f0_predictor.pt
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from course_lib import checks
from course_lib.checks import checked_by

LOG_MEL_SHIFT, LOG_MEL_SCALE = 5.0, 2.0  # (log-mel + 5) / 2: roughly zero mean, unit spread on the corpus


@dataclass(frozen=True)
class F0PredictorConfig:
    """The CNN and its pitch grid; ``n_bins`` bins of ``bin_cents`` from ``fmin`` (50–505 Hz by default)."""

    n_mels: int = 80
    channels: int = 128
    kernel_size: int = 5
    dilations: tuple = (1, 2, 4, 1)  # residual layers (receptive field ±(2·(1 + Σ dilations)) = ±18 frames)
    fmin: float = 50.0
    bin_cents: float = 20.0
    n_bins: int = 200
    target_cents: float = 25.0  # σ of the Gaussian-blurred targets

    def __post_init__(self):
        for name in ("n_mels", "channels", "kernel_size", "n_bins"):
            checks.integer(getattr(self, name), f"F0PredictorConfig.{name}", 1)
        if self.kernel_size % 2 == 0:
            raise ValueError(f"F0PredictorConfig.kernel_size must be odd (centred), got {self.kernel_size}")
        object.__setattr__(self, "dilations", tuple(checks.integer(d, "F0PredictorConfig.dilations", 1)
                                                    for d in self.dilations))
        for name in ("fmin", "bin_cents", "target_cents"):
            checks.real(getattr(self, name), f"F0PredictorConfig.{name}", 0.0, low_open=True)

    def fmax(self) -> float:
        return self.fmin * 2 ** ((self.n_bins - 1) * self.bin_cents / 1200)

    def to_dict(self) -> dict:
        return {**asdict(self), "dilations": list(self.dilations)}

    @classmethod
    def from_dict(cls, data: dict) -> "F0PredictorConfig":
        return cls(**checks.known_keys(data, cls.__dataclass_fields__, cls.__name__))


def _check_predict(self, mel) -> None:
    n_mels = self.config.n_mels
    checks.tensor(mel, "mel", 3, f"[batch, {n_mels}, frames]")
    if mel.shape[1] != n_mels or mel.shape[0] == 0 or mel.shape[2] == 0:
        raise ValueError(f"mel must have shape [batch, {n_mels}, frames] with at least one frame, got "
                         f"{tuple(mel.shape)}; compute it with course_lib.audio.mel_spectrogram")
    if not torch.isfinite(mel).all():
        raise ValueError("mel contains NaN or inf; log-mels must be finite (clamp before the log)")


class F0Predictor(nn.Module):
    """Log-mel ``[batch, n_mels, frames]`` → logits ``[batch, 1 + n_bins, frames]`` (voicing, then pitch bins)."""

    def __init__(self, config: F0PredictorConfig | None = None):
        super().__init__()
        self.config = cfg = config or F0PredictorConfig()
        pad = cfg.kernel_size // 2
        self.inp = nn.Conv1d(cfg.n_mels, cfg.channels, cfg.kernel_size, padding=pad)
        self.body = nn.ModuleList(nn.Conv1d(cfg.channels, cfg.channels, cfg.kernel_size, padding=pad * d, dilation=d)
                                  for d in cfg.dilations)
        self.out = nn.Conv1d(cfg.channels, 1 + cfg.n_bins, 1)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.inp((mel + LOG_MEL_SHIFT) / LOG_MEL_SCALE))
        for conv in self.body:
            h = h + F.relu(conv(h))
        return self.out(h)

    def bins_to_hz(self, bins: torch.Tensor) -> torch.Tensor:
        return self.config.fmin * 2 ** (bins * self.config.bin_cents / 1200)

    def hz_to_bins(self, f0: torch.Tensor) -> torch.Tensor:
        return 1200 * torch.log2(f0 / self.config.fmin) / self.config.bin_cents

    def decode(self, logits: torch.Tensor) -> torch.Tensor:
        """Logits → F0 in Hz ``[batch, frames]``, 0 where unvoiced: the weighted mean of the 9 bins around the
        arg-max (finer than one bin, and a far-off second peak cannot pull it)."""
        probs = logits[:, 1:].softmax(dim=1)
        window = torch.arange(-4, 5, device=logits.device)[None, :, None]
        idx = (probs.argmax(dim=1, keepdim=True) + window).clamp(0, self.config.n_bins - 1)
        weights = probs.gather(1, idx)
        f0 = self.bins_to_hz((weights * idx).sum(1) / weights.sum(1))
        return torch.where(logits[:, 0] > 0, f0, torch.zeros_like(f0))

    @checked_by(_check_predict)
    @torch.no_grad()
    def predict(self, mel: torch.Tensor) -> torch.Tensor:
        """Log-mel ``[batch, n_mels, frames]`` → F0 in Hz ``[batch, frames]`` (0 = unvoiced)."""
        return self.decode(self(mel.float()))


def f0_predictor_loss(model: F0Predictor, logits: torch.Tensor, f0: torch.Tensor) -> dict[str, torch.Tensor]:
    """Voicing BCE on every frame + the soft-bin BCE (summed over bins) on voiced frames."""
    voiced = f0 > 0
    voicing = F.binary_cross_entropy_with_logits(logits[:, 0], voiced.float())
    cfg = model.config
    bins = torch.arange(cfg.n_bins, device=f0.device, dtype=torch.float32)[None, :, None]
    true = model.hz_to_bins(torch.where(voiced, f0, torch.full_like(f0, cfg.fmin)))[:, None]
    target = torch.exp(-0.5 * ((bins - true) * cfg.bin_cents / cfg.target_cents) ** 2)
    per_frame = F.binary_cross_entropy_with_logits(logits[:, 1:], target, reduction="none").sum(1)
    pitch = per_frame[voiced].mean() if voiced.any() else per_frame.sum() * 0
    return {"total": voicing + pitch, "voicing": voicing, "pitch": pitch}


class F0Task:
    """Random crops of (mel, pYIN F0) from the training utterances; mean cent error and voicing F1 on the val split."""

    def __init__(self, model, mels, f0s, val, rng, history, commands, crop: int = 64, batch_size: int = 16):
        self.model, self.mels, self.f0s, self.val, self.rng = model, mels, f0s, val, rng
        self.history, self.commands, self.crop, self.batch_size = history, commands, crop, batch_size
        self.silence = math.log(1e-5)

    def next_batch(self, state):
        mels, f0s = [], []
        for i in self.rng.integers(0, len(self.mels), self.batch_size):
            start = int(self.rng.integers(0, max(1, self.mels[i].shape[1] - self.crop)))
            mel, f0 = self.mels[i][:, start:start + self.crop], self.f0s[i][start:start + self.crop]
            pad = self.crop - mel.shape[1]
            mels.append(F.pad(mel, (0, pad), value=self.silence))
            f0s.append(F.pad(f0, (0, pad)))
        return torch.stack(mels), torch.stack(f0s)

    def forward(self, model, batch):
        return model(batch[0])

    def loss(self, output, batch, state):
        return f0_predictor_loss(self.model, output, batch[1])

    def evaluate(self, model, state):
        return evaluate(model, *self.val)

    def logged(self, row):
        self.history.append(row)

    def checkpoint_state(self, state):
        return {"config": self.model.config.to_dict(), "history": self.history, "commands": self.commands,
                "rng": self.rng.bit_generator.state}


@torch.no_grad()
def evaluate(model: F0Predictor, mels, f0s) -> dict:
    """Mean |error| in cents where both voice, and voicing F1, of ``model`` against reference F0 tracks."""
    from course_lib.tts.metrics.harmonics import f0_metrics

    model.eval()
    predicted = [model.predict(mel[None])[0].numpy() for mel in mels]
    ref, est = np.concatenate([f.numpy() for f in f0s]), np.concatenate(predicted)
    return f0_metrics(ref, est)


def train(out, max_steps: int = 1500, minutes: float = 0.0, corpus=None, seed: int = 0, threads: int = 1,
          lr: float = 1e-3, config: F0PredictorConfig | None = None, waves=None, val_waves=None,
          command: str | None = None, progress: bool = True) -> dict:
    """Train (or resume) an :class:`F0Predictor` in ``out/checkpoint.pt``: Adam, cosine decay to 0 over
    ``max_steps``; targets are pYIN's F0 of each utterance (cached in ``out/f0_cache.pt``)."""
    from course_lib import training
    from course_lib.audio import mel_spectrogram
    from course_lib.checkpoint import load_checkpoint
    from course_lib.optim.schedules import warmup_cosine_lr
    from course_lib.training import Budget, Every, RunFolder, fit
    from course_lib.training import distributed as D
    from course_lib.tts.waveglow.data import load_split
    from course_lib.tts.waveglow.excitation import cached_pitch_tracks

    checks.integer(max_steps, "max_steps", 1)
    run = RunFolder(out)
    run.dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(threads)
    payload = load_checkpoint(run.checkpoint) if run.checkpoint.exists() else None
    config = F0PredictorConfig.from_dict(payload["config"]) if payload else (config or F0PredictorConfig())
    torch.manual_seed(seed)
    model = F0Predictor(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    if payload:
        training.check_state_dict(model, payload["model"], run.checkpoint, "the F0 predictor its config describes")
    state = training.resume(payload, model, optimizer, D.DistEnv())
    waves = waves if waves is not None else load_split("train", root=corpus)
    val_waves = val_waves if val_waves is not None else load_split("val", root=corpus)
    cache = run.dir / "f0_cache.pt"
    mels = [mel_spectrogram(w) for w in waves]
    val = ([mel_spectrogram(w) for w in val_waves], cached_pitch_tracks(val_waves, cache))
    rng = np.random.default_rng(seed)
    if payload and "rng" in payload:
        rng.bit_generator.state = payload["rng"]
    history, commands = list((payload or {}).get("history", [])), list((payload or {}).get("commands", []))
    commands.append(command or "train(...)")
    task = F0Task(model, mels, cached_pitch_tracks(waves, cache), val, rng, history, commands)
    state, _ = fit(task, model, optimizer, run, state, budget=Budget(max_steps, minutes, per_session=True),
                   eval_every=Every(max(max_steps // 5, 1), 0.0), save_every=Every(0, 5.0), env=D.DistEnv(),
                   resumed=payload is not None, lr_at=lambda step: warmup_cosine_lr(lr, step, decay=max_steps,
                                                                                   final=0.0),
                   progress=progress, desc="F0 predictor")
    return {**(state["last_eval"] or {}), "step": state["step"]}


def export(checkpoint, target) -> dict:
    """A training checkpoint → a float16 asset (weights, config, provenance) + its MANIFEST.json entry."""
    from course_lib import training
    from course_lib.checkpoint import load_checkpoint

    payload = load_checkpoint(checkpoint)
    small = {"model": training.cast_weights(payload["model"], torch.float16), "config": payload["config"],
             "step": payload["step"], "commands": payload.get("commands", []), "history": payload.get("history", [])}
    info = {**training.export(target, small), "step": small["step"], "commands": small["commands"],
            "last_validation": small["history"][-1] if small["history"] else {}}
    manifest_path = Path(target).parent / "MANIFEST.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    manifest[info["file"]] = info
    training.write_manifest(manifest_path, manifest)
    return info


SHIPPED_NAME = "f0_predictor.pt"  # in assets/waveglow/


def load_f0_predictor(path=None) -> F0Predictor:
    """An exported (or training) checkpoint — by default the shipped one — → an :class:`F0Predictor` in eval mode."""
    from course_lib import settings, training
    from course_lib.checkpoint import load_checkpoint

    path = settings.asset_path("waveglow", SHIPPED_NAME) if path is None else path
    payload = load_checkpoint(path)
    if not isinstance(payload, dict) or not {"model", "config"} <= set(payload):
        raise ValueError(f"{path} is not an F0 predictor checkpoint (a dict with 'model' and 'config')")
    model = F0Predictor(F0PredictorConfig.from_dict(payload["config"]))
    training.check_state_dict(model, payload["model"], path, "the F0 predictor its config describes")
    model.load_state_dict({k: v.float() for k, v in payload["model"].items()})
    return model.eval()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m course_lib.tts.waveglow.f0_predictor", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="run folder (checkpoint.pt, metrics.jsonl); resumed if present")
    p.add_argument("--max-steps", type=int, default=1500)
    p.add_argument("--minutes", type=float, default=0.0, help="wall-clock budget of this invocation (0 = none)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--corpus", default=None, help="course corpus folder (default: assets/corpus)")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--export", default=None, metavar="PATH", help="do not train: export out/checkpoint.pt to PATH")
    args = p.parse_args(argv)
    try:
        if args.export:
            from course_lib.training import RunFolder

            row = export(RunFolder(args.out).checkpoint, args.export)
        else:
            command = "python -m course_lib.tts.waveglow.f0_predictor " + " ".join(
                shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
            row = train(args.out, args.max_steps, args.minutes, args.corpus, args.seed, args.threads,
                        command=command, progress=not args.no_progress)
    except (ValueError, TypeError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(json.dumps({k: v for k, v in row.items() if not isinstance(v, (list, dict))}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
