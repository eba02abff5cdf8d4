"""Plausible wrong answers to chapter 13's exercises; each check must reject every one."""

_ACTNORM = """
class MyActNorm(nn.Module):
    def __init__(self):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(dim))
        self.log_scale = nn.Parameter(torch.zeros(dim))
        self.ready = False

    def forward(self, x):
        if INIT:
            with torch.no_grad():
                self.bias.copy_(x.mean(0))
                self.log_scale.copy_(LOGSCALE)
            self.ready = True
        return (x - self.bias) * torch.exp(self.log_scale), LOGDET

    def inverse(self, y):
        return INVERSE

return MyActNorm()
"""


def _actnorm(init="not self.ready", logscale="-torch.log(x.std(0))",
             logdet="self.log_scale.sum().expand(x.shape[0])", inverse="y * torch.exp(-self.log_scale) + self.bias"):
    return (_ACTNORM.replace("INIT", init).replace("LOGSCALE", logscale).replace("LOGDET", logdet)
            .replace("INVERSE", inverse))


WRONG_ANSWERS = {
    "my_lognormal_log_prob": {
        "forgets the Jacobian": "return base.log_prob(torch.log(x))",
        "Jacobian with the wrong sign": "return base.log_prob(torch.log(x)) + torch.log(x)",
    },
    "make_my_actnorm": {
        "re-initialises on every batch": _actnorm(init="True"),
        "log-scale of the std, not of its inverse": _actnorm(logscale="torch.log(x.std(0))"),
        "log-determinant with the wrong sign": _actnorm(logdet="-self.log_scale.sum().expand(x.shape[0])"),
        "inverse in the wrong order": _actnorm(inverse="(y + self.bias) * torch.exp(-self.log_scale)"),
        "one log-det for the batch, not per row": _actnorm(logdet="self.log_scale.sum()"),
        "uses the library": "return ActNorm(dim)",
    },
    "my_conv1x1_log_det": {
        "forgets the T time steps": "return torch.linalg.slogdet(W)[1]",
        "log of a negative determinant": "return T * torch.log(torch.det(W))",
        "log of T instead of times T": "return math.log(T) + torch.linalg.slogdet(W)[1]",
        "calls the library": "return log_det_1x1(W, 1, T)",
    },
}
