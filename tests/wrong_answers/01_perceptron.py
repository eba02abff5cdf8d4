"""Plausible wrong answers to chapter 01's exercises; each check must reject every one."""

WRONG_ANSWERS = {
    "my_predict": {
        "ignores the bias": "return np.where(X @ w >= 0, 1, -1)",
        "sign(0) taken as -1": "return np.where(X @ w + b > 0, 1, -1)",
        "np.sign, which gives 0 on the line": "return np.sign(X @ w + b)",
        "labels 0/1 instead of -1/+1": "return (X @ w + b >= 0).astype(int)",
    },
    "pocket": {
        "returns the rule's last weights": """
w, b = np.zeros(X.shape[1]), 0.0
for _ in range(epochs):
    for xi, yi in zip(X, y):
        if yi * (xi @ w + b) <= 0:
            w, b = w + lr * yi * xi, b + lr * yi
return w, b, int(np.sum(np.where(X @ w + b >= 0, 1, -1) != y))
""",
        "pockets only at the end of each epoch": """
w, b = np.zeros(X.shape[1]), 0.0
best_w, best_b = w, b
best_errors = int(np.sum(np.where(X @ w + b >= 0, 1, -1) != y))
for _ in range(epochs):
    for xi, yi in zip(X, y):
        if yi * (xi @ w + b) <= 0:
            w, b = w + lr * yi * xi, b + lr * yi
    errors = int(np.sum(np.where(X @ w + b >= 0, 1, -1) != y))
    if errors < best_errors:
        best_w, best_b, best_errors = w, b, errors
return best_w, best_b, best_errors
""",
        "counts errors without the bias": """
w, b = np.zeros(X.shape[1]), 0.0
best_w, best_b = w, b
best_errors = int(np.sum(np.where(X @ w >= 0, 1, -1) != y))
for _ in range(epochs):
    for xi, yi in zip(X, y):
        if yi * (xi @ w + b) <= 0:
            w, b = w + lr * yi * xi, b + lr * yi
            errors = int(np.sum(np.where(X @ w >= 0, 1, -1) != y))
            if errors < best_errors:
                best_w, best_b, best_errors = w, b, errors
return best_w, best_b, best_errors
""",
        "pocket aliases the running weights (in-place update)": """
w, b = np.zeros(X.shape[1]), 0.0
best_w, best_b = w, b
best_errors = int(np.sum(np.where(X @ w + b >= 0, 1, -1) != y))
for _ in range(epochs):
    for xi, yi in zip(X, y):
        if yi * (xi @ w + b) <= 0:
            w += lr * yi * xi
            b += lr * yi
            errors = int(np.sum(np.where(X @ w + b >= 0, 1, -1) != y))
            if errors < best_errors:
                best_w, best_b, best_errors = w, b, errors
return best_w, best_b, best_errors
""",
    },
    "margin_of": {
        "forgets to divide by the norm": "return float(np.min(y * (X @ w + b)))",
        "forgets the bias": "return float(np.min(y * (X @ w)) / np.linalg.norm(w))",
        "unsigned distance": "return float(np.min(np.abs(X @ w + b)) / np.linalg.norm(w))",
        "largest instead of smallest": "return float(np.max(y * (X @ w + b)) / np.linalg.norm(w))",
    },
}
