"""course_lib.nn.rnn: cells equal torch.nn given the same weights, padding changes nothing,
bidirectional layers equal bidirectional=True, the CNN + BiLSTM hybrid has Tacotron 2's shape."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from course_lib.nn.rnn import (
    ConvBiLSTM,
    ConvBiLSTMConfig,
    GRUCell,
    LSTMCell,
    RNNCell,
    SequenceClassifier,
    make_parity_batch,
    padding_mask,
    recurrent_layer,
    reverse_padded,
)

TORCH = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
CELL_PAIRS = [(RNNCell, nn.RNNCell), (LSTMCell, nn.LSTMCell), (GRUCell, nn.GRUCell)]


def _torch_packed(layer, x, lengths):
    packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, state = layer(packed)
    out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    return out, state


def _as_torch_state(state, bidirectional):
    """Our unidirectional state is [B, H]; torch's is [1, B, H]."""
    if bidirectional:
        return state
    return tuple(s[None] for s in state) if isinstance(state, tuple) else state[None]


def _assert_states_close(ours, ref):
    if isinstance(ref, tuple):
        for a, b in zip(ours, ref):
            torch.testing.assert_close(a, b)
    else:
        torch.testing.assert_close(ours, ref)


@pytest.mark.parametrize("ours_cls, torch_cls", CELL_PAIRS)
def test_cells_equal_torch_cells_over_many_steps(ours_cls, torch_cls):
    torch.manual_seed(0)
    ref = torch_cls(3, 5)
    cell = ours_cls(3, 5)
    cell.load_state_dict(ref.state_dict())                   # same names, same shapes
    x = torch.randn(6, 4, 3)                                 # [time, batch, input]
    lstm = ours_cls is LSTMCell
    state = (torch.randn(4, 5), torch.randn(4, 5)) if lstm else torch.randn(4, 5)
    ours, theirs = state, state
    for t in range(6):
        ours, theirs = cell(x[t], ours), ref(x[t], theirs)
        _assert_states_close(ours, theirs)


@settings(max_examples=25, deadline=None)
@given(kind=st.sampled_from(["rnn", "lstm", "gru"]), bidirectional=st.booleans(),
       lengths=st.lists(st.integers(1, 7), min_size=1, max_size=4), seed=st.integers(0, 2**16))
def test_layers_equal_packed_torch_layers(kind, bidirectional, lengths, seed):
    torch.manual_seed(seed)
    ref = TORCH[kind](3, 4, batch_first=True, bidirectional=bidirectional)
    ours = recurrent_layer(kind, 3, 4, bidirectional, torch_layer=ref)
    lengths = torch.tensor(lengths)
    x = torch.randn(len(lengths), int(lengths.max()), 3)
    out, state = ours(x, lengths)
    ref_out, ref_state = _torch_packed(ref, x, lengths)
    torch.testing.assert_close(out, ref_out)
    _assert_states_close(_as_torch_state(state, bidirectional), ref_state)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_full_length_sequences_equal_unpacked_torch(kind):
    torch.manual_seed(1)
    ref = TORCH[kind](2, 3, batch_first=True, bidirectional=True)
    ours = recurrent_layer(kind, 2, 3, bidirectional=True, torch_layer=ref)
    x = torch.randn(2, 9, 2)
    out, state = ours(x)
    ref_out, ref_state = ref(x)
    torch.testing.assert_close(out, ref_out)
    _assert_states_close(state, ref_state)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_does_not_change_real_steps(kind, bidirectional):
    torch.manual_seed(2)
    layer = recurrent_layer(kind, 3, 4, bidirectional)
    x = torch.randn(1, 5, 3)
    alone, alone_state = layer(x, torch.tensor([5]))
    garbage = torch.cat([x, 100 * torch.randn(1, 4, 3)], dim=1)    # 4 padded steps of junk
    padded, padded_state = layer(garbage, torch.tensor([5]))
    torch.testing.assert_close(padded[:, :5], alone)
    assert padded[:, 5:].abs().max() == 0                            # padded outputs are zeros
    _assert_states_close(padded_state, alone_state)
    # without lengths the junk changes everything in the backward direction
    if bidirectional:
        unmasked, _ = layer(garbage)
        assert not torch.allclose(unmasked[:, :5], alone)


def test_gradients_equal_torch():
    torch.manual_seed(3)
    ref = nn.LSTM(3, 4, batch_first=True, bidirectional=True)
    ours = recurrent_layer("lstm", 3, 4, True, torch_layer=ref)
    x = torch.randn(3, 6, 3)
    lengths = torch.tensor([6, 2, 4])
    ours(x, lengths)[0].pow(2).sum().backward()
    _torch_packed(ref, x, lengths)[0].pow(2).sum().backward()
    torch.testing.assert_close(ours.backward_layer.cell.weight_hh.grad, ref.weight_hh_l0_reverse.grad)
    torch.testing.assert_close(ours.forward_layer.cell.bias_ih.grad, ref.bias_ih_l0.grad)


def test_masks_and_reversal():
    mask = padding_mask(torch.tensor([3, 1]), 4)                  # True on padding (docs/VALIDATION.md)
    assert mask.tolist() == [[False, False, False, True], [False, True, True, True]]
    x = torch.arange(8.0).reshape(2, 4)
    rev = reverse_padded(x, torch.tensor([3, 1]))
    assert rev.tolist() == [[2, 1, 0, 3], [4, 5, 6, 7]]
    torch.testing.assert_close(reverse_padded(rev, torch.tensor([3, 1])), x)


@pytest.mark.parametrize("call, message", [
    (lambda: padding_mask(torch.tensor([0, 2])), "1..2"),
    (lambda: padding_mask(torch.tensor([5]), 4), "1..4"),
    (lambda: padding_mask(torch.tensor([1.0])), "integer"),
    (lambda: recurrent_layer("transformer", 2, 3), "kind"),
    (lambda: recurrent_layer("lstm", 2, 0), "hidden_size"),
    (lambda: recurrent_layer("lstm", 2, 3, torch_layer=nn.GRU(2, 3)), "LSTM"),
    (lambda: recurrent_layer("gru", 2, 3, torch_layer=nn.GRU(2, 3, num_layers=2)), "one-layer"),
    (lambda: recurrent_layer("gru", 2, 3)(torch.randn(4, 2)), r"\[batch, time, 2\]"),
    (lambda: recurrent_layer("gru", 2, 3)(torch.randn(1, 4, 5)), r"\[batch, time, 2\]"),
    (lambda: LSTMCell(2, 3)(torch.randn(4, 3), (torch.zeros(4, 3),) * 2), r"\[batch, 2\]"),
    (lambda: make_parity_batch(4, 5, 2, torch.Generator()), "min_len"),
    (lambda: reverse_padded(torch.zeros(2, 3), torch.tensor([4, 1])), "1..3"),
    (lambda: ConvBiLSTM(ConvBiLSTMConfig(channels=7)), "even"),
    (lambda: ConvBiLSTM(ConvBiLSTMConfig.course())(torch.randn(2, 5, 3), torch.tensor([5, 5])), "channels|64"),
])
def test_bad_input_is_a_clear_error(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_parity_batch():
    x, lengths, y = make_parity_batch(64, 2, 9, torch.Generator().manual_seed(0))
    assert x.shape == (64, 9, 1) and lengths.min() >= 2 and lengths.max() <= 9
    assert (x[:, :, 0] * padding_mask(lengths, 9)).abs().sum() == 0        # padding is zero
    assert torch.equal(y, x[:, :, 0].sum(1).long() % 2)


def test_gru_learns_parity():
    """The chapter's task, short: a GRU learns the XOR of up to 8 bits in 300 steps."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(0)
        gen = torch.Generator().manual_seed(0)
        model = SequenceClassifier("gru", hidden_size=16)
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        for _ in range(300):
            x, lengths, y = make_parity_batch(64, 1, 8, gen)
            loss = nn.functional.cross_entropy(model(x, lengths), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        x, lengths, y = make_parity_batch(500, 1, 8, torch.Generator().manual_seed(99))
        with torch.no_grad():
            assert (model(x, lengths).argmax(1) == y).float().mean() > 0.95
    finally:
        torch.set_num_threads(before)


def test_conv_bilstm_is_tacotron2_encoder_shaped():
    paper = ConvBiLSTM(ConvBiLSTMConfig.paper())
    assert sum(p.numel() for p in paper.parameters()) == 5_513_728      # NVIDIA tacotron2's encoder
    assert [type(m).__name__ for m in paper.convolutions[0]] == ["Conv1d", "BatchNorm1d"]
    assert paper.convolutions[0][0].kernel_size == (5,) and len(paper.convolutions) == 3
    assert paper.lstm.hidden_size == 256 and paper.lstm.bidirectional
    small = ConvBiLSTM(ConvBiLSTMConfig.course()).eval()
    x = torch.randn(3, 9, 64)
    lengths = torch.tensor([9, 4, 6])
    out = small(x, lengths)
    assert out.shape == (3, 9, 64)                                      # every time step, not one vector
    for b in range(3):                                                  # padding changes nothing real
        alone = small(x[b:b + 1, :lengths[b]], lengths[b:b + 1])
        torch.testing.assert_close(out[b:b + 1, :lengths[b]], alone)
        assert out[b, lengths[b]:].abs().sum() == 0
    full = torch.full((3,), 9)
    torch.testing.assert_close(small(x, None), small(x, full))          # no lengths: no padding


def test_tacotron2_encoder_is_the_conv_bilstm():
    from course_lib.tts.tacotron2 import Encoder, Tacotron2Config
    encoder = Encoder(Tacotron2Config.paper())
    assert isinstance(encoder, ConvBiLSTM) and encoder.config == ConvBiLSTMConfig.paper()
    assert [type(m).__name__ for m in encoder.convolutions[0]] == ["ConvNorm", "BatchNorm1d"]   # NVIDIA's names
    small = Encoder(Tacotron2Config.course()).eval()
    plain = ConvBiLSTM(small.config).eval()
    plain.load_state_dict({k.replace(".0.conv.", ".0."): v for k, v in small.state_dict().items()})
    x, lengths = torch.randn(2, small.config.channels, 7), torch.tensor([7, 4])
    with torch.no_grad():
        torch.testing.assert_close(small(x, lengths), plain(x.transpose(1, 2), lengths))   # [B, C, T] in
