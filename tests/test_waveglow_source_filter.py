"""Per-flow conditioning and the source excitation: shapes, exact invertibility, phase, bad input, metrics."""

import math

import numpy as np
import pytest
import torch

from course_lib.optim.schedules import warmup_cosine_lr
from course_lib.tts.metrics import harmonics as H
from course_lib.tts.metrics.vocoder import mr_stft_distance, mr_stft_loss
from course_lib.tts.waveglow import data as WD
from course_lib.tts.waveglow import excitation as E
from course_lib.tts.waveglow import train as T
from course_lib.tts.waveglow.checkpoint import load_waveglow
from course_lib.tts.waveglow.config import WaveGlowConfig
from course_lib.tts.waveglow.model import WaveGlow, waveglow_loss
from course_lib.tts.waveglow.source_filter import SourceFilterWaveGlow, build_waveglow, interpolate_frames
from course_lib.tts.waveglow.train import WaveGlowTrainConfig as C

SR = 22050
SMALL = WaveGlowConfig(n_flows=4, n_group=16, n_early_every=2, n_early_size=4, wn_layers=2, wn_channels=8,
                       segment_length=2048, batch_size=2, conditioning="per_flow", excitation=3)


def perturbed(config, seed=0, scale=0.05):
    torch.manual_seed(seed)
    model = build_waveglow(config)
    with torch.no_grad():
        for wn in model.WN:
            wn.end.weight.normal_(0, scale)
            wn.end.bias.normal_(0, scale)
    return model


def harmonic_wave(f0=120.0, seconds=1.0, n_harm=20, silence=0):
    t = np.arange(int(seconds * SR)) / SR
    w = sum(np.cos(2 * np.pi * h * f0 * t) / h for h in range(1, n_harm + 1)) * 0.1
    w[:silence] = 0.0
    return w.astype(np.float32)


def test_per_flow_course_preset_is_cheaper_and_has_no_upsampled_tensor():
    nvidia_layout = WaveGlow(WaveGlowConfig.course(conditioning="upsampled"))
    model = build_waveglow(WaveGlowConfig.course())
    names = model.state_dict().keys()
    assert isinstance(model, SourceFilterWaveGlow) and not any(n.startswith("upsample") for n in names)
    assert not any("cond_layer" in n for n in names) and "cond.11.conv.weight_v" in names
    assert model.state_dict()["cond.0.conv.weight_v"].shape == (2 * 44 * 5, 80, 3)
    assert sum(p.numel() for p in model.parameters()) < sum(p.numel() for p in nvidia_layout.parameters()) / 4
    assert type(build_waveglow(nvidia_layout.config)) is WaveGlow  # NVIDIA's layout stays the plain class
    with pytest.raises(ValueError, match="build_waveglow"):
        WaveGlow(WaveGlowConfig.course())


@pytest.mark.parametrize("config", [SMALL, WaveGlowConfig(**{**SMALL.to_dict(), "excitation": 0}),
                                    WaveGlowConfig(**{**SMALL.to_dict(), "conditioning": "upsampled",
                                                      "upsample_kernel": 512})])
def test_flow_is_exactly_invertible_given_the_same_conditioning(config):
    model = perturbed(config)
    mel = torch.randn(2, 80, 8) - 5
    audio = 0.1 * torch.randn(2, 2048)
    f0 = torch.tensor([[0, 0, 110, 115, 120, 120, 0, 90.0]] * 2)
    exc = E.excitation(f0, 2048, generator=torch.Generator().manual_seed(0)) if config.excitation else None
    args = (exc,) if exc is not None else ()
    with torch.no_grad():
        z, log_det = model(mel, audio, *args)
        back = model.inverse(mel, z, *args)
    assert z.shape == (2, 16, 128) and torch.allclose(back, audio, atol=1e-5)
    assert log_det.shape == (2,) and math.isfinite(float(waveglow_loss(z, log_det)))
    reference = model.inverse(mel, z.detach(), *args)
    model.prepare_for_inference()                       # weight norm folded: the same function
    assert torch.allclose(model.inverse(mel, z.detach(), *args), reference, atol=1e-5)


def test_the_excitation_reaches_every_coupling_and_is_required():
    model = perturbed(SMALL)
    mel, audio = torch.randn(1, 80, 8) - 5, 0.1 * torch.randn(1, 2048)
    f0 = torch.full((1, 8), 110.0)
    z0 = model(mel, audio, E.excitation(f0, 2048, phase=0.0))[0]
    z1 = model(mel, audio, E.excitation(f0, 2048, phase=1.0))[0]
    assert not torch.allclose(z0, z1)
    with pytest.raises(ValueError, match="needs excitation"):
        model(mel, audio)
    with pytest.raises(ValueError, match="without a source excitation"):
        perturbed(WaveGlowConfig(**{**SMALL.to_dict(), "excitation": 0}))(mel, audio, torch.zeros(1, 3, 2048))
    with pytest.raises(ValueError, match="NaN"):
        model(mel, audio, torch.full((1, 3, 2048), float("nan")))


def test_interpolation_puts_each_group_at_its_centre_between_frame_centres():
    c = torch.arange(4.0)[None, None]                    # frame f holds f, centred on sample f·256
    out = interpolate_frames(c, 64, 256, 16)              # group t's centre: 16 t + 7.5
    expected = ((torch.arange(64) * 16 + 7.5) / 256).clamp(max=3)
    assert torch.allclose(out[0, 0], expected)


def test_excitation_shapes_voicing_and_pulse_train():
    f0 = torch.tensor([[100.0] * 20 + [0.0] * 10])
    exc = E.excitation(f0, 30 * 256, phase=0.0)
    assert exc.shape == (1, 3, 7680) and exc.dtype == torch.float32
    assert exc[0, :, 29 * 256:].abs().max() == 0                        # unvoiced frames: no excitation
    voiced = exc[0, :, 256:18 * 256]
    assert torch.allclose(voiced[0] ** 2 + voiced[1] ** 2, torch.ones(voiced.shape[1]), atol=1e-5)
    assert float(voiced[2].pow(2).mean()) == pytest.approx(1.0, rel=0.05)  # unit-RMS pulse train
    peaks = torch.nonzero(voiced[2] > 0.5 * voiced[2].max()).flatten()
    assert np.median(np.diff(peaks.numpy())[np.diff(peaks.numpy()) > 1]) == pytest.approx(SR / 100, abs=1)
    assert H.harmonic_metrics(voiced[2].numpy(), np.full(18, 100.0))["harmonic_share"] > 0.9  # lines at k·F0


def test_excitation_does_not_depend_on_the_starting_phase_except_by_a_shift():
    f0 = torch.full((1, 20), 125.0)
    a = E.excitation(f0, 4096, phase=0.0)[0]
    b = E.excitation(f0, 4096, phase=math.pi / 2)[0]
    assert torch.allclose(b[0], -a[1], atol=1e-5)                       # cos(φ + π/2) = −sin φ
    spec = [np.abs(np.fft.rfft(x[2].numpy() * np.hanning(4096))) for x in (a, b)]
    assert np.corrcoef(*spec)[0, 1] > 0.99                              # same harmonics, shifted pulses
    r1 = E.excitation(f0.repeat(2, 1), 4096, generator=torch.Generator().manual_seed(1))
    assert not torch.allclose(r1[0], r1[1])                             # random phase per row


@pytest.mark.parametrize("true_phase", [0.0, 1.0, -2.5])
def test_locked_phase_lines_the_clock_up_with_the_recording(true_phase):
    t = np.arange(8192) / SR
    wave = 0.3 * np.cos(2 * np.pi * 110 * t + true_phase) + 0.1 * np.cos(2 * np.pi * 220 * t + 0.3)
    audio, f0 = torch.tensor(wave, dtype=torch.float32)[None], torch.full((1, 33), 110.0)
    phase = E.locked_phase(audio, f0)
    assert abs(math.remainder(float(phase) - true_phase, 2 * math.pi)) < 0.1
    clock = E.excitation(f0, 8192, phase=phase)[0, 0].numpy()
    assert np.corrcoef(clock, wave)[0, 1] > 0.9                       # a random phase would give ~0 on average
    assert float(E.locked_phase(audio, torch.zeros(1, 33))) == 0.0     # nothing voiced: phase 0


def test_excitation_bad_input_and_all_unvoiced():
    assert E.excitation(torch.zeros(2, 5), 1280).abs().max() == 0       # defined result: silence
    with pytest.raises(ValueError, match="outside the speech range"):
        E.excitation(torch.tensor([100.0, 2000.0]), 512)
    with pytest.raises(ValueError, match="outside the speech range"):
        E.excitation(torch.tensor([10.0, 100.0]), 512)
    with pytest.raises(ValueError, match="NaN"):
        E.excitation(np.array([np.nan, 100.0]), 512)
    with pytest.raises(ValueError, match="cover"):
        E.excitation(torch.full((1, 2), 100.0), 600)
    with pytest.raises(ValueError, match="shape"):
        E.excitation(torch.zeros(1, 2, 3), 256)
    with pytest.raises(ValueError, match="phase"):
        E.excitation(torch.full((2, 2), 100.0), 256, phase=[0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="phase"):
        E.excitation(torch.full((1, 2), 100.0), 256, phase=float("inf"))
    with pytest.raises(ValueError, match="n_samples"):
        E.excitation(torch.full((1, 2), 100.0), 0)
    with pytest.raises(ValueError, match="conditioning"):
        WaveGlowConfig(conditioning="sideways")
    with pytest.raises(ValueError, match="excitation"):
        WaveGlowConfig(excitation=-1)


@pytest.mark.slow
def test_pitch_track_finds_f0_on_the_mel_frame_grid_and_silence_is_unvoiced():
    from course_lib.audio import mel_spectrogram

    wave = harmonic_wave(120.0, 1.0, silence=5000)
    f0 = E.pitch_track(wave)
    assert f0.shape == (mel_spectrogram(wave).shape[1],)
    assert (f0[:15] == 0).all() and np.median(f0[30:]) == pytest.approx(120, rel=0.02)
    metrics = H.f0_metrics(f0, E.pitch_track(wave))
    assert metrics == {"f0_rmse_cents": 0.0, "f0_mean_cents": 0.0, "vuv_f1": 1.0}
    with pytest.raises(ValueError, match="win_length"):
        E.pitch_track(np.zeros(100, np.float32))


def test_harmonic_metrics_tell_a_voice_from_noise():
    f0 = np.full(87, 120.0)
    voice = H.harmonic_metrics(harmonic_wave(120.0), f0)
    noise = H.harmonic_metrics(np.random.default_rng(0).normal(size=SR).astype(np.float32) * 0.1, f0)
    assert voice["harmonic_share"] > 0.9 and voice["harmonic_contrast_db"] > 20
    assert 0.2 < noise["harmonic_share"] < 0.4 and abs(noise["harmonic_contrast_db"]) < 1.5
    assert np.isnan(H.harmonic_metrics(harmonic_wave(), np.zeros(87))["harmonic_share"])
    octave = H.f0_metrics([100.0, 100, 0, 0], [200.0, 0, 100, 0])
    assert octave["f0_rmse_cents"] == pytest.approx(1200) and octave["vuv_f1"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="finite"):
        H.f0_metrics([np.nan], [100.0])


def test_mr_stft_distance_is_zero_for_identical_and_grows_with_noise():
    clean = harmonic_wave()
    noisy = clean + 0.01 * np.random.default_rng(0).normal(size=clean.shape).astype(np.float32)
    noisier = clean + 0.05 * np.random.default_rng(0).normal(size=clean.shape).astype(np.float32)
    assert mr_stft_distance(clean, clean) == 0
    assert 0 < mr_stft_distance(clean, noisy) < mr_stft_distance(clean, noisier)


def test_mr_stft_loss_is_the_distance_batched_and_differentiable():
    clean = torch.from_numpy(harmonic_wave()).double()
    noisy = clean + 0.02 * torch.randn(clean.shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    pair = torch.stack([clean, noisy])
    guess = torch.stack([noisy, clean]).requires_grad_(True)
    loss = mr_stft_loss(pair, guess)
    expected = (mr_stft_distance(clean.numpy(), noisy.numpy()) + mr_stft_distance(noisy.numpy(), clean.numpy())) / 2
    assert loss.item() == pytest.approx(expected, rel=1e-9)            # the batch mean of the per-pair distance
    loss.backward()
    assert torch.isfinite(guess.grad).all() and guess.grad.abs().sum() > 0
    silent = torch.zeros(1, 4096, dtype=torch.float64, requires_grad=True)   # a silent guess: floored, finite
    mr_stft_loss(clean[None, :4096], silent).backward()
    assert torch.isfinite(silent.grad).all()


def test_hybrid_objective_adds_the_stft_term_of_a_sample_drawn_through_the_inverse(monkeypatch):
    waves = [harmonic_wave(110.0 + 20 * i, 0.5) for i in range(2)]
    sampler = WD.SegmentSampler(waves, 2048)
    cfg = WaveGlowConfig(**{**SMALL.to_dict(), "excitation": 0})
    config = C(preset=cfg, max_steps=1, stft_weight=0.5, stft_sigma=0.3)
    task = T.WaveGlowTask(config, cfg, sampler, np.random.default_rng(0), None, [], [])
    batch = task.next_batch({})
    mel, audio, z = batch
    assert z.shape == (2, cfg.n_group, 2048 // cfg.n_group) and 0.2 < float(z.std()) < 0.4   # σ = stft_sigma
    model = perturbed(cfg)
    terms = task.loss(task.forward(model, batch), batch, {})
    sample = model.inverse(mel, z)
    assert float(terms["stft"]) == pytest.approx(float(mr_stft_loss(audio, sample)), rel=1e-5)
    assert float(terms["total"]) == pytest.approx(float(terms["nll"] + 0.5 * terms["stft"]), rel=1e-6)
    terms["total"].backward()                                           # the gradient reaches through the inverse
    assert all(wn.end.weight.grad is not None and wn.end.weight.grad.abs().sum() > 0 for wn in model.WN)
    plain = T.WaveGlowTask(C(preset=cfg, max_steps=1), cfg, sampler, np.random.default_rng(0), None, [], [])
    assert set(plain.loss(plain.forward(model, plain.next_batch({})), None, {})) == {"total"}
    with pytest.raises(ValueError, match="stft_weight"):
        C(preset=cfg, max_steps=1, stft_weight=-1.0)


def test_warmup_then_cosine_decay():
    lrs = [warmup_cosine_lr(1e-3, s, warmup=10, decay=110) for s in range(130)]
    assert lrs[0] == pytest.approx(1e-4) and lrs[9] == pytest.approx(1e-3)
    assert lrs[60] == pytest.approx(0.55e-3) and lrs[110] == lrs[129] == pytest.approx(1e-4)
    assert all(a >= b for a, b in zip(lrs[9:], lrs[10:]))
    assert warmup_cosine_lr(1e-3, 5) == 1e-3                             # no schedule: constant


def test_gaussian_dequantisation_has_the_asked_spread():
    waves = [np.zeros(20000, np.float32)]
    uniform = WD.SegmentSampler(waves, 4096).batch(4, np.random.default_rng(0))[1] / WD.LSB
    gaussian = WD.SegmentSampler(waves, 4096, gaussian_lsb=4.0).batch(4, np.random.default_rng(0))[1] / WD.LSB
    assert uniform.abs().max() <= 0.5 and float(uniform.std()) == pytest.approx(12 ** -0.5, rel=0.05)
    assert float(gaussian.std()) == pytest.approx(4.0, rel=0.05) and gaussian.abs().max() > 8
    with pytest.raises(ValueError, match="gaussian_lsb"):
        WD.SegmentSampler(waves, 4096, gaussian_lsb=-1.0)


def test_silent_segments_are_redrawn():
    waves = [np.zeros(20000, np.float32), harmonic_wave(110.0, 1.0)]
    sampler = WD.SegmentSampler(waves, 2048, max_silence=0.5)
    _, audio = sampler.batch(8, np.random.default_rng(0), dequantize=False)
    assert ((audio.abs() < 2 * WD.LSB).float().mean(1) <= 0.5).all()
    assert all(i == 1 for i, _ in sampler.picks)


@pytest.mark.slow
def test_pitched_sampler_and_training_with_excitation_resume(tmp_path, monkeypatch):
    waves = [harmonic_wave(110.0 + 20 * i, 0.6, silence=2000) for i in range(3)]
    sampler = E.PitchedSegmentSampler(waves, 2048)
    mel, audio, exc = sampler.batch(2, np.random.default_rng(0))
    assert mel.shape == (2, 80, 8) and audio.shape == (2, 2048) and exc.shape == (2, 3, 2048)
    monkeypatch.setattr(T, "load_split", lambda split, limit=None, root=None: waves)
    out = tmp_path / "run"
    first = T.train(C(preset=SMALL, max_steps=2, n_eval_utts=1, warmup_steps=4, decay_steps=10), out, progress=False)
    assert first["lr"] == pytest.approx(SMALL.learning_rate * 2 / 4) and math.isfinite(first["pesq"])
    second = T.train(C(preset="course", max_steps=3, n_eval_utts=1, warmup_steps=4, decay_steps=10), out,
                     progress=False)
    assert second["step"] == 3 and second["lr"] == pytest.approx(SMALL.learning_rate * 3 / 4)
    with pytest.warns(UserWarning, match=r"another objective.*stft_weight 0.0 → 0.5"):   # flags forgotten or changed
        T.train(C(preset="course", max_steps=3, n_eval_utts=1, stft_weight=0.5), out, progress=False)
    cached = E.cached_pitch_tracks(waves, out / "f0_cache.pt")         # the run cached pYIN's F0
    monkeypatch.setattr(E, "pitch_track", lambda *a, **k: pytest.fail("F0 should come from the cache"))
    assert all(torch.equal(a, b) for a, b in zip(cached, E.cached_pitch_tracks(waves, out / "f0_cache.pt")))
    assert all(torch.equal(a, b) for a, b in zip(cached, sampler.f0))
    T.export(out / "checkpoint.pt", tmp_path / "wg.pt")
    model = load_waveglow(tmp_path / "wg.pt")                          # the float16 export loads back
    assert isinstance(model, SourceFilterWaveGlow) and model.weight_norm_removed
    exc = E.excitation(cached[0][None, :4], 1024, phase=0.0)
    assert model.infer(torch.zeros(1, 80, 4) - 5, excitation=exc).shape == (1, 1024)
