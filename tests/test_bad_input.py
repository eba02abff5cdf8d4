"""Bad input at the public entry points: one clear error, raised by course_lib, nothing half-written.

Each row of a table below is one bad input. The guarantee checked for every row
(:func:`assert_clear_error`): the exception is a ``ValueError``/``TypeError`` (or the
``FileNotFoundError``/``IsADirectoryError`` of a missing path), it is raised from course_lib code
(the traceback's last frame, or the message when a builtin raised it inside course_lib), its message
names the problem, and it does not read like a torch/numpy internal error. Rows whose entry point
does not give that guarantee yet are marked ``xfail(strict=True)`` with the exact fix in the reason
(:data:`GAPS`); fixing the library turns them into failures until the mark is removed.

Many modules have their own bad-input tests (tests/test_text.py, test_audio*.py, test_tacotron2.py,
test_waveglow.py, test_pipeline.py, ...); the rows here cover what those leave out and the
cross-cutting guarantees. Checkpoint files: tests/test_bad_input_checkpoints.py; configs:
tests/test_bad_input_configs.py; CLIs: tests/test_bad_input_cli.py; widgets: tests/test_bad_input_widgets.py;
any-array properties: tests/test_bad_input_properties.py.
"""

from __future__ import annotations

import re
import traceback
from pathlib import Path

import numpy as np
import pytest
import torch

pytestmark = pytest.mark.filterwarnings("ignore:Detected pickle protocol")

#: Messages that come from torch/numpy/Python internals rather than from a course_lib check.
INTERNAL = re.compile(
    r"c10::|at::|aten::|Expected size|expected m1|mat1 and mat2|new\(\): |invalid data type|could not convert"
    r"|has no attribute|not subscriptable|unsupported operand|not supported between instances|Weights only load"
    r"|PytorchStreamReader|miniz|Error\(s\) in loading state_dict|size mismatch for|Trying to resize"
    r"|object is not iterable|must be real number, not|invalid literal for"
    r"|Given groups=|Expected \d+D|Expected input batch_size|only integer tensors|is not implemented for"
    r"|Input type \(|Memo value not found|Ran out of input|^\d+$|^$")

ERRORS = (ValueError, TypeError)
PATH_ERRORS = (ValueError, TypeError, FileNotFoundError, IsADirectoryError)


def raised_in_course_lib(err: BaseException) -> bool:
    """True when the last traceback frame is course_lib code (a builtin it called counts as course_lib)."""
    frames = traceback.extract_tb(err.__traceback__)
    return bool(frames) and "course_lib" in Path(frames[-1].filename).parts


def assert_clear_error(err: BaseException, words: tuple[str, ...] = (), types=ERRORS) -> None:
    """The guarantee every bad input gets: see the module docstring."""
    message = str(err)
    assert isinstance(err, types), f"{type(err).__name__}: {message}"
    assert raised_in_course_lib(err), (
        f"raised outside course_lib ({traceback.extract_tb(err.__traceback__)[-1].filename}): {message}")
    assert not INTERNAL.search(message), f"reads like an internal error: {message!r}"
    for word in words:
        assert word.lower() in message.lower(), f"{word!r} not in {message!r}"


def expect_clear_error(call, words=(), types=ERRORS) -> BaseException:
    with pytest.raises(Exception) as info:
        call()
    assert_clear_error(info.value, tuple(words), types)
    return info.value


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


#: id → the fix the library needs before that row can pass (the rows stay xfail(strict) until then).
GAPS = {
}


def case(id_: str, call, words=(), types=ERRORS):
    """One table row; rows named in :data:`GAPS` are expected to fail until the library is fixed."""
    marks = [pytest.mark.xfail(strict=True, reason=GAPS[id_])] if id_ in GAPS else []
    return pytest.param(call, tuple(words), types, id=id_, marks=marks)


# ============================================================================ text
def _text_cases():
    from course_lib.text import cardinal, clean_text, expand_numbers, sequence_to_text, text_to_sequence
    from course_lib.tts.tacotron2 import encode_text, split_sentences

    return [
        case("clean_text:bytes", lambda: clean_text(b"hello"), ["str"]),
        case("clean_text:None", lambda: clean_text(None), ["str"]),
        case("clean_text:unknown-cleaner", lambda: clean_text("hi", "klingon"), ["klingon"]),
        case("clean_text:cleaners-int", lambda: clean_text("hi", 5), ["cleaner"]),
        case("text_to_sequence:list", lambda: text_to_sequence(["a", "b"]), ["str"]),
        case("text_to_sequence:emoji", lambda: text_to_sequence("hi 🙂"), ["U+1F642"]),
        case("text_to_sequence:only-spaces", lambda: text_to_sequence("   \t "), ["empty"]),
        case("text_to_sequence:unbalanced-brace", lambda: text_to_sequence("a } b"), ["curly"]),
        case("text_to_sequence:bad-arpabet", lambda: text_to_sequence("{HH XX}"), ["ARPAbet"]),
        # issue #17.2: a slash the cleaners cannot read (not a date, fraction or word/word) is still refused
        case("text_to_sequence:url-slashes", lambda: text_to_sequence("see http://x"), ["U+002F", "cleaners"]),
        case("text_to_sequence:double-slash", lambda: text_to_sequence("either // or"), ["U+002F"]),
        case("sequence_to_text:out-of-range", lambda: sequence_to_text([3, 999]), ["999"]),
        case("sequence_to_text:negative", lambda: sequence_to_text([-1]), ["-1"]),
        case("sequence_to_text:str-ids", lambda: sequence_to_text(["a"]), ["id"]),
        case("sequence_to_text:None", lambda: sequence_to_text(None), ["ids"]),
        case("encode_text:None", lambda: encode_text(None), ["str"]),
        case("encode_text:chinese", lambda: encode_text("你好"), ["U+4F60"]),
        case("split_sentences:max_chars-0", lambda: split_sentences("a b", 0), ["max_chars"]),
        case("split_sentences:huge-word", lambda: split_sentences("a " + "x" * 50, 10), ["max_chars"]),
        case("cardinal:negative-or-float", lambda: cardinal(1.5), []),
        case("expand_numbers:None", lambda: expand_numbers(None), []),
    ]


@pytest.mark.parametrize("call, words, types", _text_cases())
def test_text_front_end(call, words, types):
    expect_clear_error(call, words, types)


# ============================================================================ audio files
def _audio_file_cases():
    from course_lib.audio import load_audio, save_audio

    def folder(tmp):
        return load_audio(tmp)

    good = np.zeros(2205, dtype=np.float32)
    return [
        case("load_audio:folder", folder, ["folder"], PATH_ERRORS),
        case("load_audio:missing", lambda tmp: load_audio(tmp / "nope.wav"), ["does not exist"], PATH_ERRORS),
        case("load_audio:None", lambda tmp: load_audio(None), ["path"]),
        case("load_audio:int-path", lambda tmp: load_audio(3), ["path"]),
        case("load_audio:text-file", lambda tmp: load_audio(tmp / "notes.wav"), ["decoded"]),
        case("load_audio:sample_rate-0", lambda tmp: load_audio(_wav(tmp), sample_rate=0), ["sample_rate"]),
        case("load_audio:sample_rate-str", lambda tmp: load_audio(_wav(tmp), sample_rate="22050"), ["sample_rate"]),
        case("load_audio:max_duration-negative", lambda tmp: load_audio(_wav(tmp), max_duration=-1),
             ["max_duration"]),
        case("save_audio:folder", lambda tmp: save_audio(tmp, good), ["suffix"], PATH_ERRORS),
        case("save_audio:txt", lambda tmp: save_audio(tmp / "a.txt", good), ["suffix"]),
        case("save_audio:nan", lambda tmp: save_audio(tmp / "a.wav", np.full(10, np.nan)), ["NaN"]),
        case("save_audio:sample_rate-0", lambda tmp: save_audio(tmp / "a.wav", good, 0), ["sample_rate"]),
        case("save_audio:2-D", lambda tmp: save_audio(tmp / "a.wav", np.zeros((3, 4, 5))), ["shape"]),
    ]


def _wav(tmp: Path) -> Path:
    """A valid ``ok.wav`` and a text file ``notes.wav`` in ``tmp``."""
    from course_lib.audio import save_audio

    path = tmp / "ok.wav"
    if not path.exists():
        save_audio(path, np.zeros(2205, dtype=np.float32))
        (tmp / "notes.wav").write_text("these are notes, not audio")
    return path


@pytest.mark.parametrize("call, words, types", _audio_file_cases())
def test_audio_files(tmp_path, call, words, types):
    _wav(tmp_path)
    before = files_under(tmp_path)
    expect_clear_error(lambda: call(tmp_path), words, types)
    assert files_under(tmp_path) == before, "a failed call left files behind"


# ============================================================================ mels (features and models)
TINY_TACOTRON = dict(symbols_embedding_dim=16, encoder_embedding_dim=16, prenet_dim=16, attention_rnn_dim=24,
                     decoder_rnn_dim=24, attention_dim=8, attention_location_n_filters=4,
                     attention_location_kernel_size=5, postnet_embedding_dim=16, n_mel_channels=8,
                     n_frames_per_step=2, max_decoder_steps=20)
_MODELS: dict[str, torch.nn.Module] = {}


def tiny_tacotron2():
    from course_lib.tts.tacotron2 import Tacotron2, Tacotron2Config

    if "tacotron2" not in _MODELS:
        torch.manual_seed(0)
        _MODELS["tacotron2"] = Tacotron2(Tacotron2Config(**TINY_TACOTRON))
    return _MODELS["tacotron2"]


def tiny_waveglow():
    from course_lib.tts.waveglow.config import WaveGlowConfig
    from course_lib.tts.waveglow.model import WaveGlow

    if "waveglow" not in _MODELS:
        torch.manual_seed(0)
        _MODELS["waveglow"] = WaveGlow(WaveGlowConfig(n_mel_channels=8, upsample_kernel=256, n_flows=4,
                                                      n_early_every=2, wn_layers=2, wn_channels=8,
                                                      segment_length=512))
    return _MODELS["waveglow"]


def _forward(mels, mel_lengths=None, text=None):
    text = torch.tensor([[3, 4, 5, 6]]) if text is None else text
    if mel_lengths is None:
        mel_lengths = [mels.shape[-1]] * (mels.shape[0] if getattr(mels, "ndim", 0) == 3 else 1) \
            if hasattr(mels, "shape") else [6]
    return tiny_tacotron2()(text, [text.shape[1]] * text.shape[0], mels, mel_lengths)


def _vocode(mel, vocoder="griffin-lim"):
    from course_lib.audio import AudioConfig
    from course_lib.tts.pipeline import vocode

    return vocode(mel, vocoder, waveglow=tiny_waveglow(), audio_config=AudioConfig(n_mels=8),
                  griffin_lim_iters=1)


def _mel_cases():
    from course_lib.audio import AudioConfig, griffin_lim, mel_spectrogram, mel_to_audio, mel_to_linear
    from course_lib.tts.waveglow.denoiser import Denoiser

    small = AudioConfig(n_mels=8)
    nan = torch.full((1, 8, 6), float("nan"))
    return [
        # the features themselves (tests/test_audio.py covers shapes, NaN, dtype of the wave)
        case("mel_spectrogram:config-str", lambda: mel_spectrogram(np.zeros(2048), "22050"), ["AudioConfig"]),
        case("mel_spectrogram:list-of-str", lambda: mel_spectrogram(["a"] * 2048), ["numbers"]),
        case("mel_spectrogram:object-array", lambda: mel_spectrogram(np.array([None] * 2048)), ["numbers"]),
        case("mel_to_linear:wrong-bands", lambda: mel_to_linear(np.zeros((5, 4)), small), ["n_mels"]),
        case("mel_to_linear:nan", lambda: mel_to_linear(np.full((8, 4), np.nan), small), ["NaN"]),
        case("mel_to_audio:str", lambda: mel_to_audio("mel", small, n_iter=1), ["mel"]),
        case("mel_to_audio:complex", lambda: mel_to_audio(np.zeros((8, 4), complex), small, n_iter=1), ["real"]),
        case("griffin_lim:negative-magnitude", lambda: griffin_lim(-np.ones((513, 4)), n_iter=1), ["≥ 0"]),
        # Tacotron 2 teacher forcing (tests/test_tacotron2.py covers r and the text side)
        case("tacotron2.forward:nan-mels", lambda: _forward(nan), ["NaN"]),
        case("tacotron2.forward:int-mels", lambda: _forward(torch.zeros(1, 8, 6, dtype=torch.long)), ["float"]),
        case("tacotron2.forward:complex-mels", lambda: _forward(torch.zeros(1, 8, 6, dtype=torch.complex64)),
             ["float"]),
        case("tacotron2.forward:numpy-mels", lambda: _forward(np.zeros((1, 8, 6), np.float32)), ["tensor"]),
        case("tacotron2.forward:wrong-bands", lambda: _forward(torch.zeros(1, 5, 6)), ["8"]),
        case("tacotron2.forward:batch-mismatch", lambda: _forward(torch.zeros(2, 8, 6)), ["batch"]),
        case("tacotron2.forward:mel-lengths-too-long", lambda: _forward(torch.zeros(1, 8, 6), [9]), ["mel_lengths"]),
        # WaveGlow (tests/test_waveglow.py covers shapes, NaN, empty, sigma)
        case("waveglow.infer:complex-mel", lambda: tiny_waveglow().infer(torch.zeros(1, 8, 2, dtype=torch.complex64)),
             ["complex"]),
        case("waveglow.forward:nan-audio", lambda: tiny_waveglow()(torch.zeros(1, 8, 2), torch.full((1, 512), np.nan)),
             ["NaN"]),
        case("denoiser:nan-audio", lambda: Denoiser(tiny_waveglow())(torch.full((2048,), np.nan)), ["NaN"]),
        case("denoiser:too-few-frames", lambda: Denoiser(tiny_waveglow(), n_frames=2), ["n_frames"]),
        # the pipeline's vocoder stage
        case("pipeline.vocode:str", lambda: _vocode("mel"), ["log_mel"]),
        case("pipeline.vocode:complex", lambda: _vocode(np.zeros((8, 4), complex)), ["real"]),
        case("pipeline.vocode:nan-griffin-lim", lambda: _vocode(np.full((8, 4), np.nan)), ["NaN"]),
        case("pipeline.vocode:nan-waveglow", lambda: _vocode(np.full((8, 4), np.nan), "waveglow"), ["NaN"]),
        case("pipeline.vocode:3-D", lambda: _vocode(np.zeros((1, 8, 4))), ["[8, frames]"]),
        case("pipeline.vocode:unknown-vocoder", lambda: _vocode(np.zeros((8, 4)), "wavenet"), ["vocoder"]),
        # scoring synthesised speech (chapter 15)
        case("mel_cepstral_distortion:band-mismatch",
             lambda: _speech().mel_cepstral_distortion(np.random.default_rng(0).normal(size=(80, 5)),
                                                         np.random.default_rng(1).normal(size=(40, 5))), ["bands"]),
        case("mel_cepstral_distortion:str", lambda: _speech().mel_cepstral_distortion("a", np.zeros((80, 5))),
             ["log mel"]),
        case("mel_cepstral_distortion:nan", lambda: _speech().mel_cepstral_distortion(np.full((80, 5), np.nan),
                                                                                        np.zeros((80, 5))), ["NaN"]),
        case("stoi:too-short", lambda: _vocoder().stoi(np.zeros(22050), np.zeros(100)), ["samples"]),
        case("pesq:nan", lambda: _vocoder().pesq_wb(np.full(22050, np.nan), np.zeros(22050)), ["NaN"]),
    ]


def _speech():
    from course_lib.tts.metrics import speech

    return speech


def _vocoder():
    from course_lib.tts.metrics import vocoder

    return vocoder


@pytest.mark.parametrize("call, words, types", _mel_cases())
def test_mels_into_features_and_models(call, words, types):
    expect_clear_error(call, words, types)
