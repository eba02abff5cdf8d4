"""Plausible wrong answers to chapter 03's exercises; each check must reject every one."""

_ADAM_TAIL = """
m = beta1 * m + (1 - beta1) * grad
v = beta2 * v + (1 - beta2) * grad**2
m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
"""

WRONG_ANSWERS = {
    "my_adamw_step": {
        "L2 penalty in the gradient (Adam's weight_decay)": "beta1, beta2 = betas\ngrad = grad + weight_decay * theta"
        + _ADAM_TAIL + "return theta - lr * m_hat / (v_hat.sqrt() + eps), m, v",
        "decay not scaled by the learning rate": "beta1, beta2 = betas" + _ADAM_TAIL
        + "return theta * (1 - weight_decay) - lr * m_hat / (v_hat.sqrt() + eps), m, v",
        "decay applied to the updated parameters": "beta1, beta2 = betas" + _ADAM_TAIL
        + "return (theta - lr * m_hat / (v_hat.sqrt() + eps)) * (1 - lr * weight_decay), m, v",
        "no bias correction": "beta1, beta2 = betas\nm = beta1 * m + (1 - beta1) * grad\n"
        "v = beta2 * v + (1 - beta2) * grad**2\n"
        "return theta * (1 - lr * weight_decay) - lr * m / (v.sqrt() + eps), m, v",
        "calls torch.optim.AdamW": """
p = theta.clone().requires_grad_()
opt = torch.optim.AdamW([p], lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
opt.state[p] = {"step": torch.tensor(float(t - 1)), "exp_avg": m.clone(), "exp_avg_sq": v.clone()}
p.grad = grad
opt.step()
return p.detach(), opt.state[p]["exp_avg"], opt.state[p]["exp_avg_sq"]
""",
    },
    "my_lion_step": {
        "signSGD: the sign of the gradient alone": """
beta1, beta2 = betas
theta = theta - lr * (torch.sign(grad) + weight_decay * theta)
return theta, beta2 * m + (1 - beta2) * grad
""",
        "β₁ and β₂ swapped": """
beta1, beta2 = betas
c = beta2 * m + (1 - beta2) * grad
theta = theta - lr * (torch.sign(c) + weight_decay * theta)
return theta, beta1 * m + (1 - beta1) * grad
""",
        "updates m first and steps by its sign": """
beta1, beta2 = betas
m = beta2 * m + (1 - beta2) * grad
return theta - lr * (torch.sign(m) + weight_decay * theta), m
""",
        "decay not scaled by the learning rate": """
beta1, beta2 = betas
c = beta1 * m + (1 - beta1) * grad
theta = theta - lr * torch.sign(c) - weight_decay * theta
return theta, beta2 * m + (1 - beta2) * grad
""",
        "forgets the weight decay": """
beta1, beta2 = betas
c = beta1 * m + (1 - beta1) * grad
return theta - lr * torch.sign(c), beta2 * m + (1 - beta2) * grad
""",
    },
    "my_nag_step": {
        "plain momentum: gradient at θ, not at the look-ahead point": """
v = mu * v - lr * grad_fn(theta)
return theta + v, v
""",
        "look-ahead with the wrong sign": """
v = mu * v - lr * grad_fn(theta - mu * v)
return theta + v, v
""",
        "returns the old velocity": """
new_v = mu * v - lr * grad_fn(theta + mu * v)
return theta + new_v, v
""",
    },
}

_LOOP = """
diverged = []
for lr in lrs:
    theta = torch.ones(H.shape[0], dtype=H.dtype)
    start = 0.5 * theta @ H @ theta
    for _ in range(steps):
        theta = theta - lr * (H @ theta)
    if {test}:
        diverged.append(lr)
return diverged, {limit}
"""
WRONG_ANSWERS["lr_experiment"] = {
    "limit from the largest diagonal entry": _LOOP.format(
        test="0.5 * theta @ H @ theta > start", limit="2.0 / float(H.diagonal().max())"),
    "limit 1/λ_max": _LOOP.format(
        test="0.5 * theta @ H @ theta > start", limit="1.0 / float(torch.linalg.eigvalsh(H).max())"),
    "limit from the smallest eigenvalue": _LOOP.format(
        test="0.5 * theta @ H @ theta > start", limit="2.0 / float(torch.linalg.eigvalsh(H).min())"),
    "diverged only when the loss overflows": _LOOP.format(
        test="not torch.isfinite(0.5 * theta @ H @ theta)", limit="2.0 / float(torch.linalg.eigvalsh(H).max())"),
}
