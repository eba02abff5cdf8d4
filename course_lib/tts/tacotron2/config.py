"""Tacotron 2 hyperparameters: the paper preset and the CPU-sized course preset (chapter 10).

Field names follow NVIDIA/tacotron2's ``hparams.py`` so the two are easy to compare.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from typing import Any

from course_lib import checks


@dataclass(frozen=True)
class Tacotron2Config:
    """Every number that shapes a Tacotron 2. Defaults = the paper (Shen et al. 2018) as in NVIDIA/tacotron2."""

    # text
    n_symbols: int = 148  # NVIDIA's symbol set (course_lib.text.SYMBOLS)
    symbols_embedding_dim: int = 512
    # encoder: 3 × (conv 5×1, batch norm, ReLU, dropout) → BiLSTM (embedding_dim/2 per direction)
    encoder_n_convolutions: int = 3
    encoder_embedding_dim: int = 512
    encoder_kernel_size: int = 5
    p_encoder_dropout: float = 0.5
    # decoder
    n_mel_channels: int = 80
    n_frames_per_step: int = 1  # the reduction factor r (Wang et al. 2017)
    prenet_dim: int = 256
    p_prenet_dropout: float = 0.5  # kept on at inference (Shen et al. 2018, sec. 2.2)
    attention_rnn_dim: int = 1024
    decoder_rnn_dim: int = 1024
    p_attention_dropout: float = 0.1
    p_decoder_dropout: float = 0.1
    max_decoder_steps: int = 1000
    gate_threshold: float = 0.5
    # location-sensitive attention
    attention_dim: int = 128
    attention_location_n_filters: int = 32
    attention_location_kernel_size: int = 31
    # forward attention (Zhang et al. 2018): stay or move on by one character per step; not in the paper
    forward_attention: bool = False
    # postnet: 5 × (conv 5×1, batch norm, tanh except the last, dropout)
    postnet_embedding_dim: int = 512
    postnet_kernel_size: int = 5
    postnet_n_convolutions: int = 5
    p_postnet_dropout: float = 0.5
    # inputs longer than this are refused by inference(); text_to_mel() splits text at sentences
    max_text_length: int = 400

    def __post_init__(self):
        for f in fields(self):
            name, value = f"Tacotron2Config.{f.name}", getattr(self, f.name)
            if f.name.startswith("p_"):
                checks.probability(value, name)  # a dropout probability
            elif f.type == "bool":
                checks.flag(value, name)
            elif f.type == "int":
                checks.integer(value, name)
            else:
                checks.real(value, name)
        if self.symbols_embedding_dim != self.encoder_embedding_dim:
            raise ValueError("symbols_embedding_dim must equal encoder_embedding_dim (the convs keep the width), "
                             f"got {self.symbols_embedding_dim} and {self.encoder_embedding_dim}")
        if self.encoder_embedding_dim % 2:
            raise ValueError(f"encoder_embedding_dim must be even (two LSTM directions), "
                             f"got {self.encoder_embedding_dim}")
        for name in ("encoder_kernel_size", "attention_location_kernel_size", "postnet_kernel_size"):
            if getattr(self, name) % 2 == 0:
                raise ValueError(f"{name} must be odd ('same' padding), got {getattr(self, name)}")
        if self.postnet_n_convolutions < 2:
            raise ValueError(f"postnet_n_convolutions must be >= 2, got {self.postnet_n_convolutions}")
        if not 0.0 < self.gate_threshold < 1.0:
            raise ValueError(f"gate_threshold is a probability in (0, 1), got {self.gate_threshold}")

    @classmethod
    def paper(cls, **overrides) -> "Tacotron2Config":
        """Shen et al. (2018) as released in NVIDIA/tacotron2: 28,193,153 parameters with 148 symbols."""
        return cls(**overrides)

    @classmethod
    def course(cls, **overrides) -> "Tacotron2Config":
        """A ~2 M-parameter Tacotron 2 that aligns on 2 CPU cores in minutes (r = 3 frames per step,
        forward attention)."""
        small = dict(symbols_embedding_dim=128, encoder_embedding_dim=128, prenet_dim=128,
                     attention_rnn_dim=256, decoder_rnn_dim=256, attention_dim=128,
                     postnet_embedding_dim=128, n_frames_per_step=3, max_decoder_steps=400,
                     forward_attention=True)
        small.update(overrides)
        return cls(**small)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Tacotron2Config":
        """The config saved by :meth:`to_dict`; unknown keys are refused (docs/VALIDATION.md)."""
        return cls(**checks.known_keys(data, (f.name for f in fields(cls)), cls.__name__))

    def differences(self, other: "Tacotron2Config") -> dict[str, tuple[Any, Any]]:
        """``{field: (self value, other value)}`` for every field that differs."""
        return {f.name: (getattr(self, f.name), getattr(other, f.name))
                for f in fields(self) if getattr(self, f.name) != getattr(other, f.name)}
