"""Watch attention: the alignment matrix, one decoder step's attention and mel frame, and how the
alignment forms over training (chapters 09 and 11)."""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display


def _to_numpy(x) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().float().numpy()
    return np.asarray(x, dtype=float)


class AlignmentViewer:
    """Alignment matrix (decoder step × input symbol) with the text on the axis, plus sliders.

    - ``alignments``: one ``[decoder_steps, symbols]`` matrix, or a list of them (training snapshots,
      labelled by ``snapshot_steps``) — the ``snapshot`` slider walks through them;
    - ``text``: the input, one character per symbol (axis labels);
    - ``mel``: optional ``[n_mels, frames]``; the ``step`` slider shows the ``r`` frames of that step;
    - ``truth``: optional ground-truth symbol per decoder step (e.g. from
      :func:`course_lib.tts.metrics.alignment.step_targets`), drawn when the ``truth`` box is ticked.

    ``controls`` holds the widgets; ``last_drawn`` the data last drawn (weights, attended symbol, ...).
    """

    def __init__(self, alignments, text: str, mel=None, truth=None, r: int = 1, snapshot_steps=None,
                 title: str = "attention"):
        mats = [alignments] if not isinstance(alignments, (list, tuple)) else list(alignments)
        if not mats:
            raise ValueError("give at least one alignment matrix")
        self.alignments = [_to_numpy(a) for a in mats]
        for a in self.alignments:
            if a.ndim != 2:
                raise ValueError(f"an alignment must be [decoder_steps, symbols], got shape {a.shape}")
        self.text, self.r, self.title = str(text), int(r), title
        self.mel = None if mel is None else _to_numpy(mel)
        self.truth = None if truth is None else _to_numpy(truth).astype(int)
        self.snapshot_steps = list(snapshot_steps) if snapshot_steps is not None else list(range(len(mats)))
        if len(self.snapshot_steps) != len(self.alignments):
            raise ValueError(f"{len(self.snapshot_steps)} snapshot_steps for {len(self.alignments)} alignments")
        last = len(self.alignments) - 1
        max_steps = max(a.shape[0] for a in self.alignments)
        self.controls = {
            "snapshot": widgets.IntSlider(value=last, min=0, max=last, description="snapshot",
                                          continuous_update=False, disabled=last == 0),
            "step": widgets.IntSlider(value=0, min=0, max=max_steps - 1, description="decoder step",
                                      continuous_update=False),
            "truth": widgets.Checkbox(value=self.truth is not None, description="ground truth",
                                      disabled=self.truth is None),
        }
        self.message = widgets.HTML()
        self.output = widgets.Output()
        self.last_drawn: dict | None = None
        for control in self.controls.values():
            control.observe(lambda _: self.draw(), names="value")
        self.widget = widgets.VBox([widgets.HBox([self.controls["snapshot"], self.controls["step"],
                                                  self.controls["truth"]]), self.message, self.output])
        self.draw()

    def _problem(self, a: np.ndarray, step: int) -> str | None:
        if a.shape[1] != len(self.text):
            return f"the text has {len(self.text)} characters but the alignment has {a.shape[1]} input symbols"
        if step >= a.shape[0]:
            return f"this snapshot has only {a.shape[0]} decoder steps; showing the last one"
        return None

    def draw(self) -> None:
        i = self.controls["snapshot"].value
        a = self.alignments[i]
        step = self.controls["step"].value
        problem = self._problem(a, step)
        if problem and a.shape[1] != len(self.text):
            self.message.value = f"<b>Cannot draw:</b> {problem}."
            self.last_drawn = None
            with self.output:
                self.output.clear_output()
            return
        step = min(step, a.shape[0] - 1)
        weights = a[step]
        attended = int(weights.argmax())
        show_truth = self.controls["truth"].value and self.truth is not None
        frames = None
        if self.mel is not None:
            lo = step * self.r
            frames = self.mel[:, lo:lo + self.r] if lo < self.mel.shape[1] else None
        truth = int(self.truth[step]) if show_truth and step < len(self.truth) else None
        self.last_drawn = {"snapshot": i, "training_step": self.snapshot_steps[i], "step": step, "weights": weights,
                           "attended": attended, "truth": truth, "mel_frames": frames}
        label = lambda c: "␣" if c == " " else c  # noqa: E731
        note = f" (ground truth: {label(self.text[truth])!r})" if truth is not None else ""
        self.message.value = (f"{problem + '. ' if problem else ''}training step {self.snapshot_steps[i]}, "
                              f"decoder step {step}: strongest attention {weights.max():.2f} "
                              f"on {label(self.text[attended])!r} (symbol {attended}){note}")
        with self.output:
            self.output.clear_output(wait=True)
            n_panels = 3 if self.mel is not None else 2
            fig, axes = plt.subplots(1, n_panels, figsize=(4.6 * n_panels, 4),
                                     gridspec_kw={"width_ratios": [2.2] + [1] * (n_panels - 1)})
            ax = axes[0]
            ax.imshow(a.T, origin="lower", aspect="auto", cmap="viridis", vmin=0, vmax=max(a.max(), 1e-6),
                      interpolation="nearest")
            ax.axvline(step, color="w", ls="--", lw=1)
            if show_truth:
                n = min(len(self.truth), a.shape[0])
                ax.plot(np.arange(n), self.truth[:n], "w:", lw=1.5, label="ground truth")
                ax.legend(loc="upper left", fontsize=8)
            ticks = np.arange(len(self.text))
            ax.set_yticks(ticks, [label(c) for c in self.text], fontsize=7 if len(self.text) < 60 else 5)
            ax.set(xlabel="decoder step", ylabel="input symbol",
                   title=f"{self.title} (training step {self.snapshot_steps[i]})")
            axes[1].bar(ticks, weights, color="0.3")
            axes[1].set_xticks(ticks, [label(c) for c in self.text], fontsize=6, rotation=0)
            axes[1].set(ylim=(0, 1), xlabel="input symbol", ylabel="weight", title=f"attention at step {step}")
            if self.mel is not None:
                if frames is not None and frames.size:
                    for j, ls in zip(range(frames.shape[1]), ("-", "--", ":")):
                        axes[2].plot(frames[:, j], ls=ls, color="k", label=f"frame {step * self.r + j}")
                    axes[2].legend(fontsize=8)
                axes[2].set(xlabel="mel channel", ylabel="log-mel", title="mel frame(s) of this step")
            fig.tight_layout()
            plt.show()
            plt.close(fig)

    def _ipython_display_(self):
        display(self.widget)
