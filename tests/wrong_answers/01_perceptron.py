"""Plausible wrong answers to chapter 01's exercises; each check must reject every one."""

WRONG_ANSWERS = {
    "my_predict": {
        "ignores the bias": "return np.where(X @ w >= 0, 1, -1)",
        "sign(0) taken as -1": "return np.where(X @ w + b > 0, 1, -1)",
    },
}
