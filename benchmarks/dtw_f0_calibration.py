"""How far can the after-DTW F0 scores of ``vocoder_lab.py --mels tacotron`` be trusted? Known distortions of
the test recordings, scored the same way (``speech.aligned_voice_metrics``: the recording's pYIN F0 mapped
onto the distorted signal's frames by DTW on mel-cepstra):

- time-stretched (librosa's phase vocoder, rate 0.85) with pYIN on it: the true F0 error is ~0, so what is left
  is the floor of pYIN + DTW; beside it the same without DTW (frame by frame), the trivial baseline;
- the shipped F0 predictor on the stretched recording's mel (the "F0 predictor" row's floor);
- pitch-shifted by +100 cents (same timing): should read ~100 cents; less means DTW traded time for pitch.

It also prints the harmonic ripple of the 30 lowest mel bands (mean |second difference across bands| on frames
with a mean log-mel above −6) of the recordings and of the shipped Tacotron 2's mels of their text (seeded as in
``vocoder_lab.py``): how much pitch structure a vocoder is given.

    .venv/bin/python benchmarks/dtw_f0_calibration.py [--limit N] [--threads 1]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from course_lib.audio import mel_spectrogram  # noqa: E402
from course_lib.data.corpus import load_corpus  # noqa: E402
from course_lib.tts.metrics.harmonics import f0_metrics  # noqa: E402
from course_lib.tts.metrics.speech import aligned_voice_metrics  # noqa: E402
from course_lib.tts.waveglow.excitation import pitch_track  # noqa: E402
from course_lib.tts.waveglow.f0_predictor import load_f0_predictor  # noqa: E402


def ripple(log_mel, bands: int = 30) -> float:
    """Mean |second difference across the lowest ``bands`` mel bands| on loud frames: harmonic lines."""
    m = log_mel.numpy()
    return float(np.abs(np.diff(m[:bands, m.mean(0) > -6], 2, axis=0)).mean())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    import librosa
    from vocoder_lab import tacotron_mel

    from course_lib.tts.pipeline import load_tacotron2

    predictor, acoustic, ripples = load_f0_predictor(), load_tacotron2(), []
    rows = {"stretched ×1/0.85, pYIN, after DTW": [], "stretched ×1/0.85, pYIN, no DTW (frame by frame)": [],
            "stretched ×1/0.85, F0 predictor, after DTW": [], "shifted +100 ¢, pYIN, after DTW": []}
    for i, utt in enumerate(load_corpus("test")[:args.limit]):
        wave = utt.load_audio()
        mel, f0 = mel_spectrogram(wave), pitch_track(wave)
        ripples.append((ripple(mel), ripple(tacotron_mel(utt.text, acoustic, 1000 + i)[0])))
        stretched = librosa.effects.time_stretch(wave, rate=0.85).astype(np.float32)
        shifted = librosa.effects.pitch_shift(wave, sr=22050, n_steps=1.0).astype(np.float32)
        s_mel, s_f0 = mel_spectrogram(stretched), pitch_track(stretched)
        with torch.inference_mode():
            predicted = predictor.predict(s_mel[None])[0].numpy()
        names = iter(rows)
        rows[next(names)].append(aligned_voice_metrics(stretched, s_f0, s_mel, mel, f0))
        rows[next(names)].append(f0_metrics(f0, s_f0))
        rows[next(names)].append(aligned_voice_metrics(stretched, predicted, s_mel, mel, f0))
        rows[next(names)].append(aligned_voice_metrics(shifted, pitch_track(shifted), mel_spectrogram(shifted),
                                                       mel, f0))
        print(f"  {utt.id}", file=sys.stderr, flush=True)
    keys = ("f0_rmse_cents", "f0_mean_cents", "vuv_f1")
    print(f"{'distortion':52}" + "".join(f"{k:>15}" for k in keys))
    for name, scores in rows.items():
        print(f"{name:52}" + "".join(f"{np.nanmean([s[k] for s in scores]):15.2f}" for k in keys))
    recorded, predicted = np.mean(ripples, axis=0)
    print(f"harmonic ripple of the lowest 30 mel bands: recordings {recorded:.3f}, Tacotron 2 {predicted:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
