"""eSpeak NG through ctypes: speech with exact phoneme timings, and grapheme-to-phoneme (chapter 08).

``espeak-ng --pho`` prints nothing for the default (non-MBROLA) voices, but libespeak-ng itself
reports every phoneme it speaks: with ``espeakINITIALIZE_PHONEME_EVENTS`` the synthesis callback
receives an ``espeakEVENT_PHONEME`` carrying the phoneme's name, the sample where it starts and
the (1-based) text position of the word it belongs to. The library comes from ``espeakng-loader``
(its bundled ``libespeak-ng`` and ``espeak-ng-data``), so nothing needs to be installed.
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import threading
from dataclasses import dataclass

import numpy as np

from course_lib import checks

# espeak_EVENT_TYPE values (speak_lib.h)
_EV_LIST_TERMINATED, _EV_WORD, _EV_END, _EV_PHONEME = 0, 1, 5, 7
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INIT_PHONEME_EVENTS, _INIT_DONT_EXIT = 0x0001, 0x8000
_CHARS_UTF8 = 1
_PARAM_RATE, _PARAM_VOLUME, _PARAM_PITCH, _PARAM_RANGE = 1, 2, 3, 4


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):  # espeak_EVENT
    _fields_ = [
        ("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int), ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p), ("id", _EventId),
    ]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


@dataclass(frozen=True)
class PhonemeEvent:
    """One phoneme as eSpeak reports it: name (eSpeak mnemonic, stress marks included),
    first sample, and the 1-based text position of the word it belongs to."""

    name: str
    sample: int
    text_position: int


@dataclass(frozen=True)
class WordEvent:
    """A word as eSpeak reports it: 1-based text position, length in characters, first sample."""

    text_position: int
    length: int
    sample: int


@dataclass(frozen=True)
class Synthesis:
    """Result of :func:`synthesize`: int16 samples at ``sample_rate`` plus the events."""

    samples: np.ndarray  # [samples] int16
    sample_rate: int
    phonemes: tuple[PhonemeEvent, ...]
    words: tuple[WordEvent, ...]


class _ESpeak:
    """The process-wide libespeak-ng (its state is global, so one instance and one lock)."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as err:  # pragma: no cover - a declared dependency
            raise RuntimeError("espeakng-loader is not installed: pip install espeakng-loader") from err
        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.lib.espeak_Initialize.restype = ctypes.c_int
        self.lib.espeak_Info.restype = ctypes.c_char_p
        self.lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        self.lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int, ctypes.c_int]
        data = espeakng_loader.get_data_path().encode()
        self.sample_rate = self.lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, data, _INIT_PHONEME_EVENTS | _INIT_DONT_EXIT
        )
        if self.sample_rate <= 0:
            raise RuntimeError(f"espeak_Initialize failed (returned {self.sample_rate}); data path {data!r}")
        self.version = self.lib.espeak_Info(None).decode()
        self._callback = _CALLBACK(self._on_audio)  # keep a reference: ctypes must not free it
        self.lib.espeak_SetSynthCallback(self._callback)
        self.lock = threading.Lock()
        self._chunks: list[np.ndarray] = []
        self._events: list[tuple] = []

    def _on_audio(self, wav, n, events) -> int:
        i = 0
        while events[i].type != _EV_LIST_TERMINATED:
            e = events[i]
            if e.type == _EV_PHONEME:
                self._events.append(("p", e.id.string.decode("utf-8", "replace"), e.sample, e.text_position))
            elif e.type == _EV_WORD:
                self._events.append(("w", e.length, e.sample, e.text_position))
            i += 1
        if n > 0 and wav:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        return 0

    def configure(self, voice: str, rate: int, pitch: int) -> None:
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ValueError(f"eSpeak NG has no voice {voice!r}; try 'en-us' or 'en' (espeak-ng --voices)")
        for param, value in ((_PARAM_RATE, rate), (_PARAM_PITCH, pitch), (_PARAM_VOLUME, 100), (_PARAM_RANGE, 50)):
            self.lib.espeak_SetParameter(param, int(value), 0)


_ENGINE: _ESpeak | None = None
_ENGINE_LOCK = threading.Lock()


def _engine() -> _ESpeak:
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = _ESpeak()
        return _ENGINE


def version() -> str:
    """The libespeak-ng version string, e.g. ``"1.52.0"``."""
    return _engine().version


def synthesize(text: str, voice: str = "en-us", rate: int = 175, pitch: int = 50) -> Synthesis:
    """Speak ``text`` with eSpeak NG; return int16 samples (22 050 Hz) and phoneme/word events.

    ``rate`` is in words per minute (eSpeak's default 175), ``pitch`` 0–99 (default 50).
    """
    checks.text(text)
    eng = _engine()
    with eng.lock:
        eng.configure(voice, rate, pitch)
        eng._chunks, eng._events = [], []
        data = text.encode("utf-8")
        status = eng.lib.espeak_Synth(data, len(data) + 1, 0, 0, 0, _CHARS_UTF8, None, None)
        if status != 0:
            raise RuntimeError(f"espeak_Synth failed with status {status} for {text!r}")
        eng.lib.espeak_Synchronize()
        chunks, events = eng._chunks, eng._events
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
    phonemes = tuple(PhonemeEvent(name, s, pos) for kind, name, s, pos in events if kind == "p")
    words = tuple(WordEvent(pos, length, s) for kind, length, s, pos in events if kind == "w")
    return Synthesis(samples.astype(np.int16), eng.sample_rate, phonemes, words)


def phonemize(text: str, voice: str = "en-us", ipa: bool = False, separator: str = " ") -> str:
    """Grapheme-to-phoneme with eSpeak NG's rules and dictionary (``espeak_TextToPhonemes``).

    Returns eSpeak mnemonics (``ipa=False``, e.g. ``"h@l'oU w'3:ld"``) or IPA. With a one-character
    ``separator`` the phonemes of a word are joined by it (``"h @ l 'oU  w '3: l d"``: with a space,
    words are two spaces apart). eSpeak may join short words (``"of the"``) into one.
    """
    checks.text(text)
    if len(separator) > 1:
        raise ValueError(f"separator must be '' or one character, got {separator!r}")
    eng = _engine()
    mode = (0x02 if ipa else 0x00) | (ord(separator) << 8 if separator else 0)
    data = ctypes.create_string_buffer(text.encode("utf-8"))
    pointer = ctypes.c_void_p(ctypes.addressof(data))
    out = []
    with eng.lock:
        eng.configure(voice, 175, 50)
        while pointer.value:  # the call advances the pointer one clause at a time
            chunk = eng.lib.espeak_TextToPhonemes(ctypes.byref(pointer), _CHARS_UTF8, mode)
            if chunk:
                out.append(chunk.decode("utf-8", "replace").strip())
    joiner = "  " if separator == " " else " "  # words are two spaces apart when phonemes are one
    return joiner.join(part for part in out if part)


def _synthesize_job(args: tuple[str, str, int, int]) -> Synthesis:
    return synthesize(*args)


def synthesize_isolated(texts: list[str], voice: str = "en-us", rate: int = 175, pitch: int = 50,
                        jobs: int = 2) -> list[Synthesis]:
    """:func:`synthesize` each text in a fresh process, so that no result depends on another.

    libespeak-ng keeps state from one call to the next inside a process (its pitch "flutter"
    runs on), so the same sentence spoken twice differs by a few samples. A new process per
    sentence makes every utterance bit-reproducible, like one ``espeak-ng -w`` run per sentence.
    """
    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    ctx = mp.get_context(method)
    if method == "forkserver":  # children fork from a server that has already imported numpy
        ctx.set_forkserver_preload([__name__])
    with ctx.Pool(max(1, int(jobs)), maxtasksperchild=1) as pool:
        return pool.map(_synthesize_job, [(t, voice, rate, pitch) for t in texts], chunksize=1)
