"""Reading and writing audio files with clear errors for bad input (chapter 07).

:func:`load_audio` always returns mono float32 at the asked sample rate: several channels are
averaged (:func:`~course_lib.audio.preprocess.to_mono`), other rates are resampled
(:func:`~course_lib.audio.preprocess.resample`), clipping is reported with a warning, and files
longer than ``max_duration`` seconds are refused before they are decoded.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import soundfile as sf

from course_lib.checks import as_numpy_wave, integer

from .preprocess import SILENCE_PEAK, clipped_fraction, resample, to_mono

#: Default longest file :func:`load_audio` accepts, in seconds (TTS utterances are ~1–15 s).
MAX_DURATION = 600.0


def load_audio(path, sample_rate: int = 22050, max_duration: float | None = MAX_DURATION) -> np.ndarray:
    """Read ``path`` as mono float32 ``[samples]`` in [-1, 1] at ``sample_rate`` Hz.

    Stereo (or more channels) is averaged to mono; another file rate is resampled to
    ``sample_rate``. Raises ``FileNotFoundError`` for a missing file, ``ValueError`` for an empty,
    undecodable or sample-free file and for one longer than ``max_duration`` seconds
    (``None`` = no limit). Warns (``UserWarning``) if the file looks clipped or is all silence
    (a silent file is returned; :func:`~course_lib.audio.peak_normalize` then refuses it), and if a
    float file goes past full scale (it is scaled down by its peak, so the result stays in [-1, 1]).
    """
    sample_rate = integer(sample_rate, "sample_rate")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path (str or Path), got {type(path).__name__}.")
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"audio file {path} does not exist.")
    if path.is_dir():
        raise ValueError(f"{path} is a folder, not an audio file.")
    if path.stat().st_size == 0:
        raise ValueError(f"audio file {path} is empty (0 bytes); re-create or re-download it.")
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError) as err:
        raise ValueError(f"{path} could not be decoded as audio ({err}). Use a WAV, FLAC or OGG file; "
                         "convert other formats first (e.g. with ffmpeg).") from None
    if info.frames == 0 or info.samplerate <= 0:
        raise ValueError(f"audio file {path} has a header but no samples.")
    duration = info.frames / info.samplerate
    if max_duration is not None and duration > max_duration:
        raise ValueError(f"{path} lasts {duration:.1f} s, longer than max_duration={max_duration:g} s. "
                         "Split it into utterances, or pass a larger max_duration (or None) on purpose.")
    try:
        data, file_sr = sf.read(str(path), dtype="float32", always_2d=True)  # [samples, channels]
    except (sf.LibsndfileError, RuntimeError) as err:
        raise ValueError(f"{path} could not be decoded as audio ({err}).") from None
    if data.size == 0:
        raise ValueError(f"audio file {path} has a header but no samples.")
    if not np.all(np.isfinite(data)):
        raise ValueError(f"{path} contains NaN or infinite samples (a corrupt float file).")
    top = float(np.abs(data).max())
    if top > 1:  # only float files can go past full scale; nothing was cut off, so scale rather than clip
        over = float(np.mean(np.abs(data).max(axis=1) > 1))
        warnings.warn(f"{path} is a float file whose samples reach {top:.3f}, above full scale (1.0): "
                      f"{100 * over:.1f} % of them exceed it. It was scaled by 1/{top:.3f} into [-1, 1]; check the "
                      "gain of whatever wrote it.", UserWarning, stacklevel=2)
        data = data / top
    share = clipped_fraction(np.abs(data).max(axis=1))
    if share > 0:
        warnings.warn(f"{path} looks clipped: {100 * share:.2f} % of samples sit in flat runs at full scale. "
                      "Distortion will be learned as if it were speech; re-record or lower the gain.",
                      UserWarning, stacklevel=2)
    if np.abs(data).max() < SILENCE_PEAK:
        warnings.warn(f"{path} holds only silence (peak below {SILENCE_PEAK:g}); it is returned as is, "
                      "but it cannot be normalised and teaches a model nothing.", UserWarning, stacklevel=2)
    wave = to_mono(data)  # channels averaged
    return resample(wave, file_sr, sample_rate)


def save_audio(path, wave, sample_rate: int = 22050) -> Path:
    """Write mono ``wave [samples]`` (floats in [-1, 1]) to ``path`` atomically; format from the suffix.

    Written to a temporary file in the same folder, then moved into place with ``os.replace``, so a
    crash never leaves a half-written file (:mod:`course_lib.checkpoint`: a full disk is one
    ``WriteFailed`` line, the mode follows the umask or the replaced file, a symlink is written
    through). Values outside [-1, 1] are clipped with a warning.
    """
    sample_rate = integer(sample_rate, "sample_rate")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path (str or Path), got {type(path).__name__}.")
    x = as_numpy_wave(wave, "wave", min_samples=1)
    path = Path(path)
    fmt = sf.available_formats()
    suffix = path.suffix.lstrip(".").upper()
    if suffix not in fmt:
        raise ValueError(f"cannot tell the audio format from {path.name!r}; use a .wav, .flac or .ogg suffix.")
    peak = float(np.max(np.abs(x)))
    if peak > 1:
        warnings.warn(f"wave peaks at {peak:.3f} > 1 and is clipped when saved; normalise it first "
                      "(course_lib.audio.peak_normalize).", UserWarning, stacklevel=2)
        x = np.clip(x, -1.0, 1.0)
    from course_lib.checkpoint import _write_atomic  # the one atomic writer: modes, symlinks, full disks

    # soundfile writes by name into the temporary that _write_atomic opened (its file-object mode cannot
    # report a full disk); the writer then fsyncs that same file and renames it into place
    def write(handle):
        try:
            sf.write(handle.path, x.astype(np.float32), sample_rate, format=suffix)
        except sf.LibsndfileError as err:  # libsndfile says only "System error." when the disk is full
            raise OSError(f"libsndfile: {err}") from err

    _write_atomic(path, write)
    return path
