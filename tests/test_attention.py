"""Attention: masking, shapes, normalisation; location features; names NVIDIA's checkpoint expects."""

import pytest
import torch

from course_lib.nn.attention import (
    AdditiveAttention,
    ForwardAttention,
    LocationLayer,
    LocationSensitiveAttention,
    dot_product_attention,
    forward_attention_weights,
    masked_softmax,
)
from course_lib.nn.rnn import padding_mask

B, T, D = 3, 7, 5
LENGTHS = torch.tensor([7, 4, 1])


@pytest.fixture
def memory():
    torch.manual_seed(0)
    return torch.randn(B, T, D)


def test_padding_mask_marks_padded_steps():
    mask = padding_mask(LENGTHS)
    assert mask.shape == (3, 7) and mask.dtype == torch.bool
    assert mask.sum(1).tolist() == [0, 3, 6]
    assert not mask[1, 3] and mask[1, 4]
    with pytest.raises(ValueError, match="at least one step"):
        padding_mask(torch.tensor([3, 0]))


def test_masked_softmax_rejects_a_fully_masked_row():
    with pytest.raises(ValueError, match="every encoder step"):
        masked_softmax(torch.zeros(2, 3), torch.tensor([[False, True, True], [True, True, True]]))


def _check_weights(weights, mask):
    assert weights.shape == (B, T)
    torch.testing.assert_close(weights.sum(-1), torch.ones(B))
    assert (weights[mask] == 0).all(), "padded encoder steps must get exactly zero weight"
    assert (weights[~mask] > 0).all()


def test_dot_product_attention_matches_torch(memory):
    torch.manual_seed(1)
    query = torch.randn(B, D)
    mask = padding_mask(LENGTHS, T)
    context, weights = dot_product_attention(query, memory, mask=mask)
    _check_weights(weights, mask)
    assert context.shape == (B, D)
    ref = torch.nn.functional.scaled_dot_product_attention(query[:, None], memory, memory, attn_mask=~mask[:, None, :])
    torch.testing.assert_close(context, ref[:, 0])
    multi, w = dot_product_attention(torch.randn(B, 4, D), memory, mask=mask)
    assert multi.shape == (B, 4, D) and w.shape == (B, 4, T)
    with pytest.raises(ValueError, match="features"):
        dot_product_attention(torch.randn(B, D + 1), memory)


def test_additive_attention_ignores_padding_content(memory):
    torch.manual_seed(2)
    att = AdditiveAttention(query_dim=6, memory_dim=D, attention_dim=8)
    query = torch.randn(B, 6)
    mask = padding_mask(LENGTHS, T)
    context, weights = att(query, memory, mask)
    _check_weights(weights, mask)
    assert context.shape == (B, D)
    garbage = memory.masked_fill(mask[..., None], 1e3)  # change only the padding
    context2, weights2 = att(query, garbage, mask)
    torch.testing.assert_close(context, context2)
    torch.testing.assert_close(weights, weights2)
    # the score is v·tanh(Wq + Uh) (Bahdanau et al. 2015, eq. 6)
    e = att.v(torch.tanh(att.query_layer(query)[:, None] + att.memory_layer(memory))).squeeze(-1)
    torch.testing.assert_close(weights[0], torch.softmax(e[0], -1))
    with pytest.raises(ValueError, match="mask must be"):
        att(query, memory, mask[:, :3])


def test_location_sensitive_attention_uses_the_previous_alignment(memory):
    torch.manual_seed(3)
    att = LocationSensitiveAttention(query_dim=6, memory_dim=D, attention_dim=8, n_filters=4, kernel_size=3)
    query = torch.randn(B, 6)
    mask = padding_mask(LENGTHS, T)
    processed = att.memory_layer(memory)
    prev = torch.zeros(B, 2, T)
    context, weights = att(query, memory, processed, prev, mask)
    _check_weights(weights, mask)
    assert context.shape == (B, D)
    prev2 = prev.clone()
    prev2[:, :, 0] = 1.0  # attention was on the first character
    _, weights2 = att(query, memory, processed, prev2, mask)
    assert not torch.allclose(weights[0], weights2[0]), "location features must change the energies"
    names = {n for n, _ in att.named_parameters()}
    assert names == {"query_layer.linear_layer.weight", "memory_layer.linear_layer.weight", "v.linear_layer.weight",
                     "location_layer.location_conv.conv.weight", "location_layer.location_dense.linear_layer.weight"}


@pytest.mark.parametrize("time", [1, 7, 40])  # shorter and longer than the kernel
def test_location_layer_is_its_convolution_then_its_projection(time):
    """The one-product form gives the numbers and gradients of conv → dense, as the paper writes it."""
    torch.manual_seed(4)
    layer = LocationLayer(n_filters=6, kernel_size=31, attention_dim=8)
    weights = torch.rand(B, 2, time)
    fast = layer(weights)
    slow = layer.location_dense(layer.location_conv(weights).transpose(1, 2))
    torch.testing.assert_close(fast, slow, atol=1e-5, rtol=1e-4)
    params = list(layer.parameters())
    g_fast = torch.autograd.grad(fast.pow(2).sum(), params)
    g_slow = torch.autograd.grad(slow.pow(2).sum(), params)
    for a, b in zip(g_fast, g_slow):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


def _forward_product_form(energies, previous):
    """Zhang et al. (2018), Algorithm 1, as the paper writes it: multiply, then renormalise."""
    y = torch.softmax(energies, dim=1)
    moved = torch.cat([torch.zeros_like(previous[:, :1]), previous[:, :-1]], dim=1)  # α_{t−1}(n−1)
    alpha = (previous + moved) * y
    return alpha / alpha.sum(1, keepdim=True)


def test_forward_attention_weights_are_the_papers_recursion():
    torch.manual_seed(5)
    energies = torch.randn(B, T).masked_fill(padding_mask(LENGTHS, T), float("-inf"))
    previous = torch.softmax(torch.randn(B, T).masked_fill(padding_mask(LENGTHS, T), float("-inf")), dim=1)
    weights = forward_attention_weights(energies, previous)
    torch.testing.assert_close(weights, _forward_product_form(energies, previous))
    _check_weights(weights, padding_mask(LENGTHS, T))


def test_forward_attention_stays_or_moves_on_by_one():
    """From one character, the only reachable ones are it and the next, whatever the energies say."""
    energies = torch.zeros(1, 6)
    energies[0, 5] = 30.0  # the softmax alone would jump to the last character
    previous = torch.zeros(1, 6)
    previous[0, 2] = 1.0
    weights = forward_attention_weights(energies, previous)
    assert float(weights[0, 2:4].sum()) == pytest.approx(1.0, abs=1e-6)
    assert float(weights[0, 5]) == 0.0 and float(weights[0, :2].sum()) == 0.0  # never further, never back


def test_forward_attention_survives_where_the_product_form_underflows():
    """Both factors tiny where they overlap: the paper's form gives 0/0, the log form a distribution."""
    energies = torch.tensor([[0.0, 0.0, 0.0, 0.0, 120.0]])  # y ≈ e^-120 off the last character
    previous = torch.tensor([[1.0, 0.0, 0.0, 0.0, 0.0]])
    assert torch.isnan(_forward_product_form(energies, previous)).all()
    weights = forward_attention_weights(energies.requires_grad_(True), previous)
    torch.testing.assert_close(weights, torch.tensor([[0.5, 0.5, 0.0, 0.0, 0.0]]))
    weights[0, 1].backward()
    assert torch.isfinite(energies.grad).all()


def test_forward_attention_shares_the_location_layers_names(memory):
    """Same parameters as LocationSensitiveAttention: NVIDIA-named weights load into either."""
    torch.manual_seed(3)
    args = dict(query_dim=6, memory_dim=D, attention_dim=8, n_filters=4, kernel_size=3)
    plain, forward = LocationSensitiveAttention(**args), ForwardAttention(**args)
    forward.load_state_dict(plain.state_dict())
    mask = padding_mask(LENGTHS, T)
    previous = torch.zeros(B, 2, T)
    previous[:, 0, 0] = 1.0
    query = torch.randn(B, 6)
    _, w_plain = plain(query, memory, plain.memory_layer(memory), previous, mask)
    _, w_forward = forward(query, memory, forward.memory_layer(memory), previous, mask)
    torch.testing.assert_close(w_forward, forward_attention_weights(
        plain.energies(query, plain.memory_layer(memory), previous).masked_fill(mask, float("-inf")), previous[:, 0]))
    assert float(w_forward[:, 2:].sum().detach()) == 0.0 and float(w_plain[:, 2:].sum().detach()) > 0.1


def test_attention_gradients_do_not_reach_padding(memory):
    att = AdditiveAttention(6, D, 8)
    memory = memory.clone().requires_grad_(True)
    mask = padding_mask(LENGTHS, T)
    context, _ = att(torch.randn(B, 6), memory, mask)
    context.sum().backward()
    assert (memory.grad[mask] == 0).all()


# ----------------------------------------------------------------------------------- the toy task (chapter 09)
from course_lib.nn.seq2seq import (  # noqa: E402
    EOS,
    PAD,
    ToySeq2Seq,
    alignment_accuracy,
    constant_speed_accuracy,
    duration,
    make_batch,
    train_toy,
)


@pytest.mark.parametrize("task", ["stretch", "reverse"])
def test_toy_batches_carry_their_true_alignment(task):
    b = make_batch(task, 8, generator=torch.Generator().manual_seed(0))
    for i in range(8):
        n, m = int(b.src_lengths[i]), int(b.tgt_lengths[i])
        assert b.tgt[i, m - 1] == EOS and (b.tgt[i, m:] == PAD).all() and (b.truth[i, m:] == -1).all()
        src, tgt, truth = b.src[i, :n], b.tgt[i, : m - 1], b.truth[i, : m - 1]
        assert torch.equal(tgt, src[truth]), "every output letter is the input letter it aligns to"
        if task == "stretch":
            assert m - 1 == sum(duration(int(s)) for s in src) and (truth.diff() >= 0).all()
        else:
            assert truth.tolist() == list(range(n - 1, -1, -1))
    with pytest.raises(ValueError, match="task"):
        make_batch("sort")


def test_constant_speed_baseline_of_the_toy_task():
    even = torch.tensor([[0, 1, 2, 3, 3, -1], [0, 0, 1, 1, 1, 1]])  # one step per letter; a line of 2 letters
    assert constant_speed_accuracy(even) == pytest.approx(9 / 11)  # lines 0,1,2,2,3 and 0,0,0,1,1,1: 4 + 5 right
    b = make_batch("stretch", 256, generator=torch.Generator().manual_seed(0))
    assert 0.5 < constant_speed_accuracy(b.truth) < 0.75, "letters last 1-3 steps: the line is often right"
    assert constant_speed_accuracy(make_batch("reverse", 64, generator=torch.Generator().manual_seed(0)).truth) < 0.2


@pytest.mark.parametrize("kind", ["dot", "additive", "location"])
def test_toy_model_shapes_and_masked_attention(kind):
    b = make_batch("stretch", 4, generator=torch.Generator().manual_seed(1))
    logits, alignments = ToySeq2Seq(kind, hidden=16, embedding=8, attention_dim=8)(b.src, b.src_lengths, b.tgt)
    assert logits.shape == (4, b.tgt.shape[1], 11) and alignments.shape == (4, b.tgt.shape[1], b.src.shape[1])
    torch.testing.assert_close(alignments.sum(-1), torch.ones(4, b.tgt.shape[1]))
    mask = padding_mask(b.src_lengths, b.src.shape[1])
    assert (alignments.masked_select(mask[:, None, :]) == 0).all()


def test_alignment_accuracy_counts_only_real_steps():
    truth = torch.tensor([[0, 1, 1, -1]])
    a = torch.zeros(1, 4, 2)
    a[0, [0, 1, 2, 3], [0, 0, 1, 1]] = 1
    assert alignment_accuracy(a, truth) == pytest.approx(2 / 3)


def test_location_attention_learns_the_stretch_alignment_quickly():
    torch.manual_seed(0)
    model = ToySeq2Seq("location", hidden=32, embedding=16, attention_dim=16)
    probe = make_batch("stretch", 2, generator=torch.Generator().manual_seed(9))
    history = train_toy(model, "stretch", steps=60, batch_size=16, lr=5e-3, progress=False, probe=probe, probe_every=20)
    assert history[-1]["loss"] < 0.5 * history[0]["loss"]
    assert sum(h["alignment"] for h in history[-10:]) / 10 > 0.6
    assert all(0.3 < h["baseline"] < 0.9 for h in history), "each step also scores the constant-speed line"
    assert [i for i, h in enumerate(history) if "probe_alignment" in h] == [0, 20, 40, 59]
    tokens, alignments = model.greedy(probe.src, probe.src_lengths)
    assert tokens.shape[0] == 2 and alignments.shape[2] == probe.src.shape[1]
