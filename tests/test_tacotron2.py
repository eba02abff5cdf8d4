"""Tacotron 2: the paper preset's exact size and NVIDIA key names; shapes, masks, inference, bad input."""

import re
from pathlib import Path

import pytest
import torch

from course_lib.tts.tacotron2 import (
    Tacotron2,
    Tacotron2Config,
    count_parameters,
    encode_text,
    split_sentences,
    text_to_mel,
)
from tests.test_nvidia_checkpoints import nvidia_tacotron2_keys


def tiny(**kw) -> Tacotron2Config:
    base = dict(symbols_embedding_dim=16, encoder_embedding_dim=16, prenet_dim=16, attention_rnn_dim=24,
                decoder_rnn_dim=24, attention_dim=8, attention_location_n_filters=4,
                attention_location_kernel_size=5, postnet_embedding_dim=16, n_mel_channels=10,
                n_frames_per_step=2, max_decoder_steps=12)
    base.update(kw)
    return Tacotron2Config(**base)


def batch(n_mels=10, r=2):
    torch.manual_seed(0)
    text = torch.randint(1, 148, (3, 9))
    text_lengths = torch.tensor([9, 6, 3])
    text[1, 6:] = 0
    text[2, 3:] = 0
    mels = torch.randn(3, n_mels, 8 * r)
    mel_lengths = torch.tensor([8 * r, 5 * r - 1, 2 * r])
    return text, text_lengths, mels, mel_lengths


# ----------------------------------------------------------------------------------- the paper preset
def test_paper_preset_has_exactly_nvidias_parameter_count():
    model = Tacotron2(Tacotron2Config.paper())
    assert count_parameters(model) == 28_193_153
    parts = {name: count_parameters(getattr(model, name)) for name in ("embedding", "encoder", "decoder", "postnet")}
    assert parts == {"embedding": 75_776, "encoder": 5_513_728, "decoder": 18_255_505, "postnet": 4_348_144}
    dec = model.decoder
    assert count_parameters(dec.attention_rnn) == 7_348_224
    assert count_parameters(dec.decoder_rnn) == 10_493_952
    assert count_parameters(dec.attention_layer) == 202_816
    assert count_parameters(dec.prenet) == 86_016
    assert count_parameters(dec.linear_projection) == 122_960
    assert count_parameters(dec.gate_layer) == 1_537


def test_paper_state_dict_keys_and_shapes_match_nvidia():
    sd = Tacotron2(Tacotron2Config.paper()).state_dict()
    assert set(sd) == nvidia_tacotron2_keys()
    assert sd["decoder.attention_rnn.weight_ih"].shape == (4096, 768)
    assert sd["decoder.decoder_rnn.weight_ih"].shape == (4096, 1536)
    assert sd["decoder.attention_layer.location_layer.location_conv.conv.weight"].shape == (32, 2, 31)
    assert sd["postnet.convolutions.4.0.conv.weight"].shape == (80, 512, 5)
    assert sd["decoder.gate_layer.linear_layer.weight"].shape == (1, 1536)


def test_course_preset_is_small_and_uses_a_reduction_factor():
    config = Tacotron2Config.course()
    assert config.n_frames_per_step == 3 and config.forward_attention
    assert not Tacotron2Config.paper().forward_attention
    assert 1_500_000 < count_parameters(Tacotron2(config)) < 2_500_000


def test_config_validation_and_differences():
    with pytest.raises(ValueError, match="n_frames_per_step"):
        Tacotron2Config(n_frames_per_step=0)
    with pytest.raises(ValueError, match="p_prenet_dropout"):
        Tacotron2Config(p_prenet_dropout=1.5)
    with pytest.raises(ValueError, match="odd"):
        Tacotron2Config(postnet_kernel_size=4)
    diff = Tacotron2Config.course().differences(Tacotron2Config.paper())
    assert diff["n_frames_per_step"] == (3, 1) and "gate_threshold" not in diff
    assert Tacotron2Config.from_dict(Tacotron2Config.course().to_dict()) == Tacotron2Config.course()
    with pytest.raises(TypeError):
        Tacotron2("not a config")
    with pytest.raises(TypeError, match="p_decoder_dropout must be a real number"):
        Tacotron2Config(p_decoder_dropout="abc")
    with pytest.raises(TypeError, match="from a dict"):
        Tacotron2Config.from_dict([1, 2])


# ----------------------------------------------------------------------------------- teacher forcing
def test_forward_shapes_and_masks():
    model = Tacotron2(tiny())
    text, text_lengths, mels, mel_lengths = batch()
    out = model(text, text_lengths, mels, mel_lengths)
    assert out.mel.shape == out.mel_postnet.shape == (3, 10, 16)
    assert out.gate.shape == (3, 8) and out.alignments.shape == (3, 8, 9)
    assert (out.mel[1, :, 9:] == 0).all() and (out.mel_postnet[2, :, 4:] == 0).all(), "padded frames are zeroed"
    assert (out.gate[1, 5:] == 1e3).all() and (out.gate[1, :5] != 1e3).all(), "a step holding a real frame is real"
    torch.testing.assert_close(out.alignments.sum(-1), torch.ones(3, 8))
    assert (out.alignments[2, :, 3:] == 0).all(), "padded characters get no attention"


@pytest.mark.parametrize("forward_attention", [False, True])
def test_fast_teacher_forcing_equals_the_readable_step(forward_attention):
    """The tape-based fast path computes exactly what Decoder.decode computes, gradients included."""
    model = Tacotron2(tiny(forward_attention=forward_attention))
    text, text_lengths, mels, mel_lengths = batch()
    results = []
    for fast in (True, False):
        model.decoder.fused_weight_grads = fast
        model.zero_grad()
        torch.manual_seed(5)  # same dropout masks
        out = model(text, text_lengths, mels, mel_lengths)
        loss = out.mel_postnet.pow(2).mean() + out.gate.clamp(max=5).sum() + out.alignments.pow(2).sum()
        loss.backward()
        results.append((out, {n: p.grad.clone() for n, p in model.named_parameters()}))
    (o1, g1), (o2, g2) = results
    for a, b in zip(o1, o2):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)
    for name in g1:
        torch.testing.assert_close(g1[name], g2[name], atol=1e-5, rtol=1e-3, msg=name)


@pytest.mark.parametrize("forward_attention", [False, True])
def test_padding_does_not_change_an_item(forward_attention):
    model = Tacotron2(tiny(p_prenet_dropout=0.0, forward_attention=forward_attention)).eval()
    text, text_lengths, mels, mel_lengths = batch()
    with torch.no_grad():
        full = model(text, text_lengths, mels, mel_lengths)
        alone = model(text[1:2, :6], text_lengths[1:2], mels[1:2, :, :10], mel_lengths[1:2])
    torch.testing.assert_close(full.mel_postnet[1:2, :, :9], alone.mel_postnet[:, :, :9], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(full.alignments[1, :5, :6], alone.alignments[0], atol=1e-5, rtol=1e-4)


def test_forward_attention_moves_at_most_one_character_per_step():
    """It starts on the first character (α_0), so after decoder step i nothing past character i + 1 is attended."""
    model = Tacotron2(tiny(forward_attention=True))
    text, text_lengths, mels, mel_lengths = batch()
    alignments = model(text, text_lengths, mels, mel_lengths).alignments  # [3, 8 steps, 9 characters]
    past = torch.arange(9)[None, :] > torch.arange(8)[:, None] + 1
    assert (alignments[:, past] == 0).all() and (alignments[0, :, :2].sum(-1) > 0).all()
    with pytest.raises(TypeError, match="forward_attention must be True or False"):
        Tacotron2Config(forward_attention=1)


def test_forward_rejects_frames_not_divisible_by_r():
    model = Tacotron2(tiny())
    text, text_lengths, mels, mel_lengths = batch()
    with pytest.raises(ValueError, match="multiple of n_frames_per_step=2"):
        model(text, text_lengths, mels[:, :, :15], mel_lengths.clamp(max=15))


# ----------------------------------------------------------------------------------- inference
def test_inference_stops_each_item_on_its_own():
    torch.manual_seed(0)
    model = Tacotron2(tiny(p_prenet_dropout=0.0))
    with torch.no_grad():  # make the stop token fire exactly at step 3 for item 0 via its bias
        model.decoder.gate_layer.linear_layer.weight.zero_()
        model.decoder.gate_layer.linear_layer.bias.fill_(5.0)
    out = model.inference(torch.randint(1, 148, (2, 5)))
    assert out.lengths.tolist() == [2, 2]  # stop at the first step, r = 2 frames
    assert out.mel.shape == (2, 10, 2) and out.alignments.shape == (2, 1, 5)
    assert model.training, "inference restores the training mode"


def test_batched_inference_equals_one_by_one():
    torch.manual_seed(1)
    model = Tacotron2(tiny(p_prenet_dropout=0.0, max_decoder_steps=6))
    text = torch.randint(1, 148, (2, 7))
    text[1, 4:] = 0
    with pytest.warns(RuntimeWarning, match="max_decoder_steps=6"):
        both = model.inference(text, torch.tensor([7, 4]))
    with pytest.warns(RuntimeWarning):
        second = model.inference(text[1, :4])
    torch.testing.assert_close(both.mel_postnet[1], second.mel_postnet[0], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(both.alignments[1, :, :4], second.alignments[0], atol=1e-5, rtol=1e-4)
    assert (both.alignments[1, :, 4:] == 0).all()


def test_max_decoder_steps_warns_and_names_the_items():
    model = Tacotron2(tiny())
    with torch.no_grad():
        model.decoder.gate_layer.linear_layer.bias.fill_(-50.0)  # never stops
    with pytest.warns(RuntimeWarning, match=r"max_decoder_steps=4 .*item\(s\) \[0\]"):
        out = model.inference("hello", max_decoder_steps=4)
    assert out.lengths.tolist() == [8]


@pytest.mark.parametrize("bad, error, match", [
    ("", ValueError, "empty"),
    ("   ", ValueError, "empty"),
    ("你好", ValueError, "cannot read"),
    (torch.zeros(0, dtype=torch.long), ValueError, "length >= 1"),
    (torch.tensor([3, 200]), ValueError, r"\[0, 148\)"),
    (torch.tensor([1.0, 2.0]), TypeError, "symbol ids"),
])
def test_inference_rejects_bad_text(bad, error, match):
    with pytest.raises(error, match=match):
        Tacotron2(tiny()).inference(bad)


def test_inference_refuses_very_long_text_and_text_to_mel_chunks_it():
    model = Tacotron2(tiny(max_text_length=300, max_decoder_steps=2))
    with torch.no_grad():
        model.decoder.gate_layer.linear_layer.bias.fill_(-50.0)  # never stops by itself
    sentence = "the cat sat on the mat, and the dog sat on the log. "
    long_text = sentence * 50  # 2,600 characters
    with pytest.raises(ValueError, match="Split it into sentences"):
        model.inference(encode_text(long_text))
    with pytest.warns(RuntimeWarning):
        result = text_to_mel(model, long_text)
    assert len(result.chunks) == 17 and all(len(c) <= 200 for c in result.chunks)
    assert " ".join(result.chunks) == long_text.strip(), "chunking keeps every word"
    assert result.mel.shape == (10, 17 * 4) and len(result.alignments) == 17 and all(result.hit_max_steps)


def test_split_sentences_prefers_sentence_then_clause_then_word_boundaries():
    assert split_sentences("One. Two! Three?", 10) == ["One. Two!", "Three?"]
    assert split_sentences("a long clause here, and another one", 20) == ["a long clause here,", "and another one"]
    assert split_sentences("alpha beta gamma delta", 11) == ["alpha beta", "gamma delta"]
    with pytest.raises(ValueError, match="word"):
        split_sentences("supercalifragilistic", 5)


def test_library_code_never_hardcodes_cuda():
    root = Path(__file__).resolve().parent.parent / "course_lib"
    files = list((root / "tts" / "tacotron2").rglob("*.py")) + list((root / "training").glob("*.py"))
    files += [root / "nn" / "attention.py", root / "tts" / "metrics" / "alignment.py"]
    assert len(files) > 15 and all(path.exists() for path in files)  # the globs still find the trainer's files
    for path in files:
        assert not re.search(r"\.cuda\(", path.read_text()), f"{path} calls .cuda(); follow the input's device"
