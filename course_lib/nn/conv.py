"""Convolution and pooling from scratch, and a LeNet-style CNN for 8×8 digits (chapter 04).

A convolution slides a small kernel over the input and takes a dot product at every position
(LeCun et al. 1989; LeCun et al. 1998). We write it the way fast libraries do: cut every window
out of the input into a column (*im2col*), then one matrix product does all dot products at once.
Like PyTorch (and every deep-learning library), "convolution" here is cross-correlation: the
kernel is not flipped.

Output length of one spatial axis (the formula of the PyTorch ``Conv2d`` docs)::

    out = floor((n + 2·padding − dilation·(kernel − 1) − 1) / stride) + 1

Later chapters use ``torch.nn.Conv1d`` (Tacotron 2's encoder and postnet, WaveNet, WaveGlow);
the tests check that :func:`conv1d` and :func:`conv2d` here equal ``F.conv1d`` / ``F.conv2d``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from course_lib import checks
from course_lib.checks import checked_by, integer, probability

__all__ = [
    "conv_output_size", "im2col", "conv2d", "conv1d", "max_pool2d",
    "LeNetConfig", "LeNet", "DigitsSplit", "load_digits_split", "fit_classifier", "accuracy",
]


# ----------------------------------------------------------------------------- argument checks
def _pair(value) -> tuple[int, int]:
    """``3`` → ``(3, 3)``; ``(2, 1)`` stays (already checked by :func:`course_lib.checks.pair`)."""
    return (int(value), int(value)) if np.ndim(value) == 0 else (int(value[0]), int(value[1]))


def _check_fits(n, kernel, stride=1, padding=0, dilation=1) -> None:
    span = dilation * (kernel - 1) + 1
    if span > n + 2 * padding:
        raise ValueError(f"the kernel (size {kernel}, dilation {dilation}, so it spans {span}) is larger "
                         f"than the padded input ({n} + 2·{padding} = {n + 2 * padding}); "
                         "use a smaller kernel or more padding")


def _check_windows(x, kernel_size, stride=1, padding=0, dilation=1, pad_value=0.0) -> None:
    checks.tensor(x, "x", 4, "[batch, channels, height, width]")
    checks.pair(kernel_size, "kernel_size", 1)
    if stride is not None:
        checks.pair(stride, "stride", 1)
    checks.pair(padding, "padding", 0)
    checks.pair(dilation, "dilation", 1)


def _check_conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1) -> None:
    checks.tensor(x, "x", 4, "[batch, channels, height, width]")
    checks.tensor(weight, "weight", 4, "[out_channels, in_channels, kernel_h, kernel_w]")
    out_ch, in_ch = weight.shape[:2]
    if x.shape[1] != in_ch:
        raise ValueError(f"x has {x.shape[1]} channels but weight expects {in_ch} "
                         f"(weight shape {tuple(weight.shape)} is [out, in, kh, kw])")
    if bias is not None and (not isinstance(bias, torch.Tensor) or tuple(bias.shape) != (out_ch,)):
        raise ValueError(f"bias must be a tensor of shape ({out_ch},), one per output channel, "
                         f"got {getattr(bias, 'shape', bias)!r}")
    _check_windows(x, tuple(weight.shape[2:]), stride, padding, dilation)


def _check_conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1) -> None:
    checks.tensor(x, "x", 3, "[batch, channels, time]")
    checks.tensor(weight, "weight", 3, "[out_channels, in_channels, kernel]")
    for name, value, minimum in (("stride", stride, 1), ("padding", padding, 0), ("dilation", dilation, 1)):
        integer(value, name, minimum)


def _check_max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1) -> None:
    _check_windows(x, kernel_size, stride, padding, dilation)
    (kh, kw), (ph, pw) = _pair(kernel_size), _pair(padding)
    if ph > kh // 2 or pw > kw // 2:
        raise ValueError(f"padding {(ph, pw)} must be at most half the kernel size {(kh, kw)}")


@checked_by(_check_fits)
def conv_output_size(n: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Length of one output axis; raises ValueError if the (dilated) kernel does not fit."""
    span = dilation * (kernel - 1) + 1                       # how far the dilated kernel reaches
    return (n + 2 * padding - span) // stride + 1


# ----------------------------------------------------------------------------- im2col and conv
@checked_by(_check_windows)
def im2col(x: torch.Tensor, kernel_size, stride=1, padding=0, dilation=1,
           pad_value: float = 0.0) -> torch.Tensor:
    """Cut every kernel window of ``x`` [batch, channels, H, W] into a column.

    Returns [batch, channels·kh·kw, H_out·W_out], ordered like ``F.unfold`` (channel slowest).
    """
    (kh, kw), (sh, sw) = _pair(kernel_size), _pair(stride)
    (ph, pw), (dh, dw) = _pair(padding), _pair(dilation)
    batch, channels, height, width = x.shape
    h_out = conv_output_size(height, kh, sh, ph, dh)
    w_out = conv_output_size(width, kw, sw, pw, dw)
    x = F.pad(x, (pw, pw, ph, ph), value=pad_value)           # [B, C, H + 2ph, W + 2pw]
    dev = x.device
    # row of window i, kernel tap u: i·stride + u·dilation (same for columns)
    rows = (torch.arange(h_out, device=dev) * sh)[:, None] + torch.arange(kh, device=dev) * dh  # [H_out, kh]
    cols = (torch.arange(w_out, device=dev) * sw)[:, None] + torch.arange(kw, device=dev) * dw  # [W_out, kw]
    windows = x[:, :, rows[:, :, None, None], cols[None, None, :, :]]  # [B, C, H_out, kh, W_out, kw]
    windows = windows.permute(0, 1, 3, 5, 2, 4)                         # [B, C, kh, kw, H_out, W_out]
    return windows.reshape(batch, channels * kh * kw, h_out * w_out)


@checked_by(_check_conv2d)
def conv2d(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
           stride=1, padding=0, dilation=1) -> torch.Tensor:
    """2-D convolution (cross-correlation) as im2col + one matrix product; equals ``F.conv2d``.

    x [batch, in_channels, H, W], weight [out_channels, in_channels, kh, kw], bias [out_channels].
    Returns [batch, out_channels, H_out, W_out].
    """
    out_ch, in_ch, kh, kw = weight.shape
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    h_out = conv_output_size(x.shape[2], kh, sh, ph, dh)
    w_out = conv_output_size(x.shape[3], kw, sw, pw, dw)
    cols = im2col(x, (kh, kw), (sh, sw), (ph, pw), (dh, dw))  # [B, C·kh·kw, H_out·W_out]
    out = weight.reshape(out_ch, -1) @ cols                  # [B, out, H_out·W_out]
    if bias is not None:
        out = out + bias[:, None]
    return out.reshape(x.shape[0], out_ch, h_out, w_out)


@checked_by(_check_conv1d)
def conv1d(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
           stride: int = 1, padding: int = 0, dilation: int = 1) -> torch.Tensor:
    """1-D convolution over time; equals ``F.conv1d``.

    x [batch, in_channels, time], weight [out_channels, in_channels, kernel] → [batch, out, T_out].
    A 1-D convolution is a 2-D one over an image of height 1, so we reuse :func:`conv2d`.
    """
    out = conv2d(x[:, :, None, :], weight[:, :, None, :], bias,          # [B, C, 1, T]
                 stride=(1, stride), padding=(0, padding), dilation=(1, dilation))
    return out[:, :, 0, :]                                              # [B, out, T_out]


@checked_by(_check_max_pool2d)
def max_pool2d(x: torch.Tensor, kernel_size, stride=None, padding=0, dilation=1) -> torch.Tensor:
    """Max pooling: the largest value of every window; equals ``F.max_pool2d`` (ceil_mode=False).

    ``stride`` defaults to ``kernel_size``; padding counts as −∞ (never the maximum) and, as in
    PyTorch, may be at most half the kernel.
    """
    kh, kw = _pair(kernel_size)
    sh, sw = (kh, kw) if stride is None else _pair(stride)
    (ph, pw), (dh, dw) = _pair(padding), _pair(dilation)
    batch, channels, height, width = x.shape
    h_out = conv_output_size(height, kh, sh, ph, dh)
    w_out = conv_output_size(width, kw, sw, pw, dw)
    cols = im2col(x, (kh, kw), (sh, sw), (ph, pw), (dh, dw), pad_value=float("-inf"))
    cols = cols.reshape(batch, channels, kh * kw, h_out * w_out)       # [B, C, kh·kw, windows]
    return cols.amax(dim=2).reshape(batch, channels, h_out, w_out)


# ----------------------------------------------------------------------------- LeNet on digits
@dataclass(frozen=True)
class LeNetConfig:
    """A LeNet-style CNN (LeCun et al. 1998) sized for scikit-learn's 8×8 digits."""

    channels: tuple[int, int] = (16, 32)   # filters in the two conv layers
    kernel_size: int = 3                   # 'same' padding keeps 8×8, then 4×4 after pooling
    hidden: int = 64                       # fully connected layer before the 10 classes
    dropout: float = 0.25
    n_classes: int = 10

    def __post_init__(self):
        if not isinstance(self.channels, (tuple, list)) or len(self.channels) != 2:
            raise TypeError(f"LeNetConfig.channels must be two filter counts, e.g. (16, 32), got {self.channels!r}")
        for i, c in enumerate(self.channels):
            integer(c, f"LeNetConfig.channels[{i}]")
        integer(self.kernel_size, "LeNetConfig.kernel_size", odd=True)  # odd: 'same' padding keeps 8×8
        integer(self.hidden, "LeNetConfig.hidden")
        integer(self.n_classes, "LeNetConfig.n_classes")
        probability(self.dropout, "LeNetConfig.dropout")


class LeNet(nn.Module):
    """conv → ReLU → max-pool → conv → ReLU → max-pool → linear → ReLU → linear (10 classes).

    Input [batch, 1, 8, 8]; output logits [batch, n_classes]. ``features(x)`` returns the two
    feature-map stacks for plotting.
    """

    def __init__(self, config: LeNetConfig = LeNetConfig()):
        super().__init__()
        if not isinstance(config, LeNetConfig):
            raise TypeError(f"config must be a LeNetConfig, got {type(config).__name__}")
        c1, c2 = config.channels
        k = config.kernel_size
        self.config = config
        self.conv1 = nn.Conv2d(1, c1, k, padding=k // 2)     # [B, c1, 8, 8]
        self.conv2 = nn.Conv2d(c1, c2, k, padding=k // 2)    # [B, c2, 4, 4]
        self.head = nn.Sequential(
            nn.Flatten(), nn.Dropout(config.dropout),
            nn.Linear(c2 * 2 * 2, config.hidden), nn.ReLU(),
            nn.Linear(config.hidden, config.n_classes),
        )

    def features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The ReLU feature maps of both conv layers: [B, c1, 8, 8] and [B, c2, 4, 4]."""
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, 8, 8):
            raise ValueError(f"LeNet expects images of shape [batch, 1, 8, 8], got {tuple(x.shape)}")
        a1 = F.relu(self.conv1(x))                            # [B, c1, 8, 8]
        a2 = F.relu(self.conv2(F.max_pool2d(a1, 2)))          # [B, c2, 4, 4]
        return a1, a2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, a2 = self.features(x)
        return self.head(F.max_pool2d(a2, 2))                 # [B, n_classes]


@dataclass(frozen=True)
class DigitsSplit:
    """scikit-learn's 1,797 bundled 8×8 digits, scaled to [0, 1], as [N, 1, 8, 8] tensors."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def load_digits_split(test_size: float = 0.25, seed: int = 0) -> DigitsSplit:
    """A fixed, stratified train/test split of ``sklearn.datasets.load_digits`` (no download)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be a fraction between 0 and 1, got {test_size!r}")
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None]   # [N, 1, 8, 8], pixels 0..16 → 0..1
    x_tr, x_te, y_tr, y_te = train_test_split(images, digits.target, test_size=test_size,
                                              random_state=seed, stratify=digits.target)
    return DigitsSplit(torch.from_numpy(x_tr), torch.from_numpy(y_tr).long(),
                       torch.from_numpy(x_te), torch.from_numpy(y_te).long())


Augment = Callable[[torch.Tensor, torch.Tensor, torch.Generator], tuple[torch.Tensor, torch.Tensor]]


def fit_classifier(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, epochs: int,
                   batch_size: int = 64, lr: float = 3e-3, weight_decay: float = 0.0,
                   seed: int = 0, augment: Augment | None = None, progress: bool = False) -> list[float]:
    """Train with Adam and cross-entropy on shuffled minibatches; returns the loss of every epoch.

    ``augment(xb, yb, generator) -> (xb, yb)`` transforms each minibatch (chapter 06); ``yb`` may
    come back as class probabilities [B, n_classes] (mixup), which cross-entropy accepts.
    """
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x has {x.shape[0]} examples but y has {y.shape[0]}")
    if not isinstance(epochs, int) or epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be positive ints, got {epochs!r}, {batch_size!r}")
    from tqdm.auto import tqdm

    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    history = []
    model.train()
    for _ in tqdm(range(epochs), desc="epochs", disable=not progress):
        order, total = torch.randperm(x.shape[0], generator=gen), 0.0
        for start in range(0, x.shape[0], batch_size):
            idx = order[start:start + batch_size]
            xb, yb = x[idx], y[idx]
            if augment is not None:
                xb, yb = augment(xb, yb, gen)
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * idx.numel()
        history.append(total / x.shape[0])
    model.eval()
    return history


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Share of examples whose largest logit is the true class (model in eval mode)."""
    model.eval()
    return (model(x).argmax(dim=1) == y).float().mean().item()
