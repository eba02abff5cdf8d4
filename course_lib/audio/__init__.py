"""Audio for the course (chapter 07): files, preprocessing, STFT, mel spectrograms, Griffin-Lim.

Everything Tacotron 2 and WaveGlow need comes from here with one :class:`AudioConfig`, so the
acoustic model and the vocoder always agree on the mel spectrogram.
"""

from .config import AudioConfig, config_problem
from .griffinlim import griffin_lim, griffin_lim_from_scratch, mel_to_audio, spectral_convergence
from .io import MAX_DURATION, load_audio, save_audio
from .mel import (
    dynamic_range_compression,
    dynamic_range_decompression,
    hz_to_mel,
    mel_filterbank,
    mel_spectrogram,
    mel_to_hz,
    mel_to_linear,
)
from .preprocess import (
    clipped_fraction,
    de_emphasis,
    loudness_normalize,
    peak,
    peak_normalize,
    pre_emphasis,
    resample,
    rms_db,
    to_mono,
)
from .stft import (
    WINDOWS,
    frame_signal,
    istft,
    istft_from_scratch,
    magnitude,
    padded_window,
    single_threaded,
    stft,
    stft_from_scratch,
    window,
)
from .synth import FORMANTS, chirp, sine, vowel

__all__ = [
    "AudioConfig", "FORMANTS", "MAX_DURATION", "WINDOWS", "chirp", "clipped_fraction",
    "config_problem", "de_emphasis", "dynamic_range_compression", "dynamic_range_decompression",
    "frame_signal", "griffin_lim", "griffin_lim_from_scratch", "hz_to_mel", "istft",
    "istft_from_scratch", "load_audio", "loudness_normalize", "magnitude", "mel_filterbank",
    "mel_spectrogram", "mel_to_audio", "mel_to_hz", "mel_to_linear", "padded_window", "peak",
    "peak_normalize", "pre_emphasis", "resample", "rms_db", "save_audio", "sine", "single_threaded",
    "spectral_convergence", "stft", "stft_from_scratch", "to_mono", "vowel", "window",
]
