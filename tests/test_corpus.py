"""The shipped course corpus and course_lib.data.corpus (chapter 08; issue 5 parts 5 and 7)."""

import json
import shutil

import numpy as np
import pytest

from course_lib import settings
from course_lib.data import PhonemeTiming, Utterance, char_alignment, load_corpus, verify_corpus
from course_lib.data.make_corpus import build_corpus, char_spans, split_of
from course_lib.data.sentences import HAND_WRITTEN, course_sentences
from course_lib.text import clean_text, espeak, text_to_sequence

CORPUS = settings.ASSETS / "corpus"


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


@pytest.fixture(scope="module")
def manifest():
    return json.loads((CORPUS / "MANIFEST.json").read_text())


# ---------------------------------------------------------------- the shipped corpus
def test_corpus_size_splits_and_budget(corpus, manifest):
    ids = [u.id for u in corpus]
    assert len(ids) == len(set(ids)) >= 450
    by_split = {s: len(load_corpus(s)) for s in ("train", "val", "test")}
    assert by_split == manifest["utterances"] and sum(by_split.values()) == len(corpus)
    assert by_split["val"] >= 15 and by_split["test"] >= 15
    assert all(u.split == split_of(u.id) for u in corpus)
    total = sum(u.num_samples for u in corpus) / 22050
    assert abs(total - manifest["total_duration_s"]) < 1e-2 and 20 * 60 < total < 25 * 60
    size = sum(p.stat().st_size for p in CORPUS.rglob("*") if p.is_file())
    assert size <= 32_000_000, f"assets/corpus is {size / 1e6:.2f} MB, over its 32 MB budget"


def test_text_is_the_cleaned_sentence_and_maps_to_ids(corpus):
    assert [u.source_text for u in corpus] == course_sentences(len(corpus))
    for u in corpus:
        assert u.text == clean_text(u.source_text)
        assert text_to_sequence(u.text)
    letters = set("".join(u.text for u in corpus))
    assert set("abcdefghijklmnopqrstuvwxyz") <= letters and set(",.?!;:'-()") <= letters


def test_lengths_vary_between_one_and_six_seconds(corpus):
    durations = np.array([u.duration for u in corpus])
    assert durations.min() >= 1.0 and durations.max() <= 6.0
    assert durations.std() > 0.6  # varied, not all alike


def test_phoneme_timings_are_consistent(corpus, manifest):
    for u in corpus:
        p = u.phonemes
        assert p and all(a.end == b.start for a, b in zip(p, p[1:]))  # contiguous
        assert all(x.start < x.end for x in p) and 0.09 < p[0].start and p[-1].end <= u.duration
        assert all(0 <= x.char_start < x.char_end <= len(u.text) for x in p)
        starts = [x.char_start for x in p]
        assert starts == sorted(starts), u.id
    # phoneme coverage: every English consonant and vowel class eSpeak has appears
    counts = manifest["phoneme_counts"]
    for ph in ("Z", "OI", "tS", "dZ", "N", "T", "D", "S", "aU", "U", "u:", "3:", "A:", "j", "w", "h"):
        assert counts.get(ph, 0) >= 10, ph


def test_audio_loads_and_matches_metadata(corpus):
    u = corpus[0]
    wave = u.load_audio()
    assert wave.dtype == np.float32 and wave.shape == (u.num_samples,) and 0.1 < np.abs(wave).max() <= 1.0
    margin = int(0.1 * 22050)
    assert np.all(wave[: margin - 1] == 0) and np.all(wave[-(margin - 1):] == 0)  # 0.1 s silence margins


def test_verify_corpus_passes_on_the_shipped_corpus(manifest):
    assert verify_corpus()["files"] == len(manifest["files"]) == len(load_corpus()) + 1
    assert manifest["espeak_ng_version"] and manifest["command"].startswith("python -m course_lib.data.make_corpus")


def test_regenerating_three_utterances_reproduces_their_bytes(tmp_path, manifest):
    if espeak.version() != manifest["espeak_ng_version"]:
        pytest.skip(f"corpus made with eSpeak NG {manifest['espeak_ng_version']}, this is {espeak.version()}")
    ids = ["c0001", "c0150", "c0400"]
    build_corpus(tmp_path, only=ids, jobs=2)
    for uid in ids:
        rel = f"wavs/{uid}.flac"
        assert (tmp_path / rel).read_bytes() == (CORPUS / rel).read_bytes(), rel
    shipped = {json.loads(line)["id"]: line for line in (CORPUS / "metadata.jsonl").read_text().splitlines()}
    assert (tmp_path / "metadata.jsonl").read_text().splitlines() == [shipped[i] for i in ids]


# ---------------------------------------------------------------- char alignment
def test_char_alignment_follows_the_phonemes(corpus):
    u = corpus[3]
    n = 1 + u.num_samples // 256
    path = char_alignment(u, n)
    assert path.dtype == np.int64 and path.shape == (n,)
    assert np.all(np.diff(path) >= 0) and path.min() >= 0 and path.max() < len(u.text)
    assert path[0] == u.phonemes[0].char_start and path[-1] == u.phonemes[-1].char_end - 1
    for p in u.phonemes:  # a frame centred inside a phoneme points into that phoneme's characters
        t = int(np.ceil(p.start * 22050 / 256))
        if t * 256 < p.end * 22050:
            assert p.char_start <= path[t] < p.char_end


def test_char_alignment_on_a_hand_made_utterance(tmp_path):
    phones = (PhonemeTiming("h", 0.0, 1.0, 0, 1), PhonemeTiming("aI", 1.0, 2.0, 1, 2),
              PhonemeTiming("_:", 2.0, 3.0, 2, 3))
    u = Utterance("x", "hi.", "train", tmp_path / "x.flac", 4 * 100, phones, sample_rate=100)
    assert char_alignment(u, 5, hop_length=100, sample_rate=100).tolist() == [0, 1, 2, 2, 2]
    with pytest.raises(ValueError):
        char_alignment(u, 5, hop_length=0)


def test_char_spans_group_phonemes_by_their_own_text_position():
    text = "on the sea, yes."
    events = [("O2", 0, 1), ("n", 1, 1), ("D", 2, 1), ("@", 3, 1),  # eSpeak merged "on the"
              ("s", 4, 8), ("'i:", 5, 8), ("_:", 6, 11), ("j", 7, 13), ("'E", 8, 13), ("s", 9, 13),
              ("_:", 10, 17)]
    spans = [text[a:b] for a, b in char_spans(text, events)]
    assert spans == ["o", "n", "t", "he", "s", "ea", ",", "y", "e", "s", "."]


# ---------------------------------------------------------------- bad input
def _tiny_copy(tmp_path, n=2):
    (tmp_path / "wavs").mkdir()
    lines = (CORPUS / "metadata.jsonl").read_text().splitlines()[:n]
    manifest = json.loads((CORPUS / "MANIFEST.json").read_text())
    files = {}
    for line in lines:
        rel = json.loads(line)["audio"]
        shutil.copy(CORPUS / rel, tmp_path / rel)
        files[rel] = manifest["files"][rel]
    (tmp_path / "metadata.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "MANIFEST.json").write_text(json.dumps({"files": files}))
    return tmp_path, list(files)


def test_a_changed_or_missing_file_is_named(tmp_path):
    root, files = _tiny_copy(tmp_path)
    assert verify_corpus(root)["files"] == 2
    data = bytearray((root / files[0]).read_bytes())
    data[-10] ^= 0xFF
    (root / files[0]).write_bytes(bytes(data))
    (root / files[1]).unlink()
    with pytest.raises(ValueError) as err:
        verify_corpus(root)
    assert f"{files[0]} (sha256 differs" in str(err.value) and f"{files[1]} (missing)" in str(err.value)


def test_missing_metadata_and_manifest(tmp_path):
    with pytest.raises(FileNotFoundError, match="metadata.jsonl"):
        load_corpus(root=tmp_path)
    with pytest.raises(FileNotFoundError, match="MANIFEST.json"):
        verify_corpus(tmp_path)


def test_malformed_metadata_names_the_line(tmp_path):
    root, _ = _tiny_copy(tmp_path)
    good = (root / "metadata.jsonl").read_text().splitlines()
    (root / "metadata.jsonl").write_text(good[0] + "\n{not json\n")
    with pytest.raises(ValueError, match="line 2"):
        load_corpus(root=root)
    bad = json.loads(good[0]) | {"split": "dev"}
    (root / "metadata.jsonl").write_text(json.dumps(bad) + "\n")
    with pytest.raises(ValueError, match="line 1: split 'dev'"):
        load_corpus(root=root)
    (root / "metadata.jsonl").write_text(json.dumps(json.loads(good[0]) | {"text": ""}) + "\n")
    with pytest.raises(ValueError, match="empty text"):
        load_corpus(root=root)
    with pytest.raises(ValueError, match="split must be"):
        load_corpus("training", root=root)


def test_audio_not_matching_metadata_is_reported(tmp_path):
    root, _ = _tiny_copy(tmp_path, 1)
    u = load_corpus(root=root)[0]
    bad = Utterance(u.id, u.text, u.split, u.audio_path, u.num_samples + 1, u.phonemes)
    with pytest.raises(ValueError, match="expected mono"):
        bad.load_audio()
    u.audio_path.unlink()
    with pytest.raises(FileNotFoundError, match=u.id):
        u.load_audio()


def test_sentences_are_deterministic_and_distinct():
    a, b = course_sentences(60), course_sentences(60)
    assert a == b and a[: len(HAND_WRITTEN)] == list(HAND_WRITTEN)[:60]
    assert course_sentences(505, seed=1) != course_sentences(505)
    cleaned = [clean_text(s) for s in course_sentences()]
    assert len(set(cleaned)) == len(cleaned)


def test_command_line_remakes_one_utterance_and_rejects_unknown_ids(tmp_path, capsys, manifest):
    from course_lib.data.make_corpus import main

    assert main(["--out", str(tmp_path), "--only", "c0002"]) == 0
    assert "1 utterances" in capsys.readouterr().out
    written = json.loads((tmp_path / "MANIFEST.json").read_text())
    assert written["partial"] is True and written["command"] == manifest["command"]
    if espeak.version() == manifest["espeak_ng_version"]:
        assert written["files"]["wavs/c0002.flac"] == manifest["files"]["wavs/c0002.flac"]
    assert main(["--out", str(tmp_path), "--only", "c9999"]) != 0
    assert "c9999" in capsys.readouterr().err
