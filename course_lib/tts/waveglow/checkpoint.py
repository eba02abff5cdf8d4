"""Saving, loading and exporting WaveGlow checkpoints (through :mod:`course_lib.checkpoint`).

A checkpoint is a dict with ``model`` (a state dict) and ``config`` (``WaveGlowConfig.to_dict()``);
training checkpoints add ``optimizer``, ``step``, ``train_seconds``, ``history``, ``commands`` and,
optionally, ``rng`` (the segment sampler's random state, for an exact resume) and ``world_size``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch

from course_lib.checkpoint import load_checkpoint, save_checkpoint, write_text_atomic
from course_lib.tts.waveglow.config import WaveGlowConfig
from course_lib.tts.waveglow.model import WaveGlow

#: The shipped course WaveGlow (written by ``python -m course_lib.tts.waveglow.train --out RUN --export PATH``).
SHIPPED_NAME = "waveglow_course.pt"


def save_atomic(path: str | Path, payload: dict) -> Path:
    """Write ``payload`` atomically (:func:`course_lib.checkpoint.save_checkpoint`: temp file, fsync, os.replace)."""
    return save_checkpoint(path, payload)


def load_payload(path: str | Path) -> dict:
    """Read a course WaveGlow checkpoint (``weights_only``); ValueError if it is not one."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no WaveGlow checkpoint at {path}; train one with "
                                "`python -m course_lib.tts.waveglow.train --out runs/waveglow --minutes 60`")
    payload = load_checkpoint(path)
    if not isinstance(payload.get("model"), dict) or not isinstance(payload.get("config"), dict):
        raise ValueError(f"{path} is not a course WaveGlow checkpoint (needs a 'model' state dict and a "
                         "'config' dict); NVIDIA's published WaveGlow loads with "
                         "course_lib.tts.checkpoints.load_nvidia_waveglow")
    return payload


def check_state_dict(model: WaveGlow, state: dict, path: str | Path) -> None:
    """ValueError naming ``path`` and every missing, unexpected or wrongly shaped tensor of ``state``."""
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in state.items() if isinstance(v, torch.Tensor)}
    problems = [f"{k} is a {type(v).__name__}, not a tensor" for k, v in state.items() if not isinstance(v, torch.Tensor)]
    problems += [f"missing {k}" for k in expected if k not in state]
    problems += [f"unexpected {k}" for k in got if k not in expected]
    problems += [f"{k}: {got[k]} in the file, {shape} in the model" for k, shape in expected.items()
                 if k in got and got[k] != shape]
    if problems:
        shown = "; ".join(problems[:4]) + (f"; and {len(problems) - 4} more" if len(problems) > 4 else "")
        raise ValueError(f"{path} does not fit the WaveGlow its config describes ({len(problems)} tensor(s)): "
                         f"{shown}")


def _model_for(payload: dict, path: str | Path) -> WaveGlow:
    """A fresh WaveGlow of the checkpoint's config, after checking that its weights fit."""
    try:
        config = WaveGlowConfig.from_dict(payload["config"])
    except (TypeError, ValueError) as err:
        raise ValueError(f"{path} holds an invalid WaveGlow config: {err}") from None
    from course_lib.tts.waveglow.source_filter import build_waveglow

    model = build_waveglow(config)
    check_state_dict(model, payload["model"], path)
    return model


def sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_model(checkpoint: str | Path, out: str | Path, extra: dict | None = None) -> dict:
    """Write the weights of a training checkpoint in float16 (half the size) plus its config."""
    payload = load_payload(checkpoint)
    _model_for(payload, checkpoint)  # refuse a file that would not load
    state = {k: v.half() if v.is_floating_point() else v for k, v in payload["model"].items()}
    small = {"model": state, "config": payload["config"], "step": payload.get("step", 0),
             "train_seconds": payload.get("train_seconds", 0.0),  # and its provenance, for --init-from
             "commands": payload.get("commands", []), "history": payload.get("history", [])}
    save_atomic(out, small)
    info = {"file": Path(out).name, "sha256": sha256(out), "bytes": Path(out).stat().st_size,
            "step": small["step"], "train_minutes": round(small["train_seconds"] / 60, 1),
            "config": payload["config"], **(extra or {})}
    return info


def load_waveglow(path: str | Path | None = None, *, for_inference: bool = True) -> WaveGlow:
    """Load a course WaveGlow (the shipped one by default) in float32, ready for ``infer``."""
    if path is None:
        from course_lib import settings
        path = settings.asset_path("waveglow", SHIPPED_NAME)
    payload = load_payload(path)
    model = _model_for(payload, path)
    model.load_state_dict({k: v.float() for k, v in payload["model"].items()})
    return model.prepare_for_inference() if for_inference else model


def write_manifest(path: str | Path, manifest: dict) -> None:
    """Write a JSON manifest atomically."""
    write_text_atomic(path, json.dumps(manifest, indent=2, sort_keys=False) + "\n")
