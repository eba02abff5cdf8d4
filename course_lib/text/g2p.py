"""Grapheme-to-phoneme with eSpeak NG, written as ARPAbet for the symbol set (chapter 08).

NVIDIA's Tacotron 2 can read ARPAbet from CMUdict inside curly braces; here eSpeak NG's rules and
dictionary (:func:`course_lib.text.espeak.phonemize`) give the pronunciation, and
:data:`ESPEAK_TO_ARPABET` rewrites eSpeak's en-us phoneme names as ARPAbet with CMUdict stress
digits (1 primary, 2 secondary, 0 unstressed).
"""

from __future__ import annotations

import re

from course_lib.text.cleaners import clean_text

#: eSpeak NG (en-us) phoneme → ARPAbet; vowels carry ``{s}`` where the stress digit goes.
ESPEAK_TO_ARPABET = {
    # vowels and diphthongs
    "@": "AH{s}", "@2": "AH{s}", "@-": "AH{s}", "a#": "AH{s}", "V": "AH{s}", "3": "ER{s}", "3:": "ER{s}",
    "a": "AE{s}", "aa": "AE{s}", "A:": "AA{s}", "0": "AA{s}", "E": "EH{s}", "e": "EH{s}",
    "I": "IH{s}", "I#": "IH{s}", "I2": "IH{s}", "i": "IY{s}", "i:": "IY{s}", "O:": "AO{s}",
    "O2": "AO{s}", "O": "AO{s}", "OI": "OY{s}", "U": "UH{s}", "u:": "UW{s}", "aI": "AY{s}",
    "aU": "AW{s}", "eI": "EY{s}", "oU": "OW{s}", "o": "OW{s}",
    # r-coloured vowels and syllabic consonants: two ARPAbet symbols
    "A@": "AA{s} R", "e@": "EH{s} R", "i@": "IH{s} R", "i@3": "IH{s} R", "U@": "UH{s} R",
    "O@": "AO{s} R", "o@": "AO{s} R", "aI@": "AY{s} ER0", "aI3": "AY{s} ER0", "aU@": "AW{s} ER0",
    "@L": "AH{s} L", "n-": "AH{s} N", "r-": "ER{s}",
    # consonants
    "b": "B", "d": "D", "D": "DH", "dZ": "JH", "f": "F", "g": "G", "h": "HH", "j": "Y", "k": "K",
    "l": "L", "m": "M", "n": "N", "N": "NG", "p": "P", "r": "R", "s": "S", "S": "SH", "t": "T",
    "t#": "T", "t2": "T", "T": "TH", "tS": "CH", "v": "V", "w": "W", "z": "Z", "Z": "ZH",
    "x": "K", "?": "T",
    # modifiers eSpeak writes as phonemes, with no ARPAbet counterpart
    ";": "",
}

_WORD = re.compile(r"[a-z0-9']+(?:-[a-z0-9']+)*")


def espeak_to_arpabet(phoneme: str) -> list[str]:
    """One eSpeak phoneme (stress mark ``'``/``,`` in front, if any) as ARPAbet symbols."""
    stress = "1" if phoneme.startswith("'") else "2" if phoneme.startswith(",") else "0"
    name = phoneme.lstrip("',")
    if name not in ESPEAK_TO_ARPABET:
        raise ValueError(f"eSpeak phoneme {phoneme!r} has no ARPAbet mapping; add it to ESPEAK_TO_ARPABET")
    return ESPEAK_TO_ARPABET[name].format(s=stress).split()


#: Words that eSpeak reads differently alone than in a sentence ("a" alone is the letter name).
IN_CONTEXT = {"a": ["AH0"]}


def word_to_arpabet(word: str, voice: str = "en-us") -> list[str]:
    """ARPAbet of one cleaned word, e.g. ``"hello" -> ["HH", "AH0", "L", "OW1"]``."""
    from course_lib.text.espeak import phonemize

    if word in IN_CONTEXT:
        return list(IN_CONTEXT[word])

    phonemes = phonemize(word, voice=voice, separator=" ").split()
    return [arpa for p in phonemes for arpa in espeak_to_arpabet(p)]


def g2p(text: str, voice: str = "en-us", cleaners: str = "english") -> str:
    """Clean ``text`` and write every word as ``{ARPAbet}``, keeping punctuation and spaces.

    ``g2p("Hello, world!") == "{HH AH0 L OW1}, {W ER1 L D}!"`` — ready for
    :func:`~course_lib.text.symbols.text_to_sequence`.
    """
    cleaned = clean_text(text, cleaners)
    if not cleaned:
        raise ValueError(f"text {text!r} is empty after cleaning: give at least one word.")
    cache: dict[str, str] = {}

    def arpabet(m: re.Match) -> str:
        word = m.group(0)
        if word not in cache:
            cache[word] = "{" + " ".join(word_to_arpabet(word, voice)) + "}"
        return cache[word]

    return _WORD.sub(arpabet, cleaned)
