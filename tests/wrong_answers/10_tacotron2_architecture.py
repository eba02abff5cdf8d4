"""Plausible wrong answers to chapter 10's exercises; each check must reject every one."""

WRONG_ANSWERS = {
    "ZoneoutLSTMCell": {
        "dropout instead of zoneout (zeros the new units)": """
h, c = state
h_new, c_new = self.cell(x, (h, c))
return F.dropout(h_new, self.p, self.training), F.dropout(c_new, self.p, self.training)
""",
        "keeps the old value with probability 1 − p": """
h, c = state
h_new, c_new = self.cell(x, (h, c))
if not self.training:
    return self.p * h + (1 - self.p) * h_new, self.p * c + (1 - self.p) * c_new
keep_h, keep_c = torch.rand_like(h) > self.p, torch.rand_like(c) > self.p
return torch.where(keep_h, h, h_new), torch.where(keep_c, c, c_new)
""",
        "one mask shared by h and c": """
h, c = state
h_new, c_new = self.cell(x, (h, c))
if not self.training:
    return self.p * h + (1 - self.p) * h_new, self.p * c + (1 - self.p) * c_new
keep = torch.rand_like(h) < self.p
return torch.where(keep, h, h_new), torch.where(keep, c, c_new)
""",
        "zoneout on h only": """
h, c = state
h_new, c_new = self.cell(x, (h, c))
if not self.training:
    return self.p * h + (1 - self.p) * h_new, c_new
keep_h = torch.rand_like(h) < self.p
return torch.where(keep_h, h, h_new), c_new
""",
        "eval mode returns the plain LSTM step": """
h, c = state
h_new, c_new = self.cell(x, (h, c))
if not self.training:
    return h_new, c_new
keep_h, keep_c = torch.rand_like(h) < self.p, torch.rand_like(c) < self.p
return torch.where(keep_h, h, h_new), torch.where(keep_c, c, c_new)
""",
    },
    "forward_step": {
        "no renormalisation": """
arriving = F.pad(previous[:, :-1], (1, 0))
return (previous + arriving) * y
""",
        "renormalises before multiplying by y": """
arriving = F.pad(previous[:, :-1], (1, 0))
reach = previous + arriving
return reach / reach.sum(dim=1, keepdim=True) * y
""",
        "arrives from the next character (a step back)": """
arriving = F.pad(previous[:, 1:], (0, 1))
alpha = (previous + arriving) * y
return alpha / alpha.sum(dim=1, keepdim=True)
""",
        "torch.roll wraps the last character round to the first": """
arriving = torch.roll(previous, 1, dims=1)
alpha = (previous + arriving) * y
return alpha / alpha.sum(dim=1, keepdim=True)
""",
        "never stays (must move every step)": """
alpha = F.pad(previous[:, :-1], (1, 0)) * y
return alpha / alpha.sum(dim=1, keepdim=True)
""",
        "never moves on": """
alpha = previous * y
return alpha / alpha.sum(dim=1, keepdim=True)
""",
        "adds y instead of multiplying": """
alpha = previous + F.pad(previous[:, :-1], (1, 0)) + y
return alpha / alpha.sum(dim=1, keepdim=True)
""",
        "plain attention: ignores the previous step": """
return y
""",
    },
    "decoder_lstm_params": {
        "one bias vector per cell": """
def cell(inp, hid):
    return 4 * hid * (inp + hid) + 4 * hid
enc = config.encoder_embedding_dim
return (cell(config.prenet_dim + enc, config.attention_rnn_dim),
        cell(config.attention_rnn_dim + enc, config.decoder_rnn_dim))
""",
        "forgets the context in the inputs": """
def cell(inp, hid):
    return 4 * hid * (inp + hid) + 2 * 4 * hid
return (cell(config.prenet_dim, config.attention_rnn_dim), cell(config.attention_rnn_dim, config.decoder_rnn_dim))
""",
        "decoder LSTM sized by the attention LSTM": """
def cell(inp, hid):
    return 4 * hid * (inp + hid) + 2 * 4 * hid
enc = config.encoder_embedding_dim
return (cell(config.prenet_dim + enc, config.attention_rnn_dim),
        cell(config.attention_rnn_dim + enc, config.attention_rnn_dim))
""",
        "the paper's numbers typed in": "return (7_348_224, 10_493_952)",
    },
    "group_frames": {
        "reshape without the transpose": """
B, n_mels, T = mels.shape
return mels.reshape(B, T // r, n_mels * r)
""",
        "channel-major inside a step": """
B, n_mels, T = mels.shape
return mels.reshape(B, n_mels, T // r, r).permute(0, 2, 1, 3).reshape(B, T // r, n_mels * r)
""",
    },
    "kept_frames": {
        "probability at the threshold also stops (>=)": """
above = torch.sigmoid(gate_logits) >= threshold
first = torch.where(above.any(dim=1), above.float().argmax(dim=1), gate_logits.shape[1] - 1)
return (first + 1) * r
""",
        "the stop step itself is not kept": """
above = torch.sigmoid(gate_logits) > threshold
first = torch.where(above.any(dim=1), above.float().argmax(dim=1), gate_logits.shape[1])
return first * r
""",
        "counts steps, not frames": """
above = torch.sigmoid(gate_logits) > threshold
first = torch.where(above.any(dim=1), above.float().argmax(dim=1), gate_logits.shape[1] - 1)
return first + 1
""",
        "the whole batch stops with its first item": """
above = (torch.sigmoid(gate_logits) > threshold).any(dim=0)
first = int(above.float().argmax()) if bool(above.any()) else gate_logits.shape[1] - 1
return torch.full((gate_logits.shape[0],), (first + 1) * r)
""",
        "compares the logit, not the probability": """
above = gate_logits > threshold
first = torch.where(above.any(dim=1), above.float().argmax(dim=1), gate_logits.shape[1] - 1)
return (first + 1) * r
""",
    },
}
