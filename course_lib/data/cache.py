"""Mel features cached on disk, keyed by the audio configuration (chapter 08).

Computing a log-mel spectrogram costs more than reading it back, and Tacotron sees every
utterance many times. Each entry lives in ``<root>/<config key>/<id>.pt`` and records the
:class:`~course_lib.audio.AudioConfig` fields and the sha256 of the audio file it came from; an
entry written with other audio settings, or from a wav that has changed since, is recomputed.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict
from pathlib import Path
from typing import Callable

import torch

from course_lib.audio import AudioConfig
from course_lib.checkpoint import save_checkpoint, sha256_file

_SAFE_ID = re.compile(r"^[A-Za-z0-9_.-]+$")


def config_key(config: AudioConfig) -> str:
    """Short stable hash of every AudioConfig field, e.g. ``"mel-3f2a9c1d0b7e4a65"``."""
    fields = json.dumps(asdict(config), sort_keys=True)
    return "mel-" + hashlib.sha256(fields.encode()).hexdigest()[:16]


def default_cache_dir() -> Path:
    """``<repo>/.cache/features`` (git-ignored)."""
    from course_lib import settings

    return settings.ROOT / ".cache" / "features"


class MelCache:
    """``cache.get(id, audio_path, compute)`` returns the cached mel or computes and stores it.

    ``hits`` and ``misses`` count what happened (handy in tests and notebooks).
    """

    def __init__(self, root=None, config: AudioConfig = AudioConfig()) -> None:
        if not isinstance(config, AudioConfig):
            raise TypeError(f"config must be an AudioConfig, got {type(config).__name__}")
        self.config = config
        self.dir = Path(root if root is not None else default_cache_dir()) / config_key(config)
        self.hits = self.misses = 0

    def path(self, utt_id: str) -> Path:
        if not _SAFE_ID.match(utt_id):
            raise ValueError(f"utterance id {utt_id!r} cannot name a cache file; use letters, digits, '_', '-', '.'")
        return self.dir / f"{utt_id}.pt"

    def _load(self, path: Path, source: str) -> torch.Tensor | None:
        try:
            entry = torch.load(path, map_location="cpu", weights_only=True)
        except Exception:  # a truncated or foreign file is simply recomputed
            return None
        if not isinstance(entry, dict) or entry.get("config") != asdict(self.config) or entry.get("source") != source:
            return None  # stale: other audio settings, or the wav changed
        mel = entry.get("mel")
        return mel if isinstance(mel, torch.Tensor) and mel.shape[0] == self.config.n_mels else None

    def get(self, utt_id: str, audio_path, compute: Callable[[], torch.Tensor]) -> torch.Tensor:
        """The mel ``[n_mels, frames]`` for ``utt_id``; ``compute()`` runs only on a miss."""
        path = self.path(utt_id)
        source = sha256_file(Path(audio_path))
        if path.exists():
            mel = self._load(path, source)
            if mel is not None:
                self.hits += 1
                return mel
        self.misses += 1
        mel = compute().detach().cpu().contiguous()
        save_checkpoint(path, {"mel": mel, "config": asdict(self.config), "source": source})  # atomic
        return mel
