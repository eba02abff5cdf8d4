"""WaveGlow: published shapes and parameter count, invertibility, exact log-determinant, loss, bad input."""

import math

import pytest
import torch

from course_lib.tts.waveglow.config import WaveGlowConfig
from course_lib.tts.waveglow.denoiser import Denoiser
from course_lib.tts.waveglow.model import WaveGlow, WNConv1d, waveglow_loss
from course_lib.tts.waveglow.source_filter import build_waveglow

# the course preset's flow (12 steps, groups of 8, early outputs) with a thin WN, for fast tests
SMALL = WaveGlowConfig(upsample_kernel=256, wn_layers=2, wn_channels=8)
TINY = WaveGlowConfig(n_mel_channels=3, hop_length=4, upsample_kernel=8, n_flows=3, n_group=4, n_early_every=2,
                      n_early_size=2, wn_layers=2, wn_channels=4, segment_length=16, batch_size=1)


def perturbed(config, seed=0, scale=0.05):
    """A model whose zero-initialised 'end' layers are no longer zero (so couplings are not identities)."""
    torch.manual_seed(seed)
    model = WaveGlow(config)
    with torch.no_grad():
        for wn in model.WN:
            wn.end.weight.normal_(0, scale)
            wn.end.bias.normal_(0, scale)
    return model


def test_paper_preset_has_nvidias_parameter_count_and_names():
    model = WaveGlow(WaveGlowConfig.paper())
    assert sum(p.numel() for p in model.parameters()) == 87_879_272
    assert sum(p.numel() for p in WaveGlow(WaveGlowConfig.course(conditioning="upsampled")).parameters()) == 10_984_512
    assert sum(p.numel() for p in build_waveglow(WaveGlowConfig.course()).parameters()) == 2_216_432
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert shapes["upsample.weight"] == (80, 80, 1024)
    assert shapes["WN.0.cond_layer.weight_v"] == (4096, 640, 1)
    assert shapes["WN.0.cond_layer.weight_g"] == (4096, 1, 1)
    assert shapes["WN.0.in_layers.7.weight_v"] == (512, 256, 3)
    assert shapes["WN.0.res_skip_layers.6.weight_v"] == (512, 256, 1)
    assert shapes["WN.0.res_skip_layers.7.weight_v"] == (256, 256, 1)
    assert shapes["WN.0.start.weight_v"] == (256, 4, 1)
    assert shapes["WN.0.end.weight"] == (8, 256, 1)
    assert shapes["WN.11.start.weight_v"] == (256, 2, 1)
    assert [shapes[f"convinv.{k}.conv.weight"][0] for k in range(12)] == [8] * 4 + [6] * 4 + [4] * 4
    assert model.WN[0].in_layers[3].dilation == 8
    model.remove_weight_norm()
    assert sum(p.numel() for p in model.parameters()) == 87_731_816
    assert "WN.0.in_layers.0.weight" in model.state_dict()


def test_config_validates_and_round_trips():
    cfg = WaveGlowConfig.course()
    assert WaveGlowConfig.from_dict(cfg.to_dict()) == cfg
    assert WaveGlowConfig.paper().remaining_channels() == 4
    with pytest.raises(ValueError, match="n_group must be even"):
        WaveGlowConfig(n_group=7)
    with pytest.raises(ValueError, match="keep at least 2"):
        WaveGlowConfig(n_flows=20)
    with pytest.raises(ValueError, match="unknown"):
        WaveGlowConfig.from_dict({"n_flowz": 3})
    with pytest.raises(ValueError, match="max_silence"):
        WaveGlowConfig(max_silence=1.5)
    old = {k: v for k, v in cfg.to_dict().items() if k not in ("warmup_steps", "decay_steps", "max_silence")}
    assert WaveGlowConfig.from_dict(old).max_silence == 1.0  # checkpoints from before the schedule fields load


def test_course_preset_trains_per_flow_with_a_schedule_and_the_paper_preset_as_nvidia():
    course, paper = WaveGlowConfig.course(), WaveGlowConfig.paper()
    assert course.conditioning == "per_flow" and paper.conditioning == "upsampled"
    assert (course.warmup_steps, course.decay_steps, course.max_silence) == (200, 8000, 0.1)
    assert (paper.warmup_steps, paper.decay_steps, paper.max_silence) == (0, 0, 1.0)  # NVIDIA: constant, all kept
    assert {k: v for k, v in WaveGlowConfig.course(conditioning="upsampled").to_dict().items()
            if k != "conditioning"} == {k: v for k, v in course.to_dict().items() if k != "conditioning"}


@pytest.mark.parametrize("config", [WaveGlowConfig.course(conditioning="upsampled"), SMALL, TINY])
def test_receptive_field_equals_the_measured_gradient_footprint(config):
    """One coupling network's output at the middle position depends on exactly receptive_field samples."""
    torch.manual_seed(0)
    wn = perturbed(config).WN[0]
    positions = config.receptive_field() // config.n_group + 20
    x_a = torch.randn(1, config.n_group // 2, positions, requires_grad=True)
    cond = torch.zeros(1, config.n_mel_channels * config.n_group, positions)
    wn(x_a, cond)[0, :, positions // 2].sum().backward()
    touched = (x_a.grad[0].abs().sum(0) > 0).nonzero().flatten()
    assert len(touched) * config.n_group == config.receptive_field()
    assert touched.max() - touched.min() + 1 == len(touched)  # one contiguous window


def test_course_coupling_sees_several_pitch_periods():
    # the corpus voice: f0 76–120 Hz (1st–99th percentile, librosa.pyin over 40 training utterances),
    # so one pitch period is 184–290 samples at 22,050 Hz; the coupling must look back further
    assert WaveGlowConfig.course().receptive_field() // 2 >= 1.5 * 290
    old_course = WaveGlowConfig(upsample_kernel=512, wn_layers=4, wn_channels=32)  # shipped until Dec 2026
    assert old_course.receptive_field() // 2 < 184  # less than one period: it could only whisper
    assert WaveGlowConfig.paper().receptive_field() == 8 * 511


def test_weight_norm_conv_matches_its_fold():
    torch.manual_seed(0)
    conv = WNConv1d(5, 6, 3, dilation=2)
    x = torch.randn(2, 5, 20)
    assert torch.allclose(conv(x), conv.fold()(x), atol=1e-6)
    assert conv(x).shape == x.shape[:1] + (6, 20)


def test_inverse_undoes_forward():
    model = perturbed(SMALL)
    mel = torch.randn(2, 80, 6)
    audio = 0.1 * torch.randn(2, 6 * 256)
    with torch.no_grad():
        z, log_det = model(mel, audio)
        assert z.shape == (2, 8, 6 * 256 // 8)
        assert log_det.shape == (2,)  # one log-determinant per example, as chapter 13's flows
        back = model.inverse(mel, z)
    assert torch.allclose(back, audio, atol=1e-5)


def test_log_determinant_equals_brute_force_jacobian():
    model = perturbed(TINY, scale=0.3).double()
    mel = torch.randn(1, 3, 4, dtype=torch.float64)
    audio = torch.randn(1, 16, dtype=torch.float64)

    def flat(a):
        return model(mel, a.view(1, 16))[0].reshape(-1)

    jac = torch.autograd.functional.jacobian(flat, audio.reshape(-1))          # [16, 16]
    _, log_det = model(mel, audio)
    assert log_det.shape == (1,)
    ours = log_det[0]
    assert torch.allclose(torch.linalg.slogdet(jac)[1], ours, atol=1e-8)
    assert abs(ours.item()) > 0.1  # not trivially zero


def test_log_determinant_is_per_example():
    model = perturbed(TINY, scale=0.3).double()
    mel, audio = torch.randn(2, 3, 4, dtype=torch.float64), torch.randn(2, 16, dtype=torch.float64)
    with torch.no_grad():
        _, both = model(mel, audio)
        alone = torch.cat([model(mel[i:i + 1], audio[i:i + 1])[1] for i in range(2)])
    assert both.shape == (2,) and torch.allclose(both, alone, atol=1e-10)
    assert abs(float(both[0] - both[1])) > 1e-3  # each example has its own


def test_loss_is_gaussian_nll_per_sample():
    model = perturbed(TINY, scale=0.3)
    mel, audio = torch.randn(2, 3, 4), torch.randn(2, 16)
    z, log_det = model(mel, audio)
    sigma = 0.7
    loss = waveglow_loss(z, log_det, sigma)
    log_p = torch.distributions.Normal(0.0, sigma).log_prob(z).sum() + log_det.sum()
    constant = 0.5 * math.log(2 * math.pi * sigma**2)
    assert torch.allclose(loss, -log_p / z.numel() - constant, atol=1e-5)


def test_folded_inference_matches_training_graph():
    model = perturbed(SMALL)
    fast = WaveGlow(SMALL)
    fast.load_state_dict(model.state_dict())
    fast.prepare_for_inference()
    mel = torch.randn(1, 80, 5)
    slow_out = model.infer(mel, sigma=0.6, generator=torch.Generator().manual_seed(3))
    fast_out = fast.infer(mel, sigma=0.6, generator=torch.Generator().manual_seed(3))
    assert slow_out.shape == (1, 5 * 256)
    assert torch.allclose(slow_out, fast_out, atol=1e-5)
    assert not any(p.requires_grad for p in fast.parameters())
    half = WaveGlow(SMALL)
    half.load_state_dict(model.state_dict())
    half.prepare_for_inference(torch.bfloat16)
    assert half.WN[0].dtype == torch.bfloat16
    bf16_out = half.infer(mel, sigma=0.6, generator=torch.Generator().manual_seed(3))
    assert bf16_out.dtype == torch.float32
    assert (bf16_out - slow_out).pow(2).mean() < 1e-3 * slow_out.pow(2).mean()   # > 30 dB SNR
    with pytest.raises(ValueError, match="wn_dtype"):
        half.prepare_for_inference(torch.int8)


def test_sigma_zero_is_deterministic_and_sigma_scales_output():
    model = perturbed(SMALL)
    mel = torch.randn(1, 80, 4)
    a = model.infer(mel, sigma=0.0, generator=torch.Generator().manual_seed(1))
    b = model.infer(mel, sigma=0.0, generator=torch.Generator().manual_seed(2))
    assert torch.equal(a, b)
    quiet = model.infer(mel, sigma=0.1, generator=torch.Generator().manual_seed(1))
    loud = model.infer(mel, sigma=1.0, generator=torch.Generator().manual_seed(1))
    assert (loud - a).std() > (quiet - a).std()


@pytest.mark.parametrize("mel, match", [
    (torch.zeros(1, 40, 5), "80"),
    (torch.zeros(80, 5), "batch"),
    (torch.zeros(1, 80, 0), "empty"),
    (torch.full((1, 80, 5), float("nan")), "NaN"),
    (torch.tensor([[[float("inf")] * 5] * 80]), "NaN or inf"),
])
def test_bad_mels_are_rejected(mel, match):
    model = WaveGlow(SMALL)
    with pytest.raises(ValueError, match=match):
        model.infer(mel)


def test_bad_sigma_audio_and_types_are_rejected():
    model = WaveGlow(SMALL)
    mel = torch.zeros(1, 80, 4)
    for sigma in (-0.1, float("nan"), float("inf"), "0.6"):
        with pytest.raises(ValueError, match="sigma"):
            model.infer(mel, sigma=sigma)
    with pytest.raises(TypeError, match="torch.Tensor"):
        model.infer(mel.numpy())
    with pytest.raises(ValueError, match="multiple of n_group"):
        model(mel, torch.zeros(1, 1001))
    with pytest.raises(ValueError, match="cover"):
        model(mel, torch.zeros(1, 80 * 256))
    with pytest.raises(TypeError):
        WaveGlow("paper")


def test_denoiser_removes_bias_and_keeps_clean_audio():
    model = perturbed(SMALL, scale=0.2).prepare_for_inference()
    denoiser = Denoiser(model)
    assert denoiser.bias_spec.shape == (1, 513, 1) and float(denoiser.bias_spec.sum()) > 0
    audio = 0.1 * torch.randn(4096)
    assert torch.allclose(denoiser(audio, strength=0.0), audio, atol=1e-5)
    bias_audio = model.infer(torch.zeros(1, 80, 16), sigma=0.0)
    assert denoiser(bias_audio, strength=1.0).pow(2).sum() < 0.5 * bias_audio.pow(2).sum()
    with pytest.raises(ValueError, match="strength"):
        denoiser(audio, strength=-0.01)
    with pytest.raises(ValueError, match="samples"):
        denoiser(torch.zeros(10))
