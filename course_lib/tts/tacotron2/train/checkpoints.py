"""Tacotron 2 checkpoints: resumable training state, small exported models, and loading either.

Training checkpoints (``<run>/checkpoint.pt``) hold everything needed to continue exactly where a
run stopped (:func:`course_lib.training.fit`): weights, optimizer state, the torch RNG, the position in
the data order, elapsed time, alignment snapshots. Exported models hold the weights (fp16 by default), the configs
and the mel normalisation — what synthesis needs — plus the snapshots for the alignment viewer.
All files are written atomically (:func:`course_lib.checkpoint.save_checkpoint`) and read with
``weights_only=True``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from course_lib.audio import AudioConfig
from course_lib.checkpoint import load_checkpoint, sha256_file, write_text_atomic
from course_lib.training import cast_weights, check_state_dict, export, write_manifest
from course_lib.training.run import LOG
from course_lib.tts.tacotron2 import Tacotron2, Tacotron2Config

from .data import MelNormalizer

TRAIN_FORMAT = "course_lib.tacotron2.train/1"
MODEL_FORMAT = "course_lib.tacotron2.model/1"


def describe_differences(differences: dict[str, tuple[Any, Any]], what: str, path) -> str:
    listed = "; ".join(f"{k}: checkpoint {a!r} vs requested {b!r}" for k, a, b in
                       ((k, *v) for k, v in sorted(differences.items())))
    return (f"{path} holds a {what} for another configuration ({listed}). "
            "Use the same settings, or a new output folder / the matching config.")


def check_model_config(saved: dict, requested: Tacotron2Config | None, path) -> Tacotron2Config:
    """The saved config as a :class:`Tacotron2Config`; ``ValueError`` naming every field that differs."""
    try:
        config = Tacotron2Config.from_dict(saved)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{path}: its model config cannot be read ({err})") from None
    if requested is not None:
        diff = config.differences(requested)
        if diff:
            raise ValueError(describe_differences(diff, "Tacotron 2", path))
    return config


def load_model(path, config: Tacotron2Config | None = None, device="cpu"):
    """Load a training checkpoint or an exported model → ``(model, normalizer, payload)``.

    ``config``: the configuration you expect; a checkpoint for another one raises a ``ValueError``
    naming each mismatched field. The model comes back in eval mode, in float32.
    """
    payload = load_checkpoint(path)
    if payload.get("format") not in (TRAIN_FORMAT, MODEL_FORMAT):
        raise ValueError(f"{path} is not a course Tacotron 2 checkpoint (format {payload.get('format')!r}); "
                         "NVIDIA's tacotron2_statedict.pt loads with Tacotron2(Tacotron2Config.paper())"
                         ".load_state_dict(torch.load(p, weights_only=True)['state_dict'])")
    model_config = check_model_config(payload["model_config"], config, path)
    model = Tacotron2(model_config)
    check_state_dict(model, payload.get("model"), path, "a Tacotron 2 of its own config")
    saved = payload["model"]
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in saved.items()})
    normalizer = _normalizer_of(payload, model_config.n_mel_channels, path)
    if "audio_config" in payload:
        n_mels = audio_config_of(payload, path).n_mels
        if n_mels != model_config.n_mel_channels:
            raise ValueError(f"{path} contradicts itself: its audio_config has n_mels={n_mels}, but its model "
                             f"predicts {model_config.n_mel_channels} mel bands. The file was edited or written by "
                             "other code; re-export it from its training checkpoint "
                             "(course_lib.tts.tacotron2.train --export)")
    return model.to(device).eval(), normalizer, payload


def _normalizer_of(payload: dict, n_mels: int, path) -> MelNormalizer:
    """The mel statistics the model was trained with; refused if missing (and the run normalised) or misshapen."""
    stats = payload.get("mel_stats")
    if not stats:
        if (payload.get("train_config") or {}).get("normalize_mels") is False:
            return MelNormalizer.identity(n_mels)  # trained on raw log-mels: nothing to undo
        raise ValueError(f"{path} has no mel statistics ('mel_stats'), but its model was trained on normalised "
                         "mels: without them the audio would be wrong (mel mean near 0 instead of about -6). Use "
                         "the training checkpoint or an export of it (export_model keeps 'mel_stats')")
    try:
        normalizer = MelNormalizer.from_state_dict(stats)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise ValueError(f"{path}: its mel statistics ('mel_stats') cannot be read ({err!r}); re-export the model") \
            from None
    shapes = {tuple(getattr(t, "shape", ())) for t in (normalizer.mean, normalizer.std)}
    if shapes != {(n_mels,)}:
        raise ValueError(f"{path} contradicts itself: its mel statistics cover {sorted(shapes)} bands but its model "
                         f"predicts {n_mels}; re-export it from its training checkpoint")
    return normalizer


def export_model(checkpoint, dest, name: str = "tacotron2_course.pt", dtype=torch.float16, command: str = "",
                 max_snapshots: int = 40, extra_metrics: dict | None = None, weights: bool = True) -> Path:
    """Write ``dest/name`` (weights in ``dtype``, configs, mel stats, snapshots), the run's
    ``metrics.jsonl`` and ``dest/MANIFEST.json``. ``weights=False`` keeps only snapshots and metrics."""
    payload = load_checkpoint(checkpoint)
    if payload.get("format") != TRAIN_FORMAT:
        raise ValueError(f"{checkpoint} is not a training checkpoint of course_lib.tts.tacotron2.train")
    snaps = payload.get("snapshots", {})
    steps = list(snaps.get("steps", []))
    if len(steps) > max_snapshots:  # keep the first, the last and evenly spaced ones between
        keep = sorted({round(i * (len(steps) - 1) / (max_snapshots - 1)) for i in range(max_snapshots)})
        snaps = {**snaps, "steps": [steps[i] for i in keep], "alignments": [snaps["alignments"][i] for i in keep]}
    model = cast_weights(payload["model"], dtype) if weights else {}
    out = {
        "format": MODEL_FORMAT, "model_config": payload["model_config"], "train_config": payload["train_config"],
        "audio_config": payload["audio_config"], "mel_stats": payload["mel_stats"], "model": model,
        "snapshots": snaps, "step": payload["step"], "elapsed_s": payload["elapsed_s"],
        "aligned_at": payload.get("aligned_at"), "last_eval": payload.get("last_eval"),
    }
    dest = Path(dest)
    info = export(dest / name, out)
    files = {name: info["sha256"]}
    log = Path(checkpoint).parent / LOG
    if log.exists():
        write_text_atomic(dest / LOG, log.read_text())
        files[LOG] = sha256_file(dest / LOG)
    manifest = {
        "name": "course Tacotron 2",
        "description": "Tacotron 2 (course preset) trained from scratch on the course corpus by the command below.",
        "command": command,
        "file": name, "sha256": files[name], "files": files, "bytes": info["bytes"],
        "dtype": str(dtype).replace("torch.", "") if weights else None,
        "parameters": int(sum(v.numel() for k, v in model.items() if "running" not in k and "num_batches" not in k)),
        "model_config": payload["model_config"], "train_config": payload["train_config"],
        "audio_config": payload["audio_config"], "step": payload["step"],
        "training_minutes": round(payload["elapsed_s"] / 60, 2), "aligned_at": payload.get("aligned_at"),
        "metrics": {**(payload.get("last_eval") or {}), **(extra_metrics or {})},
        "torch_version": torch.__version__,
    }
    write_manifest(dest / "MANIFEST.json", manifest)
    return dest / name


def audio_config_of(payload: dict, path=None) -> AudioConfig:
    """The checkpoint's :class:`AudioConfig`; a ``ValueError`` naming ``path`` if it cannot be built."""
    try:
        return AudioConfig(**payload["audio_config"])
    except (TypeError, ValueError) as err:
        raise ValueError(f"{path or 'the checkpoint'}: its audio_config cannot be read ({err})") from None
