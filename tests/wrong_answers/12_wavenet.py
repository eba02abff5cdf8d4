"""Plausible wrong answers to chapter 12's exercises; each check must reject every one."""

WRONG_ANSWERS = {
    "my_causal_conv": {
        "pads on the right (sees the future)": """
k, length = weight.shape[2], x.shape[2]
padded = F.pad(x, (0, (k - 1) * dilation))
out = bias[None, :, None].expand(x.shape[0], -1, length)
for j in range(k):
    out = out + torch.einsum("oi,bit->bot", weight[:, :, j], padded[:, :, j * dilation:j * dilation + length])
return out
""",
        "taps in reverse order": """
k, length = weight.shape[2], x.shape[2]
padded = F.pad(x, ((k - 1) * dilation, 0))
out = bias[None, :, None].expand(x.shape[0], -1, length)
for j in range(k):
    out = out + torch.einsum("oi,bit->bot", weight[:, :, k - 1 - j], padded[:, :, j * dilation:j * dilation + length])
return out
""",
        "ignores the dilation": """
k, length = weight.shape[2], x.shape[2]
padded = F.pad(x, (k - 1, 0))
out = bias[None, :, None].expand(x.shape[0], -1, length)
for j in range(k):
    out = out + torch.einsum("oi,bit->bot", weight[:, :, j], padded[:, :, j:j + length])
return out
""",
        "forgets the bias": """
k, length = weight.shape[2], x.shape[2]
padded = F.pad(x, ((k - 1) * dilation, 0))
out = 0
for j in range(k):
    out = out + torch.einsum("oi,bit->bot", weight[:, :, j], padded[:, :, j * dilation:j * dilation + length])
return out
""",
        "calls F.conv1d": "return F.conv1d(F.pad(x, ((weight.shape[2] - 1) * dilation, 0)), weight, bias, "
                          "dilation=dilation)",
    },
    "my_residual_block": {
        "conditioning only on the filter half": """
h = block.dilated(x)
filt, gate = h.chunk(2, dim=1)
filt = filt + block.cond(y)[:, :filt.shape[1]]
z = torch.tanh(filt) * torch.sigmoid(gate)
return x + block.residual(z), block.skip(z)
""",
        "tanh and sigmoid swapped": """
filt, gate = (block.dilated(x) + block.cond(y)).chunk(2, dim=1)
z = torch.sigmoid(filt) * torch.tanh(gate)
return x + block.residual(z), block.skip(z)
""",
        "forgets the residual connection": """
filt, gate = (block.dilated(x) + block.cond(y)).chunk(2, dim=1)
z = torch.tanh(filt) * torch.sigmoid(gate)
return block.residual(z), block.skip(z)
""",
        "ignores the conditioning": """
filt, gate = block.dilated(x).chunk(2, dim=1)
z = torch.tanh(filt) * torch.sigmoid(gate)
return x + block.residual(z), block.skip(z)
""",
        "calls the block": "return block(x, y)",
    },
    "my_queue_step": {
        "queue never moves": """
d, k = conv.dilation[0], conv.kernel_size[0]
window = torch.cat([queue, column[:, :, None]], dim=2)
output = conv.bias[None, :].expand(column.shape[0], -1)
for j in range(k):
    output = output + window[:, :, j * d] @ conv.weight[:, :, j].T
return output, queue
""",
        "drops the newest instead of the oldest": """
d, k = conv.dilation[0], conv.kernel_size[0]
window = torch.cat([queue, column[:, :, None]], dim=2)
output = conv.bias[None, :].expand(column.shape[0], -1)
for j in range(k):
    output = output + window[:, :, j * d] @ conv.weight[:, :, j].T
return output, window[:, :, :-1]
""",
        "taps one step apart (dilation ignored)": """
d, k = conv.dilation[0], conv.kernel_size[0]
window = torch.cat([queue, column[:, :, None]], dim=2)
output = conv.bias[None, :].expand(column.shape[0], -1)
for j in range(k):
    output = output + window[:, :, -k + j] @ conv.weight[:, :, j].T
return output, window[:, :, 1:]
""",
        "forgets the bias": """
d, k = conv.dilation[0], conv.kernel_size[0]
window = torch.cat([queue, column[:, :, None]], dim=2)
output = 0
for j in range(k):
    output = output + window[:, :, j * d] @ conv.weight[:, :, j].T
return output, window[:, :, 1:]
""",
        "calls the conv on the window": """
window = torch.cat([queue, column[:, :, None]], dim=2)
return F.conv1d(window, conv.weight, conv.bias, dilation=conv.dilation)[:, :, -1], window[:, :, 1:]
""",
    },
}

_MEASURE = """
codes = torch.randint(0, model.n_classes, (1, length))
with torch.no_grad():
    last = model(codes){pick}
    {body}
"""
_SCAN = """for i in range(length):
        changed = codes.clone()
        changed[0, i] = (changed[0, i] + 1) % model.n_classes
        if not torch.equal(model(changed){pick}, last):
            return length - i{minus}
    return 0"""
_COUNT = """count = 0
    for i in range(length):
        changed = codes.clone()
        changed[0, i] = (changed[0, i] + 1) % model.n_classes
        count += not torch.equal(model(changed)[0, :, -1], last)
    return count"""
WRONG_ANSWERS["measured_receptive_field"] = {
    "compares the whole output, not the last column": _MEASURE.format(
        pick="", body=_SCAN.format(pick="", minus="")),
    "span without the earliest position (off by one)": _MEASURE.format(
        pick="[0, :, -1]", body=_SCAN.format(pick="[0, :, -1]", minus=" - 1")),
    "counts the positions that matter instead of the span": _MEASURE.format(pick="[0, :, -1]", body=_COUNT),
    "reads the answer instead of measuring": "return model.receptive_field",
}
