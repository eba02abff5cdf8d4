"""The folded conditioning computes what the upsampler and the cond layers compute."""

import pytest
import torch

from course_lib.tts.waveglow import WaveGlow, WaveGlowConfig
from course_lib.tts.waveglow.folding import MAX_FOLDED_NUMBERS, FoldedConditioning, folded_numbers


def _model(**changes) -> WaveGlow:
    torch.manual_seed(0)
    cfg = WaveGlowConfig.course(conditioning="upsampled")
    cfg = WaveGlowConfig.from_dict({**cfg.to_dict(), **changes}) if changes else cfg
    model = WaveGlow(cfg)
    with torch.no_grad():  # WN.end starts at zero (identity coupling): give every layer weights
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    return model.eval()


@pytest.mark.parametrize("changes", [{}, {"upsample_kernel": 1024}, {"n_group": 4, "n_early_size": 1}])
@pytest.mark.parametrize("n_samples", [40 * 256, 40 * 256 - 64])
def test_folded_conditioning_equals_upsampler_then_cond_layer(changes, n_samples):
    model = _model(**changes).remove_weight_norm()
    mel = torch.randn(2, 80, 40)
    folded = FoldedConditioning(model)
    with torch.no_grad():
        spect = model.upsample_mel(mel, n_samples)
        expected = [wn.cond_layer(spect) for wn in model.WN]
        got = folded(mel, n_samples)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape
        torch.testing.assert_close(g, e, rtol=1e-4, atol=1e-4)


def test_folded_inference_gives_the_same_audio():
    plain = _model().prepare_for_inference(fold=False)
    fast = _model().prepare_for_inference(fold=True)
    assert fast.folded is not None and plain.folded is None
    mel = torch.randn(1, 80, 30)
    a = plain.infer(mel, sigma=0.6, generator=torch.Generator().manual_seed(1))
    b = fast.infer(mel, sigma=0.6, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-4)


def test_only_small_models_are_folded():
    nvidia_layout = WaveGlowConfig.course(conditioning="upsampled")
    assert folded_numbers(nvidia_layout) == 2 * 80 * 16 * 12 * 2 * 44 * 5 <= MAX_FOLDED_NUMBERS
    assert folded_numbers(WaveGlowConfig.paper()) > MAX_FOLDED_NUMBERS  # 2 GB in float32: not worth it


def test_folding_needs_whole_frames_and_groups():
    model = _model(upsample_kernel=640).remove_weight_norm()  # 640 / 256 frames per step is not whole
    with pytest.raises(ValueError, match="multiple of hop_length"):
        FoldedConditioning(model)
