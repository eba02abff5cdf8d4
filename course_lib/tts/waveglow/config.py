"""WaveGlow hyper-parameters: the published NVIDIA configuration and a CPU-sized course preset.

Prenger, Valle & Catanzaro (2018), "WaveGlow: a flow-based generative network for speech
synthesis", arXiv:1811.00002, Sec. 2–3; numbers of ``paper()`` follow NVIDIA/waveglow's
``config.json`` (commit 8afb643), the configuration of the published checkpoint.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from course_lib import checks


@dataclass(frozen=True)
class WaveGlowConfig:
    """Architecture and training numbers of one WaveGlow (same code for both presets)."""

    n_mel_channels: int = 80     # mel bands of the conditioning (AudioConfig.n_mels)
    hop_length: int = 256        # upsampler stride = samples per mel frame (AudioConfig.hop_length)
    upsample_kernel: int = 1024  # ConvTranspose1d kernel (4 frames of context in NVIDIA's model)
    n_flows: int = 12            # steps of flow (1x1 conv + affine coupling)
    n_group: int = 8             # audio samples squeezed into one vector ("squeeze")
    n_early_every: int = 4       # emit early outputs every this many flows ...
    n_early_size: int = 2        # ... this many channels at a time
    wn_layers: int = 8           # WaveNet-like layers inside each coupling network
    wn_channels: int = 256       # residual channels of the WN
    wn_kernel_size: int = 3      # dilated conv kernel (dilation 2**i)
    # conditioning: "upsampled" = NVIDIA's layout (one transposed conv to the sample rate, then a 1x1
    # cond_layer per flow over n_mel*n_group channels); "per_flow" = each flow's own conv over
    # cond_frames mel frames, interpolated to the group rate (source_filter.py, ~8x fewer multiply-adds)
    conditioning: str = "upsampled"
    cond_frames: int = 3         # per_flow: mel frames one conditioning conv sees
    excitation: int = 0          # source-excitation signals per sample fed to every WN (0: none; 3: excitation.py)
    # training (NVIDIA: sigma 1.0, lr 1e-4 constant, segment 16000, batch 12 per GPU, every segment kept)
    sigma: float = 1.0           # std of the Gaussian prior in the training loss
    learning_rate: float = 1e-4
    segment_length: int = 16000
    batch_size: int = 12
    warmup_steps: int = 0        # linear learning-rate warm-up, then ...
    decay_steps: int = 0         # ... a cosine to a tenth of it at this step (0: constant)
    max_silence: float = 1.0     # redraw training segments with a larger share of digital silence (1: keep all)

    def __post_init__(self) -> None:
        ints = {k: v for k, v in asdict(self).items() if k not in ("sigma", "learning_rate", "conditioning",
                                                                   "excitation", "max_silence", "warmup_steps",
                                                                   "decay_steps")}
        for name, value in ints.items():
            checks.integer(value, f"WaveGlowConfig.{name}")
        if self.conditioning not in ("upsampled", "per_flow"):
            raise ValueError(f"conditioning must be 'upsampled' (NVIDIA's layout) or 'per_flow', "
                             f"got {self.conditioning!r}")
        for name in ("excitation", "warmup_steps", "decay_steps"):
            checks.integer(getattr(self, name), f"WaveGlowConfig.{name}", 0)
        checks.real(self.max_silence, "WaveGlowConfig.max_silence", 0.0, 1.0,
                    hint="A share of samples; 1 keeps every segment.")
        if self.cond_frames % 2 == 0:
            raise ValueError(f"cond_frames must be odd (centred on the frame), got {self.cond_frames}")
        if self.n_group % 2:
            raise ValueError(f"n_group must be even (the coupling splits it in halves), got {self.n_group}")
        if self.wn_kernel_size % 2 == 0:
            raise ValueError(f"wn_kernel_size must be odd (centred 'same' padding), got {self.wn_kernel_size}")
        if self.conditioning == "per_flow" and self.hop_length % self.n_group:
            raise ValueError(f"per_flow conditioning needs hop_length ({self.hop_length}) to be a multiple of "
                             f"n_group ({self.n_group}): each frame holds a whole number of groups")
        if self.upsample_kernel < self.hop_length:
            raise ValueError("upsample_kernel must be >= hop_length so every sample gets a mel frame")
        if self.remaining_channels() < 2:
            raise ValueError(
                f"{self.n_flows} flows emitting {self.n_early_size} channels every {self.n_early_every} "
                f"leave {self.remaining_channels()} of {self.n_group} channels; keep at least 2"
            )
        if self.segment_length % self.n_group:
            raise ValueError(f"segment_length must be a multiple of n_group={self.n_group}")
        for name in ("sigma", "learning_rate"):
            checks.real(getattr(self, name), f"WaveGlowConfig.{name}", 0.0, low_open=True)

    def n_early(self) -> int:
        """How many times channels are emitted early (before flows 4, 8, ... in the paper)."""
        return (self.n_flows - 1) // self.n_early_every

    def remaining_channels(self) -> int:
        """Channels that pass through the last flow (8 - 2*2 = 4 in the paper)."""
        return self.n_group - self.n_early_size * self.n_early()

    def receptive_field(self) -> int:
        """Audio samples one coupling network sees: n_group · (1 + (k − 1)·Σ 2^i) (dilations 2^i)."""
        return self.n_group * (1 + (self.wn_kernel_size - 1) * (2**self.wn_layers - 1))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "WaveGlowConfig":
        """The config saved by :meth:`to_dict`; unknown keys are refused (docs/VALIDATION.md)."""
        return cls(**checks.known_keys(data, cls.__dataclass_fields__, cls.__name__))

    @classmethod
    def paper(cls) -> "WaveGlowConfig":
        """NVIDIA's published WaveGlow: 87,879,272 parameters with weight norm."""
        return cls()

    @classmethod
    def course(cls, conditioning: str = "per_flow", excitation: int = 0) -> "WaveGlowConfig":
        """CPU-sized: 12 flows with early outputs as in the paper; groups of 16, a thin WN, per-flow conditioning.

        Groups of 16 halve the positions the WN runs over, so its 5 dilated layers reach
        ±504 samples (:meth:`receptive_field`): more than one pitch period of the course voice,
        which the coupling needs to place the next glottal pulse after the last one. Each flow reads
        the 80-channel mel through its own 3-frame conv (:mod:`~course_lib.tts.waveglow.source_filter`):
        3.4x the training steps per second of NVIDIA's layout (``conditioning="upsampled"``: one
        transposed conv to the sample rate + a 1x1 ``cond_layer`` per flow over 1,280 channels), which
        chapter 14 builds first. Training: a 200-step warm-up, a cosine to a tenth by step 8,000, and
        segments that are more than 10 % digital silence redrawn (docs/VOCODER_LAB.md).
        ``excitation=3`` adds a source excitation to every WN (:mod:`~course_lib.tts.waveglow.excitation`).
        Build with ``build_waveglow`` (``WaveGlow`` itself is NVIDIA's layout only).
        """
        return cls(upsample_kernel=512, n_group=16, n_early_size=4, wn_layers=5, wn_channels=44,
                   conditioning=conditioning, excitation=excitation, learning_rate=5e-4, segment_length=8192,
                   batch_size=4, warmup_steps=200, decay_steps=8000, max_silence=0.1)
