"""WaveGlow: a flow from audio to Gaussian noise, conditioned on mel spectrograms.

Prenger, Valle & Catanzaro (2018), arXiv:1811.00002. One step of flow = an invertible 1x1
convolution (Kingma & Dhariwal 2018, Glow) followed by an affine coupling layer (Dinh et al. 2017)
whose scale and shift come from ``WN``, a WaveNet-like stack (van den Oord et al. 2016) of
dilated convolutions with gated units, conditioned on the upsampled mel. Module and parameter
names follow NVIDIA/waveglow (``upsample``, ``WN.k.{start,end,cond_layer,in_layers.i,
res_skip_layers.i}``, ``convinv.k.conv``), so its published state dict maps onto this one by name.
Chapter 14 of the course walks through every piece. The steps of flow are chapter 13's
(:mod:`course_lib.nn.flows`: the affine coupling, the rotation that starts each 1x1 convolution,
one log-determinant ``[batch]`` per example) and WN's gated unit is chapter 12's
(:func:`course_lib.nn.wavenet.gated_activation`).

WN, Invertible1x1Conv and the flow follow NVIDIA/waveglow closely (BSD-3-Clause): see NOTICE.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from course_lib.checks import checked_by
from course_lib.nn.flows import affine_couple, affine_uncouple, log_det_1x1, rotation
from course_lib.nn.wavenet import gated_activation
from course_lib.tts.waveglow.config import WaveGlowConfig
from course_lib.tts.waveglow.folding import MAX_FOLDED_NUMBERS, FoldedConditioning, folded_numbers


class WNConv1d(nn.Module):
    """Conv1d with weight normalisation w = g · v/‖v‖ (Salimans & Kingma 2016).

    Parameters are named ``weight_g`` [out, 1, 1], ``weight_v`` [out, in, k] and ``bias`` like
    ``torch.nn.utils.weight_norm`` names them in NVIDIA's checkpoint. :meth:`fold` returns the
    plain ``nn.Conv1d`` with the same function (weight norm is only a re-parametrisation).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 1, dilation: int = 1):
        super().__init__()
        conv = nn.Conv1d(in_channels, out_channels, kernel_size)  # for PyTorch's default init
        self.weight_v = nn.Parameter(conv.weight.detach().clone())
        self.weight_g = nn.Parameter(conv.weight.detach().norm(dim=(1, 2), keepdim=True))
        self.bias = nn.Parameter(conv.bias.detach().clone())
        self.dilation = dilation
        self.padding = dilation * (kernel_size - 1) // 2  # 'same' length for odd kernels

    def weight(self) -> torch.Tensor:
        return self.weight_g * self.weight_v / self.weight_v.norm(dim=(1, 2), keepdim=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv1d(x, self.weight(), self.bias, padding=self.padding, dilation=self.dilation)

    def fold(self) -> nn.Conv1d:
        out_ch, in_ch, k = self.weight_v.shape
        conv = nn.Conv1d(in_ch, out_ch, k, padding=self.padding, dilation=self.dilation)
        with torch.no_grad():
            conv.weight.copy_(self.weight())
            conv.bias.copy_(self.bias)
        return conv.to(self.weight_v.device)


class Invertible1x1Conv(nn.Module):
    """Chapter 13's ``Invertible1x1`` at every time step: z = W x, log|det| = time · log|det W| per example.

    W starts as a random rotation (:func:`~course_lib.nn.flows.rotation`), so the step starts volume-preserving.
    """

    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, kernel_size=1, bias=False)
        with torch.no_grad():
            self.conv.weight.copy_(rotation(channels)[:, :, None])
        self._w_inverse: torch.Tensor | None = None  # cached by WaveGlow.prepare_for_inference

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        batch, _, time = x.shape  # [batch, channels, time]
        return self.conv(x), log_det_1x1(self.conv.weight.squeeze(-1), batch, time)

    def inverse(self, z: torch.Tensor) -> torch.Tensor:
        w_inv = self._w_inverse
        if w_inv is None:
            w_inv = torch.linalg.inv(self.conv.weight.squeeze(-1).double()).to(z.dtype)
        return F.conv1d(z, w_inv[:, :, None])


class WN(nn.Module):
    """The coupling network: WaveNet-like layers that read x_a and the mel, output (shift, log s).

    Not causal: every layer sees both past and future samples (the flow, not WN, is invertible).
    The last conv ``end`` starts at zero, so each coupling starts as the identity.
    """

    def __init__(self, n_in_channels: int, n_cond_channels: int, n_layers: int, n_channels: int,
                 kernel_size: int):
        super().__init__()
        self.n_layers, self.n_channels = n_layers, n_channels
        self.start = WNConv1d(n_in_channels, n_channels)
        self.end = nn.Conv1d(n_channels, 2 * n_in_channels, 1)
        nn.init.zeros_(self.end.weight)
        nn.init.zeros_(self.end.bias)
        self.cond_layer = WNConv1d(n_cond_channels, 2 * n_channels * n_layers)
        self.in_layers = nn.ModuleList(
            WNConv1d(n_channels, 2 * n_channels, kernel_size, dilation=2**i) for i in range(n_layers))
        self.res_skip_layers = nn.ModuleList(
            WNConv1d(n_channels, 2 * n_channels if i < n_layers - 1 else n_channels)
            for i in range(n_layers))

    @property
    def dtype(self) -> torch.dtype:
        return self.end.weight.dtype

    def forward(self, audio: torch.Tensor, spect: torch.Tensor) -> torch.Tensor:
        # audio [batch, n_half, time]; spect [batch, n_mel*n_group, time]
        c = self.n_channels
        h = self.start(audio)                     # [batch, channels, time]
        cond = self.cond_layer(spect)             # [batch, 2*channels*layers, time]
        skip = 0.0
        for i in range(self.n_layers):
            acts = gated_activation(self.in_layers[i](h) + cond[:, 2 * c * i:2 * c * (i + 1)])  # chapter 12
            res_skip = self.res_skip_layers[i](acts)
            if i < self.n_layers - 1:
                h = h + res_skip[:, :c]
                skip = skip + res_skip[:, c:]
            else:
                skip = skip + res_skip
        return self.end(skip)                     # [batch, 2*n_half, time]: shift t, then log s


def _check_forward(self, mel, audio, excitation=None) -> None:
    self._check_audio(audio, self._check_mel(mel).shape[0])


def _check_inverse(self, mel, z, excitation=None) -> None:
    mel = self._check_mel(mel)
    expected = (mel.shape[0], self.config.n_group, mel.shape[2] * self.config.hop_length // self.config.n_group)
    if tuple(z.shape) != expected:
        raise ValueError(f"z must have shape {expected} for this mel, got {tuple(z.shape)}")


def _check_upsample(self, mel, n_samples) -> None:
    up = self.upsample  # ConvTranspose1d: (frames - 1)·stride − 2·padding + kernel samples
    covered = (mel.shape[2] - 1) * up.stride[0] - 2 * up.padding[0] + up.dilation[0] * (up.kernel_size[0] - 1) + 1
    if covered < n_samples:
        raise ValueError(f"{mel.shape[2]} mel frames cover {covered} samples, fewer than "
                         f"the {n_samples} audio samples given")


class WaveGlow(nn.Module):
    """WaveGlow (Prenger et al. 2018): ``forward`` maps audio to z, ``infer`` maps noise to audio.

    ``WaveGlow()`` is the paper's model; ``WaveGlow(WaveGlowConfig.course(conditioning="upsampled"))`` is that layout
    at the course's size (the course preset itself conditions per flow: ``build_waveglow``).
    """

    def __init__(self, config: WaveGlowConfig | None = None):
        super().__init__()
        cfg = WaveGlowConfig.paper() if config is None else config
        if not isinstance(cfg, WaveGlowConfig):
            raise TypeError(f"config must be a WaveGlowConfig, got {type(cfg).__name__}")
        self.config = cfg
        if type(self) is WaveGlow and (cfg.conditioning != "upsampled" or cfg.excitation):
            raise ValueError(f"WaveGlow is NVIDIA's layout (conditioning='upsampled', no excitation); this config has "
                             f"conditioning={cfg.conditioning!r}, excitation={cfg.excitation}: build it with "
                             "course_lib.tts.waveglow.build_waveglow(config)")
        if cfg.conditioning == "upsampled":
            self.upsample = nn.ConvTranspose1d(cfg.n_mel_channels, cfg.n_mel_channels,
                                               cfg.upsample_kernel, stride=cfg.hop_length)
        self.WN = nn.ModuleList()
        self.convinv = nn.ModuleList()
        channels = cfg.n_group
        for k in range(cfg.n_flows):
            if k % cfg.n_early_every == 0 and k > 0:
                channels -= cfg.n_early_size
            self.convinv.append(Invertible1x1Conv(channels))
            self.WN.append(self._make_wn(channels // 2))
        self.weight_norm_removed = False
        self.folded = None  # FoldedConditioning after prepare_for_inference(fold=True)

    def _make_wn(self, n_half: int) -> WN:
        """The coupling network of a flow that transforms ``2 · n_half`` channels."""
        cfg = self.config
        return WN(n_half, cfg.n_mel_channels * cfg.n_group, cfg.wn_layers, cfg.wn_channels, cfg.wn_kernel_size)

    # ---------------------------------------------------------------- shapes and checks
    def _check_mel(self, mel: torch.Tensor) -> torch.Tensor:
        if not isinstance(mel, torch.Tensor):
            raise TypeError(f"mel must be a torch.Tensor [batch, {self.config.n_mel_channels}, frames], "
                            f"got {type(mel).__name__}; wrap arrays with torch.as_tensor")
        if mel.is_complex() or not mel.is_floating_point():
            raise TypeError(f"mel must be a real floating-point tensor (log-mel values), got dtype {mel.dtype}; "
                            "take the magnitude before the log and convert with mel.float()")
        if mel.dim() != 3 or mel.shape[1] != self.config.n_mel_channels:
            raise ValueError(f"mel must have shape [batch, {self.config.n_mel_channels}, frames], got "
                             f"{tuple(mel.shape)}; compute it with course_lib.audio.mel_spectrogram "
                             "(and add a batch axis with mel[None])")
        if mel.shape[0] == 0 or mel.shape[2] == 0:
            raise ValueError(f"mel is empty (shape {tuple(mel.shape)}); need at least one frame")
        if not torch.isfinite(mel).all():
            raise ValueError("mel contains NaN or inf; log-mels must be finite (clamp before the log)")
        return mel.to(self.convinv[0].conv.weight.dtype)

    def _check_audio(self, audio: torch.Tensor, batch: int) -> torch.Tensor:
        n_group = self.config.n_group
        if not isinstance(audio, torch.Tensor) or audio.dim() != 2 or audio.shape[0] != batch:
            raise ValueError(f"audio must be a tensor [batch={batch}, samples], got "
                             f"{getattr(audio, 'shape', type(audio).__name__)}")
        if audio.is_complex() or not audio.is_floating_point():
            raise TypeError(f"audio must be a real floating-point tensor in [-1, 1], got dtype {audio.dtype}")
        if audio.shape[1] == 0 or audio.shape[1] % n_group:
            raise ValueError(f"audio length {audio.shape[1]} must be a positive multiple of n_group={n_group}")
        if not torch.isfinite(audio).all():
            raise ValueError("audio contains NaN or inf; training audio must be finite samples in [-1, 1]")
        return audio

    @checked_by(_check_upsample)
    def upsample_mel(self, mel: torch.Tensor, n_samples: int) -> torch.Tensor:
        """Mel frames → one conditioning vector per group of samples: [batch, n_mel*n_group, n/n_group]."""
        cfg = self.config
        spect = self.upsample(mel)                                # [batch, n_mel, (frames-1)*hop + kernel]
        spect = spect[:, :, :n_samples]
        b, m, t = spect.shape
        spect = spect.view(b, m, t // cfg.n_group, cfg.n_group).permute(0, 1, 3, 2)
        return spect.reshape(b, m * cfg.n_group, t // cfg.n_group)  # channel = mel_band*n_group + j

    def conditioning(self, mel: torch.Tensor, n_samples: int) -> list[torch.Tensor]:
        """What each flow's WN reads: the upsampled mel, or after ``prepare_for_inference(fold=True)``
        the flow's own conditioning, computed by :class:`~course_lib.tts.waveglow.folding.FoldedConditioning`."""
        if self.folded is not None:
            return self.folded(mel, n_samples)
        spect = self.upsample_mel(mel, n_samples).to(self.WN[0].dtype)
        return [spect] * self.config.n_flows

    def squeeze(self, audio: torch.Tensor) -> torch.Tensor:
        """[batch, samples] → [batch, n_group, samples/n_group] (paper Sec. 2.1)."""
        b, t = audio.shape
        return audio.view(b, t // self.config.n_group, self.config.n_group).transpose(1, 2)

    def _excitation(self, excitation, batch: int, n_samples: int, dtype) -> torch.Tensor | None:
        """What each WN reads besides x_a: nothing here (a source-filter WaveGlow adds a source excitation)."""
        if excitation is not None:
            raise ValueError("this WaveGlow was built without a source excitation (config.excitation = 0); "
                             "do not pass one")
        return None

    def shift_log_scale(self, k: int, x_a: torch.Tensor, cond: torch.Tensor, exc: torch.Tensor | None = None):
        """Flow k's coupling network: (t, log s), each [batch, n_half, time], at least float32 (WN may run in
        bfloat16; the coupling and its log-determinant do not)."""
        x_in = x_a.to(cond.dtype) if exc is None else torch.cat([x_a.to(cond.dtype), exc], dim=1)
        return self.WN[k](x_in, cond).to(torch.promote_types(x_a.dtype, torch.float32)).chunk(2, dim=1)

    # ---------------------------------------------------------------- training direction
    @checked_by(_check_forward)
    def forward(self, mel: torch.Tensor, audio: torch.Tensor, excitation: torch.Tensor | None = None):
        """Audio x → ``(z [batch, n_group, samples/n_group], log|det ∂z/∂x| [batch])``, as chapter 13's ``Flow``."""
        cfg = self.config
        mel = mel.to(self.convinv[0].conv.weight.dtype)
        conds = self.conditioning(mel, audio.shape[1])                # what each flow's WN reads
        exc = self._excitation(excitation, mel.shape[0], audio.shape[1], conds[0].dtype)
        x = self.squeeze(audio.to(mel.dtype))                         # [batch, n_group, time]
        early, log_det = [], x.new_zeros(x.shape[0])
        for k in range(cfg.n_flows):
            if k % cfg.n_early_every == 0 and k > 0:
                early.append(x[:, :cfg.n_early_size])
                x = x[:, cfg.n_early_size:]
            x, log_det_w = self.convinv[k](x)                         # chapter 13's 1x1 step
            n_half = x.shape[1] // 2
            x_a, x_b = x[:, :n_half], x[:, n_half:]
            y_b, log_det_s = affine_couple(x_b, *self.shift_log_scale(k, x_a, conds[k], exc))  # its coupling
            x = torch.cat([x_a, y_b], dim=1)
            log_det = log_det + log_det_w + log_det_s
        early.append(x)
        return torch.cat(early, dim=1), log_det

    # ---------------------------------------------------------------- generation direction
    @checked_by(_check_inverse)
    def inverse(self, mel: torch.Tensor, z: torch.Tensor, excitation: torch.Tensor | None = None) -> torch.Tensor:
        """z [batch, n_group, frames*hop/n_group] → audio [batch, frames*hop] (runs the flow backwards)."""
        cfg = self.config
        mel = mel.to(self.convinv[0].conv.weight.dtype)
        n_samples = mel.shape[2] * cfg.hop_length
        conds = self.conditioning(mel, n_samples)                 # what each flow's WN reads
        exc = self._excitation(excitation, mel.shape[0], n_samples, conds[0].dtype)
        z = z.to(torch.float32)                                    # the affine algebra stays float32
        n_rest = cfg.remaining_channels()
        x, pending = z[:, -n_rest:], z[:, :-n_rest]               # late channels first
        for k in reversed(range(cfg.n_flows)):
            n_half = x.shape[1] // 2
            x_a, y_b = x[:, :n_half], x[:, n_half:]
            x_b = affine_uncouple(y_b, *self.shift_log_scale(k, x_a, conds[k], exc))
            x = self.convinv[k].inverse(torch.cat([x_a, x_b], dim=1))
            if k % cfg.n_early_every == 0 and k > 0:
                x = torch.cat([pending[:, -cfg.n_early_size:], x], dim=1)
                pending = pending[:, :-cfg.n_early_size]
        return x.transpose(1, 2).reshape(x.shape[0], -1)       # un-squeeze → [batch, samples]

    def infer(self, mel: torch.Tensor, sigma: float = 0.6, generator: torch.Generator | None = None,
              excitation: torch.Tensor | None = None) -> torch.Tensor:
        """Mel [batch, n_mel, frames] → audio [batch, frames*hop], z ~ N(0, σ²) (σ = 0: deterministic)."""
        if isinstance(sigma, bool) or not isinstance(sigma, (int, float)) or not math.isfinite(sigma) or sigma < 0:
            raise ValueError(f"sigma must be a finite number >= 0 (0.6 is typical, 0 is deterministic), got {sigma!r}")
        cfg = self.config
        mel = self._check_mel(mel)
        shape = (mel.shape[0], cfg.n_group, mel.shape[2] * cfg.hop_length // cfg.n_group)
        with torch.inference_mode():
            z = torch.randn(shape, generator=generator, device=mel.device, dtype=mel.dtype) * sigma
            return self.inverse(mel, z, excitation)

    # ---------------------------------------------------------------- fast inference
    def remove_weight_norm(self) -> "WaveGlow":
        """Fold every weight-normalised conv into a plain Conv1d (same function, fewer ops per call)."""
        for wn in self.WN:
            wn.start = wn.start.fold()
            wn.cond_layer = wn.cond_layer.fold()
            for layers in (wn.in_layers, wn.res_skip_layers):
                for i, layer in enumerate(layers):
                    layers[i] = layer.fold()
        self.weight_norm_removed = True
        return self

    def prepare_for_inference(self, wn_dtype: torch.dtype = torch.float32, fold: bool | None = None) -> "WaveGlow":
        """eval(), fold weight norm, cache each W⁻¹ (computed in float64), freeze parameters.

        ``fold``: compose the upsampler with every flow's ``cond_layer`` (see
        :mod:`~course_lib.tts.waveglow.folding`; the course preset's conditioning gets ~4× cheaper).
        ``None`` folds when the folded matrices stay small (the course preset, not the paper's).

        ``wn_dtype=torch.bfloat16`` stores the WN coupling networks in bfloat16: their convolutions
        are ~90 % of the work and run several times faster on CPUs with AVX-512 BF16 / AMX. The
        upsampler (one transposed convolution, ~10 % of a float32 call) and the invertible algebra
        (1x1 convs, affine coupling, the noise z) stay float32.
        """
        if wn_dtype not in (torch.float32, torch.bfloat16, torch.float16):
            raise ValueError(f"wn_dtype must be torch.float32, bfloat16 or float16, got {wn_dtype}")
        self.eval()
        if not self.weight_norm_removed:
            self.remove_weight_norm()
        if fold is None:
            fold = folded_numbers(self.config) <= MAX_FOLDED_NUMBERS
        if fold and self.folded is None:
            self.folded = FoldedConditioning(self, wn_dtype)
            for wn in self.WN:
                wn.cond_layer = nn.Identity()  # its work is done by self.folded
        self.WN.to(wn_dtype)
        for conv in self.convinv:
            w = conv.conv.weight.detach().squeeze(-1).double()
            conv._w_inverse = torch.linalg.inv(w).to(conv.conv.weight.dtype)
        for p in self.parameters():
            p.requires_grad_(False)
        return self


def waveglow_loss(z: torch.Tensor, log_det: torch.Tensor, sigma: float = 1.0) -> torch.Tensor:
    """Negative log-likelihood per audio sample, up to a constant (Prenger et al. 2018, eq. 1–3).

    loss = [Σ z²/(2σ²) − Σ_batch log|det ∂z/∂x|] / (batch · n_group · time), with ``log_det``
    [batch] from :meth:`WaveGlow.forward`; the constant ½·log(2πσ²) per sample is left out, as in
    NVIDIA's WaveGlowLoss.
    """
    return ((z * z).sum() / (2 * sigma**2) - log_det.sum()) / z.numel()
