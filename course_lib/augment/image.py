"""Image augmentation for small greyscale images such as the 8×8 digits (chapter 06).

Three families, the three of the course's seed document:

1. **transform the sample** — a random shift, rotation or elastic distortion on every minibatch
   (Simard, Steinkraus & Platt 2003);
2. **perturbed copies of the same class** — extra copies of each training image with noise (or any
   transform), enlarging the training set once, offline (:func:`perturbed_copies`);
3. **synthesised new samples** — mixup (Zhang et al. 2018): convex combinations of two images and
   of their one-hot labels, points that lie *between* the classes.

Every batch function has the signature ``f(x, y, generator) -> (x, y)`` with x [batch, channels,
H, W] in [0, 1], so it can be passed as ``augment=`` to ``course_lib.nn.conv.fit_classifier`` and
chained with :func:`compose`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from course_lib.checks import checked_by

__all__ = [
    "random_shift", "random_rotation", "elastic_deform", "add_noise", "mixup", "compose",
    "perturbed_copies", "subset_per_class",
]

BatchAugment = Callable[[torch.Tensor, torch.Tensor, torch.Generator], tuple[torch.Tensor, torch.Tensor]]


def _check_images(x) -> None:
    if not isinstance(x, torch.Tensor) or x.dim() != 4 or not x.is_floating_point():
        raise ValueError("images must be a float tensor [batch, channels, height, width], got "
                         f"{type(x).__name__} {tuple(getattr(x, 'shape', ()))}; use x[:, None] for [batch, H, W]")


def _check_nonneg(value, name: str) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")


def _resample(x: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """Bilinear resampling of x [B, C, H, W] through affine maps theta [B, 2, 3] (zeros outside)."""
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)      # [B, H, W, 2]
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def random_shift(x: torch.Tensor, y: torch.Tensor, generator: torch.Generator, max_shift: int = 1):
    """Move each image by a whole number of pixels in [−max_shift, max_shift] on both axes; the
    uncovered border is filled with zeros (background)."""
    _check_images(x)
    if not isinstance(max_shift, int) or isinstance(max_shift, bool) or not 0 <= max_shift < min(x.shape[2:]):
        raise ValueError(f"max_shift must be an int in 0..{min(x.shape[2:]) - 1} pixels, got {max_shift!r}")
    batch, _, height, width = x.shape
    m = max_shift
    dy, dx = torch.randint(-m, m + 1, (2, batch), generator=generator)
    padded = F.pad(x, (m, m, m, m))                                      # [B, C, H + 2m, W + 2m]
    rows = torch.arange(height)[None, :] + m - dy[:, None]               # [B, H]
    cols = torch.arange(width)[None, :] + m - dx[:, None]                # [B, W]
    out = padded[torch.arange(batch)[:, None, None], :, rows[:, :, None], cols[:, None, :]]  # [B, H, W, C]
    return out.permute(0, 3, 1, 2).contiguous(), y


def random_rotation(x: torch.Tensor, y: torch.Tensor, generator: torch.Generator, max_degrees: float = 15.0):
    """Rotate each image about its centre by an angle drawn uniformly in ±max_degrees."""
    _check_images(x)
    _check_nonneg(max_degrees, "max_degrees")
    angle = (torch.rand(x.shape[0], generator=generator) * 2 - 1) * math.radians(max_degrees)
    cos, sin, zero = angle.cos(), angle.sin(), torch.zeros_like(angle)
    theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)
    return _resample(x, theta.to(x.dtype)), y


def elastic_deform(x: torch.Tensor, y: torch.Tensor, generator: torch.Generator,
                   alpha: float = 1.5, sigma: float = 1.0):
    """Elastic distortion (Simard et al. 2003): a random displacement field, smoothed by a
    Gaussian of width ``sigma`` pixels and scaled to about ``alpha`` pixels, moves every pixel."""
    _check_images(x)
    _check_nonneg(alpha, "alpha")
    _check_nonneg(sigma, "sigma")
    if sigma == 0:
        raise ValueError("sigma must be > 0 (it is the width of the smoothing Gaussian in pixels)")
    batch, _, height, width = x.shape
    field = torch.rand(batch, 2, height, width, generator=generator) * 2 - 1   # [B, 2, H, W] in ±1
    radius = max(1, int(math.ceil(3 * sigma)))
    t = torch.arange(-radius, radius + 1, dtype=torch.float32)
    g = torch.exp(-t ** 2 / (2 * sigma ** 2))
    g = g / g.sum()                                                            # 1-D Gaussian
    kernel = (g[:, None] * g[None, :])[None, None].repeat(2, 1, 1, 1)          # [2, 1, k, k]
    field = F.conv2d(field, kernel, padding=radius, groups=2) * alpha          # pixels
    # pixels → the [-1, 1] coordinates of grid_sample
    scale = torch.tensor([2.0 / width, 2.0 / height])[None, :, None, None]
    identity = F.affine_grid(torch.eye(2, 3)[None].repeat(batch, 1, 1), list(x.shape), align_corners=False)
    grid = identity + (field * scale).permute(0, 2, 3, 1)                     # [B, H, W, 2]
    out = F.grid_sample(x, grid.to(x.dtype), mode="bilinear", padding_mode="zeros", align_corners=False)
    return out, y


def add_noise(x: torch.Tensor, y: torch.Tensor, generator: torch.Generator, std: float = 0.1):
    """Add Gaussian pixel noise of standard deviation ``std`` and clip back to [0, 1]."""
    _check_images(x)
    _check_nonneg(std, "std")
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype)
    return (x + std * noise).clamp(0.0, 1.0), y


def _check_mixup(x, y, generator, alpha=0.2, n_classes=10) -> None:
    _check_images(x)
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or not alpha > 0:
        raise ValueError(f"alpha must be > 0 (Beta(α, α) concentration), got {alpha!r}")
    if y.dim() == 1:
        if y.is_floating_point() or int(y.min()) < 0 or int(y.max()) >= n_classes:
            raise ValueError(f"labels must be integers in 0..{n_classes - 1}, got {y.tolist()[:8]}...")
    elif y.shape != (x.shape[0], n_classes):
        raise ValueError(f"y must be labels [batch] or probabilities [batch, {n_classes}], got {tuple(y.shape)}")


@checked_by(_check_mixup)
def mixup(x: torch.Tensor, y: torch.Tensor, generator: torch.Generator, alpha: float = 0.2,
          n_classes: int = 10):
    """mixup (Zhang et al. 2018, eq. 1): x̃ = λ x_i + (1−λ) x_j, ỹ = λ y_i + (1−λ) y_j with
    λ ~ Beta(α, α) and j a random partner in the batch. Returns soft labels [batch, n_classes]."""
    if y.dim() == 1:
        y = F.one_hot(y, n_classes).to(x.dtype)                              # [B, n_classes]
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
    lam = float(np.random.default_rng(seed).beta(alpha, alpha))               # one λ per batch
    partner = torch.randperm(x.shape[0], generator=generator)
    return lam * x + (1 - lam) * x[partner], lam * y + (1 - lam) * y[partner]


def compose(*augments: BatchAugment) -> BatchAugment:
    """Chain batch augmentations left to right (fix keyword arguments with ``functools.partial``)."""
    for a in augments:
        if not callable(a):
            raise TypeError(f"compose takes functions f(x, y, generator), got {a!r}")

    def run(x, y, generator):
        for a in augments:
            x, y = a(x, y, generator)
        return x, y

    return run


def perturbed_copies(x: torch.Tensor, y: torch.Tensor, n_copies: int, transform: BatchAugment,
                     seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """The originals plus ``n_copies`` transformed copies of each, with the same labels:
    a training set (n_copies + 1) times larger, made once before training."""
    _check_images(x)
    if len(y) != len(x):
        raise ValueError(f"x has {len(x)} images but y has {len(y)} labels")
    if not isinstance(n_copies, int) or isinstance(n_copies, bool) or n_copies < 0:
        raise ValueError(f"n_copies must be an int >= 0, got {n_copies!r}")
    generator = torch.Generator().manual_seed(seed)
    xs, ys = [x], [y]
    for _ in range(n_copies):
        xc, yc = transform(x, y, generator)
        xs.append(xc)
        ys.append(yc)
    return torch.cat(xs), torch.cat(ys)


def subset_per_class(x: torch.Tensor, y: torch.Tensor, n_per_class: int, seed: int = 0):
    """A small, class-balanced training subset: ``n_per_class`` random examples of every class."""
    if len(y) != len(x) or y.dim() != 1:
        raise ValueError(f"need one integer label per example: x has {len(x)}, y has shape {tuple(y.shape)}")
    generator = torch.Generator().manual_seed(seed)
    picks = []
    for c in torch.unique(y):
        idx = torch.nonzero(y == c).flatten()
        if idx.numel() < n_per_class:
            raise ValueError(f"class {int(c)} has only {idx.numel()} examples, fewer than n_per_class={n_per_class}")
        picks.append(idx[torch.randperm(idx.numel(), generator=generator)[:n_per_class]])
    idx = torch.cat(picks)
    return x[idx], y[idx]
