"""The shipped course Tacotron 2 (assets/tacotron2): intact, small, loadable, and really aligned."""

import json
import re

from course_lib import settings
from course_lib.checkpoint import sha256_file
from course_lib.tts.metrics import alignment
from course_lib.tts.metrics.alignment import is_aligned
from course_lib.tts.tacotron2 import Tacotron2Config
from course_lib.tts.tacotron2.train import evaluate, load_course_data, load_model

ASSET = settings.ASSETS / "tacotron2"


def manifest(folder=ASSET) -> dict:
    return json.loads((folder / "MANIFEST.json").read_text())


def test_manifest_matches_the_files():
    m = manifest()
    assert m["command"].startswith("python -m course_lib.tts.tacotron2.train --preset course")
    for name, digest in m["files"].items():
        assert sha256_file(ASSET / name) == digest, f"{name} changed since it was exported; re-export it"
    assert (ASSET / m["file"]).stat().st_size <= 10 * 2**20, "the shipped model must stay under 10 MB"
    no_guide = manifest(ASSET / "no_guide")
    assert "--guided-attention 0" in no_guide["command"]
    for name, digest in no_guide["files"].items():
        assert sha256_file(ASSET / "no_guide" / name) == digest


def test_shipped_model_is_the_course_preset_and_aligns():
    model, normalizer, payload = load_model(ASSET / manifest()["file"], Tacotron2Config.course())
    assert payload["aligned_at"] is not None and len(payload["snapshots"]["steps"]) >= 10
    data = load_course_data()
    data.normalizer = normalizer
    n = len(data.val)  # all 28: on a handful of sentences prenet dropout moves the scores by ±0.1
    metrics, _ = evaluate(model, data, n=n, per_utterance=True)
    assert is_aligned(metrics), f"teacher-forced attention should beat the constant-speed line, got {metrics}"
    assert metrics["within"] > metrics["baseline_within"] - 0.05
    per = metrics["per_utterance"]
    assert len(per) == n and abs(sum(s.within for s in per) / n - metrics["within"]) < 1e-9


def test_manifests_hold_the_scores_beside_the_baseline():
    """Written by ``python -m course_lib.tts.tacotron2.train.score assets/tacotron2 assets/tacotron2/no_guide
    --references --write``."""
    m = manifest()["alignment"]
    assert m["command"].startswith("python -m course_lib.tts.tacotron2.train.score")
    assert m["teacher_forced"]["aligned"] and m["free_running"]["aligned"] and m["teacher_forced"]["sentences"] == 28
    assert is_aligned(m["teacher_forced"]) and is_aligned(m["free_running"]), "the flags agree with the definition"
    assert manifest()["aligned_at"]["step"] == next(s["step"] for s in m["snapshots"] if s["aligned"])
    ref = m["references"]
    assert ref["constant_speed"]["timing_correlation"] == 0 and ref["constant_speed"]["error_ratio"] == 1
    for name in ("constant_speed", "paused_line", "random", "shuffled_line", "untrained"):
        assert not is_aligned(ref[name]), f"the {name} reference must not count as aligned"
    assert "aligned_within" not in manifest()["train_config"]
    no_guide = manifest(ASSET / "no_guide")
    assert no_guide["aligned_at"] is None and not any(s["aligned"] for s in no_guide["alignment"]["snapshots"])


def test_the_metric_docstring_quotes_the_manifests():
    """The table in ``course_lib.tts.metrics.alignment``'s docstring copies the manifests' scores; it must
    say what they say (rounded as printed), so retraining the model cannot leave it stale."""
    m = manifest()["alignment"]
    no_guide = manifest(ASSET / "no_guide")["alignment"]["snapshots"][-1]
    rows = {"shipped course model (assets/tacotron2)": m["teacher_forced"],
            "the same, free running (time-stretched truth)": m["free_running"],
            "constant-speed line": m["references"]["constant_speed"],
            "untrained model": m["references"]["untrained"],
            f"no guided attention, {no_guide['step']} steps (sentence 0)": no_guide}
    for label, scores in rows.items():
        found = re.search(rf"^\s+{re.escape(label)}\s+(\S+)\s+(\S+)\s+(\S+)\s*$", alignment.__doc__, re.M)
        assert found, f"the docstring has no row {label!r}"
        for printed, key in zip(found.groups(), ("timing_correlation", "error_ratio", "within")):
            digits = len(printed.partition(".")[2])
            assert float(printed.replace("−", "-")) == round(scores[key], digits), \
                f"{label}: the docstring says {key} = {printed}, the manifest {scores[key]}; rewrite the docstring"
