"""WaveNet: an autoregressive model of raw audio (chapter 12).

van den Oord et al. (DeepMind, 2016), "WaveNet: A generative model for raw audio", arXiv:1609.03499.
p(x) = Π_t p(x_t | x_1 … x_{t-1}) (eq. 1), each factor a 256-way softmax over 8-bit μ-law codes
(Sec. 2.2), computed by a stack of dilated causal convolutions (Sec. 2.1) with gated units
z = tanh(W_f * x) ⊙ σ(W_g * x) (eq. 2), residual and skip connections (Sec. 2.4). Local
conditioning (Sec. 2.5, eqs. 3 and 5): p(x | h) = Π_t p(x_t | x_<t, h), with y, the series h
upsampled to the audio rate, entering every gate as z = tanh(W_f * x + V_f * y) ⊙ σ(W_g * x + V_g * y).
Fast generation keeps a queue of past activations per layer (Paine et al. 2016, arXiv:1611.09482).
"""

from __future__ import annotations

import math
import time

import torch
from torch import nn
from torch.nn import functional as F

from course_lib import checks
from course_lib.checks import checked_by


# ----------------------------------------------------------------------------- μ-law
def _check_audio(x, mu=255) -> None:
    x = torch.as_tensor(x)
    if not torch.is_floating_point(x):
        raise TypeError(f"mu_law_encode expects float audio in [-1, 1], got dtype {x.dtype}")
    if not torch.isfinite(x).all() or x.abs().max() > 1:
        raise ValueError("audio for mu_law_encode must be finite and within [-1, 1]; normalise it first")


def _check_codes(codes, mu=255) -> None:
    codes = torch.as_tensor(codes)
    if torch.is_floating_point(codes) or codes.min() < 0 or codes.max() > mu:
        raise ValueError(f"mu-law codes must be integers in 0 … {mu}")


@checked_by(_check_audio)
def mu_law_encode(x: torch.Tensor, mu: int = 255) -> torch.Tensor:
    """Audio in [-1, 1] → integer codes 0 … mu: f(x) = sign(x)·ln(1 + mu|x|)/ln(1 + mu), then quantise."""
    x = torch.as_tensor(x)
    f = torch.sign(x) * torch.log1p(mu * x.abs()) / math.log1p(mu)      # companded, in [-1, 1]
    return torch.round((f + 1) / 2 * mu).long()                          # [..] ints in 0 … mu


@checked_by(_check_codes)
def mu_law_decode(codes: torch.Tensor, mu: int = 255) -> torch.Tensor:
    """Inverse of :func:`mu_law_encode`: x = sign(f)·((1 + mu)^|f| − 1)/mu with f = 2q/mu − 1."""
    codes = torch.as_tensor(codes)
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


def gated_activation(h: torch.Tensor) -> torch.Tensor:
    """The gated activation unit z = tanh(filter) ⊙ σ(gate) (eq. 2) of h = [filter; gate] [batch, 2·channels, ...]."""
    filt, gate = h.chunk(2, dim=1)
    return torch.tanh(filt) * torch.sigmoid(gate)


class ResidualBlock(nn.Module):
    """Dilated causal conv (+ 1x1 conv of the conditioning y) → gated unit tanh·σ → residual and skip 1x1s."""

    def __init__(self, residual_channels: int, skip_channels: int, dilation: int, kernel_size: int = 2,
                 cond_channels: int = 0):
        super().__init__()
        self.dilated = CausalConv1d(residual_channels, 2 * residual_channels, kernel_size, dilation)
        self.cond = nn.Conv1d(cond_channels, 2 * residual_channels, 1) if cond_channels else None
        self.residual = nn.Conv1d(residual_channels, residual_channels, 1)
        self.skip = nn.Conv1d(residual_channels, skip_channels, 1)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.dilated(x)                                   # [batch, 2·channels, time]: W_f * x, W_g * x
        if self.cond is not None:
            h = h + self.cond(y)                              # eq. 5: + V_f * y, V_g * y (1x1 convs)
        z = gated_activation(h)                               # eq. 2
        return x + self.residual(z), self.skip(z)


def receptive_field(dilations, kernel_size: int = 2) -> int:
    """Samples one output sees: 1 + (k−1)·Σ dilations, plus (k−1) for the first causal conv."""
    return 1 + (kernel_size - 1) * (sum(dilations) + 1)


def upsample_repeat(frames: torch.Tensor, hop: int) -> torch.Tensor:
    """Frame-rate features [batch, channels, frames] → one column per sample [.., frames·hop] by repetition.

    van den Oord et al. (2016, Sec. 2.5) upsample with a learned transposed convolution and report
    that repeating each frame works slightly worse; WaveGlow uses the transposed convolution (chapter 14).
    """
    checks.integer(hop, "hop")
    if frames.dim() != 3 or not torch.is_floating_point(frames):
        raise ValueError(f"frames must be a float tensor [batch, channels, frames], got {frames.dtype} "
                         f"{tuple(frames.shape)}")
    return frames.repeat_interleave(hop, dim=2)


class WaveNet(nn.Module):
    """WaveNet over μ-law codes: logits[:, :, t] predict x[t+1] from x[≤ t] (and the conditioning of x[t+1]).

    With ``cond_channels > 0`` every block adds a 1x1 convolution of the conditioning y (eq. 5);
    ``cond`` is then a float tensor [batch, cond_channels, time] aligned with the codes: column t
    conditions the prediction of code t.
    """

    def __init__(self, n_classes: int = 256, residual_channels: int = 32, skip_channels: int = 64,
                 dilations=(1, 2, 4, 8, 16, 32, 1, 2, 4, 8, 16, 32), kernel_size: int = 2,
                 cond_channels: int = 0):
        super().__init__()
        self.n_classes, self.kernel_size = n_classes, kernel_size
        self.cond_channels = checks.integer(cond_channels, "cond_channels", low=0)
        self.dilations = tuple(int(d) for d in dilations)
        if not self.dilations or min(self.dilations) < 1:
            raise ValueError(f"dilations must be a non-empty sequence of positive integers, got {dilations!r}")
        self.causal = CausalConv1d(n_classes, residual_channels, kernel_size)   # the first causal layer
        self.blocks = nn.ModuleList(
            ResidualBlock(residual_channels, skip_channels, d, kernel_size, cond_channels) for d in self.dilations)
        self.out1 = nn.Conv1d(skip_channels, skip_channels, 1)
        self.out2 = nn.Conv1d(skip_channels, n_classes, 1)

    @property
    def receptive_field(self) -> int:
        return receptive_field(self.dilations, self.kernel_size)

    def _check_cond(self, cond, batch: int, time: int) -> torch.Tensor | None:
        if not self.cond_channels:
            if cond is not None:
                raise ValueError("this WaveNet is unconditional (cond_channels=0); pass cond=None")
            return None
        if cond is None or not torch.is_tensor(cond) or not torch.is_floating_point(cond) or cond.dim() != 3 \
                or cond.shape[0] != batch or cond.shape[1] != self.cond_channels or cond.shape[2] < time:
            got = f"{cond.dtype} {tuple(cond.shape)}" if torch.is_tensor(cond) else repr(type(cond).__name__)
            raise ValueError(f"cond must be a float tensor [{batch}, {self.cond_channels}, >= {time}] "
                             f"(upsample frame features to one column per sample, e.g. upsample_repeat), got {got}")
        return cond

    def _head(self, skips: torch.Tensor) -> torch.Tensor:
        return self.out2(F.relu(self.out1(F.relu(skips))))   # ReLU → 1x1 → ReLU → 1x1 → softmax

    def forward_onehot(self, onehot: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        """One-hot (or any float) input [batch, n_classes, time] → logits [batch, n_classes, time]."""
        cond = self._check_cond(cond, onehot.shape[0], onehot.shape[2])
        y = None if cond is None else cond[:, :, :onehot.shape[2]]
        h = self.causal(onehot)
        skips = 0.0
        for block in self.blocks:
            h, s = block(h, y)
            skips = skips + s
        return self._head(skips)

    def forward(self, codes: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        """Codes [batch, time] (ints 0 … n_classes-1) → logits [batch, n_classes, time]."""
        if codes.dim() != 2 or torch.is_floating_point(codes):
            raise ValueError(f"codes must be an integer tensor [batch, time], got {codes.dtype} {tuple(codes.shape)}")
        return self.forward_onehot(F.one_hot(codes, self.n_classes).transpose(1, 2).float(), cond)

    def loss(self, codes: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        """Cross-entropy of predicting every next code (teacher forcing on real audio), eq. 1 or eq. 3."""
        if cond is not None:
            cond = self._check_cond(cond, codes.shape[0], codes.shape[1])[:, :, 1:codes.shape[1]]
        logits = self(codes[:, :-1], cond)
        return F.cross_entropy(logits, codes[:, 1:])

    def _start(self, n_samples, prompt, cond, temperature):
        if n_samples < 1 or prompt.dim() != 1 or len(prompt) < 1:
            raise ValueError("need n_samples >= 1 and a 1-D prompt of at least one code")
        if not temperature > 0:
            raise ValueError("temperature must be > 0")
        total = len(prompt) + n_samples
        if cond is not None:
            cond = self._check_cond(cond[None] if torch.is_tensor(cond) and cond.dim() == 2 else cond, 1, total)
        else:
            self._check_cond(None, 1, total)
        return cond

    @torch.inference_mode()
    def generate(self, n_samples: int, prompt: torch.Tensor, temperature: float = 1.0,
                 generator: torch.Generator | None = None, cond: torch.Tensor | None = None) -> torch.Tensor:
        """Sample ``n_samples`` codes one at a time after ``prompt`` [time] (≥ 1 code); returns [n_samples].

        Each step runs the network on the last receptive-field codes — one full pass per sample,
        the naive sampler. ``cond`` [cond_channels, len(prompt) + n_samples] conditions every code.
        :meth:`generate_fast` computes the same distributions with queues.
        """
        cond = self._start(n_samples, prompt, cond, temperature)
        rf = self.receptive_field
        pad = max(0, rf - len(prompt))
        window = F.pad(prompt.long(), (pad, 0), value=self.n_classes // 2)[-rf:]
        if cond is not None:                               # column s of the window is conditioned by cond[s + 1]
            cond = F.pad(cond, (pad, 0), mode="replicate")
        out = torch.empty(n_samples, dtype=torch.long)
        for i in range(n_samples):
            nxt = pad + len(prompt) + i                    # index of the code being predicted, in padded cond
            y = None if cond is None else cond[:, :, nxt - rf + 1:nxt + 1]
            logits = self(window[None], y)[0, :, -1] / temperature          # [n_classes] for the next code
            code = torch.multinomial(torch.softmax(logits, dim=0), 1, generator=generator)
            out[i] = code
            window = torch.cat([window[1:], code])
        return out

    @torch.inference_mode()
    def generate_fast(self, n_samples: int, prompt: torch.Tensor, temperature: float = 1.0,
                      generator: torch.Generator | None = None, cond: torch.Tensor | None = None) -> torch.Tensor:
        """The same sampler with a cache (Paine et al. 2016): each layer keeps a queue of its last
        (k−1)·d inputs, so a new sample costs one column per layer instead of a pass over the
        receptive field. The queues start at zero, as the causal padding of teacher forcing does,
        so the distributions equal ``self(codes, cond)`` exactly (tests/test_wavenet.py).
        """
        cond = self._start(n_samples, prompt, cond, temperature)
        convs = [self.causal] + [block.dilated for block in self.blocks]
        queues = [torch.zeros(1, conv.in_channels, conv.left_pad) for conv in convs]

        def step(code: int, y: torch.Tensor | None) -> torch.Tensor:   # one input column → next-code logits
            column = F.one_hot(torch.tensor([code]), self.n_classes).float()[:, :, None]   # [1, n_classes, 1]
            h, skips = None, 0.0
            for i, conv in enumerate(convs):
                window = torch.cat([queues[i], column], dim=2)          # [1, channels, (k-1)·d + 1]
                queues[i] = window[:, :, 1:]
                pre = F.conv1d(window, conv.weight, conv.bias, dilation=conv.dilation)   # [1, out, 1]
                if i == 0:
                    h = pre
                else:
                    block = self.blocks[i - 1]
                    if block.cond is not None:
                        pre = pre + block.cond(y)
                    z = gated_activation(pre)
                    h, skips = h + block.residual(z), skips + block.skip(z)
                column = h
            return self._head(skips)[0, :, 0]

        codes = prompt.long().tolist()
        out = torch.empty(n_samples, dtype=torch.long)
        for s in range(len(prompt) + n_samples - 1):       # feed code s; predict code s + 1
            logits = step(codes[s], None if cond is None else cond[:, :, s + 1:s + 2])
            if s + 1 >= len(prompt):
                code = torch.multinomial(torch.softmax(logits / temperature, dim=0), 1, generator=generator)
                out[s + 1 - len(prompt)] = code
                codes.append(int(code))
        return out


def gradient_footprint(model: WaveNet, length: int, t: int) -> torch.Tensor:
    """Which input positions the output at time ``t`` depends on (∂ logits[t] / ∂ input ≠ 0)."""
    x = torch.randn(1, model.n_classes, length, requires_grad=True)
    model.forward_onehot(x)[0, :, t].sum().backward()
    return x.grad[0].abs().sum(dim=0) > 0                                # [length] bool


def generation_speed(model: WaveNet, n_samples: int = 200, fast: bool = False) -> float:
    """Samples per second of sample-by-sample generation on this machine (naive, or with queues)."""
    sample = model.generate_fast if fast else model.generate
    start = time.perf_counter()
    sample(n_samples, torch.full((1,), model.n_classes // 2), generator=torch.Generator().manual_seed(0))
    return n_samples / (time.perf_counter() - start)
