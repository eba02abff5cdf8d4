"""WaveNet: an autoregressive model of raw audio (chapter 12).

van den Oord et al. (DeepMind, 2016), "WaveNet: A generative model for raw audio", arXiv:1609.03499.
p(x) = Π_t p(x_t | x_1 … x_{t-1}) (eq. 1), each factor a 256-way softmax over 8-bit μ-law codes
(Sec. 2.2, eq. 2 of μ-law), computed by a stack of dilated causal convolutions (Sec. 2.1) with
gated units z = tanh(W_f * x) ⊙ σ(W_g * x) (eq. 2), residual and skip connections (Sec. 2.4).
"""

from __future__ import annotations

import math
import time

import torch
from torch import nn
from torch.nn import functional as F


# ----------------------------------------------------------------------------- μ-law
def mu_law_encode(x: torch.Tensor, mu: int = 255) -> torch.Tensor:
    """Audio in [-1, 1] → integer codes 0 … mu: f(x) = sign(x)·ln(1 + mu|x|)/ln(1 + mu), then quantise."""
    x = torch.as_tensor(x)
    if not torch.is_floating_point(x):
        raise TypeError(f"mu_law_encode expects float audio in [-1, 1], got dtype {x.dtype}")
    if not torch.isfinite(x).all() or x.abs().max() > 1:
        raise ValueError("audio for mu_law_encode must be finite and within [-1, 1]; normalise it first")
    f = torch.sign(x) * torch.log1p(mu * x.abs()) / math.log1p(mu)      # companded, in [-1, 1]
    return torch.round((f + 1) / 2 * mu).long()                          # [..] ints in 0 … mu


def mu_law_decode(codes: torch.Tensor, mu: int = 255) -> torch.Tensor:
    """Inverse of :func:`mu_law_encode`: x = sign(f)·((1 + mu)^|f| − 1)/mu with f = 2q/mu − 1."""
    codes = torch.as_tensor(codes)
    if torch.is_floating_point(codes) or codes.min() < 0 or codes.max() > mu:
        raise ValueError(f"mu-law codes must be integers in 0 … {mu}")
    f = 2 * codes.float() / mu - 1
    return torch.sign(f) * ((1 + mu) ** f.abs() - 1) / mu


# ----------------------------------------------------------------------------- layers
class CausalConv1d(nn.Conv1d):
    """Conv1d padded on the left only: output[t] sees input[t - (k-1)·d … t], never the future."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 2, dilation: int = 1):
        super().__init__(in_channels, out_channels, kernel_size, dilation=dilation)
        self.left_pad = (kernel_size - 1) * dilation

    def forward(self, x: torch.Tensor) -> torch.Tensor:   # [batch, channels, time]
        return super().forward(F.pad(x, (self.left_pad, 0)))


class ResidualBlock(nn.Module):
    """Dilated causal conv → gated unit tanh·σ → 1x1 to the residual path and to the skip path."""

    def __init__(self, residual_channels: int, skip_channels: int, dilation: int, kernel_size: int = 2):
        super().__init__()
        self.dilated = CausalConv1d(residual_channels, 2 * residual_channels, kernel_size, dilation)
        self.residual = nn.Conv1d(residual_channels, residual_channels, 1)
        self.skip = nn.Conv1d(residual_channels, skip_channels, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        filt, gate = self.dilated(x).chunk(2, dim=1)
        z = torch.tanh(filt) * torch.sigmoid(gate)           # eq. 2: gated activation unit
        return x + self.residual(z), self.skip(z)


def receptive_field(dilations, kernel_size: int = 2) -> int:
    """Samples one output sees: 1 + (k−1)·Σ dilations, plus (k−1) for the first causal conv."""
    return 1 + (kernel_size - 1) * (sum(dilations) + 1)


class WaveNet(nn.Module):
    """Unconditional WaveNet over μ-law codes: logits[:, :, t] predict x[t+1] from x[≤ t]."""

    def __init__(self, n_classes: int = 256, residual_channels: int = 32, skip_channels: int = 64,
                 dilations=(1, 2, 4, 8, 16, 32, 1, 2, 4, 8, 16, 32), kernel_size: int = 2):
        super().__init__()
        self.n_classes, self.kernel_size = n_classes, kernel_size
        self.dilations = tuple(int(d) for d in dilations)
        if not self.dilations or min(self.dilations) < 1:
            raise ValueError(f"dilations must be a non-empty sequence of positive integers, got {dilations!r}")
        self.causal = CausalConv1d(n_classes, residual_channels, kernel_size)   # the first causal layer
        self.blocks = nn.ModuleList(
            ResidualBlock(residual_channels, skip_channels, d, kernel_size) for d in self.dilations)
        self.out1 = nn.Conv1d(skip_channels, skip_channels, 1)
        self.out2 = nn.Conv1d(skip_channels, n_classes, 1)

    @property
    def receptive_field(self) -> int:
        return receptive_field(self.dilations, self.kernel_size)

    def forward_onehot(self, onehot: torch.Tensor) -> torch.Tensor:
        """One-hot (or any float) input [batch, n_classes, time] → logits [batch, n_classes, time]."""
        h = self.causal(onehot)
        skips = 0.0
        for block in self.blocks:
            h, s = block(h)
            skips = skips + s
        return self.out2(F.relu(self.out1(F.relu(skips))))   # ReLU → 1x1 → ReLU → 1x1 → softmax

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        """Codes [batch, time] (ints 0 … n_classes-1) → logits [batch, n_classes, time]."""
        if codes.dim() != 2 or torch.is_floating_point(codes):
            raise ValueError(f"codes must be an integer tensor [batch, time], got {codes.dtype} {tuple(codes.shape)}")
        return self.forward_onehot(F.one_hot(codes, self.n_classes).transpose(1, 2).float())

    def loss(self, codes: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of predicting every next code (teacher forcing on real audio)."""
        logits = self(codes[:, :-1])
        return F.cross_entropy(logits, codes[:, 1:])

    @torch.inference_mode()
    def generate(self, n_samples: int, prompt: torch.Tensor, temperature: float = 1.0,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """Sample ``n_samples`` codes one at a time after ``prompt`` [time] (≥ 1 code); returns [n_samples].

        Each step runs the network on the last receptive-field codes only — one full pass per
        sample, the cost that makes autoregressive vocoders slow (see :func:`generation_speed`).
        """
        if n_samples < 1 or prompt.dim() != 1 or len(prompt) < 1:
            raise ValueError("need n_samples >= 1 and a 1-D prompt of at least one code")
        if not temperature > 0:
            raise ValueError("temperature must be > 0")
        rf = self.receptive_field
        window = F.pad(prompt.long(), (max(0, rf - len(prompt)), 0), value=self.n_classes // 2)[-rf:]
        out = torch.empty(n_samples, dtype=torch.long)
        for i in range(n_samples):
            logits = self(window[None])[0, :, -1] / temperature          # [n_classes] for the next code
            code = torch.multinomial(torch.softmax(logits, dim=0), 1, generator=generator)
            out[i] = code
            window = torch.cat([window[1:], code])
        return out


def gradient_footprint(model: WaveNet, length: int, t: int) -> torch.Tensor:
    """Which input positions the output at time ``t`` depends on (∂ logits[t] / ∂ input ≠ 0)."""
    x = torch.randn(1, model.n_classes, length, requires_grad=True)
    model.forward_onehot(x)[0, :, t].sum().backward()
    return x.grad[0].abs().sum(dim=0) > 0                                # [length] bool


def generation_speed(model: WaveNet, n_samples: int = 200) -> float:
    """Samples per second of sample-by-sample generation on this machine."""
    start = time.perf_counter()
    model.generate(n_samples, torch.full((1,), model.n_classes // 2), generator=torch.Generator().manual_seed(0))
    return n_samples / (time.perf_counter() - start)
