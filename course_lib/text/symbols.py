"""The NVIDIA Tacotron 2 symbol set and the text ↔ id mapping (chapter 08).

148 symbols in NVIDIA's order (NVIDIA/tacotron2 ``text/symbols.py``): the pad ``_``, the special
``-``, ten punctuation marks ``!'(),.:;?`` and space, 52 letters, and the 84 ARPAbet symbols of
CMUdict prefixed with ``@`` so that they never collide with letters. Text in curly braces is read
as ARPAbet: ``"{HH AH0 L OW1} world"``.

The symbol set follows NVIDIA/tacotron2 (BSD-3-Clause): see NOTICE.
"""

from __future__ import annotations

import re
from typing import Iterable

import numpy as np

PAD = "_"
SPECIAL = "-"
PUNCTUATION = "!'(),.:;? "
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

#: The 84 ARPAbet phonemes of CMUdict (vowels with stress 0/1/2 and without).
ARPABET = (
    "AA AA0 AA1 AA2 AE AE0 AE1 AE2 AH AH0 AH1 AH2 AO AO0 AO1 AO2 AW AW0 AW1 AW2 AY AY0 AY1 AY2 "
    "B CH D DH EH EH0 EH1 EH2 ER ER0 ER1 ER2 EY EY0 EY1 EY2 F G HH IH IH0 IH1 IH2 IY IY0 IY1 "
    "IY2 JH K L M N NG OW OW0 OW1 OW2 OY OY0 OY1 OY2 P R S SH T TH UH UH0 UH1 UH2 UW UW0 UW1 "
    "UW2 V W Y Z ZH"
).split()

#: All 148 symbols, in NVIDIA order; the index of a symbol is its id.
SYMBOLS: tuple[str, ...] = (PAD, SPECIAL, *PUNCTUATION, *LETTERS, *("@" + p for p in ARPABET))
PAD_ID = 0
SYMBOL_TO_ID = {s: i for i, s in enumerate(SYMBOLS)}

_CURLY = re.compile(r"(.*?)\{(.*?)\}(.*)", re.DOTALL)


def _chars_to_ids(text: str) -> list[int]:
    unknown = sorted({c for c in text if c not in SYMBOL_TO_ID or c == PAD})
    if unknown:
        listed = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in unknown)
        raise ValueError(
            f"text contains characters outside the 148-symbol set after cleaning: {listed}. "
            "Write them out in words, or add a rule to course_lib.text.cleaners."
        )
    return [SYMBOL_TO_ID[c] for c in text]


def _arpabet_to_ids(phonemes: str) -> list[int]:
    names = phonemes.split()
    bad = sorted({p for p in names if p not in ARPABET})
    if not names or bad:
        raise ValueError(
            f"curly braces must hold ARPAbet phonemes separated by spaces, e.g. '{{HH AH0 L OW1}}'; "
            f"got {{{phonemes}}} (not ARPAbet: {bad or 'empty'})."
        )
    return [SYMBOL_TO_ID["@" + p] for p in names]


def text_to_sequence(text: str, cleaners: str | Iterable[str] = "english") -> list[int]:
    """Clean ``text`` and map it to symbol ids; ``{...}`` holds ARPAbet (NVIDIA semantics).

    Raises one ``ValueError`` listing every character that is not in :data:`SYMBOLS` after
    cleaning — nothing is dropped silently (NVIDIA's reference skips them without a word).
    """
    from course_lib.text.cleaners import clean_text

    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    segments: list[tuple[bool, str]] = []  # (is_arpabet, text)
    rest = text
    while rest:
        match = _CURLY.match(rest)
        before, phonemes, rest = match.groups() if match else (rest, None, "")
        if "{" in before or "}" in before:
            raise ValueError(f"unbalanced curly braces in {text!r}: ARPAbet goes inside '{{...}}'.")
        segments.append((False, clean_text(before, cleaners, strip=False)))
        if phonemes is not None:
            segments.append((True, phonemes))
    if segments and not segments[0][0]:
        segments[0] = (False, segments[0][1].lstrip(" "))
    if segments and not segments[-1][0]:
        segments[-1] = (False, segments[-1][1].rstrip(" "))
    ids: list[int] = []
    for is_arpabet, part in segments:
        ids += _arpabet_to_ids(part) if is_arpabet else _chars_to_ids(part)
    if not ids:
        raise ValueError(f"text {text!r} is empty after cleaning: give at least one character to speak.")
    return ids


def _symbol_id(i) -> int:
    """``i`` as a Python int; a float, string or other object is a TypeError naming it."""
    if getattr(i, "ndim", None) == 0 and hasattr(i, "item"):
        i = i.item()  # one element of a numpy array or torch tensor
    if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
        raise TypeError(f"symbol id {i!r} ({type(i).__name__}) is not an integer; "
                        f"ids must be ints in 0..{len(SYMBOLS) - 1}")
    return int(i)


def sequence_to_text(ids: Iterable[int]) -> str:
    """Map ids back to text; ARPAbet ids come back inside curly braces (``{HH AH0 L OW1}``)."""
    if isinstance(ids, (str, bytes)) or not isinstance(ids, Iterable):
        raise TypeError(f"ids must be a sequence of symbol ids (ints), got {type(ids).__name__}")
    out: list[str] = []
    for i in ids:
        i = _symbol_id(i)
        if not 0 <= i < len(SYMBOLS):
            raise ValueError(f"symbol id {i} is outside 0..{len(SYMBOLS) - 1}")
        if i == PAD_ID:
            continue  # padding carries no text
        s = SYMBOLS[i]
        out.append("{" + s[1:] + "}" if s.startswith("@") else s)
    return "".join(out).replace("}{", " ")
