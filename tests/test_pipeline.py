"""The text → speech pipeline (course_lib.tts.pipeline): loading, normalisation, chunking, vocoders, errors.

Tiny random-weight checkpoints in the course formats are written to tmp_path, so these tests do not
need the shipped ones; the last test uses the shipped checkpoints when they exist.
"""

import os
import time
import warnings

import numpy as np
import pytest
import torch

from course_lib import settings
from course_lib.audio import AudioConfig, mel_to_audio
from course_lib.checkpoint import save_checkpoint
from course_lib.text import split_text
from course_lib.tts import pipeline
from course_lib.tts.metrics import speech as E
from course_lib.tts.tacotron2 import Tacotron2, Tacotron2Config, text_to_mel
from course_lib.tts.tacotron2.train.checkpoints import MODEL_FORMAT
from course_lib.tts.tacotron2.train.data import MelNormalizer
from course_lib.tts.waveglow.config import WaveGlowConfig
from course_lib.tts.waveglow.model import WaveGlow

TINY_TACOTRON = dict(symbols_embedding_dim=16, encoder_embedding_dim=16, prenet_dim=16, attention_rnn_dim=24,
                     decoder_rnn_dim=24, attention_dim=8, attention_location_n_filters=4,
                     attention_location_kernel_size=5, postnet_embedding_dim=16, max_decoder_steps=10)
TINY_WAVEGLOW = dict(upsample_kernel=512, n_flows=4, n_early_every=2, wn_layers=2, wn_channels=8,
                     segment_length=8192, batch_size=2)


def write_tiny_tacotron(path, seed=0, mean_shift=-5.0, **overrides) -> tuple[Tacotron2, MelNormalizer]:
    """A random course-preset-shaped Tacotron 2 exported like course_lib.tts.tacotron2.train.export_model does."""
    torch.manual_seed(seed)
    config = Tacotron2Config.course(**{**TINY_TACOTRON, **overrides})
    model = Tacotron2(config).eval()
    normalizer = MelNormalizer(torch.linspace(-8, -2, 80) + mean_shift + 5, torch.linspace(1.5, 2.5, 80))
    save_checkpoint(path, {"format": MODEL_FORMAT, "model_config": config.to_dict(), "train_config": {},
                           "audio_config": AudioConfig().to_dict(), "mel_stats": normalizer.state_dict(),
                           "model": {k: v.half() if v.is_floating_point() else v
                                     for k, v in model.state_dict().items()},
                           "snapshots": {"steps": [], "alignments": []}, "step": 0, "elapsed_s": 0.0})
    model.load_state_dict({k: v.half().float() if v.is_floating_point() else v
                           for k, v in model.state_dict().items()})  # what the fp16 file gives back
    return model, normalizer


def write_tiny_waveglow(path, seed=0, **overrides) -> WaveGlow:
    torch.manual_seed(seed)
    config = WaveGlowConfig(**{**TINY_WAVEGLOW, **overrides})
    model = WaveGlow(config)
    for wn in model.WN:  # the end convs start at zero; give them weights so the flow does something
        torch.nn.init.normal_(wn.end.weight, std=0.05)
    torch.save({"model": model.state_dict(), "config": config.to_dict(), "step": 0}, path)
    return model


def write_tiny_f0_predictor(path, seed=0):
    """A random F0 predictor in the exported format (what assets/waveglow/f0_predictor.pt holds)."""
    from course_lib.tts.waveglow.f0_predictor import F0Predictor, F0PredictorConfig

    torch.manual_seed(seed)
    config = F0PredictorConfig(channels=8, dilations=(1,))
    save_checkpoint(path, {"model": F0Predictor(config).state_dict(), "config": config.to_dict()})


@pytest.fixture()
def tiny(tmp_path):
    pipeline.clear_cache()
    taco, wg = tmp_path / "tacotron2_course.pt", tmp_path / "waveglow_course.pt"
    model, normalizer = write_tiny_tacotron(taco)
    write_tiny_waveglow(wg)
    yield {"tacotron": taco, "waveglow": wg, "model": model, "normalizer": normalizer}
    pipeline.clear_cache()


def test_speak_returns_audio_rate_and_alignment(tiny):
    speech = pipeline.speak("Hello there.", tacotron=tiny["tacotron"], waveglow=tiny["waveglow"], seed=0)
    audio, sr, alignment = speech.audio, speech.sample_rate, speech.alignment
    assert sr == 22050 and audio.dtype == np.float32 and audio.ndim == 1
    assert np.isfinite(audio).all() and np.abs(audio).max() <= 1.0 and audio.std() > 0
    steps, symbols = alignment.shape
    assert symbols == len("hello there.")
    assert audio.shape[0] == steps * 3 * 256  # r = 3 frames per decoder step, hop 256
    np.testing.assert_allclose(alignment.sum(axis=1), 1.0, atol=1e-4)


def test_mels_are_unnormalised_exactly_as_training_normalised_them(tiny):
    speech = pipeline.speak("Good morning.", tacotron=tiny["tacotron"], vocoder="griffin-lim", seed=3)
    with torch.random.fork_rng():
        torch.manual_seed(3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            raw = text_to_mel(tiny["model"], "Good morning.").mel
    expected = tiny["normalizer"].denormalize(raw)
    torch.testing.assert_close(speech.mel, expected, atol=1e-4, rtol=1e-4)
    assert (speech.mel - raw).abs().mean() > 1.0  # the un-normalisation really changed something
    gl = mel_to_audio(expected, AudioConfig(), n_iter=32).astype(np.float32)
    gl = gl * (0.99 / np.abs(gl).max()) if np.abs(gl).max() > 1 else gl
    np.testing.assert_allclose(speech.audio, gl, atol=1e-4)  # the vocoder heard the un-normalised mel


def test_seed_makes_it_reproducible(tiny):
    kw = dict(tacotron=tiny["tacotron"], waveglow=tiny["waveglow"])
    a = pipeline.speak("One two.", seed=1, **kw).audio
    b = pipeline.speak("One two.", seed=1, **kw).audio
    c = pipeline.speak("One two.", seed=2, **kw).audio
    np.testing.assert_array_equal(a, b)
    assert a.shape != c.shape or not np.array_equal(a, c)
    quiet = pipeline.speak("One two.", seed=1, sigma=0.0, **kw).audio
    assert not np.array_equal(a, quiet)  # sigma reaches WaveGlow


def test_long_text_is_split_at_sentences_and_concatenated(tiny):
    text = "The first sentence is here. A second one follows! And a third?"
    speech = pipeline.speak(text, tacotron=tiny["tacotron"], waveglow=tiny["waveglow"], seed=0)
    assert speech.chunks == ["The first sentence is here.", "A second one follows!", "And a third?"]
    widths = [len(c) for c in ("the first sentence is here.", "a second one follows!", "and a third?")]
    assert speech.alignment.shape[1] == sum(widths)
    # block-diagonal: the steps of chunk 1 attend only to chunk 1's symbols
    steps1 = speech.alignment[:, : widths[0]].sum(axis=1) > 0.99
    assert steps1[:5].all() and not steps1[-5:].any()
    assert speech.mel.shape[1] * 256 == speech.audio.shape[0]
    assert len(speech.hit_max_steps) == 3
    assert split_text("  One.  Two?\nThree; four: five!") == ["One.", "Two?", "Three;", "four:", "five!"]
    # a sentence longer than max_chars is cut further, at commas
    cut = pipeline.speak("Apples, pears and plums, all ripe now.", tacotron=tiny["tacotron"], vocoder="griffin-lim",
                         seed=0, max_chars=16)
    assert cut.chunks == ["Apples,", "pears and plums,", "all ripe now."]


def test_models_are_cached_and_reloaded_when_the_file_changes(tiny):
    first = pipeline.load_tacotron2(tiny["tacotron"])
    assert pipeline.load_tacotron2(str(tiny["tacotron"])) is first
    assert pipeline.load_vocoder(tiny["waveglow"]) is pipeline.load_vocoder(tiny["waveglow"])
    write_tiny_tacotron(tiny["tacotron"], seed=5)
    stamp = time.time() + 5
    os.utime(tiny["tacotron"], (stamp, stamp))
    assert pipeline.load_tacotron2(tiny["tacotron"]) is not first


def test_loaded_models_can_be_passed_directly(tiny):
    acoustic = pipeline.load_tacotron2(tiny["tacotron"])
    vocoder = pipeline.load_vocoder(tiny["waveglow"])
    audio = pipeline.speak("Hi.", tacotron=acoustic, waveglow=vocoder, seed=0).audio
    ref = pipeline.speak("Hi.", tacotron=tiny["tacotron"], waveglow=tiny["waveglow"], seed=0).audio
    np.testing.assert_array_equal(audio, ref)
    bare = pipeline.load_tacotron2(tiny["model"])  # a bare Tacotron2 is taken to predict raw log-mels
    assert torch.equal(bare.normalizer.std, torch.ones(80))


def test_bad_input_is_refused_with_clear_errors(tiny, tmp_path, monkeypatch):
    kw = dict(tacotron=tiny["tacotron"], waveglow=tiny["waveglow"])
    with pytest.raises(ValueError, match="empty"):
        pipeline.speak("   ", **kw)
    with pytest.raises(TypeError, match="str"):
        pipeline.speak(b"bytes", **kw)
    with pytest.raises(ValueError, match="vocoder must be one of"):
        pipeline.speak("Hi.", vocoder="wavenet", **kw)
    with pytest.raises(ValueError, match="sigma"):
        pipeline.speak("Hi.", sigma=-1.0, **kw)
    with pytest.raises(FileNotFoundError, match="no Tacotron 2 checkpoint"):
        pipeline.speak("Hi.", tacotron=tmp_path / "nope.pt")
    with pytest.raises(TypeError, match="tacotron must be"):
        pipeline.speak("Hi.", tacotron=3)
    monkeypatch.setattr(settings, "ASSETS", tmp_path / "empty_assets")
    with pytest.raises(FileNotFoundError, match="shipped Tacotron 2"):
        pipeline.speak("Hi.")
    with pytest.raises(FileNotFoundError, match="shipped WaveGlow.*griffin-lim"):
        pipeline.speak("Hi.", tacotron=tiny["tacotron"], vocoder="waveglow")
    pipeline.clear_cache()
    with pytest.raises(FileNotFoundError, match="shipped F0 predictor.*griffin-lim"):
        pipeline.speak("Hi.", tacotron=tiny["tacotron"])
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(ValueError, match="neither a course WaveGlow"):
        pipeline.speak("Hi.", tacotron=tiny["tacotron"], waveglow=tmp_path / "junk.pt")


def test_vocoder_with_another_audio_config_is_refused(tiny, tmp_path):
    write_tiny_waveglow(tmp_path / "hop128.pt", hop_length=128)
    with pytest.raises(ValueError, match="share one AudioConfig"):
        pipeline.speak("Hi.", tacotron=tiny["tacotron"], waveglow=tmp_path / "hop128.pt")


def test_nvidia_checkpoints_plug_into_the_pipeline(tmp_path):
    from tests.test_nvidia_checkpoints import RefWaveGlow, random_nvidia_state, save_as_nvidia

    pipeline.clear_cache()
    state = random_nvidia_state(Tacotron2Config.paper(**{k: v for k, v in TINY_TACOTRON.items()
                                                          if k != "max_decoder_steps"}))
    state["decoder.gate_layer.linear_layer.bias"] = torch.tensor([10.0])  # stop at once, not after 1000 steps
    torch.save({"state_dict": state, "iteration": 1}, tmp_path / "tacotron2_statedict.pt")
    torch.manual_seed(0)
    save_as_nvidia(tmp_path / "waveglow.pt", RefWaveGlow(n_mel=80, hop=256, up_kernel=1024, n_flows=4))
    speech = pipeline.speak("Hi.", tacotron=tmp_path / "tacotron2_statedict.pt", waveglow=tmp_path / "waveglow.pt",
                            seed=0)
    acoustic = pipeline.load_tacotron2(tmp_path / "tacotron2_statedict.pt")
    assert torch.equal(acoustic.normalizer.mean, torch.zeros(80))  # NVIDIA: raw log-mels
    assert speech.audio.shape[0] == speech.mel.shape[1] * 256 and np.isfinite(speech.audio).all()
    pipeline.clear_cache()


SHIPPED = settings.ASSETS.joinpath(*pipeline.TACOTRON2_ASSET).is_file() and \
    settings.ASSETS.joinpath(*pipeline.WAVEGLOW_ASSET).is_file()


@pytest.mark.slow
@pytest.mark.skipif(not SHIPPED, reason="the shipped course checkpoints are not in assets/ yet")
def test_shipped_checkpoints_speak_by_default():
    pipeline.clear_cache()
    speech = pipeline.speak("The birch canoe slid on the smooth planks.", seed=0)
    assert not any(speech.hit_max_steps), "the shipped Tacotron 2 should stop on its own"
    seconds = len(speech.audio) / speech.sample_rate
    assert 1.0 < seconds < 8.0 and speech.audio.std() > 1e-3
    # a trained model attends monotonically: the strongest attention moves forward through the text
    attended = speech.alignment.argmax(axis=1)
    assert (np.diff(attended) >= -3).mean() > 0.95 and attended[-1] > 0.8 * speech.alignment.shape[1]
    gl = pipeline.speak("Hello.", vocoder="griffin-lim", seed=0)
    assert gl.sample_rate == 22050 and gl.audio.std() > 1e-3


def test_bf16_vocoder_matches_fp32(tiny):
    fp32 = pipeline.load_vocoder(tiny["waveglow"], precision="fp32")
    bf16 = pipeline.load_vocoder(tiny["waveglow"], precision="bf16")
    assert fp32 is not bf16 and bf16.WN[0].dtype == torch.bfloat16
    mel = torch.randn(80, 20) - 5
    a = pipeline.vocode(mel, waveglow=fp32, generator=torch.Generator().manual_seed(0))
    b = pipeline.vocode(mel, waveglow=bf16, generator=torch.Generator().manual_seed(0))
    snr = 10 * np.log10((a ** 2).sum() / ((a - b) ** 2).sum())
    assert snr > 25, snr
    with pytest.raises(ValueError, match="precision"):
        pipeline.load_vocoder(tiny["waveglow"], precision="fp8")


# ---------------------------------------------------------------------------- evaluation metrics


def _brute_dtw_cost(cost):
    n, m = cost.shape
    acc = np.full((n + 1, m + 1), np.inf)
    acc[0, 0] = 0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            acc[i, j] = cost[i - 1, j - 1] + min(acc[i - 1, j - 1], acc[i - 1, j], acc[i, j - 1])
    return acc[n, m]


def test_source_filter_vocoder_takes_its_pitch_clock_from_the_f0_predictor(monkeypatch):
    from course_lib.tts.waveglow.source_filter import build_waveglow

    pipeline.clear_cache()
    torch.manual_seed(0)
    model = build_waveglow(WaveGlowConfig(**{**TINY_WAVEGLOW, "n_group": 16, "n_early_size": 4,
                                             "conditioning": "per_flow", "excitation": 3})).eval()
    for wn in model.WN:
        torch.nn.init.normal_(wn.end.weight, std=0.05)
    mel = torch.full((80, 12), -11.5)                                  # digital silence: nothing voiced
    silent = pipeline.vocode(mel, waveglow=model, generator=torch.Generator().manual_seed(0))
    assert silent.shape == (12 * 256,) and np.isfinite(silent).all()   # a defined result, the clock at rest

    class Stub:
        def __init__(self, hz):
            self.hz = hz

        def predict(self, log_mel):
            return torch.full(log_mel.shape[::2], self.hz)

    outputs = {}
    for hz in (0.0, 100.0, 200.0):
        monkeypatch.setitem(pipeline._CACHE, ("f0_predictor",), Stub(hz))
        outputs[hz] = pipeline.vocode(mel, waveglow=model, generator=torch.Generator().manual_seed(0))
    np.testing.assert_allclose(outputs[0.0], silent, atol=1e-6)       # the shipped predictor also heard silence
    assert not np.allclose(outputs[100.0], outputs[0.0]) and not np.allclose(outputs[100.0], outputs[200.0])
    pipeline.clear_cache()


def test_the_default_vocoder_is_harmonic_plus_noise_on_the_predicted_f0(monkeypatch):
    from course_lib.tts import speak as speak_cli
    from course_lib.tts.waveglow.harmonic_noise import harmonic_plus_noise

    assert pipeline.VOCODERS[0] == "harmonic-noise" and speak_cli.VOCODERS == pipeline.VOCODERS
    assert speak_cli.parse_args(["Hi."]).vocoder == "harmonic-noise"
    assert speak_cli.parse_args(["Hi.", "--waveglow", "wg.pt"]).vocoder == "waveglow"  # a named WaveGlow is used
    mel = torch.full((80, 40), -11.5)
    mel[2:30, 5:35] = -2.0

    class Stub:
        def predict(self, log_mel):
            return torch.full(log_mel.shape[::2], 120.0)

    monkeypatch.setitem(pipeline._CACHE, ("f0_predictor",), Stub())
    audio = pipeline.vocode(mel, generator=torch.Generator().manual_seed(0))
    expected = harmonic_plus_noise(mel, np.full(40, 120.0), generator=torch.Generator().manual_seed(0))
    np.testing.assert_array_equal(audio, expected)
    unvoiced = harmonic_plus_noise(mel, np.zeros(40), generator=torch.Generator().manual_seed(0))
    assert np.abs(audio - unvoiced).max() > 1e-3  # the predictor's F0 made the difference
    pipeline.clear_cache()


def test_dtw_finds_the_cheapest_monotonic_path():
    rng = np.random.default_rng(0)
    for shape in [(1, 1), (1, 5), (6, 1), (7, 9), (12, 5)]:
        cost = rng.random(shape)
        rows, cols = E.dtw_path(cost)
        assert rows[0] == cols[0] == 0 and rows[-1] == shape[0] - 1 and cols[-1] == shape[1] - 1
        steps = np.stack([np.diff(rows), np.diff(cols)], 1)
        assert ((steps >= 0) & (steps <= 1)).all() and (steps.sum(1) >= 1).all()
        assert np.isclose(cost[rows, cols].sum(), _brute_dtw_cost(cost))


def test_mcd_and_lsd_known_values():
    rng = np.random.default_rng(1)
    ref = torch.tensor(rng.normal(-5, 2, (80, 40)), dtype=torch.float32)
    assert E.mel_cepstral_distortion(ref, ref) == pytest.approx(0.0, abs=1e-9)
    # a constant gain changes only c0 (loudness), which MCD leaves out; LSD sees 20·log10(e^0.5) dB
    assert E.mel_cepstral_distortion(ref, ref + 0.5) == pytest.approx(0.0, abs=1e-6)
    assert E.log_spectral_distance(ref, ref + 0.5) == pytest.approx(20 * 0.5 / np.log(10), rel=1e-6)
    # a slowed-down copy (every frame twice) is the same speech: DTW pairs it back
    slow = ref.repeat_interleave(2, dim=1)
    assert E.mel_cepstral_distortion(ref, slow) == pytest.approx(0.0, abs=1e-6)
    assert E.mel_cepstral_distortion(ref, slow, use_dtw=False) > 3.0
    other = torch.tensor(rng.normal(-5, 2, (80, 40)), dtype=torch.float32)
    assert E.mel_cepstral_distortion(ref, other) > 3.0
    with pytest.raises(ValueError, match="n_mels, frames"):
        E.mel_cepstral_distortion(ref[0], ref)


def test_stop_token_scores_and_rtf():
    logits = torch.tensor([-5.0, -5, -5, -5, 5])  # fires exactly at the last of 5 steps
    assert E.stop_token_scores(logits, n_frames=15, r=3) == {"accuracy": 1.0, "stop_error_frames": 0}
    early = torch.tensor([-5.0, -5, 5, 5, 5])
    assert E.stop_token_scores(early, n_frames=15, r=3) == {"accuracy": 0.6, "stop_error_frames": -6}
    never = torch.full((5,), -5.0)
    assert E.stop_token_scores(never, n_frames=13, r=3)["stop_error_frames"] is None
    assert E.real_time_factor(0.5, 22050) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        E.real_time_factor(1.0, 0)


def test_evaluate_utterance_on_a_held_out_sentence(tiny):
    from course_lib.data.corpus import load_corpus

    utt = min(load_corpus("test"), key=lambda u: u.num_samples)
    acoustic = pipeline.load_tacotron2(tiny["tacotron"])
    row = E.evaluate_utterance(acoustic, utt, vocoder="griffin-lim")
    assert 0 <= row["forced_accuracy"] <= 1 and 0 <= row["forced_within"] <= 1 and 0 <= row["free_within"] <= 1
    assert -1 <= row["free_timing_correlation"] <= 1 and row["free_error_ratio"] > 0
    assert 0 <= row["free_baseline_within"] <= 1
    assert row["mcd_db"] > 0 and row["lsd_db"] > 0 and row["rtf_tacotron2"] > 0 and row["rtf_vocoder"] > 0
    assert row["audio"].dtype == np.float32
    summary = E.summarize([row, row])
    assert summary["mcd_db"] == pytest.approx(row["mcd_db"]) and "audio" not in summary
