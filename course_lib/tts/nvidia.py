"""NVIDIA's published Tacotron 2 and WaveGlow checkpoints, loaded into the course models (chapter 15).

- ``tacotron2_statedict.pt`` (NVIDIA/tacotron2) is a dict whose ``"state_dict"`` holds the weights
  under the same names as :class:`~course_lib.tts.tacotron2.Tacotron2` (the course kept NVIDIA's
  module names). :func:`load_nvidia_tacotron2` reads it with ``weights_only=True``.
- ``waveglow_256channels_universal_v5.pt`` (NVIDIA/waveglow) is a *pickled module*:
  ``torch.load(p)["model"]`` rebuilds ``glow.WaveGlow`` and runs whatever the pickle asks for.
  :func:`load_nvidia_waveglow` never does that. ``torch.load`` reads the container and the tensor
  storages, but every object is built by a restricted ``pickle.Unpickler`` whose ``find_class``
  knows only the class names such a file contains (``glow.WaveGlow``, ``glow.WN``,
  ``glow.Invertible1x1Conv``, torch's ``Conv1d``/``ConvTranspose1d``/``ModuleList``, the old
  ``WeightNorm`` hook), each mapped to an inert stand-in that only collects its attributes, plus
  torch's tensor-rebuild functions. Anything else (``os.system``, ``builtins.eval``, an unknown
  class) is refused before it runs. (torch's own ``weights_only`` unpickler cannot read such files:
  the pre-1.6 format names each module class in a persistent id, which it refuses.) The collected
  tensors are renamed into the course :class:`WaveGlow`.

Both models use the course text front end unchanged: NVIDIA's 148 symbols and English cleaners are
:data:`course_lib.text.SYMBOLS` and ``text_to_sequence(text, "english")``. NVIDIA's mels are raw
natural-log mels (no per-channel normalisation), the same :class:`~course_lib.audio.AudioConfig`.

The layouts read follow NVIDIA/tacotron2 and NVIDIA/waveglow (BSD-3-Clause): see NOTICE.
"""

from __future__ import annotations

import os
import pickle
import types
import warnings
from collections import OrderedDict
from pathlib import Path

import torch

from course_lib.text import SYMBOLS, text_to_sequence
from course_lib.tts.tacotron2 import Tacotron2, Tacotron2Config
from course_lib.tts.waveglow.config import WaveGlowConfig
from course_lib.tts.waveglow.model import WaveGlow

__all__ = ["NVIDIA_SYMBOLS", "nvidia_text_to_sequence", "load_nvidia_tacotron2", "load_nvidia_waveglow",
           "read_nvidia_waveglow_state", "tacotron2_config_from_state_dict", "waveglow_config_from_state_dict",
           "ALLOWED_WAVEGLOW_CLASSES"]

#: NVIDIA/tacotron2 ``text/symbols.py`` with English cleaners: exactly the course symbol set.
NVIDIA_SYMBOLS = SYMBOLS


def nvidia_text_to_sequence(text: str) -> list[int]:
    """Ids for NVIDIA's Tacotron 2: ``text_to_sequence(text, ['english_cleaners'])`` in their code."""
    return text_to_sequence(text, "english")


# ---------------------------------------------------------------------------- Tacotron 2
def _tensor_state(path_or_state_dict) -> dict[str, torch.Tensor]:
    where = "the state dict"
    if isinstance(path_or_state_dict, (str, os.PathLike)):
        from course_lib.checkpoint import load_checkpoint

        path = Path(path_or_state_dict)
        if not path.is_file():
            raise FileNotFoundError(f"no Tacotron 2 checkpoint at {path}; download NVIDIA's tacotron2_statedict.pt "
                                    "(see docs/SCALING.md) or give the right path")
        payload, where = load_checkpoint(path), str(path)  # weights only; one clear ValueError otherwise
    elif isinstance(path_or_state_dict, dict):
        payload = path_or_state_dict
    else:
        raise TypeError(f"expected a checkpoint path or a state dict, got {type(path_or_state_dict).__name__}")
    state = payload.get("state_dict", payload)
    if not isinstance(state, dict) or not state or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{where} is not a Tacotron 2 state dict: NVIDIA's file is a dict with a 'state_dict' "
                         f"of tensors (top-level keys found: {sorted(map(str, payload))[:8]})")
    # checkpoints written by DistributedDataParallel prefix every name with "module."
    return {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}


def tacotron2_config_from_state_dict(state: dict[str, torch.Tensor]) -> Tacotron2Config:
    """The :class:`Tacotron2Config` whose shapes match ``state`` (NVIDIA names); numbers the
    weights do not show (dropouts, max decoder steps, gate threshold) keep the paper's values."""
    try:
        n_symbols, emb = state["embedding.weight"].shape
        n_enc = len({k.split(".")[2] for k in state if k.startswith("encoder.convolutions.")})
        enc_k = state["encoder.convolutions.0.0.conv.weight"].shape[2]
        prenet_dim, prenet_in = state["decoder.prenet.layers.0.linear_layer.weight"].shape
        att_rnn = state["decoder.attention_rnn.weight_hh"].shape[1]
        dec_rnn = state["decoder.decoder_rnn.weight_hh"].shape[1]
        a = "decoder.attention_layer."
        attention_dim = state[a + "query_layer.linear_layer.weight"].shape[0]
        n_filters, _, loc_k = state[a + "location_layer.location_conv.conv.weight"].shape
        n_post = len({k.split(".")[2] for k in state if k.startswith("postnet.convolutions.")})
        post_dim, n_mels, post_k = state["postnet.convolutions.0.0.conv.weight"].shape
        r = state["decoder.linear_projection.linear_layer.weight"].shape[0] // n_mels
    except KeyError as err:
        raise ValueError(f"the state dict lacks {err} : it does not hold NVIDIA's Tacotron 2 names") from None
    if prenet_in != n_mels * r:
        raise ValueError(f"prenet input {prenet_in} != n_mels {n_mels} x frames per step {r}: not a Tacotron 2")
    return Tacotron2Config.paper(
        n_symbols=n_symbols, symbols_embedding_dim=emb, encoder_embedding_dim=emb, encoder_n_convolutions=n_enc,
        encoder_kernel_size=enc_k, n_mel_channels=n_mels, n_frames_per_step=r, prenet_dim=prenet_dim,
        attention_rnn_dim=att_rnn, decoder_rnn_dim=dec_rnn, attention_dim=attention_dim,
        attention_location_n_filters=n_filters, attention_location_kernel_size=loc_k,
        postnet_embedding_dim=post_dim, postnet_kernel_size=post_k, postnet_n_convolutions=n_post)


def load_nvidia_tacotron2(path_or_state_dict, device="cpu") -> Tacotron2:
    """NVIDIA's ``tacotron2_statedict.pt`` (or its ``["state_dict"]``) → a course :class:`Tacotron2`.

    The file is read with ``weights_only=True``. The architecture is read off the weight shapes, so
    NVIDIA's published file gives exactly ``Tacotron2Config.paper()``; names or shapes that do not fit
    raise a ``ValueError`` listing them. Feed it raw log-mels (no normalisation). Returns eval mode.
    """
    state = _tensor_state(path_or_state_dict)
    config = tacotron2_config_from_state_dict(state)
    model = Tacotron2(config)
    expected = model.state_dict()
    # BatchNorm's step counter is missing from checkpoints saved before torch 0.4.1; it is never used here
    for k, v in expected.items():
        if k.endswith("num_batches_tracked") and k not in state:
            state[k] = torch.zeros_like(v)
    missing, unexpected = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    wrong = sorted(k for k in set(expected) & set(state) if expected[k].shape != state[k].shape)
    if missing or unexpected or wrong:
        raise ValueError(f"the state dict does not fit NVIDIA's Tacotron 2: missing {missing[:5]}, unexpected "
                         f"{unexpected[:5]}, wrong shape {wrong[:5]}")
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    return model.to(device).eval()


# ---------------------------------------------------------------------------- WaveGlow
class _Inert:
    """Stand-in for a pickled class: collects the attributes the pickle sets, runs nothing."""

    pickled_name = "?"
    dump_patches = False  # torch.load's source check of old files asks for this (nn.Module has it)

    def __init__(self, *args, **kwargs):  # REDUCE-style construction is never legitimate here
        raise pickle.UnpicklingError(f"refusing to call {self.pickled_name}(...) while unpickling")

    def __repr__(self):
        return f"<inert {self.pickled_name}>"


#: Every class name NVIDIA's pickled WaveGlow may mention (new and old layouts of glow.py).
ALLOWED_WAVEGLOW_CLASSES = (
    "glow.WaveGlow", "glow.WN", "glow.Invertible1x1Conv",
    "glow_old.WaveGlow", "glow_old.WN", "glow_old.Invertible1x1Conv",
    "torch.nn.modules.conv.Conv1d", "torch.nn.modules.conv.ConvTranspose1d",
    "torch.nn.modules.container.ModuleList", "torch.nn.utils.weight_norm.WeightNorm",
)
_STAND_INS = {name: type("Inert_" + name.replace(".", "_"), (_Inert,), {"pickled_name": name})
              for name in ALLOWED_WAVEGLOW_CLASSES}
#: Plain functions and containers a pickled module needs: torch's tensor rebuilders, OrderedDict, set.
#: (Storage types such as ``torch.FloatStorage`` are resolved by torch.load itself, to inert dtype tags.)
_SAFE_CALLABLES = {
    "torch._utils._rebuild_tensor": torch._utils._rebuild_tensor,
    "torch._utils._rebuild_tensor_v2": torch._utils._rebuild_tensor_v2,
    "torch._utils._rebuild_parameter": torch._utils._rebuild_parameter,
    "torch._utils._rebuild_parameter_with_state": torch._utils._rebuild_parameter_with_state,
    "torch.Size": torch.Size,
    "collections.OrderedDict": OrderedDict,
    "builtins.set": set,
    "__builtin__.set": set,  # protocol-2 pickles name Python 2's module
    # modules pickled by torch <= 1.0 carry `_backend = THNNFunctionBackend()`, pickled as this call
    "torch.nn.backends.thnn._get_thnn_function_backend": lambda: None,
}


class _RestrictedUnpickler(pickle.Unpickler):
    """``find_class`` answers only the names above; every other global is refused before it is called."""

    def find_class(self, module, name):
        full = f"{module}.{name}"
        if full in _STAND_INS:
            return _STAND_INS[full]
        if full in _SAFE_CALLABLES:
            return _SAFE_CALLABLES[full]
        raise pickle.UnpicklingError(f"refusing to load the global {full}: not part of a pickled NVIDIA WaveGlow")


def _restricted_load(file, **kwargs):
    return _RestrictedUnpickler(file, **kwargs).load()


#: A ``pickle_module`` for ``torch.load``: torch reads the container (zip or the pre-1.6 legacy format,
#: whose pickles also name every module class for a source check) and the tensor storages; all object
#: construction goes through :class:`_RestrictedUnpickler`.
_RESTRICTED_PICKLE = types.SimpleNamespace(__name__="course_lib.restricted_pickle", Unpickler=_RestrictedUnpickler,
                                           load=_restricted_load, UnpicklingError=pickle.UnpicklingError)


def _collect(obj, prefix: str, out: dict) -> None:
    """Walk an inert module tree like ``nn.Module.state_dict`` does (``_parameters``, ``_buffers``, ``_modules``)."""
    attrs = vars(obj)
    for key in ("_parameters", "_buffers"):
        for name, t in (attrs.get(key) or {}).items():
            if isinstance(t, torch.Tensor):
                out[prefix + name] = t.detach()
    for name, child in (attrs.get("_modules") or {}).items():
        if isinstance(child, _Inert):
            _collect(child, f"{prefix}{name}.", out)


def read_nvidia_waveglow_state(path) -> dict[str, torch.Tensor]:
    """Tensors of a pickled NVIDIA WaveGlow by their module paths, read without running pickled code."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no WaveGlow checkpoint at {path}; download NVIDIA's "
                                "waveglow_256channels_universal_v5.pt (see docs/SCALING.md) or give the right path")
    if path.stat().st_size == 0:
        raise ValueError(f"{path} was refused: the file is empty (0 bytes); download it again")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # old files: "source code of container changed" warnings
            payload = torch.load(path, map_location="cpu", pickle_module=_RESTRICTED_PICKLE, weights_only=False)
    except pickle.UnpicklingError as err:
        if str(err).startswith("refusing"):  # our own allow-list said no
            raise ValueError(f"{path} was refused: {err}. Nothing in it was run.") from None
        raise ValueError(f"{path} was refused: it is not a readable PyTorch checkpoint (truncated or corrupt; "
                         f"{type(err).__name__}). Nothing in it was run.") from None
    except Exception as err:  # torch reports truncated/corrupt files with many error types
        raise ValueError(f"{path} was refused: it is not a readable PyTorch checkpoint (truncated or corrupt; "
                         f"{type(err).__name__}). Nothing in it was run.") from None
    model = payload.get("model") if isinstance(payload, dict) else None
    if type(model) not in (_STAND_INS["glow.WaveGlow"], _STAND_INS["glow_old.WaveGlow"]):
        raise ValueError(f"{path} holds no pickled glow.WaveGlow under 'model' (found {type(model).__name__})")
    state: dict[str, torch.Tensor] = OrderedDict()
    _collect(model, "", state)
    stride = getattr(model.__dict__.get("_modules", {}).get("upsample"), "stride", None)
    if stride is not None:
        state["upsample.stride"] = torch.tensor(list(stride))  # read back by waveglow_config_from_state_dict
    return state


def _weight_normed(state: dict, name: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(weight_g, weight_v, bias)`` of a conv, weight-normalised or not (w = g v/‖v‖, dim 0)."""
    if name + ".weight_v" in state:
        return state[name + ".weight_g"], state[name + ".weight_v"], state[name + ".bias"]
    w = state[name + ".weight"]
    return w.norm(dim=(1, 2), keepdim=True), w, state[name + ".bias"]


def _convert_waveglow(state: dict) -> dict[str, torch.Tensor]:
    """NVIDIA names (current or old glow.py) → the course WaveGlow's state dict.

    Old models had one conditioning conv per layer (``cond_layers.i``) and separate residual and skip
    convs (``res_layers.i``, ``skip_layers.i``); their outputs are concatenated along the output
    channels, which is exact under weight norm because g and v are per output channel.
    """
    out = {"upsample.weight": state["upsample.weight"], "upsample.bias": state["upsample.bias"]}
    n_flows = 1 + max(int(k.split(".")[1]) for k in state if k.startswith("WN."))
    for k in range(n_flows):
        p = f"WN.{k}."
        out[f"convinv.{k}.conv.weight"] = state[f"convinv.{k}.conv.weight"]
        out[p + "end.weight"], out[p + "end.bias"] = state[p + "end.weight"], state[p + "end.bias"]
        n_layers = 1 + max(int(key.split(".")[3]) for key in state if key.startswith(p + "in_layers."))
        convs = {"start": [_weight_normed(state, p + "start")]}
        convs.update({f"in_layers.{i}": [_weight_normed(state, f"{p}in_layers.{i}")] for i in range(n_layers)})
        if any(key.startswith(p + "cond_layer.") for key in state):
            convs["cond_layer"] = [_weight_normed(state, p + "cond_layer")]
        else:
            convs["cond_layer"] = [_weight_normed(state, f"{p}cond_layers.{i}") for i in range(n_layers)]
        for i in range(n_layers):
            if any(key.startswith(f"{p}res_skip_layers.{i}.") for key in state):
                parts = [_weight_normed(state, f"{p}res_skip_layers.{i}")]
            else:
                parts = ([_weight_normed(state, f"{p}res_layers.{i}")] if i < n_layers - 1 else []) + \
                        [_weight_normed(state, f"{p}skip_layers.{i}")]
            convs[f"res_skip_layers.{i}"] = parts
        for name, parts in convs.items():
            for j, suffix in enumerate(("weight_g", "weight_v", "bias")):
                out[f"{p}{name}.{suffix}"] = torch.cat([part[j] for part in parts])
    return out


def waveglow_config_from_state_dict(state: dict[str, torch.Tensor], hop_length: int = 256) -> WaveGlowConfig:
    """The :class:`WaveGlowConfig` whose shapes match a course-named WaveGlow state dict; training
    numbers (sigma, learning rate, segment, batch) keep the paper's values."""
    n_flows = 1 + max(int(k.split(".")[1]) for k in state if k.startswith("convinv."))
    channels = [state[f"convinv.{k}.conv.weight"].shape[0] for k in range(n_flows)]
    drops = [k for k in range(1, n_flows) if channels[k] < channels[k - 1]]
    n_early_every = drops[0] if drops else n_flows
    n_early_size = channels[0] - channels[drops[0]] if drops else 2
    n_mels, _, up_k = state["upsample.weight"].shape
    wn_channels = state["WN.0.start.weight_v"].shape[0]
    kernel = state["WN.0.in_layers.0.weight_v"].shape[2]
    n_layers = 1 + max(int(k.split(".")[3]) for k in state if k.startswith("WN.0.in_layers."))
    return WaveGlowConfig(n_mel_channels=n_mels, hop_length=hop_length, upsample_kernel=up_k, n_flows=n_flows,
                          n_group=channels[0], n_early_every=n_early_every, n_early_size=n_early_size,
                          wn_layers=n_layers, wn_channels=wn_channels, wn_kernel_size=kernel)


def load_nvidia_waveglow(path, device="cpu", for_inference: bool = True) -> WaveGlow:
    """NVIDIA's pickled ``waveglow_*.pt`` → a course :class:`WaveGlow`, without running pickled code.

    The architecture is read off the weight shapes (NVIDIA's published file gives exactly
    ``WaveGlowConfig.paper()``). ``for_inference`` folds weight norm and caches W⁻¹.
    """
    raw = read_nvidia_waveglow_state(path)
    stride = raw.pop("upsample.stride", None)
    try:
        state = _convert_waveglow(raw)
        config = waveglow_config_from_state_dict(state, int(stride[0]) if stride is not None else 256)
    except (KeyError, ValueError, IndexError) as err:
        raise ValueError(f"{path}: the pickled WaveGlow does not have NVIDIA's layout ({err!r})") from None
    model = WaveGlow(config)
    expected = model.state_dict()
    wrong = sorted(k for k in expected if k not in state or state[k].shape != expected[k].shape)
    if wrong or set(state) - set(expected):
        raise ValueError(f"{path}: weights do not fit a WaveGlow of {config}: {wrong[:5]}")
    model.load_state_dict({k: v.float() for k, v in state.items()})
    model = model.to(device)
    return model.prepare_for_inference() if for_inference else model.eval()
