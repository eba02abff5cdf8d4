"""Text front end for speech: cleaners, numbers, symbols, eSpeak G2P (chapter 08)."""

from .cleaners import clean_text, split_text
from .numbers import cardinal, expand_numbers, ordinal, year
from .symbols import PAD_ID, SYMBOLS, sequence_to_text, text_to_sequence

__all__ = [
    "PAD_ID", "SYMBOLS", "cardinal", "clean_text", "expand_numbers", "ordinal", "sequence_to_text",
    "split_text", "text_to_sequence", "year",
]
