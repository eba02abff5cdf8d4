"""Plausible wrong answers to chapter 06's exercises; each check must reject every one."""

_PINK = """spectrum = np.fft.rfft(rng.standard_normal(n))
f = np.fft.rfftfreq(n)
{shape}
pink = np.fft.irfft(spectrum, n)
return {ret}
"""
_SHAPE = "spectrum[1:] /= np.sqrt(f[1:])\nspectrum[0] = 0.0"
_NORM = "pink / np.sqrt(np.mean(pink ** 2))"

_WARP = """frames = spec.shape[-1]
t = np.arange(frames, dtype=np.float64)
src = np.interp(t, {xs}, {ys})
lo = np.floor(src).astype(int)
hi = np.minimum(lo + 1, frames - 1)
frac = torch.as_tensor(src - lo, dtype=spec.dtype)
return {ret}
"""
_XS, _YS = "[0, w0 + w, frames - 1]", "[0, w0, frames - 1]"
_RET = "spec[:, lo] * (1 - frac) + spec[:, hi] * frac"

WRONG_ANSWERS = {
    "pink_noise": {
        "amplitude ∝ 1/f (power 1/f², brown noise)": _PINK.format(shape=_SHAPE.replace("np.sqrt(f[1:])", "f[1:]"),
                                                                   ret=_NORM),
        "white noise, unshaped": _PINK.format(shape="", ret=_NORM),
        "divides by √f at f = 0 too": _PINK.format(shape="spectrum /= np.sqrt(f)", ret=_NORM),
        "forgets to rescale to unit power": _PINK.format(shape=_SHAPE, ret="pink"),
    },
    "mask_channels": {
        "one channel too many": "out = spec.clone()\nout[f0:f0 + f + 1, :] = spec.mean()\nreturn out",
        "masks frames instead of channels": "out = spec.clone()\nout[:, f0:f0 + f] = spec.mean()\nreturn out",
        "changes the input in place": "spec[f0:f0 + f, :] = spec.mean()\nreturn spec",
        "fills with the band's own mean": "out = spec.clone()\nout[f0:f0 + f, :] = spec[f0:f0 + f].mean()\nreturn out",
        "calls the library": "return A.freq_mask(spec, f0, f)",
    },
    "time_warp": {
        "warps the wrong way (w0 + w moves to w0)": _WARP.format(xs=_YS, ys=_XS, ret=_RET),
        "rounds to the nearest frame": _WARP.format(xs=_XS, ys=_YS, ret="spec[:, np.round(src).astype(int)]"),
        "pins the end at tau instead of tau - 1": _WARP.format(xs="[0, w0 + w, frames]", ys="[0, w0, frames]",
                                                                ret=_RET),
        "warps the frequency axis": _WARP.format(xs=_XS, ys=_YS,
                                                 ret="spec[lo, :] * (1 - frac[:, None]) + spec[hi, :] * frac[:, None]"),
    },
}
