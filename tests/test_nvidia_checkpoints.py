"""NVIDIA checkpoint loaders: Tacotron 2 state dicts and pickled WaveGlow modules (course_lib.tts.nvidia).

The checkpoints are written here in NVIDIA's layouts (key names from NVIDIA/tacotron2 model.py and
layers.py; attribute layout of NVIDIA/waveglow glow.py, current and old), with random weights. The
loaded course models are compared with small reference implementations written in this file from the
reference code's semantics (plain tensor operations on the saved tensors, dropout off).
"""

import sys
import types
import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_lib.text import SYMBOLS
from course_lib.tts.nvidia import (
    load_nvidia_tacotron2,
    load_nvidia_waveglow,
    nvidia_text_to_sequence,
    tacotron2_config_from_state_dict,
    waveglow_config_from_state_dict,
)
from course_lib.tts.tacotron2 import Tacotron2, Tacotron2Config
from course_lib.tts.waveglow.config import WaveGlowConfig
from course_lib.tts.waveglow.model import WaveGlow


# ============================================================================ Tacotron 2
def nvidia_tacotron2_keys(n_enc: int = 3, n_post: int = 5) -> set[str]:
    """Parameter/buffer names of NVIDIA/tacotron2's Tacotron2.

    Sources: model.py, layers.py ConvNorm.conv, LinearNorm.linear_layer."""
    bn = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")
    keys = {"embedding.weight"}
    for i in range(n_enc):
        keys |= {f"encoder.convolutions.{i}.0.conv.weight", f"encoder.convolutions.{i}.0.conv.bias"}
        keys |= {f"encoder.convolutions.{i}.1.{b}" for b in bn}
    for suffix in ("", "_reverse"):
        keys |= {f"encoder.lstm.{w}_l0{suffix}" for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    keys |= {"decoder.prenet.layers.0.linear_layer.weight", "decoder.prenet.layers.1.linear_layer.weight"}
    for rnn in ("attention_rnn", "decoder_rnn"):
        keys |= {f"decoder.{rnn}.{w}" for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    a = "decoder.attention_layer."
    keys |= {a + "query_layer.linear_layer.weight", a + "memory_layer.linear_layer.weight",
             a + "v.linear_layer.weight", a + "location_layer.location_conv.conv.weight",
             a + "location_layer.location_dense.linear_layer.weight"}
    keys |= {"decoder.linear_projection.linear_layer.weight", "decoder.linear_projection.linear_layer.bias",
             "decoder.gate_layer.linear_layer.weight", "decoder.gate_layer.linear_layer.bias"}
    for i in range(n_post):
        keys |= {f"postnet.convolutions.{i}.0.conv.weight", f"postnet.convolutions.{i}.0.conv.bias"}
        keys |= {f"postnet.convolutions.{i}.1.{b}" for b in bn}
    return keys


SMALL = dict(symbols_embedding_dim=32, encoder_embedding_dim=32, prenet_dim=24, attention_rnn_dim=48,
             decoder_rnn_dim=40, attention_dim=16, attention_location_n_filters=4,
             attention_location_kernel_size=7, postnet_embedding_dim=24)


def random_nvidia_state(config: Tacotron2Config, seed: int = 0) -> dict[str, torch.Tensor]:
    """A state dict in NVIDIA's names with random weights and non-trivial batch-norm statistics."""
    torch.manual_seed(seed)
    state = Tacotron2(config).state_dict()
    for k, v in state.items():
        if k.endswith("running_var"):
            state[k] = 0.5 + torch.rand_like(v)
        elif k.endswith("running_mean") or (k.endswith(".1.bias") and "convolutions" in k):
            state[k] = 0.1 * torch.randn_like(v)
        elif k.endswith(".1.weight") and "convolutions" in k:
            state[k] = 1 + 0.1 * torch.randn_like(v)
        elif v.is_floating_point() and k.endswith("bias"):
            state[k] = 0.1 * torch.randn_like(v)
    return state


def _lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh):
    i, f, g, o = (x @ w_ih.T + b_ih + h @ w_hh.T + b_hh).chunk(4, dim=-1)  # PyTorch gate order
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def _conv_bn(x, sd, p, k):
    x = F.conv1d(x, sd[p + "0.conv.weight"], sd[p + "0.conv.bias"], padding=(k - 1) // 2)
    return F.batch_norm(x, sd[p + "1.running_mean"], sd[p + "1.running_var"], sd[p + "1.weight"],
                        sd[p + "1.bias"], training=False, eps=1e-5)


def reference_tacotron2(sd, ids, steps, cfg):
    """NVIDIA Tacotron2.inference semantics, dropout off, a fixed number of decoder steps."""
    x = sd["embedding.weight"][ids].T[None]  # [1, E, T]
    for i in range(cfg.encoder_n_convolutions):
        x = F.relu(_conv_bn(x, sd, f"encoder.convolutions.{i}.", cfg.encoder_kernel_size))
    x = x[0].T  # [T, E]
    outs = []
    for suffix, order in (("", range(len(ids))), ("_reverse", reversed(range(len(ids))))):
        w = [sd[f"encoder.lstm.{n}_l0{suffix}"] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        h = c = torch.zeros(w[1].shape[1])
        out = [None] * len(ids)
        for t in order:
            h, c = _lstm_step(x[t], h, c, *w)
            out[t] = h
        outs.append(torch.stack(out))
    memory = torch.cat(outs, dim=1)  # [T, E]
    a = "decoder.attention_layer."
    processed_memory = memory @ sd[a + "memory_layer.linear_layer.weight"].T
    att_w = [sd[f"decoder.attention_rnn.{n}"] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    dec_w = [sd[f"decoder.decoder_rnn.{n}"] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    att_h = att_c = torch.zeros(cfg.attention_rnn_dim)
    dec_h = dec_c = torch.zeros(cfg.decoder_rnn_dim)
    weights = weights_cum = torch.zeros(len(ids))
    context = torch.zeros(cfg.encoder_embedding_dim)
    frame = torch.zeros(cfg.n_mel_channels * cfg.n_frames_per_step)
    mels, gates, aligns = [], [], []
    for _ in range(steps):
        p = frame
        for i in range(2):
            p = F.relu(p @ sd[f"decoder.prenet.layers.{i}.linear_layer.weight"].T)
        att_h, att_c = _lstm_step(torch.cat([p, context]), att_h, att_c, *att_w)
        loc_k = cfg.attention_location_kernel_size
        loc = F.conv1d(torch.stack([weights, weights_cum])[None], sd[a + "location_layer.location_conv.conv.weight"],
                       padding=(loc_k - 1) // 2)[0].T @ sd[a + "location_layer.location_dense.linear_layer.weight"].T
        query = att_h @ sd[a + "query_layer.linear_layer.weight"].T
        energies = (torch.tanh(query + loc + processed_memory) @ sd[a + "v.linear_layer.weight"].T)[:, 0]
        weights = torch.softmax(energies, dim=0)
        weights_cum = weights_cum + weights
        context = weights @ memory
        dec_h, dec_c = _lstm_step(torch.cat([att_h, context]), dec_h, dec_c, *dec_w)
        hc = torch.cat([dec_h, context])
        frame = (hc @ sd["decoder.linear_projection.linear_layer.weight"].T
                 + sd["decoder.linear_projection.linear_layer.bias"])
        gate = hc @ sd["decoder.gate_layer.linear_layer.weight"].T + sd["decoder.gate_layer.linear_layer.bias"]
        mels.append(frame.view(cfg.n_frames_per_step, cfg.n_mel_channels)), gates.append(gate), aligns.append(weights)
    mel = torch.cat(mels).T[None]  # [1, n_mels, frames]
    x = mel
    for i in range(cfg.postnet_n_convolutions):
        x = _conv_bn(x, sd, f"postnet.convolutions.{i}.", cfg.postnet_kernel_size)
        x = torch.tanh(x) if i < cfg.postnet_n_convolutions - 1 else x
    return mel, mel + x, torch.cat(gates)[None], torch.stack(aligns)[None]


def test_paper_preset_names_are_nvidias():
    sd = Tacotron2(Tacotron2Config.paper()).state_dict()
    assert set(sd) == nvidia_tacotron2_keys()
    assert tacotron2_config_from_state_dict(sd) == Tacotron2Config.paper()
    assert len(SYMBOLS) == 148 and sd["embedding.weight"].shape == (148, 512)


def test_nvidia_text_front_end():
    ids = nvidia_text_to_sequence("Hello, Dr. Smith!")
    assert [SYMBOLS[i] for i in ids] == list("hello, doctor smith!")


@pytest.mark.parametrize("legacy", [False, True])
def test_loads_nvidia_file_layout(tmp_path, legacy):
    config = Tacotron2Config.paper(**SMALL)
    state = random_nvidia_state(config)
    state.pop("encoder.convolutions.0.1.num_batches_tracked")  # pre-0.4.1 checkpoints lack these
    payload = {"iteration": 7, "learning_rate": 1e-3, "optimizer": {"state": {}, "param_groups": []},
               "state_dict": {"module." + k: v for k, v in state.items()}}  # as saved by DDP training
    path = tmp_path / "tacotron2_statedict.pt"
    torch.save(payload, path, _use_new_zipfile_serialization=not legacy)
    model = load_nvidia_tacotron2(path)
    assert model.config == config and not model.training
    loaded = model.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in state.items())


def test_loaded_tacotron2_computes_the_reference():
    config = Tacotron2Config.paper(**SMALL)
    state = random_nvidia_state(config, seed=1)
    model = load_nvidia_tacotron2({"state_dict": state})
    model.decoder.prenet.dropout = 0.0  # the reference runs with dropout off
    ids = torch.tensor(nvidia_text_to_sequence("Scientists at the lab."))
    steps = 12
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "reached max_decoder_steps": on purpose
        out = model.inference(ids, max_decoder_steps=steps, gate_threshold=1.0)
    ref = reference_tacotron2(state, ids, steps, config)
    for name, got, want in zip(("mel", "mel_postnet", "gate", "alignments"),
                               (out.mel, out.mel_postnet, out.gate, out.alignments), ref):
        assert got.shape == want.shape, name
        torch.testing.assert_close(got, want, atol=2e-5, rtol=1e-4, msg=name)
    assert out.alignments[0].sum(-1).sub(1).abs().max() < 1e-5


@pytest.mark.slow
def test_paper_size_state_dict_loads_and_matches_reference_for_a_few_steps():
    state = random_nvidia_state(Tacotron2Config.paper(), seed=2)
    model = load_nvidia_tacotron2({"state_dict": state})
    assert model.config == Tacotron2Config.paper()
    model.decoder.prenet.dropout = 0.0
    ids = torch.tensor(nvidia_text_to_sequence("Hi there."))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = model.inference(ids, max_decoder_steps=4, gate_threshold=1.0)
    ref = reference_tacotron2(state, ids, 4, model.config)
    torch.testing.assert_close(out.mel_postnet, ref[1], atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(out.alignments, ref[3], atol=1e-5, rtol=1e-4)


def test_wrong_state_dict_is_refused(tmp_path):
    state = random_nvidia_state(Tacotron2Config.paper(**SMALL))
    state["decoder.extra.weight"] = torch.zeros(1)
    with pytest.raises(ValueError, match="unexpected"):
        load_nvidia_tacotron2({"state_dict": state})
    with pytest.raises(ValueError, match="NVIDIA's Tacotron 2 names"):
        load_nvidia_tacotron2({"state_dict": {"embedding.weight": torch.zeros(3, 4)}})
    with pytest.raises(FileNotFoundError, match="no Tacotron 2 checkpoint"):
        load_nvidia_tacotron2(tmp_path / "missing.pt")
    with pytest.raises(TypeError):
        load_nvidia_tacotron2(42)


# ============================================================================ WaveGlow
def _wn(conv: nn.Module) -> nn.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return torch.nn.utils.weight_norm(conv, name="weight")  # old-style: weight_g, weight_v + WeightNorm hook


class RefWN(nn.Module):
    """NVIDIA glow.WN's attribute layout; ``old=True`` gives the pre-2019 layout (cond_layers, res/skip_layers)."""

    def __init__(self, n_in, n_mel, n_layers, n_channels, kernel_size, old=False):
        super().__init__()
        self.n_layers, self.n_channels, self.old = n_layers, n_channels, old
        self.in_layers = nn.ModuleList()
        self.start = _wn(nn.Conv1d(n_in, n_channels, 1))
        self.end = nn.Conv1d(n_channels, 2 * n_in, 1)  # NVIDIA zero-initialises it; random here so it matters
        if old:
            self.cond_layers = nn.ModuleList(_wn(nn.Conv1d(n_mel, 2 * n_channels, 1)) for _ in range(n_layers))
            self.res_layers = nn.ModuleList(_wn(nn.Conv1d(n_channels, n_channels, 1)) for _ in range(n_layers - 1))
            self.skip_layers = nn.ModuleList(_wn(nn.Conv1d(n_channels, n_channels, 1)) for _ in range(n_layers))
        else:
            self.cond_layer = _wn(nn.Conv1d(n_mel, 2 * n_channels * n_layers, 1))
            self.res_skip_layers = nn.ModuleList(
                _wn(nn.Conv1d(n_channels, 2 * n_channels if i < n_layers - 1 else n_channels, 1))
                for i in range(n_layers))
        for i in range(n_layers):
            d = 2 ** i
            self.in_layers.append(_wn(nn.Conv1d(n_channels, 2 * n_channels, kernel_size, dilation=d,
                                                padding=(kernel_size * d - d) // 2)))

    def forward(self, audio, spect):
        c = self.n_channels
        audio = self.start(audio)
        output = 0
        cond = None if self.old else self.cond_layer(spect)
        for i in range(self.n_layers):
            s = self.cond_layers[i](spect) if self.old else cond[:, 2 * c * i: 2 * c * (i + 1)]
            z = self.in_layers[i](audio) + s
            acts = torch.tanh(z[:, :c]) * torch.sigmoid(z[:, c:])
            if self.old:
                if i < self.n_layers - 1:
                    audio = audio + self.res_layers[i](acts)
                output = output + self.skip_layers[i](acts)
            else:
                rs = self.res_skip_layers[i](acts)
                if i < self.n_layers - 1:
                    audio, output = audio + rs[:, :c], output + rs[:, c:]
                else:
                    output = output + rs
        return self.end(output)


class RefInvertible1x1Conv(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv1d(c, c, 1, bias=False)
        w = torch.linalg.qr(torch.randn(c, c))[0] + 0.3 * torch.randn(c, c)  # not orthonormal: log|det W| != 0
        self.conv.weight.data = w[:, :, None]


class _OldTorchBackend:
    """What a module pickled by torch <= 1.0 carries as ``_backend``: a call of torch's legacy hook."""

    def __reduce__(self):
        from torch.nn.backends.thnn import _get_thnn_function_backend

        return (_get_thnn_function_backend, ())


class RefWaveGlow(nn.Module):
    """NVIDIA glow.WaveGlow's attributes; ``forward`` (audio → z) and ``inverse`` (z → audio) follow
    the reference's training forward and ``infer`` with the noise given instead of drawn."""

    def __init__(self, n_mel=8, n_flows=6, n_group=8, n_early_every=4, n_early_size=2, n_layers=3,
                 n_channels=8, kernel_size=3, hop=16, up_kernel=64, old=False):
        super().__init__()
        self.upsample = nn.ConvTranspose1d(n_mel, n_mel, up_kernel, stride=hop)
        self.n_flows, self.n_group = n_flows, n_group
        self.n_early_every, self.n_early_size = n_early_every, n_early_size
        self.WN, self.convinv = nn.ModuleList(), nn.ModuleList()
        n_half, remaining = n_group // 2, n_group
        for k in range(n_flows):
            if k % n_early_every == 0 and k > 0:
                n_half -= n_early_size // 2
                remaining -= n_early_size
            self.convinv.append(RefInvertible1x1Conv(remaining))
            self.WN.append(RefWN(n_half, n_mel * n_group, n_layers, n_channels, kernel_size, old))
        self.n_remaining_channels = remaining
        if old:  # attributes of modules saved by torch <= 1.0
            self._backend = _OldTorchBackend()
            self.old_shape = torch.Size([n_group, n_mel])

    def _spect(self, spect, n):
        spect = self.upsample(spect)[:, :, :n]
        spect = spect.unfold(2, self.n_group, self.n_group).permute(0, 2, 1, 3)
        return spect.contiguous().view(spect.size(0), spect.size(1), -1).permute(0, 2, 1)

    def forward(self, spect, audio):
        spect = self._spect(spect, audio.shape[1])
        audio = audio.unfold(1, self.n_group, self.n_group).permute(0, 2, 1)
        early, log_s_list, log_det_list = [], [], []
        for k in range(self.n_flows):
            if k % self.n_early_every == 0 and k > 0:
                early.append(audio[:, :self.n_early_size])
                audio = audio[:, self.n_early_size:]
            w = self.convinv[k].conv.weight.squeeze(-1)
            log_det_list.append(audio.shape[0] * audio.shape[2] * torch.slogdet(w)[1])
            audio = self.convinv[k].conv(audio)
            h = audio.shape[1] // 2
            out = self.WN[k](audio[:, :h], spect)
            log_s = out[:, h:]
            audio = torch.cat([audio[:, :h], torch.exp(log_s) * audio[:, h:] + out[:, :h]], 1)
            log_s_list.append(log_s)
        early.append(audio)
        return torch.cat(early, 1), log_s_list, log_det_list

    def inverse(self, spect, z):
        n = spect.shape[2] * self.upsample.stride[0]
        spect = self._spect(spect, n)
        audio = z[:, -self.n_remaining_channels:]
        pending = z[:, :-self.n_remaining_channels]
        for k in reversed(range(self.n_flows)):
            h = audio.shape[1] // 2
            out = self.WN[k](audio[:, :h], spect)
            audio = torch.cat([audio[:, :h], (audio[:, h:] - out[:, :h]) / torch.exp(out[:, h:])], 1)
            w_inv = self.convinv[k].conv.weight.squeeze(-1).double().inverse().float()
            audio = F.conv1d(audio, w_inv[:, :, None])
            if k % self.n_early_every == 0 and k > 0:
                audio = torch.cat([pending[:, -self.n_early_size:], audio], 1)
                pending = pending[:, :-self.n_early_size]
        return audio.permute(0, 2, 1).reshape(audio.shape[0], -1)


def save_as_nvidia(path, model, legacy=False):
    """Pickle ``model`` as NVIDIA did: its classes named ``glow.WaveGlow`` etc., inside {'model': ...}."""
    glow = types.ModuleType("glow")
    for cls, name in ((RefWaveGlow, "WaveGlow"), (RefWN, "WN"), (RefInvertible1x1Conv, "Invertible1x1Conv")):
        cls.__module__, cls.__qualname__ = "glow", name
        setattr(glow, name, cls)
    sys.modules["glow"] = glow
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "couldn't retrieve source code for container"
            torch.save({"model": model, "iteration": 580000, "optimizer": None, "learning_rate": 1e-4}, path,
                       _use_new_zipfile_serialization=not legacy)
    finally:
        del sys.modules["glow"]
        for cls in (RefWaveGlow, RefWN, RefInvertible1x1Conv):  # __name__ stays the class's own name
            cls.__module__, cls.__qualname__ = __name__, cls.__name__


@pytest.mark.parametrize("old,legacy", [(False, False), (False, True), (True, False), (True, True)])
def test_pickled_waveglow_loads_and_computes_the_reference(tmp_path, old, legacy):
    torch.manual_seed(0)
    ref = RefWaveGlow(old=old).eval()
    path = tmp_path / "waveglow_256channels_universal_v5.pt"
    save_as_nvidia(path, ref, legacy)
    assert "glow" not in sys.modules
    model = load_nvidia_waveglow(path, for_inference=False)
    cfg = model.config
    assert (cfg.n_flows, cfg.n_group, cfg.n_early_every, cfg.n_early_size, cfg.wn_layers, cfg.wn_channels,
            cfg.hop_length, cfg.upsample_kernel, cfg.n_mel_channels) == (6, 8, 4, 2, 3, 8, 16, 64, 8)
    mel = torch.randn(2, 8, 10)
    audio = 0.1 * torch.randn(2, 10 * 16)
    wn_out, wn_out_ref = [], []  # every coupling network's (shift, log s), flow by flow
    for wn, wn_ref in zip(model.WN, ref.WN):
        wn.register_forward_hook(lambda m, i, out: wn_out.append(out))
        wn_ref.register_forward_hook(lambda m, i, out: wn_out_ref.append(out))
    with torch.no_grad():
        z, log_det = model(mel, audio)
        z_ref, log_s_ref, log_det_ref = ref(mel, audio)
        torch.testing.assert_close(z, z_ref, atol=1e-5, rtol=1e-4)
        assert len(wn_out) == len(wn_out_ref) == cfg.n_flows
        for a, b in zip(wn_out, wn_out_ref):
            torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)
        # ours: one log-determinant per example; NVIDIA's: log s per value and Σ_batch log|det W| per flow
        per_example = sum(ls.sum(dim=(1, 2)) for ls in log_s_ref) + sum(log_det_ref) / mel.shape[0]
        torch.testing.assert_close(log_det, per_example, atol=1e-4, rtol=1e-5)
        noise = torch.randn_like(z)
        want = ref.inverse(mel, noise)
        torch.testing.assert_close(model.inverse(mel, noise), want, atol=1e-4, rtol=1e-4)
        fast = load_nvidia_waveglow(path)  # weight norm folded, W⁻¹ cached
        torch.testing.assert_close(fast.inverse(mel, noise), want, atol=1e-4, rtol=1e-4)


@pytest.mark.slow
def test_paper_shapes_give_the_paper_config():
    cfg = WaveGlowConfig.paper()
    state = WaveGlow(cfg).state_dict()
    assert waveglow_config_from_state_dict(state) == cfg


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))  # would create the marker file if it ran


@pytest.mark.parametrize("legacy", [False, True])
def test_malicious_pickles_are_refused_without_running(tmp_path, legacy):
    marker = tmp_path / "pwned"
    for i, payload in enumerate([{"model": _Evil(str(marker))}, _Evil(str(marker))]):
        path = tmp_path / f"evil{i}.pt"
        torch.save(payload, path, _use_new_zipfile_serialization=not legacy)
        with pytest.raises(ValueError, match="refused"):
            load_nvidia_waveglow(path)
        assert not marker.exists()
    # a class outside the allow-list, even under the glow module name, is refused too
    glow = types.ModuleType("glow")

    class Denoiser(nn.Module):
        pass

    Denoiser.__module__, Denoiser.__qualname__ = "glow", "Denoiser"
    glow.Denoiser = Denoiser
    sys.modules["glow"] = glow
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.save({"model": Denoiser()}, tmp_path / "other.pt")
    finally:
        del sys.modules["glow"]
    with pytest.raises(ValueError, match="glow.Denoiser"):
        load_nvidia_waveglow(tmp_path / "other.pt")


def test_not_a_waveglow(tmp_path):
    torch.save({"model": {"weights": torch.zeros(2)}}, tmp_path / "dict.pt")
    with pytest.raises(ValueError, match="no pickled glow.WaveGlow"):
        load_nvidia_waveglow(tmp_path / "dict.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="refused"):
        load_nvidia_waveglow(tmp_path / "junk.pt")
    with pytest.raises(FileNotFoundError):
        load_nvidia_waveglow(tmp_path / "missing.pt")
