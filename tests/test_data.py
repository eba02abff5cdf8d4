"""course_lib.data: datasets, LJSpeech layout, collate, bucketing, mel cache (chapter 08; issue 5 part 6)."""

import os

import numpy as np
import pytest
import soundfile as sf
import torch

from course_lib.audio import AudioConfig, mel_spectrogram
from course_lib.data.cache import MelCache, config_key
from course_lib.data.collate import BucketBatchSampler, TTSCollate
from course_lib.data.dataset import CorpusDataset
from course_lib.data.ljspeech import LJSpeechDataset, read_ljspeech_metadata
from course_lib.text import text_to_sequence

SR = 22050


def tone(seconds, freq=220.0):
    t = np.arange(int(seconds * SR)) / SR
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.fixture
def ljspeech(tmp_path):
    """A fake LJSpeech tree: metadata.csv + wavs/ with three short tones."""
    (tmp_path / "wavs").mkdir()
    rows = [("LJ001-0001", "Dr. Smith paid $5.", "Doctor Smith paid five dollars."),
            ("LJ001-0002", "It was 1984", "It was nineteen eighty-four"),
            ("LJ001-0003", "Hi!", "Hi!")]
    for i, (uid, _, _) in enumerate(rows):
        sf.write(tmp_path / "wavs" / f"{uid}.wav", tone(0.3 + 0.2 * i, 200 + 100 * i), SR, subtype="PCM_16")
    (tmp_path / "metadata.csv").write_text("".join("|".join(r) + "\n" for r in rows), encoding="utf-8")
    return tmp_path


# ---------------------------------------------------------------- collate
def pair(n_text, n_frames, value=1.0):
    return torch.arange(1, n_text + 1, dtype=torch.long), torch.full((80, n_frames), value)


def test_collate_sorts_pads_and_sets_the_gate_like_nvidia():
    batch = [pair(3, 5, 1.0), pair(7, 4, 2.0), pair(5, 9, 3.0)]
    text, text_len, mel, gate, mel_len = TTSCollate()(batch)
    assert text_len.tolist() == [7, 5, 3] and mel_len.tolist() == [4, 9, 5]
    assert text.shape == (3, 7) and text.dtype == torch.long and text[2, 3:].eq(0).all()
    assert mel.shape == (3, 80, 9) and mel[0, :, :4].eq(2).all() and mel[0, :, 4:].eq(0).all()
    assert gate.shape == (3, 9)
    assert gate[0].tolist() == [0, 0, 0, 1, 1, 1, 1, 1, 1]  # 1 from the last real frame on
    assert gate[1].tolist() == [0] * 8 + [1]


def test_collate_rounds_frames_up_to_r_and_uses_the_pad_value():
    text, _, mel, gate, mel_len = TTSCollate(n_frames_per_step=3, mel_pad_value=-11.5)([pair(4, 7), pair(2, 3)])
    assert mel.shape[-1] == 9 and mel_len.tolist() == [7, 3]
    assert mel[0, :, 7:].eq(-11.5).all() and gate[0, 6:].eq(1).all() and gate[0, :6].eq(0).all()


@pytest.mark.parametrize("batch,error", [
    ([], ValueError), ([pair(3, 4), (torch.ones(3), torch.ones(80, 4))], TypeError),
    ([pair(3, 4), (torch.ones(3, dtype=torch.long), torch.ones(40, 4))], ValueError),
    ([("abc", torch.ones(80, 4))], TypeError), ([pair(2, 0)], TypeError),
])
def test_collate_rejects_bad_batches(batch, error):
    with pytest.raises(error):
        TTSCollate()(batch)


def test_collate_rejects_bad_r():
    with pytest.raises(ValueError):
        TTSCollate(0)


# ---------------------------------------------------------------- bucketing
def test_bucket_sampler_covers_every_index_once_with_similar_lengths():
    rng = np.random.default_rng(0)
    lengths = rng.integers(10, 200, size=503).tolist()
    sampler = BucketBatchSampler(lengths, batch_size=16, seed=1)
    batches = list(sampler)
    assert len(batches) == len(sampler)
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(503))

    def padding(bs):
        return sum(max(lengths[i] for i in b) * len(b) - sum(lengths[i] for i in b) for b in bs) / sum(lengths)

    random_batches = [list(range(i, min(i + 16, 503))) for i in range(0, 503, 16)]
    assert padding(batches) < 0.25 * padding(random_batches)


def test_bucket_sampler_is_seeded_per_epoch():
    lengths = list(range(100))
    a, b = BucketBatchSampler(lengths, 8, seed=3), BucketBatchSampler(lengths, 8, seed=3)
    first, second = list(a), list(a)  # iterating advances the epoch
    assert first == list(b) and first != second
    b.set_epoch(1)
    assert list(b) == second
    dropped = BucketBatchSampler(lengths, 8, drop_last=True)
    assert all(len(x) == 8 for x in dropped) and len(dropped) == 12
    assert list(BucketBatchSampler([5, 1, 3], 2, shuffle=False)) == [[1, 2], [0]]
    with pytest.raises(ValueError):
        BucketBatchSampler([], 4)
    with pytest.raises(ValueError):
        BucketBatchSampler([1, 2], 0)


# ---------------------------------------------------------------- mel cache
def test_mel_cache_hits_then_recomputes_when_stale(tmp_path, ljspeech):
    wav = ljspeech / "wavs" / "LJ001-0001.wav"
    calls = []

    def compute(value=1.0):
        calls.append(value)
        return torch.full((80, 5), value)

    cache = MelCache(tmp_path / "cache")
    assert cache.get("LJ001-0001", wav, compute).eq(1).all() and cache.misses == 1
    assert cache.get("LJ001-0001", wav, lambda: compute(2.0)).eq(1).all() and cache.hits == 1
    assert len(calls) == 1 and not any(p.suffix == ".tmp" for p in cache.dir.iterdir())

    # the wav changed: its hash no longer matches, so the entry is recomputed
    sf.write(wav, tone(0.3, 880.0), SR, subtype="PCM_16")
    assert cache.get("LJ001-0001", wav, lambda: compute(3.0)).eq(3).all() and cache.misses == 2

    # other audio parameters live under another key...
    other = MelCache(tmp_path / "cache", AudioConfig(n_mels=80, fmax=7600.0))
    assert other.dir != cache.dir and config_key(other.config) != config_key(cache.config)
    assert other.get("LJ001-0001", wav, lambda: compute(4.0)).eq(4).all()
    # ...and an entry written with other parameters under this key (e.g. copied by hand) is stale too
    os.replace(other.path("LJ001-0001"), cache.path("LJ001-0001"))
    assert cache.get("LJ001-0001", wav, lambda: compute(5.0)).eq(5).all()

    cache.path("LJ001-0001").write_bytes(b"not a torch file")  # a corrupt entry is recomputed
    assert cache.get("LJ001-0001", wav, lambda: compute(6.0)).eq(6).all()
    with pytest.raises(ValueError, match="cache file"):
        cache.path("../escape")


def test_config_key_depends_on_every_field():
    keys = {config_key(AudioConfig()), config_key(AudioConfig(hop_length=128)), config_key(AudioConfig(clip_val=1e-4)),
            config_key(AudioConfig(n_mels=64))}
    assert len(keys) == 4 and config_key(AudioConfig()) == config_key(AudioConfig())


# ---------------------------------------------------------------- datasets
def test_corpus_dataset_gives_ids_and_the_course_mel(tmp_path):
    ds = CorpusDataset("test", cache=tmp_path)
    text, mel = ds[0]
    u = ds.utterances[0]
    assert text.tolist() == text_to_sequence(u.text)
    torch.testing.assert_close(mel, mel_spectrogram(u.load_audio()))
    assert mel.shape == (80, ds.frame_lengths()[0]) and ds.text_lengths()[0] == len(u.text)
    again = CorpusDataset("test", cache=tmp_path)
    torch.testing.assert_close(again[0][1], mel)
    assert again.cache.hits == 1 and again.cache.misses == 0
    with pytest.raises(IndexError):
        ds[len(ds)]


def test_ljspeech_dataset_and_a_bucketed_loader(ljspeech, tmp_path):
    ds = LJSpeechDataset(ljspeech, cache=tmp_path / "c")
    assert len(ds) == 3
    assert ds.items[0].text == "Doctor Smith paid five dollars."
    assert ds[0][0].tolist() == text_to_sequence("doctor smith paid five dollars.")
    assert ds.frame_lengths() == [1 + int(0.3 * SR) // 256, 1 + int(0.5 * SR) // 256, 1 + int(0.7 * SR) // 256]
    raw = read_ljspeech_metadata(ljspeech, use_normalized=False)
    assert raw[1].text == "It was 1984"
    loader = torch.utils.data.DataLoader(ds, batch_sampler=BucketBatchSampler(ds.frame_lengths(), 2),
                                         collate_fn=TTSCollate(2))
    shapes = [batch[2].shape for batch in loader]
    assert sorted(s[0] for s in shapes) == [1, 2] and all(s[-1] % 2 == 0 for s in shapes)


@pytest.mark.parametrize("line,match", [
    ("LJ001-0004|only two fields", "row 4: expected 3 fields"),
    ("LJ001-0004|a|b|c", "row 4: expected 3 fields"),
    ("LJ001-0001|again|again", "row 4: id 'LJ001-0001' already used in row 1"),
    ("LJ009-9999|text|text", "row 4: audio file .*LJ009-9999.wav is missing"),
    ("|text|text", "row 4: the id"),
    ("LJ001-0004| | ", "row 4: utterance LJ001-0004 has no text"),
])
def test_malformed_ljspeech_rows_are_named(ljspeech, line, match):
    with open(ljspeech / "metadata.csv", "a", encoding="utf-8") as f:
        f.write(line + "\n")
    with pytest.raises(ValueError, match=match):
        read_ljspeech_metadata(ljspeech)


def test_ljspeech_text_outside_the_symbol_set_names_the_row(ljspeech):
    path = ljspeech / "metadata.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("Hi!|Hi!", "Hi ★|Hi ★"), encoding="utf-8")
    with pytest.raises(ValueError, match=r"row 3.*LJ001-0003.*'★'"):
        LJSpeechDataset(ljspeech, cache=False)


def test_missing_ljspeech_metadata(tmp_path):
    with pytest.raises(FileNotFoundError, match="metadata.csv"):
        LJSpeechDataset(tmp_path)
    (tmp_path / "metadata.csv").write_text("\n\n")
    with pytest.raises(ValueError, match="no rows"):
        read_ljspeech_metadata(tmp_path)
