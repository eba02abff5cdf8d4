"""Tacotron 2 training: losses and masking, guided attention, exact resume, NaN stop, config mismatch, export."""

import json

import pytest
import torch

from course_lib.audio import AudioConfig
from course_lib.checkpoint import load_checkpoint
from course_lib.training import TrainingDiverged
from course_lib.tts.tacotron2 import Tacotron2Config
from course_lib.tts.tacotron2.train import (
    MelNormalizer,
    TrainConfig,
    TrainData,
    export_model,
    guide_weight,
    guided_attention_weights,
    load_model,
    masked_mse,
    tacotron2_loss,
    train,
)
from course_lib.tts.tacotron2.train.__main__ import model_overrides, parse_args
from course_lib.tts.tacotron2.train.losses import stop_targets

TINY = dict(symbols_embedding_dim=16, encoder_embedding_dim=16, prenet_dim=16, attention_rnn_dim=24,
            decoder_rnn_dim=24, attention_dim=8, attention_location_n_filters=4, attention_location_kernel_size=5,
            postnet_embedding_dim=16, n_mel_channels=8, n_frames_per_step=2, max_decoder_steps=20)


def fake_data(n=12, seed=0) -> TrainData:
    g = torch.Generator().manual_seed(seed)
    pairs = []
    for i in range(n):
        length = 4 + i % 5
        ids = torch.randint(1, 148, (length,), generator=g)
        mel = torch.randn(8, 3 * length, generator=g) - 5
        pairs.append((ids, mel))
    return TrainData(pairs[:-3], pairs[-3:], audio_config=AudioConfig(n_mels=8),  # as many bands as the mels
                     normalizer=MelNormalizer.fit([m for _, m in pairs[:-3]]))


def config(**kw) -> TrainConfig:
    base = dict(model_overrides=TINY, batch_size=4, max_steps=6, minutes=0, eval_every=3, checkpoint_every=3,
                n_eval=3, threads=1)
    base.update(kw)
    return TrainConfig(**base)


# ----------------------------------------------------------------------------------- losses
def test_masked_mse_ignores_padding():
    target = torch.zeros(2, 3, 5)
    pred = torch.zeros(2, 3, 5)
    pred[1, :, 3:] = 100.0  # garbage in the padding of item 1
    lengths = torch.tensor([5, 3])
    assert masked_mse(pred, target, lengths) == 0
    pred[0, 0, 0] = 2.0
    torch.testing.assert_close(masked_mse(pred, target, lengths), torch.tensor(4.0 / (8 * 3)))


def test_stop_targets_take_the_last_frame_of_each_group():
    gate = torch.tensor([[0, 0, 0, 0, 1, 1.0]])  # last real frame = 4 (0-based), r = 3 → step 1 stops
    assert stop_targets(gate, 3).tolist() == [[0.0, 1.0]]
    assert stop_targets(gate, 1).tolist() == gate.tolist()


def test_guided_attention_weights_follow_tachibana():
    w = guided_attention_weights(torch.tensor([10, 5]), torch.tensor([20, 8]), max_text=10, max_steps=20, g=0.2)
    assert w.shape == (2, 20, 10)
    assert w[0, 0, 0] == 0 and w[0, 10, 5] == 0, "no cost on the diagonal"
    assert w[0, 0, 9] > 0.9, "far from the diagonal costs almost 1"
    assert (w[1, 8:] == 0).all() and (w[1, :, 5:] == 0).all(), "padding costs nothing"
    expected = 1 - torch.exp(torch.tensor(-((3 / 10 - 12 / 20) ** 2) / (2 * 0.04)))
    torch.testing.assert_close(w[0, 12, 3], expected)


def test_guide_weight_fades_linearly():
    assert guide_weight(0, 1.0, 1000) == 1.0
    assert guide_weight(500, 1.0, 1000) == 0.5
    assert guide_weight(2000, 1.0, 1000) == 0.0
    assert guide_weight(5000, 2.0, 0) == 2.0 and guide_weight(0, 0.0, 100) == 0.0


def test_total_loss_has_all_terms_and_gradients():
    from course_lib.tts.tacotron2 import Tacotron2

    data = fake_data()
    model = Tacotron2(Tacotron2Config(**TINY))
    text, tl, mels, gates, ml = data.collate(data.train[:4], 2)
    out = model(text, tl, mels, ml)
    terms = tacotron2_loss(out, mels, gates, ml, tl, r=2, guide=1.0)
    assert set(terms) == {"mel", "postnet", "gate", "attention", "total"}
    torch.testing.assert_close(terms["total"], terms["mel"] + terms["postnet"] + terms["gate"] + terms["attention"])
    terms["total"].backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_collate_pads_with_normalised_silence():
    data = fake_data()
    text, tl, mels, gates, ml = data.collate(data.train[:4], 2)
    short = int(ml.argmin())
    silence = data.normalizer.normalize(torch.full((8, 1), float(torch.log(torch.tensor(1e-5)))))
    torch.testing.assert_close(mels[short, :, -1:], silence)


def test_train_config_checks_and_schedule():
    with pytest.raises(ValueError, match="preset"):
        TrainConfig(preset="huge")
    with pytest.raises(ValueError, match="budget"):
        TrainConfig(max_steps=0, minutes=0)
    with pytest.raises(ValueError, match="model_overrides"):
        TrainConfig(model_overrides={"no_such_field": 1})
    with pytest.raises(ValueError, match="minutes must be a finite number"):
        TrainConfig(minutes=float("inf"))
    with pytest.raises(TypeError, match=r"batch_size must be an integer, got True"):  # docs/VALIDATION.md: type
        TrainConfig(batch_size=True)
    with pytest.raises(ValueError, match=r"batch_size must be an integer >= 1, got 0"):
        TrainConfig(batch_size=0)
    with pytest.raises(ValueError, match=r"decay_rate must be a finite number in \(0, 1\]"):
        TrainConfig(decay_rate=1.5)
    with pytest.raises(TypeError, match="normalize_mels"):
        TrainConfig(normalize_mels="yes")
    c = TrainConfig(decay_start=100, decay_rate=0.5, decay_steps=100, min_learning_rate=1e-4)
    assert c.learning_rate_at(50) == 3e-3 and c.learning_rate_at(200) == pytest.approx(1.5e-3)
    assert c.learning_rate_at(10_000) == 1e-4


def test_cli_arguments():
    args = parse_args(["--preset", "course", "--out", "runs/x", "--minutes", "10", "--frames-per-step", "2"])
    assert args.out == "runs/x" and args.minutes == 10 and args.frames_per_step == 2
    assert model_overrides(args) == {"n_frames_per_step": 2}  # the attention stays the preset's
    args = parse_args(["--out", "runs/x", "--attention", "location"])
    assert model_overrides(args) == {"forward_attention": False}
    assert TrainConfig(model_overrides=model_overrides(args)).model_config() == Tacotron2Config.course(
        forward_attention=False)


# ----------------------------------------------------------------------------------- the loop
def test_resume_continues_exactly(tmp_path):
    straight = train(config(), tmp_path / "a", fake_data(), progress=False)
    train(config(max_steps=3), tmp_path / "b", fake_data(), progress=False)
    resumed = train(config(), tmp_path / "b", fake_data(), progress=False)
    assert straight.step == resumed.step == 6
    a = load_checkpoint(tmp_path / "a" / "checkpoint.pt")
    b = load_checkpoint(tmp_path / "b" / "checkpoint.pt")
    for key in a["model"]:
        assert torch.equal(a["model"][key], b["model"][key]), key
    assert a["epoch"] == b["epoch"] and a["batch"] == b["batch"]
    assert torch.equal(a["rng_torch"], b["rng_torch"])
    steps = [json.loads(l)["step"] for l in (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()]
    assert steps == [3, 6], "the log is not duplicated on resume"
    assert len(b["snapshots"]["alignments"]) == 2


def test_aligned_means_beating_the_constant_speed_line(tmp_path, monkeypatch):
    """The log marks each evaluation aligned or not by is_aligned, and aligned_at is the first that is."""
    from course_lib.tts.tacotron2.train import trainer

    real_evaluate, seen = trainer.evaluate, []

    def scored(model, data, n):  # 1st evaluation: the line's scores (within is high!), 2nd: a model with timing
        metrics, alignment = real_evaluate(model, data, n)
        seen.append(1)
        timing = {"within": 0.93, "timing_correlation": 0.0, "error_ratio": 1.0} if len(seen) == 1 else \
            {"within": 0.9, "timing_correlation": 0.8, "error_ratio": 0.6}
        return {**metrics, **timing}, alignment

    monkeypatch.setattr(trainer, "evaluate", scored)
    result = train(config(), tmp_path, fake_data(), progress=False)
    log = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [e["aligned"] for e in log] == [False, True]
    assert result.aligned_at["step"] == 6


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    data = fake_data()
    train(config(max_steps=3), tmp_path, data, progress=False)
    before = (tmp_path / "checkpoint.pt").read_bytes()
    for ids, mel in data.train:
        mel[0, 0] = 1e30  # finite (Tacotron2.forward refuses NaN mels) but the loss overflows
    with pytest.raises(TrainingDiverged,
                       match=r"became (nan|inf) at step 4; the last good checkpoint .* \(step 3\) is kept"):
        train(config(), tmp_path, data, progress=False)
    assert (tmp_path / "checkpoint.pt").read_bytes() == before


def test_resume_with_another_config_names_the_fields(tmp_path):
    train(config(max_steps=3), tmp_path, fake_data(), progress=False)
    other = config(learning_rate=5e-4, model_overrides={**TINY, "prenet_dim": 32})
    with pytest.raises(ValueError, match=r"prenet_dim: checkpoint 16 vs requested 32"):
        train(other, tmp_path, fake_data(), progress=False)
    with pytest.raises(ValueError, match=r"learning_rate: checkpoint 0.003 vs requested 0.0005"):
        train(config(learning_rate=5e-4), tmp_path, fake_data(), progress=False)
    with pytest.raises(ValueError, match=r"n_frames_per_step: checkpoint 2 vs requested 3"):
        load_model(tmp_path / "checkpoint.pt", Tacotron2Config(**{**TINY, "n_frames_per_step": 3}))


def test_export_and_load(tmp_path):
    train(config(), tmp_path / "run", fake_data(), progress=False)
    path = export_model(tmp_path / "run" / "checkpoint.pt", tmp_path / "asset", command="python -m test")
    manifest = json.loads((tmp_path / "asset" / "MANIFEST.json").read_text())
    from course_lib.checkpoint import sha256_file

    assert manifest["sha256"] == sha256_file(path) and manifest["command"] == "python -m test"
    assert manifest["step"] == 6 and manifest["dtype"] == "float16"
    assert (tmp_path / "asset" / "metrics.jsonl").read_text() == (tmp_path / "run" / "metrics.jsonl").read_text()
    assert manifest["files"]["metrics.jsonl"] == sha256_file(tmp_path / "asset" / "metrics.jsonl")
    model, normalizer, payload = load_model(path, Tacotron2Config.course(**TINY))  # what config() trains
    assert not model.training and next(model.parameters()).dtype == torch.float32
    assert normalizer.mean.shape == (8,) and len(payload["snapshots"]["steps"]) == 2
    with pytest.warns(RuntimeWarning, match="max_decoder_steps"):
        mel = model.inference("hi", max_decoder_steps=3, gate_threshold=0.999).mel_postnet
    assert mel.shape[1] == 8
    damaged = load_checkpoint(path)
    damaged["model"]["decoder.gate_layer.linear_layer.weight"] = torch.zeros(2, 3)
    torch.save(damaged, tmp_path / "damaged.pt")
    with pytest.raises(ValueError, match=r"damaged.pt does not fit a Tacotron 2 "
                                         r".*gate_layer.linear_layer.weight: \(2, 3\) in the file"):
        load_model(tmp_path / "damaged.pt")
    with pytest.raises(ValueError, match="not a course Tacotron 2 checkpoint"):
        torch.save({"state_dict": {}}, tmp_path / "other.pt")
        load_model(tmp_path / "other.pt")


def test_free_running_evaluation_reports_stopping_and_length():
    from course_lib.tts.tacotron2 import Tacotron2
    from course_lib.tts.tacotron2.train import evaluate_free_running

    model = Tacotron2(Tacotron2Config(**TINY))
    with torch.no_grad():
        model.decoder.gate_layer.linear_layer.bias.fill_(-50.0)  # never stops
    result = evaluate_free_running(model, fake_data(), n=2, max_length_ratio=1.0)
    assert result["stopped"] == 0.0 and len(result["length_ratios"]) == 2
    assert all(0.9 <= x <= 1.2 for x in result["length_ratios"]), "cut off at max_length_ratio × the true length"
