"""The shipped course WaveGlow: manifest, size budget, integrity, and that it loads and vocodes."""

import json

import torch

from course_lib import settings
from course_lib.checkpoint import sha256_file
from course_lib.tts.waveglow.checkpoint import SHIPPED_NAME, load_waveglow
from course_lib.tts.waveglow.config import WaveGlowConfig


def test_shipped_waveglow_matches_its_manifest_and_budget():
    path = settings.asset_path("waveglow", SHIPPED_NAME)
    manifest = json.loads(settings.asset_path("waveglow", "MANIFEST.json").read_text())[SHIPPED_NAME]
    assert path.stat().st_size <= 24_000_000, "the shipped WaveGlow must stay under 24 MB"
    assert sha256_file(path) == manifest["sha256"], "the checkpoint changed without re-running the export"
    assert manifest["commands"] and manifest["commands"][0].startswith("python -m course_lib.tts.waveglow.train")
    assert WaveGlowConfig.from_dict(manifest["config"]) == WaveGlowConfig.course()
    assert manifest["step"] > 1000 and manifest["history"]


def test_shipped_waveglow_vocodes_a_mel():
    model = load_waveglow()
    assert model.weight_norm_removed and not model.training
    mel = torch.full((1, 80, 20), -11.5)
    mel[:, 5:40, 5:15] = -2.0
    audio = model.infer(mel, sigma=0.6, generator=torch.Generator().manual_seed(0))
    assert audio.shape == (1, 20 * 256) and torch.isfinite(audio).all() and audio.abs().max() < 10


def test_quality_table_is_shipped():
    report = json.loads(settings.asset_path("waveglow", "quality.json").read_text())
    assert report["split"] == "test" and report["utterances"] >= 10
    for name in ("WaveGlow σ=0.6", "WaveGlow σ=0.6 + denoiser 0.1", "Griffin-Lim 32 it.", "Griffin-Lim 100 it."):
        assert {"pesq", "stoi", "lsd"} <= set(report["results"][name])


def test_all_assets_stay_within_the_course_budget():
    """COURSE.md: assets/ (corpus and every checkpoint) holds at most 60 MB in all."""
    root = settings.ASSETS
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    assert size <= 60_000_000, f"assets/ is {size / 1e6:.1f} MB, over the 60 MB budget"
