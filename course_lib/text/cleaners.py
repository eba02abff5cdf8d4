"""Text normalisation ("cleaners") before text becomes symbol ids (chapter 08).

The ``english`` pipeline follows NVIDIA/tacotron2 ``english_cleaners`` step by step —
transliterate to ASCII, lower-case, expand numbers, expand abbreviations, collapse whitespace —
with two differences: transliteration uses :mod:`unicodedata` (no ``unidecode``), and a few
symbols are written out in words (``& % + @``; a slash between words is a space, ``"and/or"``).
Characters that no rule covers are left in place, so that
:func:`~course_lib.text.symbols.text_to_sequence` can name them in its error.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Callable, Iterable

from course_lib.text.numbers import expand_numbers

#: Letters that NFKD does not decompose, and typographic marks with a plain ASCII spelling.
#: Currency signs stay: :func:`expand_numbers` reads them next to a number.
TRANSLITERATION = {
    "ß": "ss", "Æ": "AE", "æ": "ae", "Ø": "O", "ø": "o", "Œ": "OE", "œ": "oe", "Ł": "L",
    "ł": "l", "Đ": "D", "đ": "d", "Ð": "D", "ð": "d", "Þ": "Th", "þ": "th", "ı": "i",
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "`": "'", "´": "'", "′": "'",
    "“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "″": '"',
    "–": "-", "‐": "-", "‑": "-", "−": "-", "—": ", ", "―": ", ", "…": "...",
    "£": "£", "€": "€",
}

#: Written-out symbols and punctuation folded into the 148-symbol set (applied after numbers).
SYMBOL_WORDS = {
    "&": " and ", "%": " percent", "+": " plus ", "@": " at ",
    '"': "", "[": "(", "]": ")", "\t": " ", "\n": " ", "\r": " ",
}

#: Abbreviations (lower-case, with their period) and what is said; "st." reads "saint" as in NVIDIA.
ABBREVIATIONS = {
    "mrs": "misess", "mr": "mister", "dr": "doctor", "st": "saint", "co": "company",
    "jr": "junior", "maj": "major", "gen": "general", "drs": "doctors", "rev": "reverend",
    "lt": "lieutenant", "hon": "honorable", "sgt": "sergeant", "capt": "captain",
    "esq": "esquire", "ltd": "limited", "col": "colonel", "ft": "fort", "prof": "professor",
    "vs": "versus", "etc": "et cetera", "approx": "approximately", "dept": "department",
}
_ABBREVIATION = re.compile(r"\b(" + "|".join(ABBREVIATIONS) + r")\.", re.IGNORECASE)
_WORD_SLASH = re.compile(r"(?<=[a-z])\s*/\s*(?=[a-z])")  # "and/or" (after numbers: dates and 3/4 are read)
_WHITESPACE = re.compile(r"\s+")
_SPACE_BEFORE_PUNCT = re.compile(r" +(?=[,.!?;:])")
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+")


def to_ascii(text: str) -> str:
    """Transliterate to ASCII: NFKD, drop combining accents, then :data:`TRANSLITERATION`.

    ``"Café Müller — naïve"`` → ``"Cafe Muller ,  naive"`` (the dash becomes ``", "``; the whitespace
    step collapses the double space). Characters with no ASCII spelling (``"中"``, emoji) are kept,
    so the caller can report them.
    """
    out = []
    for ch in text:
        if ch in TRANSLITERATION:
            out.append(TRANSLITERATION[ch])
            continue
        for part in unicodedata.normalize("NFKD", ch):
            if unicodedata.combining(part):
                continue
            out.append(TRANSLITERATION.get(part, part))
    return "".join(out)


def expand_abbreviations(text: str) -> str:
    """``"dr. smith"`` → ``"doctor smith"`` (lower-case input)."""
    return _ABBREVIATION.sub(lambda m: ABBREVIATIONS[m.group(1).lower()], text)


def expand_symbols(text: str) -> str:
    """Write ``& % + @`` out in words, drop double quotes, turn brackets and tabs into ``( ) ' '``, and a slash
    between words into a space (``"and/or"`` → ``"and or"``); any other slash stays, to be reported."""
    return _WORD_SLASH.sub(" ", "".join(SYMBOL_WORDS.get(ch, ch) for ch in text))


def collapse_whitespace(text: str) -> str:
    """Runs of whitespace become one space, and no space stays in front of ``, . ! ? ; :``."""
    return _SPACE_BEFORE_PUNCT.sub("", _WHITESPACE.sub(" ", text))


def basic_cleaners(text: str) -> str:
    """Lower-case and collapse whitespace (for text that is already plain ASCII words)."""
    return collapse_whitespace(text.lower())


def transliteration_cleaners(text: str) -> str:
    """Transliterate to ASCII, lower-case, collapse whitespace."""
    return collapse_whitespace(to_ascii(text).lower())


def english_cleaners(text: str) -> str:
    """The full English pipeline (NVIDIA order): ASCII, lower case, numbers, abbreviations, symbols."""
    text = to_ascii(text).lower()
    text = expand_numbers(text)
    text = expand_abbreviations(text)
    text = expand_symbols(text)
    return collapse_whitespace(text)


CLEANERS: dict[str, Callable[[str], str]] = {
    "english": english_cleaners,
    "basic": basic_cleaners,
    "transliteration": transliteration_cleaners,
}


def clean_text(text: str, cleaners: str | Iterable[str] = "english", strip: bool = True) -> str:
    """Run the named cleaners in order (``"english"``; NVIDIA's ``"english_cleaners"`` works too).

    With ``strip`` (the default) leading and trailing spaces go too: a trailing space is a
    classic cause of a Tacotron that never stops.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    names = [cleaners] if isinstance(cleaners, str) else list(cleaners) if isinstance(cleaners, Iterable) else None
    if names is None or not all(isinstance(name, str) for name in names):
        raise TypeError(f"cleaners must be a name or a list of names, e.g. \"english\"; got {cleaners!r}")
    for name in names:
        key = name.removesuffix("_cleaners")
        if key not in CLEANERS:
            raise ValueError(f"unknown cleaner {name!r}; choose from {sorted(CLEANERS)}")
        text = CLEANERS[key](text)
    return text.strip(" ") if strip else text


def split_text(text: str) -> list[str]:
    """Sentences of ``text``: split after ``. ! ? ; :`` followed by white space (white space collapsed).

    The one sentence splitter of the course: the pipeline speaks one sentence at a time and
    Tacotron 2's chunking starts from these sentences.
    """
    return [s for s in _SENTENCE_END.split(" ".join(text.split())) if s]
