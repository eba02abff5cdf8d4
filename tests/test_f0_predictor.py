"""The mel → F0 predictor of the source-filter vocoder: decoding, loss, bad input, training, export."""

import numpy as np
import pytest
import torch

from course_lib.audio import mel_spectrogram
from course_lib.tts.waveglow import f0_predictor as P
from course_lib.tts.waveglow.f0_predictor import F0Predictor, F0PredictorConfig

SMALL = F0PredictorConfig(channels=16, dilations=(1, 2))


def gaussian_logits(model, f0, voiced=True):
    """Logits whose pitch bins are the log of the training target for ``f0`` Hz (a perfect prediction)."""
    bins = torch.arange(model.config.n_bins, dtype=torch.float32)
    true = model.hz_to_bins(torch.tensor(f0, dtype=torch.float32))
    probs = torch.exp(-0.5 * ((bins - true) * model.config.bin_cents / model.config.target_cents) ** 2)
    logits = torch.cat([torch.tensor([5.0 if voiced else -5.0]), probs.clamp(min=1e-9).log()])
    return logits[None, :, None]


@pytest.mark.parametrize("f0", [61.3, 98.7, 117.0, 233.3])
def test_decode_reads_f0_between_bins_to_a_cent_and_respects_voicing(f0):
    model = F0Predictor(SMALL)
    got = float(model.decode(gaussian_logits(model, f0)))
    assert abs(1200 * np.log2(got / f0)) < 1.0                        # finer than the 20-cent bins
    assert float(model.decode(gaussian_logits(model, f0, voiced=False))) == 0.0
    second = gaussian_logits(model, f0)
    second[0, 1 + 150] = -1.0                                         # a far-off weaker peak does not pull it
    assert abs(1200 * np.log2(float(model.decode(second)) / f0)) < 1.0


def test_loss_is_lowest_for_the_right_pitch_and_ignores_pitch_on_unvoiced_frames():
    model = F0Predictor(SMALL)
    f0 = torch.tensor([[100.0]])
    right = P.f0_predictor_loss(model, gaussian_logits(model, 100.0), f0)
    wrong = P.f0_predictor_loss(model, gaussian_logits(model, 112.0), f0)  # two semitones off
    octave = P.f0_predictor_loss(model, gaussian_logits(model, 200.0), f0)
    assert right["pitch"] < wrong["pitch"] < octave["pitch"]
    unvoiced = P.f0_predictor_loss(model, gaussian_logits(model, 100.0, voiced=False), torch.zeros(1, 1))
    assert float(unvoiced["pitch"]) == 0.0 and float(unvoiced["voicing"]) < 0.01


def test_predict_bad_input():
    model = F0Predictor(SMALL)
    assert model.predict(torch.full((1, 80, 7), -11.5)).shape == (1, 7)
    with pytest.raises(ValueError, match="batch, 80, frames"):
        model.predict(torch.zeros(80, 7))
    with pytest.raises(ValueError, match="at least one frame"):
        model.predict(torch.zeros(1, 80, 0))
    with pytest.raises(ValueError, match="NaN"):
        model.predict(torch.full((1, 80, 3), float("nan")))
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        F0PredictorConfig(kernel_size=4)
    with pytest.raises(ValueError, match="unknown"):
        F0PredictorConfig.from_dict({"channel": 3})


def voice(f_start, f_end=None, seconds=0.8, sr=22050):
    """A buzz of 24 harmonics whose F0 glides from ``f_start`` to ``f_end`` Hz."""
    f = np.linspace(f_start, f_end or f_start, int(seconds * sr))
    phase = 2 * np.pi * np.cumsum(f) / sr
    return (sum(np.cos(h * phase) / h for h in range(1, 25)) * 0.05).astype(np.float32)


@pytest.mark.slow
def test_training_learns_an_unseen_pitch_resumes_and_exports(tmp_path):
    waves = [voice(f, f * 1.25) for f in (75, 90, 105, 125, 150)]         # glides over 75–188 Hz
    config = F0PredictorConfig(channels=32, dilations=(1, 2))
    from course_lib.tts.metrics.harmonics import f0_metrics

    constant = f0_metrics(np.full(70, 102.0), np.full(70, 120.0))      # the mean training pitch, always
    out = tmp_path / "f0"
    first = P.train(out, max_steps=300, config=config, waves=waves, val_waves=[voice(102.0)], lr=3e-3, progress=False)
    assert first["step"] == 300 and first["vuv_f1"] > 0.95
    assert first["f0_mean_cents"] < 60 < constant["f0_mean_cents"]     # a steady pitch it never heard
    again = P.train(out, max_steps=300, waves=waves, val_waves=[voice(102.0)], progress=False)
    assert again["step"] == 300                                         # resumed with the budget spent: no step
    P.export(out / "checkpoint.pt", tmp_path / "f0.pt")
    model = P.load_f0_predictor(tmp_path / "f0.pt")                      # float16 weights load back
    f0 = model.predict(mel_spectrogram(voice(102.0))[None])[0]
    assert (f0 > 0).float().mean() > 0.9 and abs(1200 * np.log2(float(f0[f0 > 0].median()) / 102.0)) < 60
    torch.save({"weights": {}}, tmp_path / "bad.pt")
    with pytest.raises(ValueError, match="not an F0 predictor"):
        P.load_f0_predictor(tmp_path / "bad.pt")


def test_shipped_f0_predictor_reads_the_test_split_within_20_cents():
    """Issue 19.3: ≤ 20 cents mean error against pYIN on the recordings; beside it, the trivial baseline of
    one constant F0 (the test split's median) voiced wherever pYIN voices."""
    import json

    from course_lib import settings
    from course_lib.checkpoint import sha256_file
    from course_lib.data.corpus import load_corpus
    from course_lib.tts.metrics.harmonics import f0_metrics
    from course_lib.tts.waveglow.excitation import pitch_track

    path = settings.asset_path("waveglow", P.SHIPPED_NAME)
    manifest = json.loads(settings.asset_path("waveglow", "MANIFEST.json").read_text())[P.SHIPPED_NAME]
    assert sha256_file(path) == manifest["sha256"] and path.stat().st_size < 1_500_000
    model = P.load_f0_predictor()
    waves = [u.load_audio() for u in load_corpus("test")]
    reference = np.concatenate([pitch_track(w) for w in waves])
    predicted = np.concatenate([model.predict(mel_spectrogram(w)[None])[0].numpy() for w in waves])
    constant = np.where(reference > 0, np.median(reference[reference > 0]), 0.0)
    ours, trivial = f0_metrics(reference, predicted), f0_metrics(reference, constant)
    assert ours["f0_mean_cents"] <= 20 and ours["vuv_f1"] >= 0.95
    assert trivial["f0_mean_cents"] > 3 * ours["f0_mean_cents"]       # the baseline it must beat, by far
