"""Small layers of Tacotron 2: the prenet, and a recurrent-weight trick that makes CPU training fast.

Why the trick: a decoder LSTM uses the same weight matrix at every one of ~200 decoder steps.
Plain autograd computes a full ``[4H, in]`` weight gradient at *every* step and adds it up —
~100 MB of memory traffic per step for the paper's 1024-unit LSTMs. :class:`WeightGradTape`
records the small per-step factors instead and forms the gradient once, as one matrix product
``Σ_t g_tᵀ x_t = Gᵀ X``. Same numbers, 2–3× faster training steps on a CPU.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from course_lib.nn.attention import ConvNorm, LinearNorm

__all__ = ["LinearNorm", "ConvNorm", "Prenet", "WeightGradTape", "lstm_cell"]


class Prenet(nn.Module):
    """Two ReLU layers without bias, dropout always on — also at inference (Shen et al. 2018, sec. 2.2)."""

    def __init__(self, in_dim: int, sizes: list[int], dropout: float = 0.5):
        super().__init__()
        dims = [in_dim] + list(sizes)
        self.layers = nn.ModuleList(LinearNorm(a, b, bias=False) for a, b in zip(dims[:-1], dims[1:]))
        self.dropout = dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [..., in_dim] -> [..., sizes[-1]]
        for linear in self.layers:
            x = F.dropout(F.relu(linear(x)), p=self.dropout, training=True)
        return x


class _Anchor(torch.autograd.Function):
    """Returns a scalar token that every taped product depends on; its backward runs last."""

    @staticmethod
    def forward(ctx, weight, tape):
        ctx.tape = tape
        return weight.new_zeros(())

    @staticmethod
    def backward(ctx, _grad_token):
        return ctx.tape.weight_grad(), None


class _TapedMatmul(torch.autograd.Function):
    """``x @ Wᵀ`` whose weight gradient is deferred to the tape's single product."""

    @staticmethod
    def forward(ctx, x, weight, token, tape):
        ctx.save_for_backward(x, weight)
        ctx.tape = tape
        return x @ weight.t()

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        ctx.tape.record(grad_out, x)
        grad_x = grad_out @ weight if ctx.needs_input_grad[0] else None
        return grad_x, None, grad_out.new_zeros(()), None


class WeightGradTape:
    """``y_t = x_t Wᵀ`` for many steps t with ``∂L/∂W = Σ_t g_tᵀ x_t`` computed as one GEMM.

    Usage: ``tape = WeightGradTape(W)`` once per forward pass, then ``tape(x_t)`` at each step.
    Without autograd (inference, ``no_grad``) it is a plain matrix product.
    """

    def __init__(self, weight: torch.Tensor):
        self.weight = weight
        self._grads: list[torch.Tensor] = []
        self._inputs: list[torch.Tensor] = []
        self._token = _Anchor.apply(weight, self) if torch.is_grad_enabled() and weight.requires_grad else None
        self._detached = weight.detach()

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self._token is None:
            return x @ self.weight.t()
        return _TapedMatmul.apply(x, self._detached, self._token, self)

    def record(self, grad_out: torch.Tensor, x: torch.Tensor) -> None:
        self._grads.append(grad_out)
        self._inputs.append(x)

    def weight_grad(self) -> torch.Tensor:
        if not self._grads:
            return torch.zeros_like(self._detached)
        grads, inputs = torch.cat(self._grads), torch.cat(self._inputs)  # [steps·batch, out], [steps·batch, in]
        self._grads, self._inputs = [], []
        return grads.t() @ inputs  # [out, in]


def lstm_cell(gates: torch.Tensor, cell: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The LSTM update from pre-activations (Hochreiter & Schmidhuber 1997), gate order i, f, g, o as ``nn.LSTMCell``."""
    i, f, g, o = gates.chunk(4, dim=1)
    cell = torch.sigmoid(f) * cell + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(cell), cell
