"""Text → speech: the text front end, Tacotron 2 and WaveGlow (or Griffin-Lim) chained (chapter 15).

::

    speech = speak("Printing, in the only sense with which we are concerned.")
    speech.audio, speech.sample_rate, speech.alignment  # float32 [samples], Hz, [steps, symbols]

1. ``course_lib.text`` cleans the text and maps it to NVIDIA's 148 symbol ids;
2. Tacotron 2 predicts a mel spectrogram one decoder step at a time until its stop token fires.
   Text is spoken one sentence at a time (very long sentences are cut further at commas by
   :func:`course_lib.tts.tacotron2.text_to_mel`) and the mels are concatenated, because attention
   trained on single sentences drifts, skips or repeats on longer input;
3. the course Tacotron 2 is trained on *per-channel normalised* mels
   (:class:`course_lib.tts.tacotron2.train.MelNormalizer`), so its output is un-normalised back to natural-log
   mels here — the exact representation WaveGlow and Griffin-Lim were given (one
   :class:`~course_lib.audio.AudioConfig` for all three; a mismatch is refused);
4. WaveGlow turns the mel into audio by running its flow backwards from noise z ~ N(0, σ²)
   (Prenger et al. 2018), or Griffin-Lim (Griffin & Lim 1984) estimates a phase for the
   pseudo-inverted linear spectrogram.

The shipped course checkpoints in ``assets/tacotron2`` and ``assets/waveglow`` are loaded by default
and cached; a checkpoint path (course or NVIDIA format) or a loaded model may be given instead.
"""

from __future__ import annotations

import dataclasses
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from course_lib import checks, settings
from course_lib.audio import AudioConfig, mel_to_audio
from course_lib.text import split_text
from course_lib.tts.tacotron2 import Tacotron2, text_to_mel
from course_lib.tts.tacotron2.train.data import MelNormalizer
from course_lib.tts.waveglow.model import WaveGlow

__all__ = ["VOCODERS", "TACOTRON2_ASSET", "WAVEGLOW_ASSET", "AcousticModel", "Speech", "load_tacotron2",
           "load_vocoder", "check_speakable", "acoustic_mel", "vocode", "speak", "clear_cache"]

#: the first is the default: the best measured on the test set (benchmarks/RESULTS.md, vocoder-quality)
VOCODERS = ("harmonic-noise", "waveglow", "griffin-lim")
#: The shipped checkpoints, relative to ``settings.ASSETS``.
TACOTRON2_ASSET = ("tacotron2", "tacotron2_course.pt")
WAVEGLOW_ASSET = ("waveglow", "waveglow_course.pt")

_CACHE: dict[tuple, object] = {}


@dataclass(frozen=True)
class AcousticModel:
    """A Tacotron 2 ready to speak: the model, the mel normalisation it was trained with, the audio config."""

    model: Tacotron2
    normalizer: MelNormalizer
    audio_config: AudioConfig
    source: str

    @classmethod
    def wrap(cls, model: Tacotron2, normalizer: MelNormalizer | None = None,
             audio_config: AudioConfig | None = None) -> "AcousticModel":
        """A loaded model; without ``normalizer`` it must predict raw log-mels (as NVIDIA's does)."""
        if not isinstance(model, Tacotron2):
            raise TypeError(f"expected a Tacotron2, got {type(model).__name__}")
        n_mels = model.config.n_mel_channels
        return cls(model.eval(), normalizer or MelNormalizer.identity(n_mels),
                   audio_config or AudioConfig(n_mels=n_mels), "in memory")


class Speech(NamedTuple):
    """Everything :func:`speak` produced."""

    audio: np.ndarray  # [samples] float32 in [-1, 1]
    sample_rate: int
    alignment: np.ndarray  # [decoder_steps, symbols]; chunks are placed block-diagonally
    mel: torch.Tensor  # [n_mels, frames] natural-log mel, un-normalised (what the vocoder heard)
    chunks: list[str]  # the text of each chunk spoken on its own
    hit_max_steps: list[bool]  # True where a chunk never produced its stop token
    seconds: dict  # compute time: {"tacotron2": s, "vocoder": s}


# ---------------------------------------------------------------------------- loading (cached)
def _device(device) -> torch.device:
    try:
        return settings.device(str(device)) if device is not None else torch.device("cpu")
    except RuntimeError as err:
        raise ValueError(str(err)) from None


def _key(kind: str, path: Path, device: torch.device) -> tuple:
    stat = path.stat()
    return kind, str(path.resolve()), stat.st_mtime_ns, stat.st_size, str(device)


def _default_path(asset: tuple[str, str], what: str, hint: str) -> Path:
    path = settings.ASSETS.joinpath(*asset)
    if not path.is_file():
        raise FileNotFoundError(f"the shipped {what} checkpoint {path} is missing; {hint}")
    return path


def load_tacotron2(source=None, device="cpu") -> AcousticModel:
    """The shipped course Tacotron 2 (``source=None``), a checkpoint path (a course training checkpoint,
    an exported course model, or NVIDIA's ``tacotron2_statedict.pt``), a :class:`Tacotron2`, or an
    :class:`AcousticModel`. Files are loaded once per (path, modification time, device) and cached."""
    device = _device(device)
    if isinstance(source, AcousticModel):
        return source if next(source.model.parameters()).device == device else \
            AcousticModel(source.model.to(device), source.normalizer, source.audio_config, source.source)
    if isinstance(source, Tacotron2):
        return AcousticModel.wrap(source.to(device))
    if source is None:
        source = _default_path(TACOTRON2_ASSET, "Tacotron 2", "train and export one with `python -m "
                               "course_lib.tts.tacotron2.train --out runs/tacotron2 --export assets/tacotron2`")
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"tacotron must be None, a checkpoint path, a Tacotron2 or an AcousticModel, "
                        f"got {type(source).__name__}")
    path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(f"no Tacotron 2 checkpoint at {path}; check the path")
    key = _key("tacotron2", path, device)
    if key not in _CACHE:
        _CACHE[key] = _load_tacotron2_file(path, device)
    return _CACHE[key]


def _load_tacotron2_file(path: Path, device: torch.device) -> AcousticModel:
    from course_lib.checkpoint import load_checkpoint
    from course_lib.tts.nvidia import load_nvidia_tacotron2
    from course_lib.tts.tacotron2.train.checkpoints import audio_config_of, load_model

    payload = load_checkpoint(path)
    if "format" in payload:  # load_model refuses missing mel stats and an audio_config that contradicts the model
        model, normalizer, payload = load_model(path, device=device)
        config = audio_config_of(payload, path) if "audio_config" in payload else AudioConfig()
        return AcousticModel(model, normalizer, config, str(path))
    if "state_dict" in payload:  # NVIDIA's tacotron2_statedict.pt: raw log-mels
        model = load_nvidia_tacotron2(payload, device=device)
        _refuse_course_shapes(model.config, path)
        return dataclasses.replace(AcousticModel.wrap(model), source=str(path))
    raise ValueError(f"{path} is neither a course Tacotron 2 checkpoint nor NVIDIA's tacotron2_statedict.pt")


#: Fields a Tacotron 2's weight shapes show (what :func:`tacotron2_config_from_state_dict` reads back).
_SHAPE_FIELDS = ("n_symbols", "symbols_embedding_dim", "encoder_embedding_dim", "encoder_n_convolutions",
                 "encoder_kernel_size", "n_mel_channels", "prenet_dim", "attention_rnn_dim", "decoder_rnn_dim",
                 "attention_dim", "attention_location_n_filters", "attention_location_kernel_size",
                 "postnet_embedding_dim", "postnet_kernel_size", "postnet_n_convolutions")


def _refuse_course_shapes(config, path: Path) -> None:
    """An NVIDIA-style ``{"state_dict": ...}`` holding a course-preset model lost its mel statistics: the
    course model predicts normalised mels, and read as raw log-mels they give wrong audio."""
    from course_lib.tts.tacotron2 import Tacotron2Config

    course = Tacotron2Config.course()
    if all(getattr(config, f) == getattr(course, f) for f in _SHAPE_FIELDS):
        raise ValueError(f"{path} wraps a course-preset Tacotron 2 as an NVIDIA state dict, without its mel "
                         "statistics (the course model predicts normalised mels, so its audio would be wrong). "
                         "Load the course checkpoint itself (runs/.../checkpoint.pt or its export), which keeps "
                         "'mel_stats'.")


def _fast_bf16_cpu() -> bool:
    """True on x86 CPUs with AVX-512 BF16 or AMX, where bfloat16 convolutions are several times faster."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as f:
            flags = next((line for line in f if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def load_vocoder(source=None, device="cpu", precision: str = "auto") -> WaveGlow:
    """The shipped course WaveGlow (``source=None``), a checkpoint path (course format, or NVIDIA's pickled
    ``waveglow_*.pt``, read without running its code), or a :class:`WaveGlow`. Ready for inference; cached.

    ``precision``: "fp32", "bf16" (the WN coupling networks in bfloat16, the invertible algebra in float32:
    audio within ~50 dB SNR of float32), or "auto" = bf16 on CPUs with AVX-512 BF16/AMX, else fp32.
    """
    device = _device(device)
    if precision not in ("auto", "fp32", "bf16"):
        raise ValueError(f"precision must be auto, fp32 or bf16, got {precision!r}")
    if precision == "auto":
        precision = "bf16" if device.type == "cpu" and _fast_bf16_cpu() else "fp32"
    if isinstance(source, WaveGlow):
        return source.to(device).eval()
    if source is None:
        source = _default_path(WAVEGLOW_ASSET, "WaveGlow", "use --vocoder griffin-lim, or train and export one "
                               "with `python -m course_lib.tts.waveglow.train`")
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"waveglow must be None, a checkpoint path or a WaveGlow, got {type(source).__name__}")
    path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(f"no WaveGlow checkpoint at {path}; check the path")
    key = (*_key("waveglow", path, device), precision)
    if key not in _CACHE:
        model = _load_waveglow_file(path)
        dtype = torch.bfloat16 if precision == "bf16" else torch.float32
        _CACHE[key] = model.to(device).prepare_for_inference(dtype)
    return _CACHE[key]


def _load_waveglow_file(path: Path) -> WaveGlow:
    from course_lib.checkpoint import load_checkpoint
    from course_lib.tts.nvidia import load_nvidia_waveglow
    from course_lib.tts.waveglow.checkpoint import load_waveglow

    try:
        payload = load_checkpoint(path)  # weights only: a course checkpoint, or a clean ValueError
    except ValueError:
        payload = None
    if isinstance(payload, dict) and "model" in payload and "config" in payload:
        return load_waveglow(path, for_inference=False)
    try:  # not the course format: maybe NVIDIA's pickled module
        return load_nvidia_waveglow(path, for_inference=False)
    except ValueError as err:
        raise ValueError(f"{path} is neither a course WaveGlow checkpoint (a dict with 'model' and 'config') "
                         f"nor NVIDIA's pickled WaveGlow: {str(err).splitlines()[0]}") from None


def clear_cache() -> None:
    """Forget every loaded model (they are reloaded on the next call)."""
    _CACHE.clear()


# ---------------------------------------------------------------------------- the three stages
def check_speakable(text: str, acoustic: "AcousticModel") -> list[int]:
    """``text``'s symbol ids, refused (``ValueError``) if they hold characters the front end cannot map, or
    ``{ARPAbet}`` phonemes whose embedding rows the model never trained (all zero: a model trained on
    letters only, like the course one, would mumble them)."""
    from course_lib.text import SYMBOLS, text_to_sequence

    ids = text_to_sequence(text)
    phonemes = sorted({i for i in ids if SYMBOLS[i].startswith("@")})
    if phonemes:
        norms = acoustic.model.embedding.weight.detach().float().norm(dim=1)
        letters = norms[[SYMBOLS.index(c) for c in "abcdefghijklmnopqrstuvwxyz"]].median()
        untrained = [SYMBOLS[i][1:] for i in phonemes if norms[i] <= 1e-3 * letters]  # zero, or decayed to ~0
        if untrained:
            raise ValueError(f"the Tacotron 2 {acoustic.source} was trained without ARPAbet: the embeddings of "
                             f"{', '.join(untrained)} are (near) zero, never trained, so {{...}} phonemes would not be "
                             "spoken. Write those words in letters, or use a model trained with ARPAbet input.")
    return ids


def acoustic_mel(text: str, acoustic: "AcousticModel", max_chars: int | None = None):
    """Tacotron 2 on ``text``, one sentence at a time →
    ``(log_mel [n_mels, frames], alignment, chunks, hit_max_steps)``.

    Sentences longer than ``max_chars`` are cut further at commas and spaces. The mel is
    un-normalised (natural log, the vocoder's input); ``alignment`` places each chunk's
    ``[steps, symbols]`` attention block-diagonally in one ``[all steps, all symbols]`` array.
    """
    mels, blocks, chunks, hit = [], [], [], []
    with torch.inference_mode():
        for sentence in split_text(text):
            out = text_to_mel(acoustic.model, sentence, max_chars=max_chars)
            mels.append(out.mel.float().cpu())
            blocks += [a.float().cpu().numpy() for a in out.alignments]
            chunks += out.chunks
            hit += out.hit_max_steps
        mel = acoustic.normalizer.denormalize(torch.cat(mels, dim=1))  # undo the training's per-channel stats
    alignment = np.zeros((sum(b.shape[0] for b in blocks), sum(b.shape[1] for b in blocks)), dtype=np.float32)
    row = col = 0
    for b in blocks:
        alignment[row:row + b.shape[0], col:col + b.shape[1]] = b
        row, col = row + b.shape[0], col + b.shape[1]
    return mel, alignment, chunks, hit


def vocode(log_mel, vocoder: str | None = None, waveglow=None, sigma: float = 0.6, device="cpu",
           audio_config: AudioConfig = AudioConfig(), griffin_lim_iters: int = 32,
           generator: torch.Generator | None = None) -> np.ndarray:
    """Natural-log mel ``[n_mels, frames]`` → float32 audio ``[frames · hop]`` with the harmonic-plus-noise
    synthesizer (F0 from the shipped predictor, :mod:`~course_lib.tts.waveglow.harmonic_noise`), WaveGlow or
    Griffin-Lim. ``vocoder=None``: "waveglow" when ``waveglow`` is given, else ``VOCODERS[0]``."""
    vocoder = _choose_vocoder(vocoder, waveglow)
    if not isinstance(log_mel, (torch.Tensor, np.ndarray)):
        raise TypeError(f"log_mel must be a tensor or array [n_mels, frames], got {type(log_mel).__name__}")
    if log_mel.dtype in (torch.complex64, torch.complex128) or (isinstance(log_mel, np.ndarray)
                                                               and log_mel.dtype.kind not in "iuf"):
        raise TypeError(f"log_mel must hold real numbers (natural-log magnitudes), got dtype {log_mel.dtype}")
    log_mel = torch.as_tensor(log_mel).float()
    if log_mel.dim() != 2 or log_mel.shape[0] != audio_config.n_mels:
        raise ValueError(f"log_mel must be [{audio_config.n_mels}, frames], got {tuple(log_mel.shape)}")
    if not torch.isfinite(log_mel).all():
        raise ValueError("log_mel contains NaN or inf; log-mels must be finite (clamp before the log)")
    if vocoder == "griffin-lim":
        return np.asarray(mel_to_audio(log_mel, audio_config, n_iter=griffin_lim_iters), dtype=np.float32)
    cpu_generator = generator if generator is not None and generator.device.type == "cpu" else None
    if vocoder == "harmonic-noise":
        from course_lib.tts.waveglow.harmonic_noise import harmonic_plus_noise

        return harmonic_plus_noise(log_mel, _f0_predictor().predict(log_mel[None])[0], generator=cpu_generator,
                                   audio_config=audio_config)
    if isinstance(sigma, bool) or not isinstance(sigma, (int, float)) or not np.isfinite(sigma) or sigma < 0:
        raise ValueError(f"sigma must be a finite number >= 0 (0.6 is typical), got {sigma!r}")
    model = load_vocoder(waveglow, device)
    cfg = model.config
    if (cfg.n_mel_channels, cfg.hop_length) != (audio_config.n_mels, audio_config.hop_length):
        raise ValueError(f"the WaveGlow expects {cfg.n_mel_channels} mel bands with hop {cfg.hop_length}, but the "
                         f"mels have {audio_config.n_mels} with hop {audio_config.hop_length}: the acoustic model and "
                         "the vocoder must share one AudioConfig")
    param = next(model.parameters())
    extra = {}
    if cfg.excitation:  # a source-filter WaveGlow: its pitch clock from the F0 the mel implies, any phase
        from course_lib.tts.waveglow.excitation import excitation

        f0 = _f0_predictor().predict(log_mel[None])
        extra["excitation"] = excitation(f0, log_mel.shape[1] * cfg.hop_length, cfg.hop_length,
                                         audio_config.sample_rate, generator=cpu_generator).to(param.device)
    with torch.inference_mode():
        audio = model.infer(log_mel[None].to(param.device), sigma=float(sigma), generator=generator, **extra)[0]
    return audio.float().cpu().numpy()


def _choose_vocoder(vocoder, waveglow) -> str:
    if vocoder is None:
        return "waveglow" if waveglow is not None else VOCODERS[0]
    if vocoder not in VOCODERS:
        raise ValueError(f"vocoder must be one of {VOCODERS}, got {vocoder!r}")
    return vocoder


def _f0_predictor():
    """The shipped mel → F0 predictor (:mod:`course_lib.tts.waveglow.f0_predictor`), loaded once."""
    from course_lib.tts.waveglow.f0_predictor import SHIPPED_NAME, load_f0_predictor

    key = ("f0_predictor",)
    if key not in _CACHE:
        _CACHE[key] = load_f0_predictor(_default_path(("waveglow", SHIPPED_NAME), "F0 predictor",
                                                      "use --vocoder griffin-lim, or train and export one "
                                                      "(python -m course_lib.tts.waveglow.f0_predictor --help)"))
    return _CACHE[key]


def speak(text: str, *, vocoder: str | None = None, sigma: float = 0.6, device="cpu", tacotron=None,
          waveglow=None, seed: int | None = None, max_chars: int | None = None,
          griffin_lim_iters: int = 32) -> Speech:
    """Speak ``text`` → :class:`Speech`: audio (float32 [samples]), sample rate, alignment
    ([decoder_steps, symbols]) and everything else it computed (mel, chunks, timings).

    ``vocoder``: "harmonic-noise", "waveglow" (σ = ``sigma``) or "griffin-lim"; None: "waveglow" when
    ``waveglow`` is given, else the default ``VOCODERS[0]``; ``tacotron``/``waveglow``: None for the
    shipped course checkpoints, a checkpoint path, or a loaded model (see :func:`load_tacotron2`,
    :func:`load_vocoder`). Long text is spoken sentence by sentence and concatenated. ``seed`` fixes
    the prenet dropout and WaveGlow's noise (both are random at inference), so a seed gives the same audio.
    """
    checks.text(text)
    vocoder = _choose_vocoder(vocoder, waveglow)
    acoustic = load_tacotron2(tacotron, device)
    check_speakable(text, acoustic)
    if vocoder == "waveglow":
        load_vocoder(waveglow, device)  # fail before the slow part if it is missing
    elif vocoder == "harmonic-noise":
        _f0_predictor()
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(seed)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*max_decoder_steps.*")  # reported in hit_max_steps
            mel, alignment, chunks, hit = acoustic_mel(text, acoustic, max_chars)
        middle = time.perf_counter()
        generator = None if seed is None else torch.Generator(device=_device(device)).manual_seed(seed)
        audio = vocode(mel, vocoder, waveglow, sigma, device, acoustic.audio_config, griffin_lim_iters, generator)
        end = time.perf_counter()
    peak = float(np.abs(audio).max()) if audio.size else 0.0
    if not np.isfinite(peak):
        raise RuntimeError("the vocoder produced NaN/inf samples; try a smaller sigma or the other vocoder")
    if peak > 1.0:  # an under-trained flow can overshoot; scale rather than clip
        audio = audio * (0.99 / peak)
    return Speech(audio.astype(np.float32), acoustic.audio_config.sample_rate, alignment, mel, chunks, hit,
                  {"tacotron2": middle - start, "vocoder": end - middle})

