"""Plausible wrong answers to chapter 05's exercises; each check must reject every one."""

_LOOP = """H = self.hidden_size
if state is None:
    state = (x.new_zeros(x.shape[1], H), x.new_zeros(x.shape[1], H))
h, c = state
outputs = []
for x_t in x:
    pre = x_t @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh
    {gates}
    {update}
    outputs.append(h)
return torch.stack(outputs), (h, c)
"""
_GATES = "i, f, g, o = (pre[:, k * H:(k + 1) * H] for k in range(4))"
_UPDATE = "c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)\n    h = torch.sigmoid(o) * torch.tanh(c)"

WRONG_ANSWERS = {
    "MyLSTMCell": {
        "gate order i, f, o, g": _LOOP.format(gates=_GATES.replace("i, f, g, o", "i, f, o, g"), update=_UPDATE),
        "forgets bias_hh": _LOOP.format(gates=_GATES, update=_UPDATE).replace(" + self.bias_hh", ""),
        "h = o ⊙ c, without tanh": _LOOP.format(gates=_GATES, update=_UPDATE.replace("torch.tanh(c)", "c")),
        "no forget path: c_{t-1} dropped": _LOOP.format(gates=_GATES,
                                                         update=_UPDATE.replace("torch.sigmoid(f) * c + ", "")),
        "calls torch.nn.LSTMCell": """cell = nn.LSTMCell(self.weight_ih.shape[1], self.hidden_size)
cell.load_state_dict(self.state_dict())
h, c = state if state is not None else (x.new_zeros(x.shape[1], self.hidden_size),) * 2
outputs = []
for x_t in x:
    h, c = cell(x_t, (h, c))
    outputs.append(h)
return torch.stack(outputs), (h, c)
""",
    },
    "last_real_step": {
        "reads the last padded step": "return outputs[:, -1]",
        "off by one: index length": "return outputs[torch.arange(outputs.shape[0]), lengths]",
        "indexes time only, not per sequence": "return outputs[:, lengths - 1]",
    },
    "rnn_params": {
        "a GRU has two gates, so two blocks": """blocks = {"rnn": 1, "gru": 2, "lstm": 4}[kind]
return blocks * hidden_size * (input_size + hidden_size + 2) * (2 if bidirectional else 1)""",
        "one bias vector per block": """blocks = {"rnn": 1, "gru": 3, "lstm": 4}[kind]
return blocks * hidden_size * (input_size + hidden_size + 1) * (2 if bidirectional else 1)""",
        "forgets the second direction": """blocks = {"rnn": 1, "gru": 3, "lstm": 4}[kind]
return blocks * hidden_size * (input_size + hidden_size + 2)""",
    },
}
