"""Datasets: the course speech corpus, the LJSpeech layout, collate and feature cache (chapter 08)."""

from .cache import MelCache, config_key
from .collate import BucketBatchSampler, TTSCollate
from .corpus import PhonemeTiming, Utterance, char_alignment, load_corpus, verify_corpus
from .dataset import CorpusDataset, Item, TextMelDataset
from .ljspeech import LJSpeechDataset, read_ljspeech_metadata

__all__ = [
    "BucketBatchSampler", "CorpusDataset", "Item", "LJSpeechDataset", "MelCache", "PhonemeTiming",
    "TTSCollate", "TextMelDataset", "Utterance", "char_alignment", "config_key", "load_corpus",
    "read_ljspeech_metadata", "verify_corpus",
]
