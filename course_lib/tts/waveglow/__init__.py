"""WaveGlow (Prenger, Valle & Catanzaro 2018): config, model, denoiser, training (chapter 14).

``WaveGlowConfig.paper()`` is NVIDIA's published model (87,879,272 parameters, NVIDIA's module
names); ``WaveGlowConfig.course()`` is the CPU-sized preset of the shipped checkpoint: each flow
conditioned from frame-rate mels, optionally with a source excitation (``source_filter.py``,
``excitation.py``); ``course(conditioning="upsampled")`` is its size in NVIDIA's layout. Build any
config with ``build_waveglow``.
Train with ``python -m course_lib.tts.waveglow.train --out runs/waveglow --minutes 60``.
"""

from .checkpoint import load_waveglow
from .config import WaveGlowConfig
from .denoiser import Denoiser
from .model import WN, Invertible1x1Conv, WaveGlow, WNConv1d, waveglow_loss
from .source_filter import SourceFilterWaveGlow, build_waveglow

__all__ = [
    "Denoiser", "Invertible1x1Conv", "SourceFilterWaveGlow", "WN", "WNConv1d", "WaveGlow",
    "WaveGlowConfig", "build_waveglow", "load_waveglow", "waveglow_loss",
]
