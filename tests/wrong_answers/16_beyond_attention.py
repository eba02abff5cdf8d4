"""Plausible wrong answers to chapter 16's exercises; each check must reject every one."""

_VITERBI = '''
T, S = log_emit.shape
delta = np.full((T, S), -np.inf)
came_from = np.zeros((T, S), dtype=int)
delta[0, 0] = log_emit[0, 0]
for t in range(1, T):
    for s in range(S):
        options = [(delta[t - 1, s] + log_stay[s], s)]
        if s >= 1:
            options.append((delta[t - 1, s - 1] + log_move[s - 1], s - 1))
        if s >= 2:
            options.append((delta[t - 1, s - 2] + SKIP_COST, s - 2))
        best, came_from[t, s] = max(options, key=lambda option: option[0])
        delta[t, s] = best + log_emit[t, s]
path = [S - 1]
for t in range(T - 1, 0, -1):
    path.append(BACK)
return np.array(path[::-1]), delta[-1, -1]
'''


def _viterbi(skip_cost="log_skip[s - 2]", back="came_from[t, path[-1]]"):
    return _VITERBI.replace("SKIP_COST", skip_cost).replace("BACK", back)


WRONG_ANSWERS = {
    "my_viterbi_with_skips": {
        "calls the library (which cannot skip)": "return D.viterbi_left_to_right(log_emit, log_stay, log_move)",
        "skip priced with the state it lands in": _viterbi(skip_cost="log_skip[s]"),
        "skip priced as a move": _viterbi(skip_cost="log_move[s - 2]"),
        "backtrace always steps back one state": _viterbi(back="path[-1] - int(came_from[t, path[-1]] != path[-1])"),
        "no skips at all": _viterbi(skip_cost="-np.inf"),
    },
    "my_phoneme_means": {
        "NaN for a zero duration": (
            "out = frames.new_zeros(len(durations), frames.shape[1])\n"
            "start = 0\n"
            "for i, d in enumerate(durations.tolist()):\n"
            "    out[i] = frames[start:start + d].mean(dim=0)\n"
            "    start += d\n"
            "return out"
        ),
        "spans shifted by one frame": (
            "ends = torch.cumsum(durations, 0).tolist()\n"
            "out = frames.new_zeros(len(durations), frames.shape[1])\n"
            "for i, (e, d) in enumerate(zip(ends, durations.tolist())):\n"
            "    if d > 0:\n"
            "        out[i] = frames[e - d + 1:e + 1].mean(dim=0)\n"
            "return out"
        ),
        "sums instead of averaging": (
            "out = frames.new_zeros(len(durations), frames.shape[1])\n"
            "start = 0\n"
            "for i, d in enumerate(durations.tolist()):\n"
            "    out[i] = frames[start:start + d].sum(dim=0)\n"
            "    start += d\n"
            "return out"
        ),
        "one row per frame, not per phoneme": "return frames",
    },
    "my_state_gaussians": {
        "unbiased variance (divides by count - 1)": (
            "means = np.stack([frames[labels == s].mean(axis=0) for s in range(n_states)])\n"
            "variances = np.stack([frames[labels == s].var(axis=0, ddof=1) for s in range(n_states)])\n"
            "return means, variances"
        ),
        "variance around the global mean": (
            "means = np.stack([frames[labels == s].mean(axis=0) for s in range(n_states)])\n"
            "variances = np.stack([((frames[labels == s] - frames.mean(axis=0)) ** 2).mean(axis=0) "
            "for s in range(n_states)])\n"
            "return means, variances"
        ),
        "rows and columns swapped": (
            "means = np.stack([frames[labels == s].mean(axis=0) for s in range(n_states)])\n"
            "variances = np.stack([frames[labels == s].var(axis=0) for s in range(n_states)])\n"
            "return means.T, variances.T"
        ),
    },
}
