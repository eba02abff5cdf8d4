"""Plausible wrong answers to chapter 15's exercises; each check must reject every one."""

_DTW = '''
n, m = cost.shape
D = np.full((n, m), np.inf)
for i in range(n):
    for j in range(m):
        if i == 0 and j == 0:
            D[i, j] = cost[0, 0]
            continue
        best = min(DIAG, D[i - 1, j] if i else np.inf, D[i, j - 1] if j else np.inf)
        D[i, j] = cost[i, j] + best
return float(D[-1, -1])
'''


def _dtw(diag="D[i - 1, j - 1] if i and j else np.inf"):
    return _DTW.replace("DIAG", diag)


WRONG_ANSWERS = {
    "my_mcd": {
        "forgets the factor 2 under the root": (
            "per_frame = 10 / np.log(10) * np.sqrt(((c_ref - c_syn) ** 2).sum(axis=1))\n"
            "return float(per_frame.mean())"
        ),
        "averages over coefficients instead of summing": (
            "per_frame = 10 / np.log(10) * np.sqrt(2 * ((c_ref - c_syn) ** 2).mean(axis=1))\n"
            "return float(per_frame.mean())"
        ),
        "sums over frames instead of averaging": (
            "per_frame = 10 / np.log(10) * np.sqrt(2 * ((c_ref - c_syn) ** 2).sum(axis=1))\n"
            "return float(per_frame.sum())"
        ),
        "root of the mean over frames (wrong axis)": (
            "per_coef = 10 / np.log(10) * np.sqrt(2 * ((c_ref - c_syn) ** 2).sum(axis=0))\n"
            "return float(per_coef.mean())"
        ),
    },
    "my_dtw_cost": {
        "calls the library": "rows, cols = E.dtw_path(cost)\nreturn float(cost[rows, cols].sum())",
        "the diagonal step counts its cell twice": _dtw(diag="D[i - 1, j - 1] + cost[i, j] if i and j else np.inf"),
        "no diagonal step": _dtw(diag="np.inf"),
        "first row and column not accumulated": (
            "n, m = cost.shape\n"
            "D = np.full((n, m), np.inf)\n"
            "D[0, :] = cost[0, :]\n"
            "D[:, 0] = cost[:, 0]\n"
            "for i in range(1, n):\n"
            "    for j in range(1, m):\n"
            "        D[i, j] = cost[i, j] + min(D[i - 1, j - 1], D[i - 1, j], D[i, j - 1])\n"
            "return float(D[-1, -1])"
        ),
    },
    "data_parallel_gradient": {
        "sums the shards' gradients": (
            "grads = []\n"
            "for X_s, y_s in zip(X.chunk(n_workers), y.chunk(n_workers)):\n"
            "    w_s = w.detach().clone().requires_grad_(True)\n"
            "    ((X_s @ w_s - y_s) ** 2).mean().backward()\n"
            "    grads.append(w_s.grad)\n"
            "return torch.stack(grads).sum(dim=0)"
        ),
        "sum of squared errors per shard": (
            "grads = []\n"
            "for X_s, y_s in zip(X.chunk(n_workers), y.chunk(n_workers)):\n"
            "    w_s = w.detach().clone().requires_grad_(True)\n"
            "    ((X_s @ w_s - y_s) ** 2).sum().backward()\n"
            "    grads.append(w_s.grad)\n"
            "return torch.stack(grads).mean(dim=0)"
        ),
        "every worker differentiates w itself": (
            "w.requires_grad_(True)\n"
            "for X_s, y_s in zip(X.chunk(n_workers), y.chunk(n_workers)):\n"
            "    ((X_s @ w - y_s) ** 2).mean().backward()\n"
            "return w.grad / n_workers"
        ),
    },
}
