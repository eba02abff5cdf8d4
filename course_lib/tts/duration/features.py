"""MFCC-like features for the GMM-HMM aligner, computed from the course's log-mel spectrograms.

Diagonal-covariance Gaussians fit decorrelated features far better than raw log-mel bands (whose
neighbours are strongly correlated), so classic ASR takes the DCT of the log-mel spectrum
(Davis & Mermelstein 1980), keeps the first coefficients, subtracts the utterance mean
(cepstral mean normalisation) and appends first and second time derivatives (Furui 1986;
the HTK regression formula, Young et al., *The HTK Book*, eq. 5.16).

Defined in chapter 16 ("Beyond attention").
"""

from __future__ import annotations

import numpy as np
import scipy.fft

__all__ = ["mfcc_from_log_mel", "add_deltas", "cepstral_features"]


def _log_mel_array(log_mel) -> np.ndarray:
    if hasattr(log_mel, "detach"):  # a torch tensor
        log_mel = log_mel.detach().cpu().numpy()
    arr = np.asarray(log_mel, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"log_mel must be [n_mels, frames], got shape {arr.shape}")
    if arr.shape[1] == 0:
        raise ValueError("log_mel has no frames")
    if not np.isfinite(arr).all():
        raise ValueError("log_mel contains NaN or inf; compute it with course_lib.audio.mel_spectrogram")
    return arr


def mfcc_from_log_mel(log_mel, n_ceps: int = 13) -> np.ndarray:
    """[n_mels, T] log-mel → [n_ceps, T] cepstra: orthonormal DCT-II over the mel axis.

    Equals ``librosa.feature.mfcc(S=log_mel, n_mfcc=n_ceps)``.
    """
    arr = _log_mel_array(log_mel)
    if not 1 <= n_ceps <= arr.shape[0]:
        raise ValueError(f"n_ceps must be between 1 and n_mels={arr.shape[0]}, got {n_ceps}")
    return scipy.fft.dct(arr, type=2, axis=0, norm="ortho")[:n_ceps]


def add_deltas(feats, order: int = 2, window: int = 2) -> np.ndarray:
    """Append regression deltas along time: [D, T] → [D·(order+1), T].

    d_t = Σ_θ θ (c_{t+θ} − c_{t−θ}) / (2 Σ_θ θ²), θ = 1..window, edges repeated (HTK eq. 5.16).
    """
    feats = np.asarray(feats, dtype=np.float64)
    if feats.ndim != 2:
        raise ValueError(f"feats must be [dims, frames], got shape {feats.shape}")
    if order < 0 or window < 1:
        raise ValueError("order must be >= 0 and window >= 1")
    thetas = np.arange(1, window + 1)
    norm = 2.0 * (thetas**2).sum()
    blocks, current = [feats], feats
    for _ in range(order):
        padded = np.pad(current, ((0, 0), (window, window)), mode="edge")  # [D, T + 2·window]
        n = current.shape[1]
        delta = sum(th * (padded[:, window + th : window + th + n] - padded[:, window - th : window - th + n])
                    for th in thetas)
        current = delta / norm
        blocks.append(current)
    return np.concatenate(blocks, axis=0)


def cepstral_features(log_mel, n_ceps: int = 13, delta_order: int = 2) -> np.ndarray:
    """The aligner's features: MFCC, per-utterance mean removed, plus deltas. [n_mels, T] → [T, D]."""
    ceps = mfcc_from_log_mel(log_mel, n_ceps)  # [n_ceps, T]
    ceps = ceps - ceps.mean(axis=1, keepdims=True)  # cepstral mean normalisation
    return add_deltas(ceps, order=delta_order).T  # [T, n_ceps·(delta_order+1)]
