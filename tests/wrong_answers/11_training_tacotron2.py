"""Plausible wrong answers to chapter 11's exercises; each check must reject every one."""

_STOP = """
n_steps = (mel_lengths + r - 1) // r
step = torch.arange(output.gate.shape[1])[None, :]
real_steps = step < n_steps[:, None]
stop = (step == n_steps[:, None] - 1).to(output.gate.dtype)
gate = torch.nn.functional.binary_cross_entropy_with_logits(output.gate[real_steps], stop[real_steps])
"""
_MASKED_MSE = """
B, n_mels, T = mels.shape
real = (torch.arange(T)[None, :] < mel_lengths[:, None]).to(mels.dtype)
def mse(prediction):
    return ((prediction - mels) ** 2 * real[:, None, :]).sum() / (n_mels * real.sum())
"""

WRONG_ANSWERS = {
    "my_tacotron2_loss": {
        "no mask: plain MSE over the padding too": """
mse = lambda prediction: torch.nn.functional.mse_loss(prediction, mels)
""" + _STOP + "return mse(output.mel), mse(output.mel_postnet), gate",
        "mask on the mel-channel axis": """
B, n_mels, T = mels.shape
real = (torch.arange(T)[None, :] < mel_lengths[:, None]).to(mels.dtype)
def mse(prediction):
    return ((prediction - mels) ** 2 * real[:, :, None]).sum() / (n_mels * real.sum())
""" + _STOP + "return mse(output.mel), mse(output.mel_postnet), gate",
        "masked sum, but mean over the padded length": """
B, n_mels, T = mels.shape
real = (torch.arange(T)[None, :] < mel_lengths[:, None]).to(mels.dtype)
def mse(prediction):
    return ((prediction - mels) ** 2 * real[:, None, :]).sum() / (B * n_mels * T)
""" + _STOP + "return mse(output.mel), mse(output.mel_postnet), gate",
        "stop term over the padded steps too (NVIDIA's way)": _MASKED_MSE + """
n_steps = (mel_lengths + r - 1) // r
step = torch.arange(output.gate.shape[1])[None, :]
stop = (step >= n_steps[:, None] - 1).to(output.gate.dtype)
gate = torch.nn.functional.binary_cross_entropy_with_logits(output.gate, stop)
return mse(output.mel), mse(output.mel_postnet), gate
""",
        "stop target read from the first frame of each group": _MASKED_MSE + """
n_steps = (mel_lengths + r - 1) // r
step = torch.arange(output.gate.shape[1])[None, :]
real_steps = step < n_steps[:, None]
stop = (step * r >= mel_lengths[:, None] - 1).to(output.gate.dtype)
gate = torch.nn.functional.binary_cross_entropy_with_logits(output.gate[real_steps], stop[real_steps])
return mse(output.mel), mse(output.mel_postnet), gate
""",
        "calls course_lib's masked_mse (forbidden)": _STOP + """
return masked_mse(output.mel, mels, mel_lengths), masked_mse(output.mel_postnet, mels, mel_lengths), gate
""",
    },
    "my_guided_attention_loss": {
        "divides by B × max_steps (the padded steps)": """
B, max_steps, max_text = alignments.shape
W = guided_attention_weights(text_lengths, n_steps, max_text, max_steps, g)
return (alignments * W).sum() / (B * max_steps)
""",
        "Tachibana's mean over all cells": """
B, max_steps, max_text = alignments.shape
W = guided_attention_weights(text_lengths, n_steps, max_text, max_steps, g)
return (alignments * W).mean()
""",
        "mean of the per-utterance means": """
B, max_steps, max_text = alignments.shape
W = guided_attention_weights(text_lengths, n_steps, max_text, max_steps, g)
return ((alignments * W).sum(dim=(1, 2)) / n_steps).mean()
""",
        "one W for the longest item, used for all": """
B, max_steps, max_text = alignments.shape
W = guided_attention_weights([max_text] * B, [max_steps] * B, max_text, max_steps, g)
return (alignments * W).sum() / n_steps.sum()
""",
        "calls course_lib's guided_attention_loss (forbidden)": """
from course_lib.tts.tacotron2.train import guided_attention_loss
return guided_attention_loss(alignments, text_lengths, n_steps, g)
""",
    },
    "share_within": {
        "argmax over the decoder steps (dim=0)": """
return float(((alignment.argmax(0) - torch.as_tensor(truth)).abs() <= tolerance).float().mean())
""",
        "strictly closer than the tolerance": """
return float(((alignment.argmax(1) - torch.as_tensor(truth)).abs() < tolerance).float().mean())
""",
        "number of steps instead of their share": """
return float(((alignment.argmax(1) - torch.as_tensor(truth)).abs() <= tolerance).float().sum())
""",
    },
}
