"""WaveGlow training: segments, dequantisation, resumable atomic checkpoints, export; vocoder metrics."""

import json

import numpy as np
import pytest
import torch

from course_lib.checkpoint import sha256_file
from course_lib.tts.metrics import vocoder
from course_lib.tts.waveglow import data as WD
from course_lib.tts.waveglow import train as T
from course_lib.tts.waveglow.checkpoint import load_waveglow
from course_lib.tts.waveglow.config import WaveGlowConfig
from course_lib.tts.waveglow.model import WaveGlow
from course_lib.tts.waveglow.train import WaveGlowTrainConfig as C

SMALL = WaveGlowConfig(upsample_kernel=256, n_flows=4, n_early_every=2, wn_layers=2, wn_channels=8,
                       segment_length=2048, batch_size=2, learning_rate=1e-3)


def fake_waves(n=3, seconds=0.6, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * 22050)) / 22050
    waves = []
    for i in range(n):
        w = 0.3 * np.sin(2 * np.pi * (150 + 40 * i) * t) + 0.01 * rng.normal(size=t.shape)
        w[:2000] = 0.0                                      # digital silence, as in the corpus
        waves.append(np.round(w * 32768).clip(-32768, 32767).astype(np.float32) / 32768)
    return waves


def test_segments_line_up_with_mel_frames_and_are_dequantised():
    waves = fake_waves()
    sampler = WD.SegmentSampler(waves, segment_length=2048)
    mel, audio = sampler.segment(0, 3)
    assert mel.shape == (80, 8) and audio.shape == (2048,)
    assert torch.equal(audio, torch.as_tensor(waves[0][3 * 256:3 * 256 + 2048]))
    assert torch.equal(mel, sampler.mels[0][:, 3:11])
    mel_b, audio_b = sampler.batch(4, np.random.default_rng(0))
    assert mel_b.shape == (4, 80, 8) and audio_b.shape == (4, 2048)
    clean = WD.SegmentSampler(waves, 2048).batch(4, np.random.default_rng(0), dequantize=False)[1]
    noise = audio_b - clean
    assert 0 < noise.abs().max() <= 0.5 * WD.LSB + 1e-9      # ±½ LSB, never more
    assert (audio_b == 0).float().mean() < 1e-3              # no exact zeros survive


def test_short_utterances_are_padded_with_silence():
    sampler = WD.SegmentSampler([np.zeros(3000, np.float32) + 0.1], segment_length=4096)
    mel, audio = sampler.segment(0, 0)
    assert audio.shape == (4096,) and float(audio[3500]) == 0.0
    assert mel.shape == (80, 16) and float(mel[0, -1]) == pytest.approx(np.log(1e-5))


@pytest.mark.slow
def test_train_steps_lower_the_loss_fp32_and_bf16():
    torch.manual_seed(0)
    sampler = WD.SegmentSampler(fake_waves(), 2048)
    mel, audio = sampler.batch(2, np.random.default_rng(0))
    for bf16 in (False, True):
        model = WaveGlow(SMALL)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        losses = [T.train_step(model, opt, mel, audio, 1.0, bf16=bf16) for _ in range(15)]
        assert np.isfinite(losses).all() and losses[-1] < losses[0] - 0.3


@pytest.mark.slow
def test_a_resumed_run_can_lower_the_learning_rate(tmp_path, monkeypatch):
    monkeypatch.setattr(T, "load_split", lambda split, limit=None, root=None: fake_waves(seed=len(split)))
    out = tmp_path / "run"
    T.train(C(preset=SMALL, max_steps=2, n_eval_utts=1), out, progress=False)
    T.train(C(preset=SMALL, max_steps=4, n_eval_utts=1, learning_rate=2e-4), out, progress=False)
    T.train(C(preset=SMALL, max_steps=5, n_eval_utts=1), out, progress=False)     # no new rate: keeps the last one
    payload = torch.load(out / "checkpoint.pt", weights_only=True)
    assert payload["optimizer"]["param_groups"][0]["lr"] == 2e-4
    assert [row["lr"] for row in payload["history"]] == [SMALL.learning_rate, 2e-4, 2e-4]
    with pytest.raises(ValueError, match="learning_rate"):
        T.train(C(preset=SMALL, max_steps=6, learning_rate=0.0), out)


@pytest.mark.slow
def test_the_presets_schedule_and_silence_rule_apply_unless_flags_override_them(tmp_path, monkeypatch):
    monkeypatch.setattr(T, "load_split", lambda split, limit=None, root=None: fake_waves(seed=len(split)))
    scheduled = WaveGlowConfig(**{**SMALL.to_dict(), "warmup_steps": 4, "decay_steps": 10, "max_silence": 0.05})
    seen = []
    monkeypatch.setattr(T, "SegmentSampler",
                        lambda *a, **k: seen.append(k.get("max_silence")) or WD.SegmentSampler(*a, **k))
    row = T.train(C(preset=scheduled, max_steps=2, n_eval_utts=1), tmp_path / "preset", progress=False)
    assert row["lr"] == pytest.approx(SMALL.learning_rate * 2 / 4) and seen[0] == 0.05   # the preset's
    row = T.train(C(preset=scheduled, max_steps=2, n_eval_utts=1, warmup_steps=0, decay_steps=0, max_silence=1.0),
                  tmp_path / "flags", progress=False)
    assert row["lr"] == SMALL.learning_rate and seen[2] == 1.0                             # the flags'
    row = T.train(C(preset=SMALL, max_steps=2, n_eval_utts=1), tmp_path / "paper-like", progress=False)
    assert row["lr"] == SMALL.learning_rate and seen[4] == 1.0               # NVIDIA's: constant, every segment


@pytest.mark.slow
def test_train_resumes_from_atomic_checkpoint_and_exports(tmp_path, monkeypatch):
    monkeypatch.setattr(T, "load_split", lambda split, limit=None, root=None: fake_waves(seed=len(split)))
    out = tmp_path / "run"
    first = T.train(C(preset=SMALL, max_steps=3, n_eval_utts=1), out, progress=False, command="first")
    assert first["step"] == 3 and {"val_loss", "pesq", "stoi", "lsd"} <= set(first)
    assert not list(out.glob("*.tmp"))
    second = T.train(C(preset="course", max_steps=5, n_eval_utts=1), out, progress=False, command="second")
    assert second["step"] == 5                                  # resumed, and kept the saved (SMALL) config
    payload = torch.load(out / "checkpoint.pt", weights_only=True)
    assert payload["config"] == SMALL.to_dict() and payload["commands"] == ["first", "second"]
    assert len(payload["history"]) == 2

    target = tmp_path / "assets" / "wg.pt"
    info = T.export(out / "checkpoint.pt", target)
    assert info["sha256"] == sha256_file(target) and info["step"] == 5
    manifest = json.loads((target.parent / "MANIFEST.json").read_text())
    assert manifest["wg.pt"]["commands"] == ["first", "second"]
    assert all(v.dtype == torch.float16 for v in torch.load(target, weights_only=True)["model"].values())
    model = load_waveglow(target)
    assert model.infer(torch.zeros(1, 80, 4) - 5).shape == (1, 1024)

    with pytest.raises(ValueError, match="budget"):
        T.train(C(), out)


def test_cli_requires_a_budget(capsys):
    assert T.main(["--out", "x"]) == 1
    assert "give a budget" in capsys.readouterr().err


def test_vocoder_metrics_rank_clean_above_noisy():
    rng = np.random.default_rng(0)
    t = np.arange(22050) / 22050
    clean = (0.3 * np.sin(2 * np.pi * 200 * t) * (1 + np.sin(2 * np.pi * 3 * t))).astype(np.float32)
    noisy = clean + 0.05 * rng.normal(size=clean.shape).astype(np.float32)
    same = vocoder.vocoder_metrics(clean, clean)
    worse = vocoder.vocoder_metrics(clean, noisy)
    assert same["lsd"] == pytest.approx(0.0, abs=1e-9) and same["stoi"] > 0.99 and same["pesq"] > 4.0
    assert worse["lsd"] > 5 and worse["stoi"] < same["stoi"] and worse["pesq"] < 3.0
    # lengths are cut to the shorter signal (vocoders return whole frames)
    assert vocoder.log_spectral_distance(clean, np.concatenate([clean, clean[:300]])) == pytest.approx(0, abs=1e-9)
    with pytest.raises(ValueError, match="NaN"):
        vocoder.stoi(clean, np.full_like(clean, np.nan))
    with pytest.raises(ValueError, match="sample_rate"):
        vocoder.pesq_wb(clean, clean, sample_rate=0)
    with pytest.raises(ValueError, match="non-empty"):
        vocoder.log_spectral_distance([], [])


@pytest.mark.slow
def test_resume_continues_the_segment_stream_and_old_checkpoints_still_resume(tmp_path, monkeypatch):
    """Exact resume in-process (tests/test_resume.py kills a real run): 2 + 2 steps equal 4 straight steps
    when the checkpoint holds the stream's state; a checkpoint without it (older format) resumes too."""
    from course_lib.checkpoint import load_checkpoint, save_checkpoint

    monkeypatch.setattr(T, "load_split", lambda split, limit=None, root=None: fake_waves(seed=len(split)))
    conf = dict(n_eval_utts=1, save_minutes=1000)
    T.train(C(preset=SMALL, max_steps=4, **conf), tmp_path / "straight", progress=False)
    for name in ("resumed", "old"):
        T.train(C(preset=SMALL, max_steps=2, **conf), tmp_path / name, progress=False)
        if name == "old":
            payload = load_checkpoint(tmp_path / name / "checkpoint.pt")
            del payload["rng"], payload["world_size"]
            save_checkpoint(tmp_path / name / "checkpoint.pt", payload)
        assert T.train(C(preset=SMALL, max_steps=4, **conf), tmp_path / name, progress=False)["step"] == 4
    straight, resumed, old = (load_checkpoint(tmp_path / n / "checkpoint.pt") for n in ("straight", "resumed", "old"))
    assert straight["world_size"] == 1 and len(straight["rng"]) == 1
    assert all(torch.equal(straight["model"][k], resumed["model"][k]) for k in straight["model"])
    assert straight["rng"] == resumed["rng"]
    assert not all(torch.equal(straight["model"][k], old["model"][k]) for k in straight["model"])  # fresh segments


def test_a_checkpoint_that_does_not_fit_is_refused_with_its_mismatches(tmp_path):
    from course_lib.checkpoint import save_checkpoint
    from course_lib.training import check_state_dict

    model = WaveGlow(SMALL)
    state = model.state_dict()
    state["upsample.weight"] = state["upsample.weight"][:, :, :8]
    del state["WN.0.end.bias"]
    state["extra"] = torch.zeros(1)
    with pytest.raises(ValueError) as info:
        check_state_dict(model, state, "x.pt", "the WaveGlow")
    for word in ("x.pt", "upsample.weight", "missing WN.0.end.bias", "unexpected extra", "3 tensor"):
        assert word in str(info.value)
    save_checkpoint(tmp_path / "run" / "checkpoint.pt", {"model": model.state_dict(), "config": SMALL.to_dict()})
    with pytest.raises(ValueError, match="optimiser"):  # an exported model has no optimiser state to resume
        T.train(C(max_steps=1), tmp_path / "run", progress=False)


def test_a_new_run_can_start_from_exported_weights(tmp_path, monkeypatch):
    """--init-from: continue training the shipped (float16, optimiser-free) asset in a new run folder."""
    from course_lib.checkpoint import load_checkpoint

    monkeypatch.setattr(T, "load_split", lambda split, limit=None, root=None: fake_waves(seed=len(split)))
    conf = dict(n_eval_utts=1, save_minutes=1000)
    T.train(C(preset=SMALL, max_steps=2, **conf), tmp_path / "first", command="first command", progress=False)
    asset = tmp_path / "assets" / "wg.pt"
    T.export(tmp_path / "first" / "checkpoint.pt", asset)
    exported = load_checkpoint(asset)["model"]
    T.train(C(preset="course", max_steps=2, **conf), tmp_path / "again", init_from=asset, command="second",
            progress=False)  # budget spent: 0 new steps
    again = load_checkpoint(tmp_path / "again" / "checkpoint.pt")
    assert again["step"] == 2 and again["config"] == SMALL.to_dict()      # the asset's config, not "course"
    assert all(torch.equal(again["model"][k], exported[k].float()) for k in exported)
    assert T.train(C(preset=SMALL, max_steps=3, **conf), tmp_path / "again", init_from="ignored: the run resumes",
                   progress=False)["step"] == 3
    T.export(tmp_path / "again" / "checkpoint.pt", asset)  # the asset's provenance runs through both run folders
    manifest = json.loads((asset.parent / "MANIFEST.json").read_text())["wg.pt"]
    assert manifest["commands"] == ["first command", "second", "train(...)"]
    assert [row["step"] for row in manifest["history"]] == [2, 3]  # the session that trained no step logged nothing
    changed = load_checkpoint(tmp_path / "again" / "checkpoint.pt")["model"]
    assert not all(torch.equal(changed[k], exported[k].float()) for k in exported)


def test_set_changes_one_field_of_the_preset_and_refuses_unknown_ones(capsys):
    cfg = T._with_changes(WaveGlowConfig.course(), ["n_group=128", "n_early_every=2", "n_early_size=16",
                                                    "conditioning=upsampled", "max_silence=1"])
    assert (cfg.n_group, cfg.n_early_size, cfg.conditioning, cfg.max_silence) == (128, 16, "upsampled", 1.0)
    assert cfg.wn_channels == WaveGlowConfig.course().wn_channels                  # the rest is the preset's
    assert T.main(["--out", "unused", "--max-steps", "1", "--set", "n_groop=3"]) == 1
    assert "--set needs FIELD=VALUE with a WaveGlowConfig field" in capsys.readouterr().err
    assert T.main(["--out", "unused", "--max-steps", "1", "--set", "n_group=7"]) == 1
    assert "n_group must be even" in capsys.readouterr().err
