"""Plausible wrong answers to chapter 02's exercises; each check must reject every one."""

WRONG_ANSWERS = {
    "my_linear_backward": {
        "grad_W transposed": "return grad_out @ W, x.T @ grad_out, grad_out.sum(dim=0)",
        "grad_x with W transposed": "return grad_out @ W.T, grad_out.T @ x, grad_out.sum(dim=0)",
        "bias summed over the wrong axis": "return grad_out @ W, grad_out.T @ x, grad_out.sum(dim=1)",
        "bias averaged, not summed": "return grad_out @ W, grad_out.T @ x, grad_out.mean(dim=0)",
    },
    "my_sigmoid_prime": {
        "forgets to apply σ": "return z * (1 - z)",
        "tanh's formula": "return 1 - torch.sigmoid(z) ** 2",
        "calls the library": "return mlp.sigmoid_prime(z)",
    },
    "numerical_gradient": {
        "perturbs w in place and never restores it": """
grad = torch.zeros_like(w)
for i in range(w.numel()):
    w.view(-1)[i] += eps
    up = float(f(w))
    w.view(-1)[i] -= 2 * eps
    down = float(f(w))
    grad.view(-1)[i] = (up - down) / (2 * eps)
return grad
""",
        "divides by eps instead of 2·eps": """
grad = torch.zeros_like(w)
for i in range(w.numel()):
    step = torch.zeros_like(w)
    step.view(-1)[i] = eps
    grad.view(-1)[i] = (float(f(w + step)) - float(f(w - step))) / eps
return grad
""",
        "flat vector instead of w's shape": """
grad = torch.zeros(w.numel(), dtype=w.dtype)
for i in range(w.numel()):
    step = torch.zeros_like(w)
    step.view(-1)[i] = eps
    grad[i] = (float(f(w + step)) - float(f(w - step))) / (2 * eps)
return grad
""",
    },
    "tanh_mlp_gradients": {
        "tanh' from the pre-activation (1 − Z²)": """
Z1 = X @ W1.T + b1
H = torch.tanh(Z1)
z = H @ W2.T + b2
loss = (F.softplus(z) - t * z).mean()
dz = (torch.sigmoid(z) - t) / len(X)
dZ1 = (dz @ W2) * (1 - Z1**2)
return loss, dZ1.T @ X, dZ1.sum(dim=0), dz.T @ H, dz.sum(dim=0)
""",
        "forgets the 1/B of the mean": """
H = torch.tanh(X @ W1.T + b1)
z = H @ W2.T + b2
loss = (F.softplus(z) - t * z).mean()
dz = torch.sigmoid(z) - t
dZ1 = (dz @ W2) * (1 - H**2)
return loss, dZ1.T @ X, dZ1.sum(dim=0), dz.T @ H, dz.sum(dim=0)
""",
        "forgets the activation's derivative": """
H = torch.tanh(X @ W1.T + b1)
z = H @ W2.T + b2
loss = (F.softplus(z) - t * z).mean()
dz = (torch.sigmoid(z) - t) / len(X)
dZ1 = dz @ W2
return loss, dZ1.T @ X, dZ1.sum(dim=0), dz.T @ H, dz.sum(dim=0)
""",
        "weight gradients transposed": """
H = torch.tanh(X @ W1.T + b1)
z = H @ W2.T + b2
loss = (F.softplus(z) - t * z).mean()
dz = (torch.sigmoid(z) - t) / len(X)
dZ1 = (dz @ W2) * (1 - H**2)
return loss, X.T @ dZ1, dZ1.sum(dim=0), H.T @ dz, dz.sum(dim=0)
""",
        "lets autograd do it": """
ps = [p.clone().requires_grad_() for p in (W1, b1, W2, b2)]
z = torch.tanh(X @ ps[0].T + ps[1]) @ ps[2].T + ps[3]
loss = (F.softplus(z) - t * z).mean()
loss.backward()
return loss.detach(), *(p.grad for p in ps)
""",
    },
}
