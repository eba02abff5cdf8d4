"""eSpeak NG through ctypes: synthesis with phoneme events, G2P, ARPAbet (chapter 08)."""

import numpy as np
import pytest

from course_lib.text import espeak, text_to_sequence
from course_lib.text.g2p import ESPEAK_TO_ARPABET, espeak_to_arpabet, g2p
from course_lib.text.symbols import ARPABET


def test_synthesize_gives_int16_audio_and_ordered_phoneme_events():
    out = espeak.synthesize("hello world, this is a test.")
    assert out.sample_rate == 22050 and out.samples.dtype == np.int16 and 0.8 < len(out.samples) / 22050 < 3
    samples = [p.sample for p in out.phonemes]
    assert samples == sorted(samples) and samples[-1] <= len(out.samples)
    names = [p.name for p in out.phonemes]
    assert names[:4] == ["h", "@", "l", "'oU"]  # h-@-l-'oU: "hello"
    positions = [p.text_position for p in out.phonemes]
    assert positions[0] == 1 and positions[4] == 7  # 1-based word starts: "hello", "world"
    assert "_:" in names  # the comma's pause
    assert [w.text_position for w in out.words][:2] == [1, 7] and out.words[0].length == 5


def test_isolated_synthesis_is_bit_reproducible():
    a, b = espeak.synthesize_isolated(["the same sentence twice.", "the same sentence twice."])
    assert np.array_equal(a.samples, b.samples) and a.phonemes == b.phonemes


@pytest.mark.parametrize("bad", ["", "   "])
def test_synthesize_rejects_empty_text(bad):
    with pytest.raises(ValueError, match="empty"):
        espeak.synthesize(bad)


def test_synthesize_rejects_a_non_string():  # wrong type → TypeError (docs/VALIDATION.md)
    with pytest.raises(TypeError, match="must be a str"):
        espeak.synthesize(None)


def test_unknown_voice_is_a_clear_error():
    with pytest.raises(ValueError, match="no voice"):
        espeak.synthesize("hello", voice="no-such-voice")


def test_phonemize_and_version():
    assert espeak.version().count(".") >= 1
    assert espeak.phonemize("hello world", separator=" ") == "h @ l 'oU  w '3: l d"
    assert espeak.phonemize("hello", ipa=True, separator="") == "həlˈoʊ"
    with pytest.raises(ValueError):
        espeak.phonemize("x", separator="ab")


def test_arpabet_mapping_targets_valid_symbols():
    for name in ESPEAK_TO_ARPABET:
        for arpa in espeak_to_arpabet("'" + name):
            assert arpa in ARPABET, (name, arpa)
    assert espeak_to_arpabet("'oU") == ["OW1"] and espeak_to_arpabet(",aI@") == ["AY2", "ER0"]
    with pytest.raises(ValueError, match="no ARPAbet"):
        espeak_to_arpabet("QQ")


def test_g2p_feeds_text_to_sequence():
    assert g2p("Hello, world!") == "{HH AH0 L OW1}, {W ER1 L D}!"
    assert g2p("a boy") == "{AH0} {B OY1}"
    ids = text_to_sequence(g2p("Dr. Smith paid $5."))
    assert all(i >= 64 or i in (2, 7, 11) for i in ids)  # only ARPAbet, space and punctuation


def test_every_corpus_phoneme_has_an_arpabet_mapping():
    import json

    from course_lib import settings

    counts = json.loads((settings.ASSETS / "corpus" / "MANIFEST.json").read_text())["phoneme_counts"]
    missing = [p for p in counts if not p.startswith("_") and p not in ESPEAK_TO_ARPABET]
    assert not missing
