"""Plausible wrong answers to chapter 14's exercises; each check must reject every one."""

_INVERSE = '''
cfg = model.config
spect = model.upsample_mel(mel, z.shape[1] * z.shape[2])
n_rest = cfg.n_group - cfg.n_early_size * ((cfg.n_flows - 1) // cfg.n_early_every)
x, pending = z[:, -n_rest:], z[:, :-n_rest]
for k in reversed(range(cfg.n_flows)):
    n_half = x.shape[1] // 2
    x_a, y_b = x[:, :n_half], x[:, n_half:]
    out = model.WN[k](x_a, spect)
    b, log_s = out[:, :n_half], out[:, n_half:]
    x = UNDO
    if k % cfg.n_early_every == 0 and k > 0:
        x = REINSERT
        pending = pending[:, :-cfg.n_early_size]
return UNSQUEEZE
'''


def _inverse(undo="model.convinv[k].inverse(torch.cat([x_a, (y_b - b) * torch.exp(-log_s)], dim=1))",
             reinsert="torch.cat([pending[:, -cfg.n_early_size:], x], dim=1)",
             unsqueeze="x.transpose(1, 2).reshape(x.shape[0], -1)"):
    return _INVERSE.replace("UNDO", undo).replace("REINSERT", reinsert).replace("UNSQUEEZE", unsqueeze)


_CLOCK = """
f0 = np.asarray(f0_frames, dtype=np.float64)
voiced = f0 > 0
held = f0.copy()
last = f0[voiced][0] if voiced.any() else 0.0
for i in range(len(f0)):
    if voiced[i]:
        last = f0[i]
    held[i] = last
n = np.arange(n_samples)
centres = np.arange(len(f0)) * hop
rate = RATE
v = VOICING
phi = PHASE
return OUT
"""


def _clock(rate="np.interp(n, centres, held)", voicing="np.interp(n, centres, voiced.astype(np.float64))",
           phase="phase0 + 2 * np.pi * np.cumsum(rate) / sr", out="np.stack([v * np.cos(phi), v * np.sin(phi)])"):
    return (_CLOCK.replace("RATE", rate).replace("VOICING", voicing).replace("PHASE", phase)
            .replace("OUT", out))


_HARMONICS = """
envelope, f0 = torch.as_tensor(envelope, dtype=torch.float64), torch.as_tensor(f0, dtype=torch.float64)
held = HELD
rate = _frames_to_samples(held[None], n, cfg.hop_length)[0]
phi = PHASE
v = _frames_to_samples((f0 > 0).double()[None], n, cfg.hop_length)[0]
k = torch.arange(1, int(LIMIT // held[f0 > 0].min()) + 1, dtype=torch.float64)[:, None]
at = k * held / (cfg.sample_rate / cfg.n_fft)
low = at.floor().long().clamp(max=envelope.shape[0] - 2)
cols = torch.arange(len(f0))
amp = AMP
amp = torch.where(k * held < LIMIT, amp, 0.0)
out = (SPREAD * torch.cos(k * phi)).sum(0)
return OUT
"""


def _harmonics(held="_hold_voiced(f0[None])[0]",
               phase="phase + 2 * math.pi * torch.cumsum(rate, 0) / cfg.sample_rate", limit="cfg.fmax",
               amp="envelope[low, cols] + (at - low) * (envelope[low + 1, cols] - envelope[low, cols])",
               spread="_frames_to_samples(amp, n, cfg.hop_length)",
               out="v * out * 2 / torch.hann_window(cfg.win_length, dtype=torch.float64).sum()"):
    return (_HARMONICS.replace("SPREAD", spread).replace("HELD", held).replace("PHASE", phase)
            .replace("LIMIT", limit).replace("AMP", amp).replace("OUT", out))


WRONG_ANSWERS = {
    "my_waveglow_loss": {
        "calls the library": "return waveglow_loss(z, log_det, sigma)",
        "forgets σ": "return ((z * z).sum() / 2 - log_det.sum()) / z.numel()",
        "adds the log-determinant": "return ((z * z).sum() / (2 * sigma**2) + log_det.sum()) / z.numel()",
        "averages the log-determinant over the batch": (
            "return ((z * z).sum() / (2 * sigma**2) - log_det.mean()) / z.numel()"),
        "divides by the batch size only": "return ((z * z).sum() / (2 * sigma**2) - log_det.sum()) / z.shape[0]",
    },
    "my_inverse": {
        "calls the model's inverse": "return model.inverse(mel, z)",
        "undoes W before the coupling": _inverse(
            undo="torch.cat([model.convinv[k].inverse(x)[:, :n_half], "
                 "(model.convinv[k].inverse(x)[:, n_half:] - b) * torch.exp(-log_s)], dim=1)"),
        "applies the coupling forwards again": _inverse(
            undo="model.convinv[k].inverse(torch.cat([x_a, y_b * torch.exp(log_s) + b], dim=1))"),
        "early channels put back at the end": _inverse(
            reinsert="torch.cat([x, pending[:, -cfg.n_early_size:]], dim=1)"),
        "un-squeezes without the transpose": _inverse(unsqueeze="x.reshape(x.shape[0], -1)"),
    },
    "my_clock": {
        "calls the library": ("from course_lib.tts.waveglow.excitation import excitation\n"
                              "return excitation(f0_frames, n_samples, hop, sr, phase0)[0, :2].numpy()"),
        "phase 2π·F0·t without accumulating (right only for a constant F0)": _clock(
            phase="phase0 + 2 * np.pi * rate * (n + 1) / sr"),
        "forgets to divide by the sample rate": _clock(phase="phase0 + 2 * np.pi * np.cumsum(rate)"),
        "no voicing gate": _clock(out="np.stack([np.cos(phi), np.sin(phi)])"),
        "F0 falls to 0 in unvoiced frames (no hold)": _clock(rate="np.interp(n, centres, f0)"),
        "nearest frame instead of linear interpolation": _clock(
            rate="np.repeat(held, hop)[:n_samples]", voicing="np.repeat(voiced.astype(np.float64), hop)[:n_samples]"),
        "the sum leaves out sample n (φ[0] = phase0)": _clock(
            phase="phase0 + 2 * np.pi * (np.cumsum(rate) - rate) / sr"),
    },
    "my_harmonics": {
        "calls the library": ("from course_lib.tts.waveglow.harmonic_noise import harmonics\n"
                              "return harmonics(envelope, f0, n, cfg, phase)"),
        "harmonics up to the Nyquist frequency, not fmax": _harmonics(limit="(cfg.sample_rate / 2)"),
        "forgets the window's scale 2/Σw": _harmonics(out="v * out"),
        "amplitude of the nearest bin": _harmonics(
            amp="envelope[at.round().long().clamp(max=envelope.shape[0] - 1), cols]"),
        "amplitude read at bin k, not at k·F0": _harmonics(
            amp="envelope[k.long().expand(-1, len(f0)), cols]"),
        "amplitudes of the nearest frame": _harmonics(
            spread="amp[:, (torch.arange(n) / cfg.hop_length).round().long().clamp(max=len(f0) - 1)]"),
        "phase 2π·F0·t without accumulating": _harmonics(
            phase="phase + 2 * math.pi * rate * (torch.arange(n) + 1) / cfg.sample_rate"),
        "F0 falls to 0 in unvoiced frames (no hold)": _harmonics(held="f0"),
        "no voicing gate": _harmonics(out="out * 2 / torch.hann_window(cfg.win_length, dtype=torch.float64).sum()"),
        "power envelope instead of magnitude": _harmonics(
            amp="envelope[low, cols] ** 2 + (at - low) * (envelope[low + 1, cols] ** 2 - envelope[low, cols] ** 2)"),
        "a fixed sample rate of 22050 Hz": _harmonics(
            phase="phase + 2 * math.pi * torch.cumsum(rate, 0) / 22050"),
    },
    "my_flow_channels": {
        "channels leave before flow 0 too": (
            "channels, out = config.n_group, []\n"
            "for k in range(config.n_flows):\n"
            "    if k % config.n_early_every == 0:\n"
            "        channels -= config.n_early_size\n"
            "    out.append(channels)\n"
            "return out"
        ),
        "channels leave after the flow": (
            "channels, out = config.n_group, []\n"
            "for k in range(config.n_flows):\n"
            "    out.append(channels)\n"
            "    if k % config.n_early_every == 0 and k > 0:\n"
            "        channels -= config.n_early_size\n"
            "return out"
        ),
        "half the early channels leave": (
            "channels, out = config.n_group, []\n"
            "for k in range(config.n_flows):\n"
            "    if k % config.n_early_every == 0 and k > 0:\n"
            "        channels -= config.n_early_size // 2\n"
            "    out.append(channels)\n"
            "return out"
        ),
    },
}
