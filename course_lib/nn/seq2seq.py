"""A toy sequence-to-sequence task whose alignment is known, and a small attention model (chapter 09).

Tasks (inputs are letters ``a``–``h``, ids 1–8; 0 pads):

- ``"stretch"``: each letter is repeated for its own duration (``a`` 1 step, ``b`` 2, ``c`` 3, ``d`` 1,
  ...) — a monotonic alignment with varying speed, like text to speech;
- ``"reverse"``: the letters backwards — an anti-diagonal alignment.

The model is an RNN encoder-decoder with attention (Bahdanau et al. 2015): a bidirectional GRU
encodes the input, and at every output step a GRU cell reads ``[previous letter, context]``.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from .attention import AdditiveAttention, LocationSensitiveAttention, dot_product_attention
from .rnn import padding_mask

LETTERS = "abcdefgh"
PAD, EOS, BOS = 0, len(LETTERS) + 1, len(LETTERS) + 2
VOCAB = len(LETTERS) + 3
TASKS = ("stretch", "reverse")


def duration(symbol: int) -> int:
    """Output steps of a letter in the stretch task: a→1, b→2, c→3, d→1, ..."""
    return 1 + (symbol - 1) % 3


class ToyBatch(NamedTuple):
    src: torch.Tensor  # [B, S] letter ids, 0-padded
    src_lengths: torch.Tensor  # [B]
    tgt: torch.Tensor  # [B, T] output ids ending with EOS, 0-padded
    tgt_lengths: torch.Tensor  # [B] including EOS
    truth: torch.Tensor  # [B, T] which input position each output step comes from (-1 = padding)


def make_batch(task: str = "stretch", batch_size: int = 32, min_len: int = 3, max_len: int = 10,
               generator: torch.Generator | None = None) -> ToyBatch:
    """A random batch of the toy task with its ground-truth alignment."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    if not 1 <= min_len <= max_len:
        raise ValueError(f"need 1 <= min_len <= max_len, got {min_len}, {max_len}")
    lengths = torch.randint(min_len, max_len + 1, (batch_size,), generator=generator)
    sources, targets, truths = [], [], []
    for n in lengths.tolist():
        src = torch.randint(1, len(LETTERS) + 1, (n,), generator=generator)
        if task == "stretch":
            pos = [i for i, s in enumerate(src.tolist()) for _ in range(duration(s))]
        else:
            pos = list(range(n - 1, -1, -1))
        sources.append(src)
        targets.append(torch.cat([src[pos], torch.tensor([EOS])]))
        truths.append(torch.tensor(pos + [n - 1 if task == "stretch" else 0]))  # EOS attends to the end

    def pad(seqs, value):
        out = torch.full((len(seqs), max(len(s) for s in seqs)), value, dtype=torch.long)
        for i, s in enumerate(seqs):
            out[i, : len(s)] = s
        return out

    return ToyBatch(pad(sources, PAD), lengths, pad(targets, PAD), torch.tensor([len(t) for t in targets]),
                    pad(truths, -1))


class ToySeq2Seq(nn.Module):
    """BiGRU encoder + GRU-cell decoder with ``attention`` = "dot", "additive" or "location"."""

    def __init__(self, attention: str = "additive", hidden: int = 64, embedding: int = 32, attention_dim: int = 32):
        super().__init__()
        if attention not in ("dot", "additive", "location"):
            raise ValueError(f"attention must be 'dot', 'additive' or 'location', got {attention!r}")
        self.kind = attention
        self.src_embedding = nn.Embedding(VOCAB, embedding, padding_idx=PAD)
        self.encoder = nn.GRU(embedding, hidden // 2, batch_first=True, bidirectional=True)
        self.tgt_embedding = nn.Embedding(VOCAB, embedding)
        self.decoder = nn.GRUCell(embedding + hidden, hidden)
        if attention == "additive":
            self.attention = AdditiveAttention(hidden, hidden, attention_dim)
        elif attention == "location":
            self.attention = LocationSensitiveAttention(hidden, hidden, attention_dim, n_filters=8, kernel_size=7)
        else:
            self.attention = nn.Linear(hidden, hidden, bias=False)  # query projection, then q·k
        self.out = nn.Linear(2 * hidden, VOCAB)

    def encode(self, src, src_lengths):
        packed = nn.utils.rnn.pack_padded_sequence(self.src_embedding(src), src_lengths.cpu(), batch_first=True,
                                                   enforce_sorted=False)
        memory, _ = self.encoder(packed)
        return nn.utils.rnn.pad_packed_sequence(memory, batch_first=True, total_length=src.shape[1])[0]  # [B, S, H]

    def _attend(self, h, memory, mask, weights, cumulative, processed):
        if self.kind == "dot":
            return dot_product_attention(self.attention(h), memory, mask=mask)
        if self.kind == "additive":
            return self.attention(h, memory, mask, processed)
        return self.attention(h, memory, processed, torch.stack([weights, cumulative], 1), mask)

    def step(self, token, h, memory, mask, weights, cumulative, processed):
        """One output step: attend with the previous state, update the GRU, predict the next letter."""
        context, weights = self._attend(h, memory, mask, weights, cumulative, processed)
        h = self.decoder(torch.cat([self.tgt_embedding(token), context], -1), h)
        return self.out(torch.cat([h, context], -1)), h, weights  # logits [B, VOCAB]

    def _start(self, src, src_lengths):
        memory = self.encode(src, src_lengths)
        mask = padding_mask(src_lengths, src.shape[1]).to(src.device)
        processed = None if self.kind == "dot" else self.attention.memory_layer(memory)  # [B, S, attention_dim]
        h = memory.new_zeros(src.shape[0], self.decoder.hidden_size)
        zeros = memory.new_zeros(src.shape[:2])
        return memory, mask, processed, h, zeros, zeros.clone()

    def forward(self, src, src_lengths, tgt):
        """Teacher forcing: returns ``logits [B, T, VOCAB]`` and ``alignments [B, T, S]``."""
        memory, mask, processed, h, weights, cumulative = self._start(src, src_lengths)
        inputs = torch.cat([torch.full_like(tgt[:, :1], BOS), tgt[:, :-1]], 1)
        logits, alignments = [], []
        for t in range(tgt.shape[1]):
            out, h, weights = self.step(inputs[:, t], h, memory, mask, weights, cumulative, processed)
            cumulative = cumulative + weights
            logits.append(out), alignments.append(weights)
        return torch.stack(logits, 1), torch.stack(alignments, 1)

    @torch.no_grad()
    def greedy(self, src, src_lengths, max_len: int = 40):
        """Free running: feed back the most likely letter until EOS; returns ``(tokens, alignments)``."""
        memory, mask, processed, h, weights, cumulative = self._start(src, src_lengths)
        token = torch.full((src.shape[0],), BOS, dtype=torch.long, device=src.device)
        tokens, alignments = [], []
        for _ in range(max_len):
            out, h, weights = self.step(token, h, memory, mask, weights, cumulative, processed)
            cumulative = cumulative + weights
            token = out.argmax(-1)
            tokens.append(token), alignments.append(weights)
            if bool((torch.stack(tokens, 1) == EOS).any(1).all()):
                break
        return torch.stack(tokens, 1), torch.stack(alignments, 1)


def alignment_accuracy(alignments, truth) -> float:
    """Share of (non-padding) output steps whose strongest attention is on the true input position."""
    valid = truth >= 0
    return float((alignments.argmax(-1) == truth)[valid].float().mean())


def constant_speed_accuracy(truth) -> float:
    """:func:`alignment_accuracy` of the baseline that ignores the content: a one-hot attention
    walking each input at constant speed, step i on position ``round(i·(S−1)/(T−1))`` (S inputs,
    T output steps). On ``"stretch"`` it is right on about 60 % of the steps (durations of 1–3
    steps average out), so that, not 0, is what a learned attention must beat."""
    valid = truth >= 0
    steps = valid.sum(1, keepdim=True)  # [B, 1]
    last = truth.max(1, keepdim=True).values  # [B, 1] last input position (S − 1)
    line = torch.round(torch.arange(truth.shape[1]) * last / (steps - 1).clamp(min=1))  # [B, T]
    return float((line == truth)[valid].float().mean())


def train_toy(model: ToySeq2Seq, task: str = "stretch", steps: int = 300, batch_size: int = 32, lr: float = 3e-3,
              seed: int = 0, progress: bool = True, probe: ToyBatch | None = None, probe_every: int = 10) -> list[dict]:
    """Adam on cross-entropy with teacher forcing; returns one dict per step (loss, alignment accuracy,
    and the constant-speed baseline's accuracy on the same batch, :func:`constant_speed_accuracy`).

    With a ``probe`` batch, every ``probe_every`` steps the dict also holds the attention on its first
    example (``"probe_alignment"``, ``[T, S]``) — snapshots to watch the alignment form.
    """
    from tqdm.auto import tqdm

    g = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for step in tqdm(range(steps), disable=not progress, desc=f"toy {task}"):
        b = make_batch(task, batch_size, generator=g)
        logits, alignments = model(b.src, b.src_lengths, b.tgt)
        loss = F.cross_entropy(logits.transpose(1, 2), b.tgt, ignore_index=PAD)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        history.append({"loss": loss.item(), "alignment": alignment_accuracy(alignments.detach(), b.truth),
                        "baseline": constant_speed_accuracy(b.truth)})
        if probe is not None and (step % probe_every == 0 or step == steps - 1):
            with torch.no_grad():
                a = model(probe.src[:1], probe.src_lengths[:1], probe.tgt[:1])[1][0]
            history[-1]["probe_alignment"] = a[: int(probe.tgt_lengths[0]), : int(probe.src_lengths[0])]
    return history
