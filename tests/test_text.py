"""course_lib.text: symbols, cleaners, numbers, text ↔ ids (chapter 08; issue 5 part 4)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from course_lib.text import PAD_ID, SYMBOLS, clean_text, sequence_to_text, text_to_sequence
from course_lib.text.numbers import cardinal, expand_numbers, ordinal, year
from course_lib.text.symbols import ARPABET, SYMBOL_TO_ID


# ---------------------------------------------------------------- the symbol set
def test_symbol_set_is_nvidia_order():
    assert len(SYMBOLS) == 148 and len(set(SYMBOLS)) == 148 and len(ARPABET) == 84
    assert SYMBOLS[:12] == ("_", "-", "!", "'", "(", ")", ",", ".", ":", ";", "?", " ")
    assert SYMBOLS[12] == "A" and SYMBOLS[37] == "Z" and SYMBOLS[38] == "a" and SYMBOLS[63] == "z"
    assert SYMBOLS[64] == "@AA" and SYMBOLS[-1] == "@ZH" and PAD_ID == 0 == SYMBOL_TO_ID["_"]


def test_arpabet_in_curly_braces_maps_to_at_symbols_and_back():
    ids = text_to_sequence("Say {HH AH0 L OW1} twice.")
    assert ids[4:8] == [SYMBOL_TO_ID[s] for s in ("@HH", "@AH0", "@L", "@OW1")]
    assert sequence_to_text(ids) == "say {HH AH0 L OW1} twice."
    assert text_to_sequence("{HH AH0}{L OW1}") == text_to_sequence("{HH AH0 L OW1}")


@pytest.mark.parametrize("text", ["hello world.", "it's (mostly) fine; really: yes!", "a-b, c?"])
def test_round_trip_of_clean_text(text):
    assert sequence_to_text(text_to_sequence(text)) == text


def test_sequence_to_text_skips_padding_and_rejects_out_of_range():
    assert sequence_to_text([PAD_ID, SYMBOL_TO_ID["a"], PAD_ID]) == "a"
    with pytest.raises(ValueError, match="148"):
        sequence_to_text([3, 148])


# ---------------------------------------------------------------- bad input
def test_unknown_characters_are_reported_together():
    with pytest.raises(ValueError) as err:
        text_to_sequence("naïve 中文 text 😀 <tag>")
    msg = str(err.value)
    for ch in ("中", "文", "😀", "<", ">"):
        assert repr(ch) in msg
    assert "'i'" not in msg  # ï was transliterated, not reported


@pytest.mark.parametrize("text", ["", "   ", '""', "\n\t"])
def test_empty_text_is_an_error(text):
    with pytest.raises(ValueError, match="empty"):
        text_to_sequence(text)


@pytest.mark.parametrize("text,match", [("{XX}", "not ARPAbet"), ("{}", "empty"), ("a {HH", "unbalanced"),
                                         ("a } b", "unbalanced"), ("{HH {AH0}}", "ARPAbet")])
def test_bad_arpabet_is_an_error(text, match):
    with pytest.raises(ValueError, match=match):
        text_to_sequence(text)


def test_bad_arguments():
    with pytest.raises(TypeError):
        text_to_sequence(b"bytes")
    with pytest.raises(ValueError, match="unknown cleaner"):
        clean_text("x", "klingon")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_any_unicode_maps_to_valid_ids_or_raises_the_documented_error(text):
    try:
        ids = text_to_sequence(text)
    except ValueError as err:
        assert any(word in str(err) for word in ("outside the 148-symbol set", "empty", "curly", "ARPAbet"))
        return
    assert ids and all(isinstance(i, int) and 0 < i < len(SYMBOLS) for i in ids)
    assert text_to_sequence(sequence_to_text(ids)) == ids  # cleaning is idempotent


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="ascii")))
def test_clean_text_is_idempotent(text):
    once = clean_text(text)
    assert clean_text(once) == once


# ---------------------------------------------------------------- cleaners
@pytest.mark.parametrize("raw,clean", [
    ("  Hello,   World!  ", "hello, world!"),
    ("Mr. and Mrs. Smith met Dr. Who.", "mister and misess smith met doctor who."),
    ("St. Louis vs. Prof. X", "saint louis versus professor x"),
    ("Café Müller — naïve", "cafe muller, naive"),
    ("Straße “quoted” ‘single’", "strasse quoted 'single'"),
    ("Rock & roll at 50%", "rock and roll at fifty percent"),
    ("ﬁne Ｆｕｌｌ", "fine full"),
    # issue #17: the whole sentence a new user tried, and slashes between words
    ("Dr. Smith paid $3.50 on 1/2/2025 at 10:30am.",
     "doctor smith paid three dollars, fifty cents on january second, twenty twenty-five at ten thirty a m."),
    ("Cash and/or card", "cash and or card"), ("yes / no", "yes no"),
])
def test_english_cleaners(raw, clean):
    assert clean_text(raw) == clean


def test_other_cleaners():
    assert clean_text("Ünïcode  TEXT 42", "transliteration") == "unicode text 42"
    assert clean_text("  Two   WORDS ", "basic_cleaners") == "two words"
    assert clean_text(" a ", strip=False) == " a "


# ---------------------------------------------------------------- numbers
@pytest.mark.parametrize("n,words", [
    (0, "zero"), (7, "seven"), (13, "thirteen"), (40, "forty"), (99, "ninety-nine"),
    (101, "one hundred one"), (1000, "one thousand"), (2_000_017, "two million seventeen"),
    (-3, "minus three"), (10**15, "one zero zero zero zero zero zero zero zero zero zero zero zero zero zero zero"),
])
def test_cardinal(n, words):
    assert cardinal(n) == words


@pytest.mark.parametrize("n,words", [(1, "first"), (2, "second"), (3, "third"), (5, "fifth"), (8, "eighth"),
                                     (9, "ninth"), (12, "twelfth"), (20, "twentieth"), (21, "twenty-first"),
                                     (100, "one hundredth"), (1003, "one thousand third")])
def test_ordinal(n, words):
    assert ordinal(n) == words


@pytest.mark.parametrize("n,words", [(1984, "nineteen eighty-four"), (1900, "nineteen hundred"),
                                     (1905, "nineteen oh five"), (2000, "two thousand"),
                                     (2007, "two thousand seven"), (2024, "twenty twenty-four"),
                                     (999, "nine hundred ninety-nine")])
def test_year(n, words):
    assert year(n) == words


@pytest.mark.parametrize("raw,words", [
    ("$3.50", "three dollars, fifty cents"), ("$1", "one dollar"), ("$0.01", "one cent"),
    ("£2.5", "two pounds, fifty pence"), ("€1.00", "one euro"), ("3.14", "three point one four"),
    ("1,234", "one thousand two hundred thirty-four"), ("the 21st", "the twenty-first"),
    ("10:30", "ten thirty"), ("3:05", "three oh five"), ("7:00", "seven o'clock"),
    ("-5 degrees", "minus five degrees"), ("in 1984.", "in nineteen eighty-four."),
    ("route 66-a", "route sixty-six-a"),
    # issue #17: 12-hour times, dates and fractions are read, not spelled "ten:thirtyam" / "one/two"
    ("10:30am", "ten thirty a m"), ("at 7 p.m. we", "at seven p m we"), ("by 7 p.m.", "by seven p m."),
    ("9:05 PM".lower(), "nine oh five p m"), ("12am.", "twelve a m."),
    ("1/2/2025", "january second, twenty twenty-five"), ("13/2/25", "february thirteenth, twenty-five"),
    ("3/4", "three quarters"), ("1/2", "one half"), ("5/8", "five eighths"), ("2 1/2", "two and one half"),
    ("1/0", "one over zero"), ("40/40/40", "forty forty forty"),
])
def test_expand_numbers(raw, words):
    assert expand_numbers(raw) == words


def test_numbers_inside_full_cleaning():
    assert clean_text("He paid $12.50 on May 21st, 1984.") == (
        "he paid twelve dollars, fifty cents on may twenty-first, nineteen eighty-four.")
