"""WaveNet (van den Oord et al. 2016): causality, receptive field, gated units, μ-law, conditioning, generation."""

import pytest
import torch

from course_lib.nn.wavenet import (
    CausalConv1d,
    ResidualBlock,
    WaveNet,
    gradient_footprint,
    mu_law_decode,
    mu_law_encode,
    receptive_field,
    upsample_repeat,
)


def test_mu_law_round_trip_within_quantisation_error():
    x = torch.linspace(-1, 1, 20001)
    codes = mu_law_encode(x)
    assert codes.dtype == torch.long and int(codes.min()) == 0 and int(codes.max()) == 255
    back = mu_law_decode(codes)
    # codes are 2/255 apart in the companded domain f(x), so rounding moves f(x) by at most 1/255
    def compand(v):
        return torch.sign(v) * torch.log1p(255 * v.abs()) / torch.log1p(torch.tensor(255.0))
    assert (compand(back) - compand(x)).abs().max() <= 1 / 255 + 1e-5
    assert (back - x).abs().max() < 0.025    # largest near ±1, where codes are ~0.04 apart
    assert (back[9990:10011] - x[9990:10011]).abs().max() < 1e-4   # fine resolution near silence
    assert torch.equal(mu_law_encode(mu_law_decode(torch.arange(256))), torch.arange(256))


def test_mu_law_rejects_bad_input():
    with pytest.raises(ValueError, match="within"):
        mu_law_encode(torch.tensor([1.5]))
    with pytest.raises(TypeError):
        mu_law_encode(torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="integers"):
        mu_law_decode(torch.tensor([256]))


def test_causal_conv_never_sees_the_future():
    torch.manual_seed(0)
    conv = CausalConv1d(3, 4, kernel_size=2, dilation=4)
    x = torch.randn(1, 3, 30, requires_grad=True)
    y = conv(x)
    assert y.shape == (1, 4, 30)
    y[0, :, 10].sum().backward()
    touched = (x.grad[0].abs().sum(0) > 0).nonzero().flatten().tolist()
    assert touched == [6, 10]            # t - dilation and t, nothing after t


def test_wavenet_output_depends_only_on_past_and_receptive_field_matches_gradients():
    torch.manual_seed(0)
    model = WaveNet(n_classes=16, residual_channels=8, skip_channels=8, dilations=(1, 2, 4, 8, 1, 2))
    assert model.receptive_field == receptive_field((1, 2, 4, 8, 1, 2)) == 1 + 18 + 1
    t = 50
    footprint = gradient_footprint(model, length=80, t=t)
    used = footprint.nonzero().flatten()
    assert int(used.max()) == t                                  # causal: nothing after t
    assert int(used.min()) == t - model.receptive_field + 1      # formula = measured footprint
    assert int(footprint.sum()) == model.receptive_field


def test_receptive_field_formula_for_the_paper_stack():
    dilations = [2**i for i in range(10)] * 3                   # 1 … 512, three times (Sec. 2.1)
    assert receptive_field(dilations, kernel_size=2) == 1 + 3 * 1023 + 1


def test_residual_block_is_gated_and_shapes_match():
    torch.manual_seed(0)
    block = ResidualBlock(6, 5, dilation=2)
    x = torch.randn(2, 6, 12)
    res, skip = block(x)
    assert res.shape == x.shape and skip.shape == (2, 5, 12)
    filt, gate = block.dilated(x).chunk(2, dim=1)
    z = torch.tanh(filt) * torch.sigmoid(gate)
    assert torch.allclose(res, x + block.residual(z)) and torch.allclose(skip, block.skip(z))


def test_training_lowers_the_loss_and_generation_returns_codes():
    torch.manual_seed(0)
    model = WaveNet(n_classes=32, residual_channels=8, skip_channels=8, dilations=(1, 2, 4, 8))
    t = torch.arange(400, dtype=torch.float32)
    codes = mu_law_encode(0.8 * torch.sin(2 * torch.pi * t / 20), mu=31)[None]
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = model.loss(codes).item()
    for _ in range(60):
        loss = model.loss(codes)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert model.loss(codes).item() < 0.3 * first
    out = model.generate(40, codes[0, :30], temperature=0.3, generator=torch.Generator().manual_seed(0))
    assert out.shape == (40,) and int(out.min()) >= 0 and int(out.max()) < 32
    # the sine goes on: generated codes stay within a code or two of the true continuation
    assert (out - codes[0, 30:70]).abs().float().mean() < 2
    with pytest.raises(ValueError):
        model(torch.zeros(1, 5))
    with pytest.raises(ValueError):
        model.generate(0, codes[0, :5])


def test_conditioned_block_follows_eq5_and_unconditioned_has_no_cond():
    torch.manual_seed(0)
    assert ResidualBlock(4, 3, dilation=1).cond is None
    block = ResidualBlock(4, 3, dilation=2, cond_channels=2)
    x, y = torch.randn(2, 4, 9), torch.randn(2, 2, 9)
    res, skip = block(x, y)
    filt, gate = (block.dilated(x) + block.cond(y)).chunk(2, dim=1)     # W*x + V*y in both halves
    z = torch.tanh(filt) * torch.sigmoid(gate)
    assert torch.allclose(res, x + block.residual(z)) and torch.allclose(skip, block.skip(z))
    assert not torch.allclose(block(x, torch.zeros_like(y))[1], skip)   # the conditioning matters


def _conditioned_model():
    torch.manual_seed(0)
    model = WaveNet(n_classes=32, residual_channels=8, skip_channels=8, dilations=(1, 2, 4, 1, 2, 4), cond_channels=2)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.3 * torch.randn_like(p))
    return model.eval()


def test_fast_generation_equals_teacher_forcing_and_the_naive_sampler():
    model = _conditioned_model()
    prompt, cond = torch.randint(0, 32, (5,)), torch.randn(2, 45)
    greedy = model.generate_fast(40, prompt, temperature=1e-4, cond=cond)       # ~argmax of each step
    codes = torch.cat([prompt, greedy])
    logits = model(codes[None, :-1], cond[None, :, 1:45])                         # teacher forcing
    assert torch.equal(logits[0].argmax(0)[4:], greedy)
    naive = model.generate(40, prompt, cond=cond, generator=torch.Generator().manual_seed(1))
    fast = model.generate_fast(40, prompt, cond=cond, generator=torch.Generator().manual_seed(1))
    assert torch.equal(naive, fast)
    other = model.generate_fast(40, prompt, temperature=1e-4, cond=-cond)
    assert not torch.equal(other, greedy)                                          # conditioning steers it


def test_conditioning_is_checked_and_upsampled_by_repetition():
    model = _conditioned_model()
    codes = torch.randint(0, 32, (2, 20))
    with pytest.raises(ValueError, match="cond must be"):
        model(codes)                                           # conditioned model without cond
    with pytest.raises(ValueError, match="cond must be"):
        model(codes, torch.randn(2, 3, 20))                    # wrong number of channels
    with pytest.raises(ValueError, match="cond must be"):
        model.generate_fast(10, codes[0, :3], cond=torch.randn(2, 12))   # shorter than prompt + samples
    with pytest.raises(ValueError, match="unconditional"):
        WaveNet(n_classes=16, residual_channels=4, skip_channels=4, dilations=(1,))(codes % 16, torch.randn(2, 1, 20))
    frames = torch.tensor([[[1.0, 2.0, 3.0]]])
    assert torch.equal(upsample_repeat(frames, 2), torch.tensor([[[1.0, 1.0, 2.0, 2.0, 3.0, 3.0]]]))
    with pytest.raises(ValueError, match="hop"):
        upsample_repeat(frames, 0)
    with pytest.raises(ValueError, match="frames must be"):
        upsample_repeat(torch.ones(3), 2)
    loss = model.loss(codes, torch.randn(2, 2, 20))
    assert loss.ndim == 0 and torch.isfinite(loss)
