"""The shipped course Tacotron 2 (assets/tacotron2): intact, small, loadable, and really aligned."""

import json

import pytest

from course_lib import settings
from course_lib.tts.tacotron2 import Tacotron2Config
from course_lib.tts.train import evaluate, load_course_data, load_model
from course_lib.tts.train.checkpoints import sha256

ASSET = settings.ASSETS / "tacotron2"


def manifest() -> dict:
    return json.loads((ASSET / "MANIFEST.json").read_text())


def test_manifest_matches_the_files():
    m = manifest()
    assert m["command"].startswith("python -m course_lib.tts.train --preset course")
    for name, digest in m["files"].items():
        assert sha256(ASSET / name) == digest, f"{name} changed since it was exported; re-export it"
    assert (ASSET / m["file"]).stat().st_size <= 10 * 2**20, "the shipped model must stay under 10 MB"
    no_guide = json.loads((ASSET / "no_guide" / "MANIFEST.json").read_text())
    assert "--guided-attention 0" in no_guide["command"]
    for name, digest in no_guide["files"].items():
        assert sha256(ASSET / "no_guide" / name) == digest


def test_shipped_model_is_the_course_preset_and_aligns():
    model, normalizer, payload = load_model(ASSET / manifest()["file"], Tacotron2Config.course())
    assert payload["aligned_at"] is not None and len(payload["snapshots"]["steps"]) >= 10
    data = load_course_data()
    data.val = data.val[:6]
    data.val_utterances = data.val_utterances[:6]
    data.normalizer = normalizer
    metrics, _ = evaluate(model, data, n=6, per_utterance=True)
    assert metrics["within"] > 0.85, f"teacher-forced attention should be aligned, got {metrics}"
    per = metrics["per_utterance"]
    assert len(per) == 6 and abs(sum(s.within for s in per) / 6 - metrics["within"]) < 1e-9
