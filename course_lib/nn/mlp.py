"""A multi-layer perceptron with a hand-written backward pass (chapter 02).

Backpropagation (Rumelhart, Hinton & Williams 1986) is the chain rule applied layer by layer from
the loss back to the input. Every layer here keeps what its forward pass saw and returns, in
``backward``, the gradient with respect to its input, after storing the gradients of its own
parameters. Tensors are plain ``torch`` tensors with autograd off; tests check every gradient
against autograd.

Shapes: a batch of ``B`` inputs with ``D`` features is ``[B, D]``; a layer maps
``[B, n_in] -> [B, n_out]``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from course_lib import checks
from course_lib.checks import checked_by

# --------------------------------------------------------------------------------------------
# Activations and their derivatives (written from their definitions)
# --------------------------------------------------------------------------------------------


def sigmoid(z: torch.Tensor) -> torch.Tensor:
    """σ(z) = 1 / (1 + e^{-z})."""
    return 1.0 / (1.0 + torch.exp(-z))


def sigmoid_prime(z: torch.Tensor) -> torch.Tensor:
    """σ'(z) = σ(z) (1 − σ(z))."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh_prime(z: torch.Tensor) -> torch.Tensor:
    """tanh'(z) = 1 − tanh²(z)."""
    return 1.0 - torch.tanh(z) ** 2


def relu(z: torch.Tensor) -> torch.Tensor:
    """relu(z) = max(z, 0)."""
    return torch.clamp(z, min=0.0)


def relu_prime(z: torch.Tensor) -> torch.Tensor:
    """relu'(z) = 1 where z > 0, else 0 (we take 0 at z = 0, as torch does)."""
    return (z > 0).to(z.dtype)


#: name -> (activation, its derivative), both functions of the pre-activation z.
ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (torch.tanh, tanh_prime),
    "relu": (relu, relu_prime),
    "identity": (lambda z: z, torch.ones_like),
}


# --------------------------------------------------------------------------------------------
# Layers
# --------------------------------------------------------------------------------------------


def _check_forward_ran(self, grad_out) -> None:
    stored, arg = (self._x, "x") if hasattr(self, "_x") else (self._z, "z")
    if stored is None:
        raise RuntimeError(f"{type(self).__name__}.backward was called before forward: run forward({arg}) first.")


def _check_activation(self, name) -> None:
    checks.choice(name, "activation", ACTIVATIONS)


class Linear:
    """Affine layer y = x Wᵀ + b with a hand-written backward pass.

    Initialised like ``torch.nn.Linear``: W, b ~ U(−1/√n_in, 1/√n_in).
    """

    def __init__(self, n_in: int, n_out: int, *, generator: torch.Generator | None = None,
                 dtype: torch.dtype = torch.float64):
        bound = 1.0 / math.sqrt(n_in)
        self.weight = (torch.rand(n_out, n_in, generator=generator, dtype=dtype) * 2 - 1) * bound  # [out, in]
        self.bias = (torch.rand(n_out, generator=generator, dtype=dtype) * 2 - 1) * bound  # [out]
        self.grad_weight = torch.zeros_like(self.weight)
        self.grad_bias = torch.zeros_like(self.bias)
        self._x: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._x = x  # [batch, in], kept for the backward pass
        return x @ self.weight.T + self.bias  # [batch, out]

    @checked_by(_check_forward_ran)
    def backward(self, grad_out: torch.Tensor) -> torch.Tensor:
        """Given ∂L/∂y [batch, out], store ∂L/∂W and ∂L/∂b and return ∂L/∂x [batch, in]."""
        self.grad_weight = grad_out.T @ self._x  # [out, in]
        self.grad_bias = grad_out.sum(dim=0)  # [out]
        return grad_out @ self.weight  # [batch, in]

    def parameters(self) -> list[torch.Tensor]:
        return [self.weight, self.bias]

    def gradients(self) -> list[torch.Tensor]:
        return [self.grad_weight, self.grad_bias]


class Activation:
    """Element-wise non-linearity a = f(z); backward multiplies by f'(z)."""

    @checked_by(_check_activation)
    def __init__(self, name: str):
        self.name = name
        self.f, self.f_prime = ACTIVATIONS[name]
        self._z: torch.Tensor | None = None

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        self._z = z
        return self.f(z)

    @checked_by(_check_forward_ran)
    def backward(self, grad_out: torch.Tensor) -> torch.Tensor:
        return grad_out * self.f_prime(self._z)  # chain rule, element by element

    def parameters(self) -> list[torch.Tensor]:
        return []

    def gradients(self) -> list[torch.Tensor]:
        return []


class MLP:
    """Linear → activation → … → Linear (→ output activation), with manual backprop.

    ``sizes = [2, 4, 1]`` makes one hidden layer of 4 units. ``backward(grad_out)`` takes
    ∂L/∂output and fills every layer's gradients; ``parameters()`` and ``gradients()`` list them
    in the same order (W₁, b₁, W₂, b₂, …).
    """

    def __init__(self, sizes: Sequence[int], activation: str = "tanh",
                 output_activation: str = "identity", *, seed: int = 0,
                 dtype: torch.dtype = torch.float64):
        sizes = list(sizes)
        if len(sizes) < 2 or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in sizes):
            raise ValueError(f"sizes must list at least two positive integers (input, …, output), got {sizes!r}.")
        for name in (activation, output_activation):
            if name not in ACTIVATIONS:
                raise ValueError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}.")
        self.sizes = sizes
        generator = torch.Generator().manual_seed(seed)
        self.layers: list[Linear | Activation] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            self.layers.append(Linear(n_in, n_out, generator=generator, dtype=dtype))
            last = i == len(sizes) - 2
            self.layers.append(Activation(output_activation if last else activation))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"MLP input must be a torch.Tensor [batch, {self.sizes[0]}], got {type(x).__name__}.")
        if x.ndim != 2 or x.shape[1] != self.sizes[0]:
            raise ValueError(f"MLP input must have shape [batch, {self.sizes[0]}], got {list(x.shape)}.")
        for layer in self.layers:
            x = layer.forward(x)
        return x  # [batch, sizes[-1]]

    __call__ = forward

    def backward(self, grad_out: torch.Tensor) -> torch.Tensor:
        """Backpropagate ∂L/∂output [batch, out] through every layer; return ∂L/∂input."""
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out  # [batch, in]

    def parameters(self) -> list[torch.Tensor]:
        return [p for layer in self.layers for p in layer.parameters()]

    def gradients(self) -> list[torch.Tensor]:
        return [g for layer in self.layers for g in layer.gradients()]


# --------------------------------------------------------------------------------------------
# Losses: each returns (loss, ∂loss/∂prediction) so training needs no autograd
# --------------------------------------------------------------------------------------------


def _check_pair(pred: torch.Tensor, target: torch.Tensor, what: str) -> None:
    if pred.shape != target.shape:
        raise ValueError(f"{what}: prediction {list(pred.shape)} and target {list(target.shape)} "
                         "must have the same shape.")


def mse_loss(pred: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """L = mean((p − t)²) over all elements; ∂L/∂p = 2 (p − t) / N."""
    _check_pair(pred, target, "mse_loss")
    diff = pred - target
    return (diff**2).mean(), 2.0 * diff / diff.numel()


def bce_with_logits(logits: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Binary cross-entropy on logits z with targets t ∈ [0, 1], averaged; ∂L/∂z = (σ(z) − t) / N.

    Written in the stable form max(z, 0) − z t + log(1 + e^{−|z|}).
    """
    _check_pair(logits, target, "bce_with_logits")
    loss = torch.clamp(logits, min=0) - logits * target + torch.log1p(torch.exp(-logits.abs()))
    return loss.mean(), (sigmoid(logits) - target) / logits.numel()


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Softmax cross-entropy for logits [batch, classes] and integer labels [batch], averaged.

    ∂L/∂z = (softmax(z) − onehot(y)) / batch.
    """
    if logits.ndim != 2 or labels.shape != logits.shape[:1]:
        raise ValueError(f"cross_entropy wants logits [batch, classes] and labels [batch], "
                         f"got {list(logits.shape)} and {list(labels.shape)}.")
    shifted = logits - logits.max(dim=1, keepdim=True).values  # stable softmax
    log_probs = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))  # [batch, classes]
    batch = torch.arange(logits.shape[0])
    grad = torch.exp(log_probs)
    grad[batch, labels] -= 1.0
    return -log_probs[batch, labels].mean(), grad / logits.shape[0]


LOSSES = {"mse": mse_loss, "bce": bce_with_logits, "cross_entropy": cross_entropy}


# --------------------------------------------------------------------------------------------
# Training with plain gradient descent
# --------------------------------------------------------------------------------------------


def gd_step(model: MLP, lr: float) -> None:
    """θ ← θ − lr · ∂L/∂θ for every parameter (gradient descent; chapter 03 does better)."""
    for param, grad in zip(model.parameters(), model.gradients()):
        param -= lr * grad


def fit(model: MLP, X: torch.Tensor, target: torch.Tensor, *, loss: str = "bce",
        lr: float = 0.5, steps: int = 1000) -> list[float]:
    """Full-batch gradient descent with manual backprop; returns the loss before every step."""
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {sorted(LOSSES)}.")
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a finite positive number, got {lr!r}.")
    if not (isinstance(steps, int) and steps >= 0):
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}.")
    loss_fn = LOSSES[loss]
    history = []
    for _ in range(steps):
        value, grad = loss_fn(model.forward(X), target)
        history.append(float(value))
        model.backward(grad)
        gd_step(model, lr)
    return history
