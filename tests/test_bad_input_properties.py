"""Property tests (hypothesis) that complete tests/test_text.py and tests/test_audio.py.

Those already check: any Unicode string → valid ids or the documented ValueError; ASCII cleaning is
idempotent; mel_spectrogram and the preprocessing functions on float arrays in [-1, 1]. Added here:
text built from the pieces that make the front end work hard (numbers, currency, abbreviations,
ARPAbet in braces, odd whitespace, combining marks); sentence chunking; audio at any finite
amplitude (int16-scaled files loaded without normalising, huge and tiny values), other dtypes and
batches; log-mels of any finite value into Griffin-Lim; resampling between any rates; exact
inverses (pre-/de-emphasis) and normalisation targets.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from course_lib import audio as A
from course_lib.text import SYMBOLS, clean_text, sequence_to_text, text_to_sequence
from course_lib.text.symbols import ARPABET

from .test_bad_input import INTERNAL, raised_in_course_lib

# ============================================================================ text
PIECES = st.one_of(
    st.sampled_from(["Mr.", "Dr.", "St.", "vs.", "etc.", "Mrs.", "No.", "e.g.", "a.m.", "U.S.A."]),
    st.from_regex(r"[$£€]?[0-9]{1,3}(,[0-9]{3}){0,4}(\.[0-9]{1,3})?(%|st|nd|rd|th|s|m|bn)?", fullmatch=True),
    st.from_regex(r"(19|20)[0-9]{2}s?|[0-9]{1,2}:[0-9]{2}|[0-9]+/[0-9]+|-?[0-9]+e[0-9]", fullmatch=True),
    st.lists(st.sampled_from(ARPABET), min_size=0, max_size=4).map(lambda p: "{" + " ".join(p) + "}"),
    st.sampled_from(["{", "}", "{}", "{ }", "{hh}", "@", "&", "+", "#", "~", "^", "*", "=", "|", "<", ">", "_"]),
    st.sampled_from([" ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u2009", "\u3000", "\u200b", "\ufeff"]),
    st.sampled_from(["é", "e\u0301", "ﬁ", "Æ", "ß", "İ", "ǅ", "²", "½", "Ⅻ", "٣", "१२", "—", "…", "“”", "‘’"]),
    st.text(alphabet=st.characters(codec="ascii"), max_size=6),
    st.text(max_size=3),
)
MESSY_TEXT = st.lists(PIECES, max_size=12).map("".join)
DOCUMENTED = ("outside the 148-symbol set", "empty", "curly", "ARPAbet")


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MESSY_TEXT)
@example("1e5")
@example("{}")
@example("\ufeff")
def test_messy_text_maps_to_valid_ids_or_raises_the_documented_error(text):
    try:
        ids = text_to_sequence(text)
    except ValueError as err:
        assert any(w in str(err) for w in DOCUMENTED), str(err)
        assert raised_in_course_lib(err) and not INTERNAL.search(str(err)), str(err)
        return
    assert ids and all(isinstance(i, int) and 0 < i < len(SYMBOLS) for i in ids)
    assert text_to_sequence(sequence_to_text(ids)) == ids


@settings(max_examples=200, deadline=None)
@given(st.one_of(MESSY_TEXT, st.text()))
@example("0/\x0c0")  # a slash before a form feed: the word-slash rule once missed it on the first pass
def test_clean_text_of_any_unicode_is_a_str_and_idempotent(text):
    once = clean_text(text)
    assert isinstance(once, str)
    assert once == once.strip(" ") and "  " not in once
    assert clean_text(once) == once


@settings(max_examples=150, deadline=None)
@given(text=MESSY_TEXT, max_chars=st.integers(1, 80))
def test_sentence_chunks_fit_and_keep_every_word(text, max_chars):
    from course_lib.tts.tacotron2 import split_sentences

    try:
        chunks = split_sentences(text, max_chars)
    except ValueError as err:
        assert "max_chars" in str(err) and any(len(w) > max_chars for w in text.split())
        return
    assert all(1 <= len(c) <= max_chars for c in chunks)
    assert " ".join(chunks).split() == text.split()


# ============================================================================ audio
FINITE = st.floats(allow_nan=False, allow_infinity=False, width=64)


def _finite_or_clear(fn, x):
    """``fn(x)`` is finite everywhere, or a ValueError from course_lib says why."""
    try:
        out = fn(x)
    except ValueError as err:
        assert raised_in_course_lib(err) and not INTERNAL.search(str(err)), str(err)
        return None
    values = out.numpy() if isinstance(out, torch.Tensor) else np.asarray(out, dtype=np.float64)
    assert np.all(np.isfinite(values)), f"non-finite output for input peak {np.abs(x).max() if x.size else 0:g}"
    return out


AMPLITUDE_FUNCTIONS = {
    "mel_spectrogram": A.mel_spectrogram,
    "stft": A.stft,
    "resample": lambda x: A.resample(x, 22050, 16000),
    "pre_emphasis": A.pre_emphasis,
    "de_emphasis": A.de_emphasis,
    "peak_normalize": A.peak_normalize,
    "loudness_normalize": A.loudness_normalize,
    "rms_db": A.rms_db,
}


@pytest.mark.filterwarnings("ignore:loudness_normalize to")
@settings(max_examples=60, deadline=None)
@given(x=arrays(np.float64, st.integers(0, 1500), elements=st.floats(-1e6, 1e6)),
       name=st.sampled_from(sorted(AMPLITUDE_FUNCTIONS)))
def test_audio_at_any_realistic_amplitude_stays_finite(x, name):
    """int16-scaled audio (|x| ≤ 32768) loaded without normalising, and more: finite in, finite out."""
    _finite_or_clear(AMPLITUDE_FUNCTIONS[name], x)


@pytest.mark.parametrize("name", sorted(AMPLITUDE_FUNCTIONS))
def test_audio_at_extreme_finite_amplitude_is_finite_or_refused(name):
    """Beyond ±1e10 (course_lib.checks.MAX_AMPLITUDE) the checks refuse the wave before float32 overflows."""
    failures = []
    for value, dtype in ((3e38, np.float32), (1e300, np.float64)):
        x = np.full(2048, value, dtype=dtype)
        x[::2] *= -1
        try:
            _finite_or_clear(AMPLITUDE_FUNCTIONS[name], x)
        except AssertionError as err:
            failures.append(f"{dtype.__name__} {value:g}: {err}")
    assert not failures, failures


@st.composite
def waves_of_any_dtype(draw):
    dtype = draw(st.sampled_from([np.float16, np.float32, np.float64, np.int16, np.int32, np.uint8, np.bool_]))
    floats = st.floats(-1, 1, width=16) if np.issubdtype(dtype, np.floating) else None
    return draw(arrays(dtype, st.integers(513, 3000), elements=floats))


@settings(max_examples=30, deadline=None)
@given(x=waves_of_any_dtype(), batch=st.integers(0, 2))
def test_mel_spectrogram_of_any_real_dtype_and_batch(x, batch):
    if batch:
        x = np.stack([x] * batch)
    out = _finite_or_clear(A.mel_spectrogram, x)
    assert out is not None
    assert out.shape == ((batch,) if batch else ()) + (80, 1 + x.shape[-1] // 256) and out.dtype == torch.float32


@settings(max_examples=20, deadline=None)
@given(log_mel=arrays(np.float64, st.tuples(st.just(80), st.integers(1, 12)), elements=st.floats(-30, 30)))
def test_any_finite_log_mel_gives_finite_audio(log_mel):
    """Griffin-Lim from any log-mel a model could emit (e^30 ≈ 1e13 is far louder than speech)."""
    out = _finite_or_clear(lambda m: A.mel_to_audio(m, n_iter=2), log_mel)
    if out is not None:
        assert out.shape == ((log_mel.shape[1] - 1) * 256,) or out.ndim == 1


@pytest.mark.parametrize("value", [200.0, -200.0, 700.0])
def test_log_mel_far_outside_any_real_magnitude_is_finite_or_refused(value):
    _finite_or_clear(lambda m: A.mel_to_audio(m, n_iter=1), np.full((80, 4), value))


RATES = st.sampled_from([8000, 11025, 16000, 22050, 24000, 44100, 48000]) | st.integers(100, 96000)


@settings(max_examples=40, deadline=None)
@given(x=arrays(np.float32, st.integers(0, 800), elements=st.floats(-1, 1, width=32)), orig=RATES, target=RATES)
def test_resample_between_any_rates(x, orig, target):
    y = _finite_or_clear(lambda w: A.resample(w, orig, target), x)
    assert y is not None and y.dtype == np.float32
    assert len(y) == (len(x) if orig == target else -(-len(x) * target // orig))


@settings(max_examples=60, deadline=None)
@given(x=arrays(np.float64, st.integers(0, 600), elements=st.floats(-1, 1)), coef=st.floats(0, 0.99))
def test_de_emphasis_inverts_pre_emphasis(x, coef):
    np.testing.assert_allclose(A.de_emphasis(A.pre_emphasis(x, coef), coef), x, atol=1e-6 * max(1, len(x)))


@settings(max_examples=60, deadline=None)
@given(x=arrays(np.float64, st.integers(1, 600), elements=st.floats(-100, 100)), target=st.floats(0.01, 1.0))
def test_peak_normalize_hits_its_target(x, target):
    try:
        y = A.peak_normalize(x, target)
    except ValueError as err:
        assert "silent" in str(err) and np.abs(x).max() < 1e-6
        return
    assert abs(float(np.abs(y).max()) - target) <= 1e-5 * max(1.0, target)
