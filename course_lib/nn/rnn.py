"""Recurrent networks from scratch: RNN, LSTM and GRU cells, padded batches, bidirectional
layers, and the CNN + BiLSTM hybrid that is Tacotron 2's encoder (chapter 05).

Cells follow the equations of the PyTorch docs, with the same parameter names, shapes and gate
order, so weights copy over one to one and the tests can assert equality with ``torch.nn``:

* Elman RNN (Elman 1990):  h' = tanh(W_ih x + b_ih + W_hh h + b_hh)
* LSTM (Hochreiter & Schmidhuber 1997; forget gate: Gers et al. 2000), gates i, f, g, o:
  c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c')
* GRU (Cho et al. 2014), gates r, z, n:  n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),
  h' = (1 − z) ⊙ n + z ⊙ h

Batches are batch-first, ``[batch, time, features]``. A padded batch carries ``lengths``; steps
past a sequence's length neither change its state nor produce output (they give zeros, like
``pad_packed_sequence``), so padding never changes the results of real steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from course_lib.checks import checked_by, integer, probability

__all__ = [
    "RNNCell", "LSTMCell", "lstm_update", "GRUCell", "padding_mask", "reverse_padded", "Recurrent",
    "Bidirectional", "recurrent_layer", "make_parity_batch", "SequenceClassifier",
    "ConvBiLSTMConfig", "ConvBiLSTM",
]


def _check_sizes(self, input_size, hidden_size) -> None:
    for name, value in (("input_size", input_size), ("hidden_size", hidden_size)):
        integer(value, name)


def _check_step(self, x, state=None) -> None:
    if x.dim() != 2 or x.shape[1] != self.input_size:
        raise ValueError(f"{type(self).__name__} expects x of shape [batch, {self.input_size}], "
                         f"got {tuple(x.shape)}")


def _check_sequence(self, x, lengths=None, state=None) -> None:
    _check_features(x, self.cell.input_size)


def _check_features(x, size: int) -> None:
    if x.dim() != 3 or x.shape[2] != size:
        raise ValueError(f"x must be [batch, time, {size}], got {tuple(x.shape)}")


class _Cell(nn.Module):
    """Shared parameters of the three cells: ``gates`` stacked blocks of ``hidden_size`` rows."""

    gates = 1

    @checked_by(_check_sizes)
    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        rows = self.gates * hidden_size
        self.weight_ih = nn.Parameter(torch.empty(rows, input_size))   # [gates·H, I]
        self.weight_hh = nn.Parameter(torch.empty(rows, hidden_size))  # [gates·H, H]
        self.bias_ih = nn.Parameter(torch.empty(rows))
        self.bias_hh = nn.Parameter(torch.empty(rows))
        bound = 1.0 / math.sqrt(hidden_size)                            # PyTorch's initialisation
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def initial_state(self, batch: int, like: torch.Tensor):
        return like.new_zeros(batch, self.hidden_size)


class RNNCell(_Cell):
    """Elman cell: h' = tanh(W_ih x + b_ih + W_hh h + b_hh). State: h [batch, hidden]."""

    gates = 1

    @checked_by(_check_step)
    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh)


class LSTMCell(_Cell):
    """LSTM cell; state (h, c), each [batch, hidden]; gate order i, f, g, o as in ``torch.nn.LSTM``."""

    gates = 4

    def initial_state(self, batch: int, like: torch.Tensor):
        return like.new_zeros(batch, self.hidden_size), like.new_zeros(batch, self.hidden_size)

    @checked_by(_check_step)
    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]):
        h, c = state
        pre = x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh  # [B, 4H]
        return lstm_update(pre, c)


def lstm_update(pre: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The LSTM's gates from the pre-activations [B, 4H] (order i, f, g, o): the new (h, c)."""
    i, f, g, o = pre.chunk(4, dim=1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)   # forget some, write some
    h = torch.sigmoid(o) * torch.tanh(c)                           # expose some
    return h, c


class GRUCell(_Cell):
    """GRU cell; state h [batch, hidden]; gate order r, z, n as in ``torch.nn.GRU``."""

    gates = 3

    @checked_by(_check_step)
    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        xr, xz, xn = (x @ self.weight_ih.T + self.bias_ih).chunk(3, dim=1)   # [B, H] each
        hr, hz, hn = (h @ self.weight_hh.T + self.bias_hh).chunk(3, dim=1)
        r = torch.sigmoid(xr + hr)                                            # reset gate
        z = torch.sigmoid(xz + hz)                                            # update gate
        n = torch.tanh(xn + r * hn)                                           # candidate
        return (1 - z) * n + z * h


_CELLS = {"rnn": RNNCell, "lstm": LSTMCell, "gru": GRUCell}


def padding_mask(lengths: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
    """[batch] lengths → [batch, time] bool mask, ``True`` on **padded** steps: ``mask[b, t] = t >= lengths[b]``.

    The one mask convention of the course (as ``key_padding_mask`` in PyTorch): attention fills the
    padded energies with −∞, the models zero padded frames with ``masked_fill(mask, 0)``.
    """
    lengths = torch.as_tensor(lengths)
    if lengths.dim() != 1 or lengths.is_floating_point():
        raise ValueError(f"lengths must be a 1-D integer tensor [batch], got {lengths!r}")
    max_len = int(lengths.max()) if max_len is None else int(max_len)
    if lengths.numel() and int(lengths.min()) < 1:
        raise ValueError(f"every sequence needs at least one step: lengths must lie in 1..{max_len}, "
                         f"got {lengths.tolist()}")
    if lengths.numel() and int(lengths.max()) > max_len:
        raise ValueError(f"every length must lie in 1..{max_len} (the padded time axis), "
                         f"got {lengths.tolist()}")
    return torch.arange(max_len, device=lengths.device)[None, :] >= lengths[:, None]


def _check_reversal(x, lengths) -> None:
    padding_mask(lengths, x.shape[1])                             # checks 1 <= length <= time


@checked_by(_check_reversal)
def reverse_padded(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse the real steps of each sequence in x [batch, time, ...]; padding stays in place.

    (a b c _ _) → (c b a _ _). Applying it twice gives x back.
    """
    batch, time = x.shape[:2]
    t = torch.arange(time, device=x.device)[None, :]              # [1, T]
    src = torch.where(t < lengths[:, None], lengths[:, None] - 1 - t, t)   # [B, T]
    index = src.reshape(batch, time, *([1] * (x.dim() - 2))).expand_as(x)
    return x.gather(1, index)


class Recurrent(nn.Module):
    """Run a cell over time: x [batch, time, input] → outputs [batch, time, hidden], final state.

    With ``lengths`` a step t ≥ length keeps the state and outputs zeros, so the final state is
    the state after each sequence's last real step (what ``pack_padded_sequence`` gives).
    """

    def __init__(self, cell: _Cell):
        super().__init__()
        self.cell = cell

    @checked_by(_check_sequence)
    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None, state=None):
        batch, time, _ = x.shape
        pad = None if lengths is None else padding_mask(lengths.to(x.device), time)  # [B, T]
        state = self.cell.initial_state(batch, x) if state is None else state
        outputs = []
        for t in range(time):
            new = self.cell(x[:, t], state)
            if pad is not None:                                   # freeze finished sequences
                done = pad[:, t, None]                            # [B, 1]
                new = (tuple(torch.where(done, s, n) for n, s in zip(new, state))
                       if isinstance(new, tuple) else torch.where(done, state, new))
            state = new
            h = state[0] if isinstance(state, tuple) else state   # [B, H]
            outputs.append(h if pad is None else h.masked_fill(pad[:, t, None], 0.0))
        return torch.stack(outputs, dim=1), state                 # [B, T, H]


class Bidirectional(nn.Module):
    """Two recurrent layers, one reading each sequence forwards and one backwards (Schuster &
    Paliwal 1997). Output [batch, time, 2·hidden] = [forward ; backward] at every step; final
    state stacked as ``torch.nn`` does: [2, batch, hidden] (a pair of them for an LSTM).
    """

    def __init__(self, forward_layer: Recurrent, backward_layer: Recurrent):
        super().__init__()
        self.forward_layer, self.backward_layer = forward_layer, backward_layer

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None):
        if lengths is None:
            lengths = torch.full((x.shape[0],), x.shape[1], dtype=torch.long, device=x.device)
        out_f, state_f = self.forward_layer(x, lengths)
        # the backward direction starts at each sequence's own last real step, not at the padding
        out_b, state_b = self.backward_layer(reverse_padded(x, lengths), lengths)
        out_b = reverse_padded(out_b, lengths)
        if isinstance(state_f, tuple):
            state = tuple(torch.stack(pair) for pair in zip(state_f, state_b))
        else:
            state = torch.stack([state_f, state_b])
        return torch.cat([out_f, out_b], dim=2), state


def recurrent_layer(kind: str, input_size: int, hidden_size: int,
                    bidirectional: bool = False, torch_layer: nn.Module | None = None) -> nn.Module:
    """Our one-layer ``kind`` ("rnn" | "lstm" | "gru") layer; ``torch_layer`` copies its weights.

    ``forward(x, lengths=None)`` returns (outputs [B, T, dirs·H], final state [dirs, B, H]);
    a unidirectional layer's final state is [B, H] (a pair for an LSTM).
    """
    if kind not in _CELLS:
        raise ValueError(f"kind must be one of {sorted(_CELLS)}, got {kind!r}")
    directions = [""] + (["_reverse"] if bidirectional else [])
    layers = [Recurrent(_CELLS[kind](input_size, hidden_size)) for _ in directions]
    if torch_layer is not None:
        expected = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind]
        if (type(torch_layer) is not expected or torch_layer.num_layers != 1
                or torch_layer.bidirectional != bidirectional or not torch_layer.bias
                or (kind == "rnn" and torch_layer.nonlinearity != "tanh")
                or (torch_layer.input_size, torch_layer.hidden_size) != (input_size, hidden_size)):
            raise ValueError(f"torch_layer must be a one-layer {expected.__name__}({input_size}, "
                             f"{hidden_size}, bidirectional={bidirectional}) with biases, got {torch_layer}")
        with torch.no_grad():
            for layer, suffix in zip(layers, directions):
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    getattr(layer.cell, name).copy_(getattr(torch_layer, f"{name}_l0{suffix}"))
    return Bidirectional(*layers) if bidirectional else layers[0]


# ----------------------------------------------------------------------------- a sequence task
def make_parity_batch(batch: int, min_len: int, max_len: int, generator: torch.Generator):
    """Random bit strings of random lengths and their parity (XOR of all bits, Minsky & Papert).

    Returns x [batch, max_len, 1] (padding = 0), lengths [batch], y [batch] in {0, 1}.
    """
    if not 1 <= min_len <= max_len or batch < 1:
        raise ValueError(f"need batch >= 1 and 1 <= min_len <= max_len, got {batch}, {min_len}, {max_len}")
    lengths = torch.randint(min_len, max_len + 1, (batch,), generator=generator)
    bits = torch.randint(0, 2, (batch, max_len), generator=generator)
    bits = bits.masked_fill(padding_mask(lengths, max_len), 0)    # zero the padding
    return bits.float()[:, :, None], lengths, bits.sum(1) % 2


class SequenceClassifier(nn.Module):
    """A recurrent layer read at each sequence's last real step, then a linear layer to classes."""

    def __init__(self, kind: str = "gru", input_size: int = 1, hidden_size: int = 32, n_classes: int = 2):
        super().__init__()
        self.rnn = recurrent_layer(kind, input_size, hidden_size)
        self.out = nn.Linear(hidden_size, n_classes)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        _, state = self.rnn(x, lengths)
        h = state[0] if isinstance(state, tuple) else state           # [B, H] after the last real step
        return self.out(h)                                            # [B, n_classes]


# ----------------------------------------------------------------------------- CNN + BiLSTM hybrid
@dataclass(frozen=True)
class ConvBiLSTMConfig:
    """Convolutions then a BiLSTM: the shape of Tacotron 2's encoder (Shen et al. 2018, §2.2)."""

    channels: int = 512          # conv filters = input features = BiLSTM output (2 × 256)
    n_convs: int = 3
    kernel_size: int = 5
    dropout: float = 0.5

    def __post_init__(self):
        integer(self.channels, "ConvBiLSTMConfig.channels", even=True)  # even: two LSTM directions
        integer(self.n_convs, "ConvBiLSTMConfig.n_convs")
        integer(self.kernel_size, "ConvBiLSTMConfig.kernel_size", odd=True)
        probability(self.dropout, "ConvBiLSTMConfig.dropout")

    @classmethod
    def paper(cls) -> "ConvBiLSTMConfig":
        """Tacotron 2: 3 conv layers of 512 filters, 5×1, batch norm, ReLU; BiLSTM 256 per direction."""
        return cls()

    @classmethod
    def course(cls) -> "ConvBiLSTMConfig":
        """Small enough to train on a laptop CPU in minutes."""
        return cls(channels=64)


def _check_config(self, config=None) -> None:
    if config is not None and not isinstance(config, ConvBiLSTMConfig):
        raise TypeError(f"config must be a ConvBiLSTMConfig, got {type(config).__name__}")


def _check_encoder_input(self, x, lengths=None) -> None:
    _check_features(x, self.config.channels)


class ConvBiLSTM(nn.Module):
    """x [batch, time, channels], lengths [batch] (None: no padding) → outputs [batch, time, channels] at EVERY step.

    Each conv block is Conv1d(k, 'same' padding) → BatchNorm1d → ReLU → dropout; the BiLSTM has
    channels/2 units per direction. All time steps go on to the attention of the decoder — the
    encoder does not summarise the text into its last hidden state. Padded steps are zeroed
    before every convolution, so in eval mode a sequence's real outputs do not depend on how much
    padding the batch adds (NVIDIA's reference feeds the pad symbol's embedding into the
    convolutions instead). In training, batch-norm statistics still include the padded steps.
    """

    @checked_by(_check_config)
    def __init__(self, config: ConvBiLSTMConfig = ConvBiLSTMConfig()):
        super().__init__()
        self.config = config
        c, k = config.channels, config.kernel_size
        self.convolutions = nn.ModuleList(self.conv_block(c, k) for _ in range(config.n_convs))
        self.lstm = nn.LSTM(c, c // 2, batch_first=True, bidirectional=True)

    def conv_block(self, channels: int, kernel_size: int) -> nn.Module:
        """Conv1d ('same' padding) → BatchNorm1d; Tacotron 2's encoder initialises its convs its own way."""
        return nn.Sequential(nn.Conv1d(channels, channels, kernel_size, padding=kernel_size // 2),
                             nn.BatchNorm1d(channels))

    @checked_by(_check_encoder_input)
    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        pad = None if lengths is None else padding_mask(lengths, x.shape[1]).to(x.device)[:, None, :]  # [B, 1, T]
        h = x.transpose(1, 2)                                                  # [B, C, T]
        for block in self.convolutions:
            h = h if pad is None else h.masked_fill(pad, 0.0)                 # zero the padding
            h = F.dropout(F.relu(block(h)), self.config.dropout, self.training)
        h = h.transpose(1, 2)                                                  # [B, T, C]
        if lengths is None or bool((lengths == x.shape[1]).all()):
            return self.lstm(h)[0]                                             # no padding to skip
        # packing starts the backward direction at each sequence's last real step, not at the padding
        packed = nn.utils.rnn.pack_padded_sequence(h, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        return nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])[0]  # [B, T, C]
