"""Plausible wrong answers to chapter 09's exercises; each check must reject every one."""

WRONG_ANSWERS = {
    "location_energies": {
        "no location term (plain additive attention)": """
return torch.tanh((query @ W.T)[:, None, :] + memory @ U.T) @ v
""",
        "previous weights only (one channel, as in Chorowski et al.)": """
N, K = prev.shape[1], conv_w.shape[2]
x = F.pad(prev[:, None, :], ((K - 1) // 2, (K - 1) // 2))
f = sum(torch.einsum("oc,bcn->bon", conv_w[:, :1, k], x[:, :, k : k + N]) for k in range(K))
hidden = (query @ W.T)[:, None, :] + memory @ U.T + f.transpose(1, 2) @ V.T
return torch.tanh(hidden) @ v
""",
        "channels swapped: [cumulative, previous]": """
N, K = prev.shape[1], conv_w.shape[2]
x = F.pad(torch.stack([cum, prev], dim=1), ((K - 1) // 2, (K - 1) // 2))
f = sum(torch.einsum("oc,bcn->bon", conv_w[:, :, k], x[:, :, k : k + N]) for k in range(K))
hidden = (query @ W.T)[:, None, :] + memory @ U.T + f.transpose(1, 2) @ V.T
return torch.tanh(hidden) @ v
""",
        "flipped kernel (the textbook convolution, not PyTorch's)": """
N, K = prev.shape[1], conv_w.shape[2]
x = F.pad(torch.stack([prev, cum], dim=1), ((K - 1) // 2, (K - 1) // 2))
f = sum(torch.einsum("oc,bcn->bon", conv_w[:, :, K - 1 - k], x[:, :, k : k + N]) for k in range(K))
hidden = (query @ W.T)[:, None, :] + memory @ U.T + f.transpose(1, 2) @ V.T
return torch.tanh(hidden) @ v
""",
        "calls F.conv1d (forbidden)": """
K = conv_w.shape[2]
f = F.conv1d(torch.stack([prev, cum], dim=1), conv_w, padding=(K - 1) // 2)
hidden = (query @ W.T)[:, None, :] + memory @ U.T + f.transpose(1, 2) @ V.T
return torch.tanh(hidden) @ v
""",
        "builds course_lib's layer and copies the weights in (forbidden)": """
att = A.LocationSensitiveAttention(W.shape[1], U.shape[1], W.shape[0], conv_w.shape[0], conv_w.shape[2])
att.query_layer.linear_layer.weight.data, att.memory_layer.linear_layer.weight.data = W, U
att.location_layer.location_conv.conv.weight.data = conv_w
att.location_layer.location_dense.linear_layer.weight.data, att.v.linear_layer.weight.data = V, v[None]
return att.energies(query, att.memory_layer(memory), torch.stack([prev, cum], dim=1))
""",
    },
    "windowed_weights": {
        "forgets the padding mask": """
j = torch.arange(energies.shape[1])[None, :]
inside = (j >= peak[:, None] - back) & (j <= peak[:, None] + ahead)
return torch.softmax(energies.masked_fill(~inside, float("-inf")), dim=1)
""",
        "window end excluded (off by one)": """
j = torch.arange(energies.shape[1])[None, :]
inside = (j >= peak[:, None] - back) & (j < peak[:, None] + ahead) & (j < lengths[:, None])
return torch.softmax(energies.masked_fill(~inside, float("-inf")), dim=1)
""",
        "softmax over the batch axis": """
j = torch.arange(energies.shape[1])[None, :]
inside = (j >= peak[:, None] - back) & (j <= peak[:, None] + ahead) & (j < lengths[:, None])
return torch.softmax(energies.masked_fill(~inside, float("-inf")), dim=0).nan_to_num(0.0)
""",
        "zeros outside the window without renormalising": """
j = torch.arange(energies.shape[1])[None, :]
inside = (j >= peak[:, None] - back) & (j <= peak[:, None] + ahead) & (j < lengths[:, None])
return torch.softmax(energies, dim=1) * inside
""",
    },
    "alignment_score": {
        "argmax over the output steps (dim=0)": "return float((alignment.argmax(dim=0) == truth).float().mean())",
        "number of rows instead of their share": "return float((alignment.argmax(dim=1) == truth).float().sum())",
        "max (the weight) instead of argmax (the position)":
            "return float((alignment.max(dim=1).values == truth).float().mean())",
    },
}
