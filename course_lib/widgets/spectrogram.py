"""Spectrogram explorer: change the STFT and mel settings and see (and hear) what they do (chapter 07)."""

from __future__ import annotations

import html

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Audio, display

from course_lib.audio import (
    AudioConfig,
    config_problem,
    griffin_lim,
    mel_filterbank,
    mel_to_linear,
    single_threaded,
    stft,
    to_mono,
)
from course_lib.audio.synth import chirp, vowel
from course_lib.checks import as_numpy_wave


class SpectrogramExplorer:
    """Pick a sound, set n_fft / hop / window / mel bands / dB range, look, then rebuild it with Griffin-Lim.

    ``wave`` is any 1-D array at ``sample_rate``; ``utterances`` is a list of corpus utterances
    (objects with ``id``, ``text`` and ``load_audio()``, e.g. ``course_lib.data.corpus.load_corpus()``).
    With neither, a chirp and a synthetic vowel are offered. ``controls`` holds the widgets,
    ``last_image`` the 2-D dB array last drawn ``[rows, frames]`` and ``last_audio`` the last
    reconstruction. Invalid settings are reported in ``message``, never raised.
    """

    def __init__(self, wave=None, sample_rate: int = 22050, utterances=None, n_iter: int = 32):
        self.sources: dict[str, tuple[object, int, str]] = {}  # label -> (wave or loader, rate, transcript)
        if wave is not None:
            arr = as_numpy_wave(wave, "wave", min_samples=1, ndim=(1, 2))
            self.sources["your signal"] = (to_mono(arr).astype(np.float32), int(sample_rate), "(your signal)")
        for utt in utterances or ():
            label = f"{utt.id}: {utt.text[:40]}{'…' if len(utt.text) > 40 else ''}"
            self.sources[label] = (utt.load_audio, getattr(utt, "sample_rate", 22050), utt.text)
        if not self.sources:
            self.sources["chirp 100 Hz → 8 kHz"] = (chirp(100, 8000, 2.0, 22050), 22050,
                                                    "a sine sweeping from 100 Hz to 8 kHz in 2 seconds")
            self.sources["vowel /a/ at 120 Hz"] = (vowel("a", 120, 1.0, 22050), 22050,
                                                   "a synthetic vowel 'ah': harmonics of 120 Hz shaped by formants")
        self.n_iter = n_iter
        self._cache: dict[str, np.ndarray] = {}
        slider = dict(continuous_update=False, style={"description_width": "initial"})
        self.controls = {
            "source": widgets.Dropdown(options=list(self.sources), description="sound"),
            "n_fft": widgets.Dropdown(options=[128, 256, 512, 1024, 2048, 4096], value=1024, description="n_fft"),
            "win_length": widgets.IntSlider(value=1024, min=32, max=4096, step=32, description="window length",
                                            **slider),
            "hop_length": widgets.IntSlider(value=256, min=16, max=2048, step=16, description="hop", **slider),
            "window": widgets.Dropdown(options=["hann", "hamming", "rect"], value="hann", description="window"),
            "scale": widgets.ToggleButtons(options=["mel", "linear"], value="mel", description="frequency axis"),
            "n_mels": widgets.IntSlider(value=80, min=8, max=256, step=8, description="mel bands", **slider),
            "fmin": widgets.IntSlider(value=0, min=0, max=12000, step=50, description="fmin (Hz)", **slider),
            "fmax": widgets.IntSlider(value=8000, min=500, max=24000, step=250, description="fmax (Hz)", **slider),
            "db_range": widgets.IntSlider(value=80, min=20, max=120, step=5, description="dB range", **slider),
            "rebuild": widgets.Button(description="Griffin-Lim → play", icon="play", button_style="info"),
        }
        self.message = widgets.HTML()
        self.plot = widgets.Output()
        self.player = widgets.Output()
        self.last_image: np.ndarray | None = None
        self.last_audio: np.ndarray | None = None
        self.last_error: str | None = None
        for name, control in self.controls.items():
            if name != "rebuild":
                control.observe(lambda _change: self.draw(), names="value")
        self.controls["rebuild"].on_click(lambda _button: self.reconstruct())
        c = self.controls
        self.widget = widgets.VBox([
            widgets.HBox([c["source"], c["scale"]]),
            widgets.HBox([c["n_fft"], c["win_length"], c["hop_length"], c["window"]]),
            widgets.HBox([c["n_mels"], c["fmin"], c["fmax"], c["db_range"]]),
            self.message, self.plot, widgets.HBox([c["rebuild"]]), self.player,
        ])
        self.draw()

    # ------------------------------------------------------------------ data
    def _sound(self) -> tuple[np.ndarray, int, str]:
        label = self.controls["source"].value
        wave, rate, transcript = self.sources[label]
        if callable(wave):
            if label not in self._cache:
                self._cache[label] = np.asarray(wave(), dtype=np.float32)
            wave = self._cache[label]
        return wave, rate, transcript

    def _settings(self) -> tuple[AudioConfig | None, str | None]:
        c = {k: w.value for k, w in self.controls.items() if k != "rebuild"}
        wave, rate, _ = self._sound()
        problem = config_problem(sample_rate=rate, n_fft=c["n_fft"], hop_length=c["hop_length"],
                                 win_length=c["win_length"], n_mels=c["n_mels"],
                                 fmin=float(c["fmin"]), fmax=float(c["fmax"]))
        if problem is None and not c["db_range"] > 0:  # possible only if code widened the slider's range
            problem = (f"the dB range must be > 0 dB (colours span that far below the loudest point), "
                       f"got {c['db_range']} dB: try 80.")
        if problem is None and len(wave) <= c["n_fft"] // 2:
            problem = f"the sound has {len(wave)} samples; n_fft = {c['n_fft']} needs more than {c['n_fft'] // 2}."
        if problem is None and c["scale"] == "mel":
            bank = mel_filterbank(rate, c["n_fft"], c["n_mels"], float(c["fmin"]), float(c["fmax"]))
            empty = int((bank.max(axis=1) == 0).sum())
            if empty:
                problem = (f"{empty} of the {c['n_mels']} mel bands fall between FFT bins and would be empty: "
                           "use fewer mel bands, a larger n_fft or a wider fmin–fmax range.")
        if problem:
            return None, problem
        return AudioConfig(sample_rate=rate, n_fft=c["n_fft"], hop_length=c["hop_length"],
                           win_length=c["win_length"], n_mels=c["n_mels"], fmin=float(c["fmin"]),
                           fmax=float(c["fmax"])), None

    def _magnitude(self, config: AudioConfig, wave: np.ndarray) -> np.ndarray:
        with single_threaded():
            spec = stft(torch.from_numpy(wave), config.n_fft, config.hop_length, config.win_length,
                        self.controls["window"].value)
            return spec.abs().numpy()  # [n_freqs, frames]

    # ------------------------------------------------------------------ views
    def _fail(self, problem: str) -> None:
        self.last_error = problem
        self.message.value = f"<b style='color:#b00'>Cannot draw:</b> {html.escape(problem)}"
        with self.plot:
            self.plot.clear_output(wait=True)

    def draw(self) -> None:
        """Recompute and redraw the spectrogram for the current controls (a message if they are invalid)."""
        try:
            config, problem = self._settings()
            if problem:
                return self._fail(problem)
            wave, rate, _ = self._sound()
            mag = self._magnitude(config, wave)
            mel = self.controls["scale"].value == "mel"
            if mel:
                rows = mel_filterbank(rate, config.n_fft, config.n_mels, config.fmin, config.fmax) @ mag
            else:
                freqs = np.arange(config.n_freqs) * rate / config.n_fft
                keep = (freqs >= config.fmin) & (freqs <= config.fmax)
                rows, freqs = mag[keep], freqs[keep]
            db = 20 * np.log10(np.maximum(rows, 1e-10))
            db = np.maximum(db, db.max() - self.controls["db_range"].value)  # [rows, frames]
        except Exception as err:  # a widget must never show a traceback
            return self._fail(f"{type(err).__name__}: {err}")
        self.last_image, self.last_error = db, None
        self.message.value = (
            f"{db.shape[1]} frames × {db.shape[0]} {'mel bands' if mel else 'frequency bins'}; "
            f"time step {1000 * config.hop_length / rate:.1f} ms, window {1000 * config.win_length / rate:.1f} ms, "
            f"bin spacing {rate / config.n_fft:.1f} Hz")
        with self.plot:
            self.plot.clear_output(wait=True)
            fig, (ax_w, ax_s) = plt.subplots(2, 1, figsize=(9, 4.6), sharex=True,
                                             gridspec_kw={"height_ratios": [1, 3]})
            ax_w.plot(np.arange(len(wave)) / rate, wave, color="k", lw=0.5)
            ax_w.set(ylabel="amplitude", ylim=(-1.05, 1.05))
            extent = (0, len(wave) / rate, 0, db.shape[0])
            if not mel:
                extent = (0, len(wave) / rate, freqs[0], freqs[-1])
            im = ax_s.imshow(db, origin="lower", aspect="auto", cmap="magma", extent=extent,
                             interpolation="nearest")
            ax_s.set(xlabel="time (s)", ylabel="mel band" if mel else "frequency (Hz)")
            fig.colorbar(im, ax=[ax_w, ax_s], label="dB", pad=0.01)
            plt.show()
            plt.close(fig)

    def reconstruct(self) -> np.ndarray | None:
        """Rebuild a waveform from the magnitude shown (mel → pseudo-inverse first) and play it."""
        config, problem = self._settings()
        with self.player:
            self.player.clear_output(wait=True)
            if problem:
                print(f"Cannot rebuild: {problem}")
                return None
            wave, rate, transcript = self._sound()
            mag = self._magnitude(config, wave)
            if self.controls["scale"].value == "mel":
                mel = mel_filterbank(rate, config.n_fft, config.n_mels, config.fmin, config.fmax) @ mag
                mag = mel_to_linear(mel, config)
            try:
                audio = griffin_lim(mag, config, n_iter=self.n_iter, length=len(wave),
                                    window_name=self.controls["window"].value)
            except Exception as err:  # e.g. a window/hop pair that overlap-add cannot invert
                print(f"Cannot rebuild: {type(err).__name__}: {err}")
                return None
            self.last_audio = audio
            print(f"Griffin-Lim ({self.n_iter} iterations) from the {self.controls['scale'].value} magnitude "
                  f"— transcript: {transcript}")
            display(Audio(audio, rate=rate))
        return audio

    def _ipython_display_(self):
        display(self.widget)
