"""Plausible wrong answers to chapter 04's exercises; each check must reject every one."""

_LOOP = """
out_ch, _, kh, kw = w.shape
h_out = conv_output_size(x.shape[1], kh, stride, padding, dilation)
w_out = conv_output_size(x.shape[2], kw, stride, padding, dilation)
xp = F.pad(x, (padding, padding, padding, padding))
y = torch.zeros(out_ch, h_out, w_out, dtype=x.dtype)
for o in range(out_ch):
    for i in range(h_out):
        for j in range(w_out):
            rows = slice(i * stride, i * stride + dilation * (kh - 1) + 1, dilation)
            cols = slice(j * stride, j * stride + dilation * (kw - 1) + 1, dilation)
            y[o, i, j] = (w[o] * xp[:, rows, cols]).sum() + b[o]
return y
"""

WRONG_ANSWERS = {
    "conv2d_loops": {
        "forgets the bias": _LOOP.replace(".sum() + b[o]", ".sum()"),
        "ignores the dilation (contiguous window)": _LOOP.replace(
            "rows = slice(i * stride, i * stride + dilation * (kh - 1) + 1, dilation)",
            "rows = slice(i * stride, i * stride + kh)").replace(
            "cols = slice(j * stride, j * stride + dilation * (kw - 1) + 1, dilation)",
            "cols = slice(j * stride, j * stride + kw)"),
        "stride and dilation swapped": _LOOP.replace("i * stride + dilation * (kh - 1) + 1, dilation",
                                                     "i * dilation + stride * (kh - 1) + 1, stride").replace(
            "slice(i * stride,", "slice(i * dilation,").replace(
            "j * stride + dilation * (kw - 1) + 1, dilation", "j * dilation + stride * (kw - 1) + 1, stride").replace(
            "slice(j * stride,", "slice(j * dilation,"),
        "pads one side only": _LOOP.replace("F.pad(x, (padding, padding, padding, padding))",
                                            "F.pad(x, (padding, 0, padding, 0))"),
        "output size without the + 1": _LOOP.replace(
            "h_out = conv_output_size(x.shape[1], kh, stride, padding, dilation)",
            "h_out = (x.shape[1] + 2 * padding - dilation * (kh - 1) - 1) // stride"),
        "calls F.conv2d": "return F.conv2d(x[None], w, b, stride, padding, dilation)[0]",
    },
    "causal_conv1d": {
        "pads on the right (anti-causal)": """
k = w.shape[-1]
return C.conv1d(F.pad(x, (0, dilation * (k - 1))), w, dilation=dilation)
""",
        "pads k − 1, forgetting the dilation": """
k = w.shape[-1]
return C.conv1d(F.pad(x, (k - 1, 0)), w, dilation=dilation)
""",
        "'same' padding, half on each side": """
k = w.shape[-1]
half = dilation * (k - 1) // 2
return C.conv1d(F.pad(x, (dilation * (k - 1) - half, half)), w, dilation=dilation)
""",
    },
    "conv_params": {
        "ignores groups": "return out_ch * in_ch * k + (out_ch if bias else 0)",
        "divides by groups twice": "return (out_ch // groups) * (in_ch // groups) * k + (out_ch if bias else 0)",
        "always adds the bias": "return out_ch * (in_ch // groups) * k + out_ch",
        "one bias per group": "return out_ch * (in_ch // groups) * k + (groups if bias else 0)",
        "builds the layer": "return sum(p.numel() for p in "
                            "torch.nn.Conv1d(in_ch, out_ch, k, groups=groups, bias=bias).parameters())",
    },
}
