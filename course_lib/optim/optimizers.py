"""Optimizers written from scratch (chapter 03), equal to ``torch.optim`` step for step.

Each method is one small function ``<name>_update(param, grad, state, **hyper)`` that changes
``param`` in place and keeps its running quantities in ``state`` (a dict), plus a class that
plugs the function into :class:`torch.optim.Optimizer` (param groups, ``zero_grad``,
``state_dict``, learning-rate schedulers) — only the update rule is ours.

* GD / minibatch SGD: θ ← θ − η g. The rule is the same; GD uses the gradient of the whole
  training set, SGD that of one random minibatch per step (Robbins & Monro 1951).
* Momentum (Polyak 1964) and Nesterov's accelerated gradient (Nesterov 1983; Sutskever et al.
  2013), in torch's form: ``SGD(momentum=μ, nesterov=...)``.
* Adagrad (Duchi, Hazan & Singer 2011), RMSprop (Hinton, Coursera lecture 6e, 2012),
  Adadelta (Zeiler 2012), Adam (Kingma & Ba 2015, Algorithm 1).

Where torch's formulation differs from a paper's notation (the first momentum buffer, where ε
sits), we follow torch and say so in the docstring.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from course_lib import checks

# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# The update rules (one function each)
# --------------------------------------------------------------------------------------------


@torch.no_grad()
def sgd_update(param, grad, state, *, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    """GD / SGD, with Polyak momentum or Nesterov momentum as torch.optim.SGD computes them.

    v ← μ v + (1 − τ) g   (τ = dampening; v = g on the first step, as in torch)
    θ ← θ − η v                     (momentum)
    θ ← θ − η (g + μ v)             (nesterov=True: the gradient step seen from the look-ahead point)
    """
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)  # L2 penalty folded into the gradient
    if momentum != 0:
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = state["momentum_buffer"] = grad.clone()
        else:
            buf.mul_(momentum).add_(grad, alpha=1 - dampening)
        grad = grad.add(buf, alpha=momentum) if nesterov else buf
    param.add_(grad, alpha=-lr)


@torch.no_grad()
def adagrad_update(param, grad, state, *, lr, lr_decay=0.0, weight_decay=0.0,
                   initial_accumulator_value=0.0, eps=1e-10):
    """Adagrad (Duchi et al. 2011): divide by the root of the sum of all squared gradients.

    G ← G + g²;  θ ← θ − η_t g / (√G + ε),  η_t = η / (1 + (t − 1) · lr_decay).
    ε sits outside the square root (torch).
    """
    if "sum" not in state:
        state["step"] = 0
        state["sum"] = torch.full_like(param, initial_accumulator_value)
    state["step"] += 1
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)
    clr = lr / (1 + (state["step"] - 1) * lr_decay)
    state["sum"].addcmul_(grad, grad, value=1)
    param.addcdiv_(grad, state["sum"].sqrt().add_(eps), value=-clr)


@torch.no_grad()
def rmsprop_update(param, grad, state, *, lr, alpha=0.99, eps=1e-8, weight_decay=0.0,
                   momentum=0.0, centered=False):
    """RMSprop (Hinton, lecture 6e, 2012): divide by a running RMS of recent gradients.

    E[g²] ← α E[g²] + (1 − α) g²;  θ ← θ − η g / (√E[g²] + ε)   (ε outside the root, torch).
    ``centered`` subtracts the squared running mean of g (Graves 2013); ``momentum`` keeps a
    buffer b ← μ b + g / (√E[g²] + ε) and steps θ ← θ − η b.
    """
    if "square_avg" not in state:
        state["step"] = 0
        state["square_avg"] = torch.zeros_like(param)
        state["grad_avg"] = torch.zeros_like(param)
        state["momentum_buffer"] = torch.zeros_like(param)
    state["step"] += 1
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)
    square_avg = state["square_avg"]
    square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
    if centered:
        grad_avg = state["grad_avg"].lerp_(grad, 1 - alpha)  # running mean of g
        denom = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_().add_(eps)
    else:
        denom = square_avg.sqrt().add_(eps)
    if momentum > 0:
        buf = state["momentum_buffer"].mul_(momentum).addcdiv_(grad, denom)
        param.add_(buf, alpha=-lr)
    else:
        param.addcdiv_(grad, denom, value=-lr)


@torch.no_grad()
def adadelta_update(param, grad, state, *, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    """Adadelta (Zeiler 2012, Algorithm 1): the step's units come from past steps, not from η.

    E[g²] ← ρ E[g²] + (1 − ρ) g²;  Δ = √(E[Δ²] + ε) / √(E[g²] + ε) · g;
    E[Δ²] ← ρ E[Δ²] + (1 − ρ) Δ²;  θ ← θ − η Δ   (the paper has no η: torch's default η = 1).
    """
    if "square_avg" not in state:
        state["step"] = 0
        state["square_avg"] = torch.zeros_like(param)
        state["acc_delta"] = torch.zeros_like(param)
    state["step"] += 1
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)
    square_avg, acc_delta = state["square_avg"], state["acc_delta"]
    square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)
    delta = acc_delta.add(eps).sqrt_().div_(square_avg.add(eps).sqrt_()).mul_(grad)
    acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
    param.add_(delta, alpha=-lr)


@torch.no_grad()
def adam_update(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    """Adam (Kingma & Ba 2015, Algorithm 1): momentum and an RMS scale, both bias-corrected.

    m ← β₁ m + (1 − β₁) g;  v ← β₂ v + (1 − β₂) g²;
    m̂ = m / (1 − β₁ᵗ);  v̂ = v / (1 − β₂ᵗ);  θ ← θ − η m̂ / (√v̂ + ε).
    """
    beta1, beta2 = betas
    if "exp_avg" not in state:
        state["step"] = 0
        state["exp_avg"] = torch.zeros_like(param)
        state["exp_avg_sq"] = torch.zeros_like(param)
    state["step"] += 1
    t = state["step"]
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)
    m, v = state["exp_avg"], state["exp_avg_sq"]
    m.lerp_(grad, 1 - beta1)  # m ← β₁ m + (1 − β₁) g  (lerp: m + (1 − β₁)(g − m))
    v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)  # v ← β₂ v + (1 − β₂) g²
    bias1, bias2 = 1 - beta1**t, 1 - beta2**t  # bias correction: m and v start at 0
    denom = (v.sqrt() / bias2**0.5).add_(eps)  # √v̂ + ε, with v̂ = v / (1 − β₂ᵗ)
    param.addcdiv_(m, denom, value=-lr / bias1)  # θ ← θ − η m̂ / (√v̂ + ε), m̂ = m / (1 − β₁ᵗ)


# --------------------------------------------------------------------------------------------
# The classes: torch.optim.Optimizer bookkeeping around one update rule
# --------------------------------------------------------------------------------------------


class _FromScratch(torch.optim.Optimizer):
    """Runs ``type(self).update`` on every parameter with a gradient, per param group."""

    update: Callable  # the update rule, set by each subclass

    def add_param_group(self, param_group: dict) -> None:
        super().add_param_group(param_group)
        self._validate(self.param_groups[-1])

    def _validate(self, group: dict) -> None:
        checks.real(group["lr"], f"{type(self).__name__}.lr", 0.0, hint="Pick a learning rate such as 1e-3.")
        if group.get("weight_decay", 0) != 0:
            checks.real(group["weight_decay"], f"{type(self).__name__}.weight_decay", 0.0)

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            hyper = {key: group[key] for key in self.defaults}
            for param in group["params"]:
                if param.grad is not None:
                    type(self).update(param, param.grad, self.state[param], **hyper)
        return loss


class SGD(_FromScratch):
    """GD / minibatch SGD with optional momentum (Polyak 1964) or Nesterov momentum.

    Same arguments and numbers as ``torch.optim.SGD``. Full-batch gradients make it GD; one
    random minibatch per step makes it SGD.
    """

    update = staticmethod(sgd_update)

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        name = type(self).__name__
        checks.real(group["momentum"], f"{name}.momentum", 0.0, high=1.0, high_open=True, hint="Typical: 0.9.")
        checks.real(group["dampening"], f"{name}.dampening", 0.0, high=1.0)
        if not isinstance(group["nesterov"], bool):
            raise TypeError(f"{name}: nesterov must be True or False, got {group['nesterov']!r}.")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"{name}: Nesterov momentum needs momentum > 0 and dampening = 0, "
                             f"got momentum={group['momentum']!r}, dampening={group['dampening']!r}.")


class Momentum(SGD):
    """SGD with Polyak's heavy-ball momentum (Polyak 1964): ``SGD(momentum=0.9)``."""

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.9, weight_decay: float = 0.0):
        super().__init__(params, lr=lr, momentum=momentum, weight_decay=weight_decay)


class NAG(SGD):
    """Nesterov's accelerated gradient (Nesterov 1983; Sutskever et al. 2013) in torch's form.

    Sutskever's form v ← μv − η∇f(θ + μv), θ ← θ + v takes the gradient at the look-ahead point
    θ + μv. Tracking φ = θ + μv instead turns it into torch's ``SGD(nesterov=True)``:
    v ← μv + g(φ), φ ← φ − η(g(φ) + μv). It is a momentum method, not a Newton method.
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.9, weight_decay: float = 0.0):
        super().__init__(params, lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=True)


class Adagrad(_FromScratch):
    """Adagrad (Duchi et al. 2011); same arguments and numbers as ``torch.optim.Adagrad``."""

    update = staticmethod(adagrad_update)

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps))

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        name = type(self).__name__
        checks.real(group["lr_decay"], f"{name}.lr_decay", 0.0)
        checks.real(group["initial_accumulator_value"], f"{name}.initial_accumulator_value", 0.0)
        checks.real(group["eps"], f"{name}.eps", 0.0, hint="Typical: 1e-10.")


class RMSprop(_FromScratch):
    """RMSprop (Hinton, lecture 6e, 2012); same arguments and numbers as ``torch.optim.RMSprop``."""

    update = staticmethod(rmsprop_update)

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        name = type(self).__name__
        checks.real(group["alpha"], f"{name}.alpha", 0.0, high=1.0, high_open=True, hint="Typical: 0.99.")
        checks.real(group["eps"], f"{name}.eps", 0.0, hint="Typical: 1e-8.")
        checks.real(group["momentum"], f"{name}.momentum", 0.0, high=1.0, high_open=True)
        if not isinstance(group["centered"], bool):
            raise TypeError(f"{name}: centered must be True or False, got {group['centered']!r}.")


class Adadelta(_FromScratch):
    """Adadelta (Zeiler 2012); same arguments and numbers as ``torch.optim.Adadelta``."""

    update = staticmethod(adadelta_update)

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        name = type(self).__name__
        checks.real(group["rho"], f"{name}.rho", 0.0, high=1.0, hint="Typical: 0.9 (Zeiler used 0.95).")
        checks.real(group["eps"], f"{name}.eps", 0.0, hint="Typical: 1e-6.")


class Adam(_FromScratch):
    """Adam (Kingma & Ba 2015); same arguments and numbers as ``torch.optim.Adam``."""

    update = staticmethod(adam_update)

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        name = type(self).__name__
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}.")
        for i, beta in enumerate(betas):
            checks.real(beta, f"{name}.betas[{i}]", 0.0, high=1.0, high_open=True, hint="Typical: (0.9, 0.999).")
        checks.real(group["eps"], f"{name}.eps", 0.0, hint="Typical: 1e-8.")


# --------------------------------------------------------------------------------------------
# By name: the chapter's line-up, and each one's torch.optim counterpart
# --------------------------------------------------------------------------------------------

#: name -> (our class, torch class, fixed keyword arguments). "GD" and "SGD" share one rule.
OPTIMIZERS: dict[str, tuple[type, type, dict]] = {
    "GD": (SGD, torch.optim.SGD, {}),
    "SGD": (SGD, torch.optim.SGD, {}),
    "Momentum": (SGD, torch.optim.SGD, {"momentum": 0.9}),
    "NAG": (SGD, torch.optim.SGD, {"momentum": 0.9, "nesterov": True}),
    "Adagrad": (Adagrad, torch.optim.Adagrad, {}),
    "RMSprop": (RMSprop, torch.optim.RMSprop, {}),
    "Adadelta": (Adadelta, torch.optim.Adadelta, {}),
    "Adam": (Adam, torch.optim.Adam, {}),
}


def make_optimizer(name: str, params, lr: float, *, reference: bool = False, **kwargs) -> torch.optim.Optimizer:
    """Build the optimizer called ``name`` (a key of :data:`OPTIMIZERS`) at learning rate ``lr``.

    ``reference=True`` builds the ``torch.optim`` counterpart with the same settings instead.
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {list(OPTIMIZERS)}.")
    ours, theirs, fixed = OPTIMIZERS[name]
    checks.real(lr, f"{name}.lr", 0.0, hint="Pick a learning rate such as 1e-3.")
    cls = theirs if reference else ours
    return cls(params, lr=lr, **{**fixed, **kwargs})
