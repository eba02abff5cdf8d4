"""Tacotron 2 (Shen et al. 2018): config presets, the model, and text-to-mel synthesis (chapter 10)."""

from .config import Tacotron2Config
from .decoder import Decoder, DecoderState
from .encoder import Encoder
from .layers import Prenet, WeightGradTape
from .model import Tacotron2, Tacotron2Inference, Tacotron2Output, count_parameters
from .postnet import Postnet
from .synthesis import Synthesis, encode_text, split_sentences, text_to_mel

__all__ = [
    "Decoder", "DecoderState", "Encoder", "Postnet", "Prenet", "Synthesis",
    "Tacotron2", "Tacotron2Config", "Tacotron2Inference", "Tacotron2Output", "WeightGradTape",
    "count_parameters", "encode_text", "split_sentences", "text_to_mel",
]
