"""Normalizing flows: change of variables, affine coupling, invertible 1x1 convolution (chapter 13).

A flow is an invertible map f from data x to latent z with a simple density p_Z (a standard
normal). The change of variables formula gives the exact likelihood

    log p_X(x) = log p_Z(f(x)) + log |det ∂f/∂x|                      (Dinh et al. 2015, eq. 1)

and a composition of steps adds their log-determinants. Affine coupling (RealNVP, Dinh, Sohl-Dickstein
& Bengio 2017) keeps half the variables and scales/shifts the other half by functions of the first
half: the Jacobian is triangular, so log|det| = Σ log s. Glow (Kingma & Dhariwal 2018) mixes the
channels between couplings with a learned invertible 1x1 convolution, log|det| = T · log|det W|.
Every step here returns ``(output, log_det)`` with ``log_det`` of shape ``[batch]``, one number
per example; a coupling network outputs the shift t first, then log s. WaveGlow (chapter 14)
builds its steps from :func:`rotation`, :func:`affine_couple` / :func:`affine_uncouple` and
:func:`log_det_1x1`.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from course_lib.checks import checked_by


def _check_coupling(self, dim, hidden=64, flip=False) -> None:
    if dim < 2:
        raise ValueError("coupling needs at least 2 dimensions to split")


def affine_couple(x_b: torch.Tensor, t: torch.Tensor, log_s: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """y_b = x_b · exp(log s) + t and log|det| = Σ log s per example, [batch] (Dinh et al. 2017, Sec. 3.3)."""
    return x_b * torch.exp(log_s) + t, log_s.flatten(1).sum(1)


def affine_uncouple(y_b: torch.Tensor, t: torch.Tensor, log_s: torch.Tensor) -> torch.Tensor:
    """The inverse of :func:`affine_couple`: x_b = (y_b − t) · exp(−log s) (Dinh et al. 2017, Sec. 3.3)."""
    return (y_b - t) * torch.exp(-log_s)


class AffineCoupling(nn.Module):
    """y_a = x_a, y_b = x_b · exp(log s(x_a)) + t(x_a); the net may be anything (it is never inverted)."""

    @checked_by(_check_coupling)
    def __init__(self, dim: int, hidden: int = 64, flip: bool = False):
        super().__init__()
        self.flip = flip
        self.n_a = dim // 2
        n_b = dim - self.n_a
        self.net = nn.Sequential(nn.Linear(self.n_a, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 2 * n_b))
        nn.init.zeros_(self.net[-1].weight)   # start as the identity map (as WaveGlow's zero-init 'end')
        nn.init.zeros_(self.net[-1].bias)

    def _split(self, x):
        if self.flip:
            x = x.flip(-1)
        return x[..., :self.n_a], x[..., self.n_a:]

    def _join(self, a, b):
        y = torch.cat([a, b], dim=-1)
        return y.flip(-1) if self.flip else y

    def _shift_log_scale(self, a):
        t, log_s = self.net(a).chunk(2, dim=-1)
        return t, torch.tanh(log_s)                      # bounded log-scale keeps training stable

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = self._split(x)                            # [batch, dim/2] each
        y_b, log_det = affine_couple(b, *self._shift_log_scale(a))
        return self._join(a, y_b), log_det

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        a, b = self._split(y)
        return self._join(a, affine_uncouple(b, *self._shift_log_scale(a)))


def rotation(dim: int) -> torch.Tensor:
    """A random rotation [dim, dim]: Q of the QR decomposition of a Gaussian matrix, one column
    negated if needed so that det = +1 (Glow's initialisation, Kingma & Dhariwal 2018, Sec. 3.2)."""
    w = torch.linalg.qr(torch.randn(dim, dim))[0]
    if torch.det(w) < 0:
        w[:, 0] = -w[:, 0]
    return w


def log_det_1x1(weight: torch.Tensor, batch: int, positions: int = 1) -> torch.Tensor:
    """log|det| of z = W x applied at ``positions`` places of each example: positions · log|det W|, [batch]."""
    return (positions * torch.linalg.slogdet(weight)[1]).expand(batch)


class Invertible1x1(nn.Module):
    """z = W x for a learned square W (Glow's 1x1 convolution on vectors); log|det| = log|det W|.

    W starts as a random rotation (det W = +1), so the step starts volume-preserving.
    """

    def __init__(self, dim: int):
        super().__init__()
        self.weight = nn.Parameter(rotation(dim))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return x @ self.weight.T, log_det_1x1(self.weight, x.shape[0])

    def inverse(self, z: torch.Tensor) -> torch.Tensor:
        return z @ torch.linalg.inv(self.weight).T


class ActNorm(nn.Module):
    """Per-dimension affine y = (x − b)·exp(log_scale), initialised from the first batch (Glow Sec. 3.1)."""

    def __init__(self, dim: int):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(dim))
        self.log_scale = nn.Parameter(torch.zeros(dim))
        self.register_buffer("initialized", torch.tensor(False))

    def forward(self, x):
        if not bool(self.initialized) and self.training:
            with torch.no_grad():
                self.bias.copy_(x.mean(0))
                self.log_scale.copy_(-torch.log(x.std(0) + 1e-6))
                self.initialized.fill_(True)
        return (x - self.bias) * torch.exp(self.log_scale), self.log_scale.sum().expand(x.shape[0])

    def inverse(self, y):
        return y * torch.exp(-self.log_scale) + self.bias


class Flow(nn.Module):
    """A chain of invertible steps on vectors with a standard-normal base density."""

    def __init__(self, steps, dim: int):
        super().__init__()
        self.steps = nn.ModuleList(steps)
        self.dim = dim

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x [batch, dim] → (z [batch, dim], Σ log|det| [batch])."""
        log_det = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        for step in self.steps:
            x, ld = step(x)
            log_det = log_det + ld
        return x, log_det

    def inverse(self, z: torch.Tensor) -> torch.Tensor:
        for step in reversed(self.steps):
            z = step.inverse(z)
        return z

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Exact log p(x) by the change of variables formula (eq. above), [batch]."""
        z, log_det = self(x)
        log_pz = -0.5 * (z**2).sum(-1) - 0.5 * z.shape[-1] * math.log(2 * math.pi)
        return log_pz + log_det

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, temperature: float = 1.0) -> torch.Tensor:
        """Draw z ~ N(0, temperature²·I) and run the flow backwards: [n, dim]."""
        return self.inverse(temperature * torch.randn(n, self.dim, generator=generator))


def glow_2d(n_steps: int = 6, hidden: int = 64) -> Flow:
    """A small Glow for 2-D data: [ActNorm → 1x1 (rotation) → affine coupling] × n_steps."""
    steps = []
    for _ in range(n_steps):
        steps += [ActNorm(2), Invertible1x1(2), AffineCoupling(2, hidden)]
    return Flow(steps, dim=2)


def make_two_moons(n: int, noise: float = 0.08, seed: int = 0) -> np.ndarray:
    """Two interleaved half circles in 2-D (numpy only), ``[n, 2]`` float32, roughly centred."""
    if n < 2:
        raise ValueError("need n >= 2 points")
    rng = np.random.default_rng(seed)
    n_top = n // 2
    angle = rng.uniform(0, np.pi, size=n)
    top = np.stack([np.cos(angle[:n_top]), np.sin(angle[:n_top])], axis=1)
    bottom = np.stack([1 - np.cos(angle[n_top:]), 0.5 - np.sin(angle[n_top:])], axis=1)
    x = np.concatenate([top, bottom]) + rng.normal(scale=noise, size=(n, 2))
    return ((x[rng.permutation(n)] - [0.5, 0.25]) * 1.5).astype(np.float32)


def train_flow(flow: Flow, data: np.ndarray, steps: int = 1000, batch_size: int = 256, lr: float = 3e-3,
               seed: int = 0, progress: bool = False) -> list[float]:
    """Maximum likelihood: minimise −mean log p(x) with Adam; returns the loss per step."""
    from tqdm.auto import tqdm

    x_all = torch.as_tensor(data, dtype=torch.float32)
    if x_all.dim() != 2:
        raise ValueError(f"data must be [n, dim], got shape {tuple(x_all.shape)}")
    gen = torch.Generator().manual_seed(seed)
    flow.train()
    flow(x_all[:min(len(x_all), 1024)])                  # ActNorm data-dependent init
    opt = torch.optim.Adam(flow.parameters(), lr=lr)
    losses = []
    for _ in tqdm(range(steps), disable=not progress, desc="flow"):
        batch = x_all[torch.randint(len(x_all), (batch_size,), generator=gen)]
        loss = -flow.log_prob(batch).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    flow.eval()
    return losses
