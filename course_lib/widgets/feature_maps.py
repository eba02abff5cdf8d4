"""Pick a digit, a layer and a shift, and watch a trained CNN's feature maps (chapter 04).

Shifting the input shows translation equivariance: the first layer's maps move with the digit.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from IPython.display import display

from course_lib.nn.conv import LeNet


class FeatureMapExplorer:
    """Controls ``image`` (index), ``layer`` ("conv1" | "conv2") and ``shift`` (pixels, right).

    ``controls`` holds the widgets; ``last_input`` [8, 8] and ``last_maps`` [channels, h, w] are the
    input and feature maps last drawn; ``message`` shows the network's answer.
    """

    def __init__(self, net: LeNet, images: torch.Tensor, labels: torch.Tensor, max_shift: int = 3):
        if not isinstance(net, LeNet):
            raise TypeError(f"net must be a course_lib.nn.conv.LeNet, got {type(net).__name__}")
        if images.dim() != 4 or tuple(images.shape[1:]) != (1, 8, 8) or len(labels) != len(images):
            raise ValueError(f"images must be [N, 1, 8, 8] with one label each, got {tuple(images.shape)} "
                             f"and {len(labels)} labels")
        self.net, self.images, self.labels = net.eval(), images, labels
        self.controls = {
            "image": widgets.IntSlider(value=0, min=0, max=len(images) - 1, description="image",
                                       continuous_update=False),
            "layer": widgets.Dropdown(options=["conv1", "conv2"], value="conv1", description="layer"),
            "shift": widgets.IntSlider(value=0, min=-max_shift, max=max_shift, description="shift →",
                                       continuous_update=False),
        }
        self.output, self.message = widgets.Output(), widgets.HTML()
        self.last_input: torch.Tensor | None = None
        self.last_maps: torch.Tensor | None = None
        for control in self.controls.values():
            control.observe(lambda _: self.draw(), names="value")
        self.widget = widgets.VBox([widgets.HBox(list(self.controls.values())), self.message, self.output])
        self.draw()

    def draw(self) -> None:
        i, layer, shift = (self.controls[k].value for k in ("image", "layer", "shift"))
        x = torch.roll(self.images[i:i + 1], shifts=shift, dims=3)         # [1, 1, 8, 8]
        if shift > 0:                                                       # fill with background, no wrap
            x[..., :shift] = 0
        elif shift < 0:
            x[..., shift:] = 0
        with torch.no_grad():
            a1, a2 = self.net.features(x)
            probs = self.net(x).softmax(1)[0]
        maps = (a1 if layer == "conv1" else a2)[0]                          # [channels, h, w]
        self.last_input, self.last_maps = x[0, 0], maps
        guess = int(probs.argmax())
        self.message.value = (f"label {int(self.labels[i])}; the network says {guess} "
                              f"({float(probs[guess]):.0%}); {maps.shape[0]} maps of {maps.shape[1]}×{maps.shape[2]}")
        with self.output:
            self.output.clear_output(wait=True)
            n = min(maps.shape[0], 16)
            fig, axes = plt.subplots(2, 9, figsize=(9, 2.2))
            for ax in axes.flat:
                ax.set_xticks([]), ax.set_yticks([])
            axes[0, 0].imshow(x[0, 0].numpy(), cmap="gray_r", vmin=0, vmax=1)
            axes[0, 0].set_title("input", fontsize=8)
            axes[1, 0].set_axis_off()
            for k in range(n):
                ax = axes[k // 8, 1 + k % 8]
                ax.imshow(maps[k].numpy(), cmap="cividis", vmin=0, vmax=float(maps.max()) or 1.0)
            plt.show()
            plt.close(fig)  # Agg/ipympl keep shown figures open otherwise

    def _ipython_display_(self):
        display(self.widget)
