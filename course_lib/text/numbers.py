"""Numbers to words: cardinals, ordinals, years, decimals, currency, times, dates, fractions (chapter 08).

A character-level TTS model cannot guess how "1984", "$3.50" or "21st" sound, so the front end
writes them out before the model sees them (NVIDIA/tacotron2 ``text/numbers.py`` does the same
with the ``inflect`` package; this module needs nothing but ``re``).
"""

from __future__ import annotations

import re

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_ORDINAL_IRREGULAR = {
    "one": "first", "two": "second", "three": "third", "five": "fifth",
    "eight": "eighth", "nine": "ninth", "twelve": "twelfth",
}


def _below_1000(n: int) -> list[str]:
    words: list[str] = []
    if n >= 100:
        words += [_ONES[n // 100], "hundred"]
        n %= 100
    if n >= 20:
        words.append(_TENS[n // 10] + ("-" + _ONES[n % 10] if n % 10 else ""))
    elif n or not words:
        words.append(_ONES[n])
    return words


def cardinal(n: int) -> str:
    """``123 -> "one hundred twenty-three"`` (no "and", as in NVIDIA's cleaners)."""
    if n < 0:
        return "minus " + cardinal(-n)
    if n >= 10**15:  # too long to say as a number: read the digits
        return " ".join(_ONES[int(d)] for d in str(n))
    words: list[str] = []
    for value, name in _SCALES:
        if n >= value:
            words += _below_1000(n // value) + [name]
            n %= value
    if n or not words:
        words += _below_1000(n)
    return " ".join(words)


def ordinal(n: int) -> str:
    """``21 -> "twenty-first"``, ``100 -> "one hundredth"``."""
    words = cardinal(n)
    head, sep, last = words.rpartition(" ")
    stem, hyphen, unit = last.rpartition("-")
    if unit in _ORDINAL_IRREGULAR:
        unit = _ORDINAL_IRREGULAR[unit]
    elif unit.endswith("y"):
        unit = unit[:-1] + "ieth"
    else:
        unit += "th"
    return head + sep + stem + hyphen + unit


def year(n: int) -> str:
    """Read 1000–2999 as a year: 1984 → "nineteen eighty-four", 1905 → "nineteen oh five"."""
    if not 1000 <= n < 3000 or n == 2000 or 2000 < n < 2010:
        return cardinal(n)
    high, low = divmod(n, 100)
    if low == 0:
        return cardinal(high) + " hundred"
    return cardinal(high) + (" oh " if low < 10 else " ") + cardinal(low)


def _digits(s: str) -> str:
    return " ".join(_ONES[int(d)] for d in s)


def _money(amount: str, major: tuple[str, str], minor: tuple[str, str]) -> str:
    whole, _, frac = amount.partition(".")
    units = int(whole or "0")
    cents = int((frac + "00")[:2]) if frac else 0
    parts = []
    if units or not cents:
        parts.append(f"{cardinal(units)} {major[units != 1]}")
    if cents:
        parts.append(f"{cardinal(cents)} {minor[cents != 1]}")
    return ", ".join(parts)


_CURRENCIES = {
    "$": (("dollar", "dollars"), ("cent", "cents")),
    "£": (("pound", "pounds"), ("penny", "pence")),
    "€": (("euro", "euros"), ("cent", "cents")),
}

_COMMA_NUMBER = re.compile(r"\b(\d{1,3}(?:,\d{3})+)(?:\.(\d+))?\b")
_CURRENCY = re.compile(r"([$£€])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)")
_TIME = re.compile(r"\b(\d{1,2}):(\d{2})\b")
_CLOCK = re.compile(r"\b(\d{1,2})(?::(\d{2}))? ?([ap])(\.?)m\b(\.?)")  # 10:30am, 7 p.m.
_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b")  # 1/2/2025
_MIXED = re.compile(r"\b(\d+) (\d+)/(\d+)\b")  # 2 1/2
_FRACTION = re.compile(r"\b(\d+)/(\d+)\b")  # 3/4
_MONTHS = ("january february march april may june july august september october november "
           "december").split()
_DECIMAL = re.compile(r"(\d+)\.(\d+)")
_ORDINAL = re.compile(r"\b(\d+)(st|nd|rd|th)\b", re.IGNORECASE)
_NEGATIVE = re.compile(r"(?<![\w.])-(?=\d)")
_NUMBER = re.compile(r"\d+")


def _time(m: re.Match) -> str:
    hours, minutes = int(m.group(1)), int(m.group(2))
    if hours > 24 or minutes > 59:
        return f"{cardinal(hours)} {cardinal(minutes)}"
    if minutes == 0:
        return f"{cardinal(hours)} o'clock"
    return f"{cardinal(hours)} {'oh ' if minutes < 10 else ''}{cardinal(minutes)}"


def _clock(m: re.Match) -> str:
    """``10:30am`` → "ten thirty a m", ``7 p.m.`` → "seven p m", ``9:05 PM`` → "nine oh five p m"."""
    hours, minutes = int(m.group(1)), int(m.group(2) or 0)
    if minutes == 0 or minutes > 59:  # "7pm"; "7:75pm" is no time: its numbers are read as written
        spoken = cardinal(hours) + (f" {cardinal(minutes)}" if minutes else "")
    else:
        spoken = f"{cardinal(hours)} {'oh ' if minutes < 10 else ''}{cardinal(minutes)}"
    # the dot after "am" ends the sentence; after "a.m." only where no word follows ("at 7 p.m. we left")
    dotted, period = m.group(4), m.group(5)
    keep = period and not (dotted and re.match(r" ?[a-z]", m.string[m.end():]))
    return f"{spoken} {m.group(3)} m{'.' if keep else ''}"


def _date(m: re.Match) -> str:
    """``1/2/2025`` → "january second, twenty twenty-five": month first (American, as LJSpeech), unless
    the first number cannot be a month and the second can (``13/2/2025`` = the thirteenth of february)."""
    a, b, y = int(m.group(1)), int(m.group(2)), m.group(3)
    if 1 <= a <= 12 and 1 <= b <= 31:
        month, day = a, b
    elif 1 <= b <= 12 and 1 <= a <= 31:
        month, day = b, a
    else:  # not a date: read the numbers
        return f"{cardinal(a)} {cardinal(b)} {cardinal(int(y))}"
    return f"{_MONTHS[month - 1]} {ordinal(day)}, {year(int(y)) if len(y) == 4 else cardinal(int(y))}"


def fraction(numerator: int, denominator: int) -> str:
    """``3/4`` → "three quarters", ``1/2`` → "one half", ``5/8`` → "five eighths"; odd ones "n over d"."""
    if not 2 <= denominator <= 100:
        return f"{cardinal(numerator)} over {cardinal(denominator)}"
    plural = numerator != 1
    unit = {2: "halves" if plural else "half", 4: "quarters" if plural else "quarter"}.get(denominator)
    return f"{cardinal(numerator)} {unit or ordinal(denominator) + ('s' if plural else '')}"


def _grouped(m: re.Match) -> str:
    words = cardinal(int(m.group(1).replace(",", "")))
    return words + (f" point {_digits(m.group(2))}" if m.group(2) else "")


def _number(m: re.Match) -> str:
    n = int(m.group(0))
    return year(n) if 1000 <= n < 3000 else cardinal(n)


def expand_numbers(text: str) -> str:
    """Write every number in ``text`` out in words (lower-case ASCII in, lower-case ASCII out)."""
    text = _CURRENCY.sub(lambda m: _money(m.group(2).replace(",", ""), *_CURRENCIES[m.group(1)]), text)
    text = _COMMA_NUMBER.sub(_grouped, text)  # 1,984 is a count, never a year
    text = _DATE.sub(_date, text)
    text = _MIXED.sub(lambda m: f"{cardinal(int(m.group(1)))} and {fraction(int(m.group(2)), int(m.group(3)))}", text)
    text = _FRACTION.sub(lambda m: fraction(int(m.group(1)), int(m.group(2))), text)
    text = _CLOCK.sub(_clock, text)
    text = _TIME.sub(_time, text)
    text = _DECIMAL.sub(lambda m: f"{cardinal(int(m.group(1)))} point {_digits(m.group(2))}", text)
    text = _ORDINAL.sub(lambda m: ordinal(int(m.group(1))), text)
    text = _NEGATIVE.sub("minus ", text)
    return _NUMBER.sub(_number, text)
