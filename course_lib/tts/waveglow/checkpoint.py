"""Loading course WaveGlow checkpoints (written by :mod:`course_lib.training` through
:mod:`course_lib.tts.waveglow.train`).

A checkpoint is a dict with ``model`` (a state dict) and ``config`` (``WaveGlowConfig.to_dict()``);
training checkpoints add the training core's keys (``optimizer``, ``step``, ``elapsed_s``, …), the
run's ``history`` and ``commands`` and ``rng`` (the segment sampler's random state, for an exact resume).
"""

from __future__ import annotations

from pathlib import Path

from course_lib.checkpoint import load_checkpoint
from course_lib.training import check_state_dict
from course_lib.tts.waveglow.config import WaveGlowConfig
from course_lib.tts.waveglow.model import WaveGlow

#: The shipped course WaveGlow (written by ``python -m course_lib.tts.waveglow.train --out RUN --export PATH``).
SHIPPED_NAME = "waveglow_course.pt"


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
                         "course_lib.tts.nvidia.load_nvidia_waveglow")
    return payload


def model_for(payload: dict, path: str | Path) -> WaveGlow:
    """A fresh WaveGlow of the checkpoint's config, after checking that its weights fit."""
    try:
        config = WaveGlowConfig.from_dict(payload["config"])
    except (TypeError, ValueError) as err:
        raise ValueError(f"{path} holds an invalid WaveGlow config: {err}") from None
    from course_lib.tts.waveglow.source_filter import build_waveglow

    model = build_waveglow(config)
    check_state_dict(model, payload["model"], path, "the WaveGlow its config describes")
    return model


def load_waveglow(path: str | Path | None = None, *, for_inference: bool = True) -> WaveGlow:
    """Load a course WaveGlow (the shipped one by default) in float32, ready for ``infer``."""
    if path is None:
        from course_lib import settings
        path = settings.asset_path("waveglow", SHIPPED_NAME)
    payload = load_payload(path)
    model = model_for(payload, path)
    model.load_state_dict({k: v.float() for k, v in payload["model"].items()})
    return model.prepare_for_inference() if for_inference else model

