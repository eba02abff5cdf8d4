"""Tacotron 2 (Shen et al. 2018): characters → mel spectrogram. Chapter 10 builds it piece by piece.

Submodule names equal NVIDIA/tacotron2's, so with :meth:`Tacotron2Config.paper` the state-dict keys
match its published ``tacotron2_statedict.pt`` one for one.

The embedding initialisation follows NVIDIA/tacotron2 (BSD-3-Clause): see NOTICE.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn

from course_lib.nn.rnn import padding_mask

from .config import Tacotron2Config
from .decoder import Decoder
from .encoder import Encoder
from .postnet import Postnet

_INT_DTYPES = (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8)


class Tacotron2Output(NamedTuple):
    """Teacher-forced outputs. Padded frames hold 0 (mels) and +1000 (stop logits), as NVIDIA.

    Unlike NVIDIA, padded frames are zeroed before each postnet convolution too, so its 5-wide
    convolutions never read past an utterance's end (NVIDIA masks only the outputs).
    """

    mel: torch.Tensor  # [batch, n_mels, frames]     decoder output, before the postnet
    mel_postnet: torch.Tensor  # [batch, n_mels, frames]     after adding the postnet residual
    gate: torch.Tensor  # [batch, frames / r]         stop-token logits, one per decoder step
    alignments: torch.Tensor  # [batch, frames / r, text]   attention weights


class Tacotron2Inference(NamedTuple):
    """Free-running outputs; ``lengths`` are each item's frames up to its stop token."""

    mel: torch.Tensor  # [batch, n_mels, frames]
    mel_postnet: torch.Tensor  # [batch, n_mels, frames]
    gate: torch.Tensor  # [batch, frames / r]
    alignments: torch.Tensor  # [batch, frames / r, text]
    lengths: torch.Tensor  # [batch]


class Tacotron2(nn.Module):
    """Embedding → :class:`Encoder` → :class:`Decoder` (attention) → :class:`Postnet` (residual)."""

    def __init__(self, config: Tacotron2Config | None = None):
        super().__init__()
        config = Tacotron2Config.paper() if config is None else config
        if not isinstance(config, Tacotron2Config):
            raise TypeError(f"config must be a Tacotron2Config, got {type(config).__name__}")
        self.config = config
        self.embedding = nn.Embedding(config.n_symbols, config.symbols_embedding_dim)
        bound = math.sqrt(3.0) * math.sqrt(2.0 / (config.n_symbols + config.symbols_embedding_dim))
        nn.init.uniform_(self.embedding.weight, -bound, bound)  # Xavier-style, as NVIDIA
        self.encoder = Encoder(config)
        self.decoder = Decoder(config)
        self.postnet = Postnet(config)

    # ---------------------------------------------------------------- input checks
    def _check_text(self, text, text_lengths):
        if isinstance(text, str):
            from .synthesis import encode_text

            text = encode_text(text)
        text = torch.as_tensor(text)
        if text.dtype not in (torch.int64, torch.int32):
            raise TypeError(f"text must hold symbol ids (int64), got dtype {text.dtype}; use text_to_sequence()")
        text = text.long().to(self.embedding.weight.device)
        if text.dim() == 1:
            text = text[None]
        if text.dim() != 2 or text.shape[1] == 0 or text.shape[0] == 0:
            raise ValueError(f"text must be [batch, length] with length >= 1, got shape {tuple(text.shape)}; "
                             "an empty text has nothing to say")
        if int(text.min()) < 0 or int(text.max()) >= self.config.n_symbols:
            raise ValueError(f"symbol ids must lie in [0, {self.config.n_symbols}), got "
                             f"[{int(text.min())}, {int(text.max())}]; encode text with text_to_sequence()")
        if text_lengths is None:
            text_lengths = torch.full((text.shape[0],), text.shape[1], dtype=torch.long)
        text_lengths = torch.as_tensor(text_lengths).long().to(text.device)
        if (text_lengths.shape != (text.shape[0],) or int(text_lengths.min()) < 1
                or int(text_lengths.max()) > text.shape[1]):
            raise ValueError(f"text_lengths must be [batch] values in [1, {text.shape[1]}], "
                             f"got {text_lengths.tolist()}")
        return text, text_lengths

    def _check_inputs(self, text, text_lengths, mels, mel_lengths):
        """Teacher-forcing inputs checked (text via :meth:`_check_text`); mel_lengths come back as a tensor."""
        text, text_lengths = self._check_text(text, text_lengths)
        n_mels = self.config.n_mel_channels
        if not isinstance(mels, torch.Tensor):
            raise TypeError(f"mels must be a torch tensor [batch, {n_mels}, frames], got {type(mels).__name__}; "
                            "wrap arrays with torch.as_tensor(...)")
        if not mels.is_floating_point():
            raise TypeError(f"mels must be a float tensor (log-mel magnitudes), got dtype {mels.dtype}")
        if mels.dim() != 3 or mels.shape[1] != n_mels:
            raise ValueError(f"mels must be [batch, {n_mels}, frames], got {tuple(mels.shape)}")
        if mels.shape[0] != text.shape[0]:
            raise ValueError(f"mels hold a batch of {mels.shape[0]} but text a batch of {text.shape[0]}: "
                             "give one mel spectrogram per text")
        if not bool(torch.isfinite(mels).all()):
            raise ValueError("mels contain NaN or inf; log-mels must be finite (clamp before the log)")
        try:
            lengths = torch.as_tensor(mel_lengths, device=mels.device)
        except (TypeError, ValueError, RuntimeError):
            lengths = None
        if lengths is None or lengths.shape != (mels.shape[0],) or lengths.dtype not in _INT_DTYPES:
            raise ValueError(f"mel_lengths must be {mels.shape[0]} integers (one per item), got {mel_lengths!r}")
        if int(lengths.min()) < 1 or int(lengths.max()) > mels.shape[2]:
            raise ValueError(f"mel_lengths must lie in [1, {mels.shape[2]}] (the frames in mels), "
                             f"got {lengths.tolist()}")
        return text, text_lengths, mels, lengths.long()

    def encode(self, text: torch.Tensor, text_lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Symbol ids ``[batch, text]`` → encoder memory ``[batch, text, encoder_embedding_dim]``."""
        embedded = self.embedding(text).transpose(1, 2)  # [batch, channels, text]
        return self.encoder(embedded, text_lengths)

    # ---------------------------------------------------------------- training
    def forward(self, text, text_lengths, mels, mel_lengths) -> Tacotron2Output:
        """Teacher forcing: text ``[B, T_in]``, lengths ``[B]``, mels ``[B, n_mels, T_out]``, mel lengths ``[B]``."""
        text, text_lengths, mels, mel_lengths = self._check_inputs(text, text_lengths, mels, mel_lengths)
        memory = self.encode(text, text_lengths)
        mel, gate, alignments = self.decoder(memory, mels, text_lengths)
        frames = padding_mask(mel_lengths, mel.shape[2])  # [B, T_out]
        steps = frames[:, :: self.config.n_frames_per_step]  # [B, T_out / r]: no real frame in the step
        mel, mel_postnet = self._postnet(mel, frames)
        return Tacotron2Output(mel, mel_postnet, gate.masked_fill(steps, 1e3), alignments)

    def _postnet(self, mel: torch.Tensor, padded: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Zero the frames past each item's end, then add the postnet's residual (and zero them again)."""
        mel = mel.masked_fill(padded[:, None], 0.0)
        return mel, (mel + self.postnet(mel, padded)).masked_fill(padded[:, None], 0.0)

    # ---------------------------------------------------------------- synthesis
    @torch.no_grad()
    def inference(self, text, text_lengths=None, max_decoder_steps=None, gate_threshold=None) -> Tacotron2Inference:
        """Free-running synthesis of a batch (eval mode; the prenet keeps its dropout, as the paper says).

        ``text``: a string, a list of ids, ``[length]`` or ``[batch, length]`` ids; each item stops on its
        own stop token. Inputs longer than ``config.max_text_length`` are refused: use
        :func:`course_lib.tts.tacotron2.text_to_mel`, which splits text at sentence boundaries.
        """
        text, text_lengths = self._check_text(text, text_lengths)
        if int(text_lengths.max()) > self.config.max_text_length:
            raise ValueError(
                f"the text has {int(text_lengths.max())} symbols, more than max_text_length="
                f"{self.config.max_text_length}: attention drifts on very long inputs. Split it into sentences "
                "with course_lib.tts.tacotron2.text_to_mel(model, text), which does that for you.")
        was_training = self.training
        self.eval()
        try:
            memory = self.encode(text, text_lengths)
            mel, gate, alignments, lengths = self.decoder.inference(memory, text_lengths, max_decoder_steps,
                                                                    gate_threshold)
            mel, mel_postnet = self._postnet(mel, padding_mask(lengths, mel.shape[2]))
        finally:
            self.train(was_training)
        return Tacotron2Inference(mel, mel_postnet, gate, alignments, lengths)


def count_parameters(module: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
