"""Plausible wrong answers to chapter 07's exercises; each check must reject every one."""

_FB = """bins = np.arange(n_fft // 2 + 1) * sample_rate / n_fft
c = {centres}
fb = np.zeros((n_mels, len(bins)))
for i in range(n_mels):
    up = (bins - c[i]) / (c[i + 1] - c[i])
    down = (c[i + 2] - bins) / (c[i + 2] - c[i + 1])
    fb[i] = np.maximum(0.0, np.minimum(up, down)){scale}
return fb
"""
_MEL = "mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))"
_AREA = " * 2 / (c[i + 2] - c[i])"

WRONG_ANSWERS = {
    "my_mel_filterbank": {
        "peak 1, no area normalisation": _FB.format(centres=_MEL, scale=""),
        "centres equally spaced in Hz": _FB.format(centres="np.linspace(fmin, fmax, n_mels + 2)", scale=_AREA),
        "HTK mel scale": _FB.format(centres="librosa.mel_frequencies(n_mels + 2, fmin=fmin, fmax=fmax, htk=True)",
                                    scale=_AREA),
        "bins at k·sr/(n_fft + 1)": _FB.format(centres=_MEL, scale=_AREA).replace("sample_rate / n_fft",
                                                                                  "sample_rate / (n_fft + 1)"),
        "calls librosa": "return librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)",
    },
    "my_hz_to_mel": {
        "HTK formula": "return 2595 * np.log10(1 + f / 700)",
        "forgets the 15 mels at 1 kHz": "return np.where(f < 1000, 3 * f / 200, "
                                        "27 * np.log(np.maximum(f, 1000) / 1000) / np.log(6.4))",
        "log without the ln 6.4": "return np.where(f < 1000, 3 * f / 200, "
                                  "15 + 27 * np.log(np.maximum(f, 1000) / 1000))",
        "calls librosa": "return librosa.hz_to_mel(f)",
    },
    "my_griffin_lim_step": {
        "keeps the magnitude of X": "x = A.istft_from_scratch(S * phase, hop_length=256)\n"
                                    "return A.stft_from_scratch(x)",
        "returns the angle, not a unit complex number": "x = A.istft_from_scratch(S * phase, hop_length=256)\n"
                                                        "return np.angle(A.stft_from_scratch(x))",
        "forgets the target magnitude": "x = A.istft_from_scratch(phase, hop_length=256)\n"
                                        "X = A.stft_from_scratch(x)\nreturn X / (np.abs(X) + 1e-16)",
    },
}
