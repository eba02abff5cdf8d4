"""A run folder and its files: ``checkpoint.pt``, ``metrics.jsonl``, and exports with ``MANIFEST.json``.

Every file goes through :mod:`course_lib.checkpoint` (atomic writes, ``weights_only`` reads). One
sha256 (``course_lib.checkpoint.sha256_file``), one state-dict check and one export writer serve every
model the course trains.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from course_lib.checkpoint import append_line, load_checkpoint, save_checkpoint, sha256_file, write_text_atomic

CHECKPOINT = "checkpoint.pt"
LOG = "metrics.jsonl"
MANIFEST = "MANIFEST.json"


def check_state_dict(model: nn.Module, state, path, what: str = "the model") -> None:
    """``ValueError`` naming ``path`` and every missing, unexpected or misshapen tensor of ``state``."""
    if not isinstance(state, dict):
        raise ValueError(f"{path} holds no weights for {what} (it may be a snapshots-only export)")
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    problems = [f"{k} is a {type(v).__name__}, not a tensor" for k, v in state.items()
                if not isinstance(v, torch.Tensor)]
    got = {k: tuple(v.shape) for k, v in state.items() if isinstance(v, torch.Tensor)}
    problems += [f"missing {k}" for k in expected if k not in state]
    problems += [f"unexpected {k}" for k in got if k not in expected]
    problems += [f"{k}: {got[k]} in the file, {shape} in the model" for k, shape in expected.items()
                 if k in got and got[k] != shape]
    if problems:
        shown = "; ".join(problems[:4]) + (f"; and {len(problems) - 4} more" if len(problems) > 4 else "")
        raise ValueError(f"{path} does not fit {what} ({len(problems)} tensor(s)): {shown}; "
                         "the file is damaged or was written by other code")


def cast_weights(state: dict, dtype: torch.dtype) -> dict:
    """Floating-point tensors in ``dtype`` (float16 halves an export), the others unchanged."""
    return {k: v.to(dtype) if v.is_floating_point() else v for k, v in state.items()}


def export(path, payload: dict) -> dict:
    """Write an exported model atomically → ``{"file", "sha256", "bytes"}`` for its manifest."""
    path = save_checkpoint(path, payload)
    return {"file": path.name, "sha256": sha256_file(path), "bytes": path.stat().st_size}


def write_manifest(path, manifest: dict) -> Path:
    """Write a JSON manifest atomically."""
    return write_text_atomic(path, json.dumps(manifest, indent=1) + "\n")


class RunFolder:
    """``out/checkpoint.pt`` (resumed when present) and ``out/metrics.jsonl`` (one line per evaluation)."""

    def __init__(self, out):
        self.dir = Path(out)
        if self.dir.exists() and not self.dir.is_dir():
            raise ValueError(f"the run folder {self.dir} is a file, not a folder; give another --out")
        self.checkpoint, self.log = self.dir / CHECKPOINT, self.dir / LOG

    def read(self) -> dict | None:
        """The checkpoint's payload, or None for a new run."""
        return load_checkpoint(self.checkpoint) if self.checkpoint.exists() else None

    def start_log(self, step: int | None) -> None:
        """A fresh run (``step`` None) starts a fresh log; a resumed one keeps the lines up to ``step``
        (a line cut short by a killed writer is dropped)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        if step is None:
            self.log.unlink(missing_ok=True)
            return
        if self.log.exists():
            kept = []
            for line in self.log.read_text().splitlines():
                try:
                    if json.loads(line)["step"] <= step:
                        kept.append(line)
                except (json.JSONDecodeError, KeyError, TypeError):
                    continue
            write_text_atomic(self.log, "".join(line + "\n" for line in kept))

    def append(self, row: dict) -> None:
        append_line(self.log, json.dumps(row))
