"""WaveGlow's training data (chapter 14): random (mel, audio) segments cut at frame boundaries.

±0.5 LSB of uniform noise (dequantisation) is added to the audio, because a fifth of the corpus
samples are exact digital zeros and a density on a discrete set of values can grow without bound.
Gaussian noise of a few LSB instead (``gaussian_lsb``) caps what a silent sample can earn at about
−log(σ·√(2πe)) nats, so less of the likelihood is spent on silence (docs/VOCODER_LAB.md).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from course_lib import checks
from course_lib.training import distributed as D

LSB = 1.0 / 32768  # one step of 16-bit audio in [-1, 1]


class SegmentSampler:
    """Random (mel, audio) training segments cut at frame boundaries from whole utterances."""

    def __init__(self, waves: list[np.ndarray], segment_length: int, audio_config=None,
                 max_silence: float = 1.0, gaussian_lsb: float = 0.0):
        from course_lib.audio import AudioConfig, mel_spectrogram

        self.audio_config = audio_config or AudioConfig()
        if not waves:
            raise ValueError("need at least one waveform to sample training segments from")
        self.hop = self.audio_config.hop_length
        self.segment_length = segment_length
        self.n_frames = math.ceil(segment_length / self.hop)
        self.silence = math.log(self.audio_config.clip_val)
        self.waves = [torch.as_tensor(np.asarray(w, dtype=np.float32)) for w in waves]
        self.mels = [mel_spectrogram(w, self.audio_config) for w in self.waves]  # each [n_mels, frames]
        lengths = np.array([len(w) for w in self.waves], dtype=np.float64)
        self.weights = lengths / lengths.sum()  # longer utterances are sampled more often
        # redraw a segment whose share of digital silence (|x| < 2 LSB) exceeds this (1: keep all)
        self.max_silence = checks.real(max_silence, "max_silence", 0.0, 1.0)
        self.picks: list[tuple[int, int]] = []  # (utterance, start frame) of the last batch
        # dequantisation: 0 = uniform ±½ LSB; > 0 = Gaussian with this standard deviation in LSB
        self.gaussian_lsb = checks.real(gaussian_lsb, "gaussian_lsb", 0.0)

    def segment(self, index: int, start_frame: int) -> tuple[torch.Tensor, torch.Tensor]:
        wave, mel = self.waves[index], self.mels[index]
        start = start_frame * self.hop
        audio = wave[start:start + self.segment_length]
        audio = torch.nn.functional.pad(audio, (0, self.segment_length - len(audio)))
        frames = mel[:, start_frame:start_frame + self.n_frames]
        frames = torch.nn.functional.pad(frames, (0, self.n_frames - frames.shape[1]), value=self.silence)
        return frames, audio

    def batch(self, batch_size: int, rng: np.random.Generator, dequantize: bool = True):
        """``(mel [batch, n_mels, frames], audio [batch, segment_length])``."""
        mels, audios, self.picks = [], [], []
        for index in rng.choice(len(self.waves), size=batch_size, p=self.weights):
            last = max(0, self.mels[index].shape[1] - self.n_frames)
            pick = int(index), int(rng.integers(0, last + 1))
            mel, audio = self.segment(*pick)
            for _ in range(20 if self.max_silence < 1 else 0):
                if float((audio.abs() < 2 * LSB).float().mean()) <= self.max_silence:
                    break
                index = int(rng.choice(len(self.waves), p=self.weights))
                pick = index, int(rng.integers(0, max(0, self.mels[index].shape[1] - self.n_frames) + 1))
                mel, audio = self.segment(*pick)
            self.picks.append(pick)
            mels.append(mel)
            audios.append(audio)
        audio = torch.stack(audios)
        if dequantize and self.gaussian_lsb:
            noise = torch.from_numpy(rng.standard_normal(audio.shape, dtype=np.float32))
            audio = audio + noise * self.gaussian_lsb * LSB
        elif dequantize:
            audio = audio + (torch.from_numpy(rng.random(audio.shape, dtype=np.float32)) - 0.5) * LSB
        return torch.stack(mels), audio


def load_split(split: str, limit: int | None = None, root=None) -> list[np.ndarray]:
    """The course corpus's ``split`` ("train" or "val") as waveforms (the first ``limit``)."""
    from course_lib.data.corpus import load_corpus

    utterances = load_corpus(split, root=root)[:limit]
    return [u.load_audio() for u in utterances]


def ljspeech_paths(root, n_val: int = 100, limit: int | None = None) -> tuple[list[Path], list[Path]]:
    """An LJSpeech-layout folder's audio files: (train, the last ``n_val`` for validation)."""
    from course_lib.data.ljspeech import read_ljspeech_metadata

    paths = [item.audio_path for item in read_ljspeech_metadata(root)]
    if not 0 < n_val < len(paths):
        raise ValueError(f"the validation size {n_val} must lie between 1 and the {len(paths) - 1} clips "
                         f"{root} can spare")
    return paths[:-n_val][:limit], paths[-n_val:]


def rank_share(waves, env: D.DistEnv, seed: int) -> list:
    """This rank's utterances (a DistributedSampler share; all of them for one process), read if paths."""
    mine = range(len(waves))
    if env.distributed:
        mine = list(D.distributed_sampler(range(len(waves)), env, shuffle=True, seed=seed, drop_last=True))
    if any(isinstance(waves[i], (str, Path)) for i in mine):
        from course_lib.audio import load_audio

        return [load_audio(waves[i]) if isinstance(waves[i], (str, Path)) else waves[i] for i in mine]
    return [waves[i] for i in mine]
