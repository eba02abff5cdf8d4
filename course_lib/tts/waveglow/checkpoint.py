"""Saving, loading and exporting WaveGlow checkpoints (atomic writes, ``weights_only`` loads)."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import torch

from course_lib.tts.waveglow.config import WaveGlowConfig
from course_lib.tts.waveglow.model import WaveGlow

#: The shipped course WaveGlow (exported by ``python -m course_lib.tts.waveglow.train export``).
SHIPPED_NAME = "waveglow_course.pt"


def save_atomic(path: str | Path, payload: dict) -> Path:
    """``torch.save`` to a temporary file in the same folder, then ``os.replace`` (never half-written)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    try:
        torch.save(payload, tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; checkpoints are shared files
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def load_payload(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no WaveGlow checkpoint at {path}; train one with "
                                "`python -m course_lib.tts.waveglow.train --out runs/waveglow`")
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or "model" not in payload or "config" not in payload:
        raise ValueError(f"{path} is not a course WaveGlow checkpoint (needs 'model' and 'config' keys)")
    return payload


def sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_model(checkpoint: str | Path, out: str | Path, extra: dict | None = None) -> dict:
    """Write the weights of a training checkpoint in float16 (half the size) plus its config."""
    payload = load_payload(checkpoint)
    state = {k: v.half() if v.is_floating_point() else v for k, v in payload["model"].items()}
    small = {"model": state, "config": payload["config"], "step": payload.get("step", 0),
             "train_seconds": payload.get("train_seconds", 0.0)}
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
    model = WaveGlow(WaveGlowConfig.from_dict(payload["config"]))
    model.load_state_dict({k: v.float() for k, v in payload["model"].items()})
    return model.prepare_for_inference() if for_inference else model


def write_manifest(path: str | Path, manifest: dict) -> None:
    """Write a JSON manifest atomically."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")
    os.replace(tmp, path)
