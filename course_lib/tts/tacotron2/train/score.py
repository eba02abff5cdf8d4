"""``python -m course_lib.tts.tacotron2.train.score assets/tacotron2 [--write]``: score an exported Tacotron 2
against the ground truth *and* the constant-speed baseline, and (with ``--write``) store the scores
in its ``MANIFEST.json`` under ``"alignment"``.

For the folder's model (if it holds weights): teacher-forced and free-running scores on every
validation sentence (:mod:`course_lib.tts.metrics.alignment`), and whether they count as aligned
(:func:`~course_lib.tts.metrics.alignment.is_aligned`). For its saved training snapshots (the attention on
validation sentence 0 at every evaluation): the same scores per snapshot, and the first snapshot that
counts as aligned (``aligned_at``, which replaces the one the run logged under an older definition).
With ``--references``: reference attentions on the same sentences, from which the thresholds were
chosen — the constant-speed line, the best content-blind line (pauses at both ends, constant speed
between, tuned on these sentences), a random and a shuffled attention, and the untrained model.
The weights and the logs are not touched; the manifest keeps their checksums.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

from course_lib.checkpoint import load_checkpoint, write_text_atomic
from course_lib.tts.metrics.alignment import (
    ALIGNED_CORRELATION,
    ALIGNED_ERROR_RATIO,
    alignment_scores,
    constant_speed_path,
    is_aligned,
    mean_scores,
)

from .config import TrainConfig
from .data import TrainData

DEFINITION = (f"timing_correlation >= {ALIGNED_CORRELATION} and error_ratio <= {ALIGNED_ERROR_RATIO} "
              "(course_lib.tts.metrics.alignment.is_aligned)")
_KEEP = ("within", "phoneme_error", "char_error", "focus", "timing_correlation", "lead", "lead_error", "within1",
         "error_ratio", "baseline_within", "baseline_phoneme_error", "baseline_lead_error", "baseline_within1",
         "backward_jumps")


def _rounded(scores: dict, prefix: str = "") -> dict:
    return {k: round(scores[prefix + k], 4) for k in _KEEP if prefix + k in scores}


def _one_hot(path: np.ndarray, chars: int) -> np.ndarray:
    a = np.zeros((len(path), chars))
    a[np.arange(len(path)), path] = 1.0
    return a


def paused_line_path(steps: int, chars: int, start: float, end: float) -> np.ndarray:
    """On character 0 for the first ``start`` of the steps, on the last for the final ``end``, at
    constant speed between: a line that knows speech opens and closes with a pause, and nothing else."""
    t = np.arange(steps) / max(steps - 1, 1)
    return np.rint(np.clip((t - start) / max(1.0 - start - end, 1e-9), 0, 1) * (chars - 1)).astype(int)


def reference_scores(data: TrainData, r: int, seed: int = 0) -> dict:
    """Mean scores (teacher-forced geometry: one step per ``r`` frames) of attentions that know nothing
    of the text, on every validation sentence."""
    import torch

    from course_lib import settings
    from course_lib.tts.tacotron2 import Tacotron2

    rng = np.random.default_rng(seed)
    shapes = [(math.ceil(mel.shape[1] / r), len(u.text), mel.shape[1], u) for (_, mel), u in
              zip(data.val, data.val_utterances)]

    def score(make) -> dict:
        return mean_scores([alignment_scores(_one_hot(make(s, c), c), u, n, r) for s, c, n, u in shapes])

    grid = [(a, b) for a in np.arange(0, 0.13, 0.03) for b in np.arange(0, 0.16, 0.03)]
    paused = {g: score(lambda s, c, g=g: paused_line_path(s, c, *g)) for g in grid}
    best = min(paused, key=lambda g: paused[g]["error_ratio"])
    out = {"constant_speed": _rounded(score(constant_speed_path)),
           "paused_line": {**_rounded(paused[best]), "start": round(float(best[0]), 2),
                           "end": round(float(best[1]), 2)},
           "random": _rounded(score(lambda s, c: rng.integers(0, c, s))),
           "shuffled_line": _rounded(score(lambda s, c: rng.permutation(constant_speed_path(s, c))))}
    from .evaluation import evaluate

    settings.seed_everything(seed)
    untrained = Tacotron2(TrainConfig().model_config()).eval()
    with torch.no_grad():
        metrics, _ = evaluate(untrained, data, n=len(data.val))
    out["untrained"] = _rounded(metrics)
    return out


def snapshot_scores(payload: dict, data: TrainData, r: int, log: dict[int, dict]) -> list[dict]:
    """Scores of every saved snapshot (validation sentence 0), with the step's logged time."""
    utt, (_, mel) = data.val_utterances[0], data.val[0]
    rows = []
    for step, a in zip(payload["snapshots"]["steps"], payload["snapshots"]["alignments"]):
        s = alignment_scores(a.float(), utt, mel.shape[1], r).as_dict()
        rows.append({"step": int(step), "elapsed_s": log.get(int(step), {}).get("elapsed_s"),
                     **{k: round(s[k], 4) for k in ("within", "timing_correlation", "error_ratio", "lead",
                                                    "baseline_within")},
                     "aligned": is_aligned(s)})
    return rows


def score_folder(folder, data: TrainData | None = None, references: bool = False) -> dict:
    """The ``"alignment"`` section for the manifest of ``folder`` (an :func:`export_model` folder)."""
    from .checkpoints import load_model
    from .data import MelNormalizer, load_course_data
    from .evaluation import evaluate, evaluate_free_running

    folder = Path(folder)
    manifest = json.loads((folder / "MANIFEST.json").read_text())
    path = folder / manifest["file"]
    payload = load_checkpoint(path)
    r = payload["model_config"]["n_frames_per_step"]
    if data is None:
        data = load_course_data(normalize=TrainConfig.from_dict(payload["train_config"]).normalize_mels)
    if payload.get("mel_stats"):
        data.normalizer = MelNormalizer.from_state_dict(payload["mel_stats"])
    log_path = folder / "metrics.jsonl"
    log = {}
    if log_path.exists():
        log = {e["step"]: e for e in map(json.loads, log_path.read_text().splitlines()) if "step" in e}
    snaps = snapshot_scores(payload, data, r, log)
    first = next((s for s in snaps if s["aligned"]), None)
    section = {"definition": DEFINITION, "snapshots_of": f"validation sentence 0 ({data.val_utterances[0].text!r})",
               "snapshots": snaps,
               "aligned_at": None if first is None else {"step": first["step"], "elapsed_s": first["elapsed_s"],
                                                         "scored_on": "snapshots of validation sentence 0"}}
    if payload.get("model"):
        model, _, _ = load_model(path)
        teacher, _ = evaluate(model, data, n=len(data.val))
        free = evaluate_free_running(model, data, n=len(data.val))
        section["teacher_forced"] = {**_rounded(teacher), "aligned": is_aligned(teacher), "sentences": len(data.val)}
        section["free_running"] = {**_rounded(free, "free_"), "aligned": bool(free["free_aligned"]),
                                   "stopped": free["stopped"], "length_ratio": round(free["length_ratio"], 4),
                                   "sentences": len(data.val)}
    if references:
        section["references"] = reference_scores(data, r)
    return section


def write_manifest(folder, section: dict, command: str) -> dict:
    """Store ``section`` under ``"alignment"``, the new ``aligned_at`` at the top level (the old one
    kept as ``aligned_at_logged``) and the train config as the current code reads it."""
    path = Path(folder) / "MANIFEST.json"
    manifest = json.loads(path.read_text())
    if "aligned_at_logged" not in manifest:
        manifest["aligned_at_logged"] = {"value": manifest.get("aligned_at"),
                                         "definition": "logged by the training run, under its own definition"}
    manifest["aligned_at"] = section["aligned_at"]
    manifest["train_config"] = TrainConfig.from_dict(manifest["train_config"]).to_dict()
    manifest["alignment"] = {"command": command, **section}
    write_text_atomic(path, json.dumps(manifest, indent=1) + "\n")
    return manifest


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m course_lib.tts.tacotron2.train.score", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folders", nargs="+", help="exported model folders (holding MANIFEST.json)")
    p.add_argument("--references", action="store_true", help="also score the reference attentions (first folder)")
    p.add_argument("--write", action="store_true", help="store the scores in each folder's MANIFEST.json")
    args = p.parse_args(argv)
    from .data import load_course_data

    data = load_course_data()
    command = "python -m course_lib.tts.tacotron2.train.score " + " ".join(argv if argv is not None else sys.argv[1:])
    missing = [f for f in args.folders if not (Path(f) / "MANIFEST.json").is_file()]
    if missing:
        print(f"error: {', '.join(missing)} hold(s) no MANIFEST.json; give folders written by --export",
              file=sys.stderr)
        return 1
    for i, folder in enumerate(args.folders):
        section = score_folder(folder, data, args.references and i == 0)
        print(f"{folder}: aligned at {section['aligned_at']}")
        for name in ("teacher_forced", "free_running"):
            if name in section:
                s = section[name]
                print(f"  {name}: timing correlation {s['timing_correlation']:.2f} (line 0), error ratio "
                      f"{s['error_ratio']:.2f} (line 1), within ±3 {s['within']:.3f} (line {s['baseline_within']:.3f})"
                      f", aligned {s['aligned']}")
        for name, s in section.get("references", {}).items():
            print(f"  reference {name}: timing correlation {s['timing_correlation']:.2f}, error ratio "
                  f"{s['error_ratio']:.2f}, within ±3 {s['within']:.3f}")
        if args.write:
            write_manifest(folder, section, command)
            print(f"  wrote {Path(folder) / 'MANIFEST.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
