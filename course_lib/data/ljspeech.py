"""The LJSpeech layout: ``metadata.csv`` (``id|text|normalized``) and ``wavs/<id>.wav`` (chapter 08).

LJSpeech 1.1 (Ito & Johnson 2017) has 13,100 clips of one reader at 22 050 Hz; its metadata rows
are ``LJ001-0001|Printing, in the only sense ...|Printing, in the only sense ...``: the id, the
transcript as read, and a normalised transcript (numbers written out). It is not shipped with
the course (2.6 GB); these loaders are tested on a small fake tree the tests write.
"""

from __future__ import annotations

from pathlib import Path

from course_lib.audio import AudioConfig
from course_lib.data.dataset import Item, TextMelDataset


def read_ljspeech_metadata(root, use_normalized: bool = True) -> list[Item]:
    """Rows of ``root/metadata.csv`` as :class:`Item` s; any bad row raises ``ValueError``
    naming its row number (1-based) and what is wrong."""
    root = Path(root)
    path = root / "metadata.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: an LJSpeech folder holds metadata.csv and wavs/")
    items, seen = [], {}
    with open(path, encoding="utf-8", newline="") as f:
        for row, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            fields = line.split("|")
            if len(fields) != 3:
                raise ValueError(f"{path}, row {row}: expected 3 fields 'id|text|normalized', "
                                 f"got {len(fields)}: {line[:80]!r}")
            utt_id, text, normalized = (x.strip() for x in fields)
            if not utt_id:
                raise ValueError(f"{path}, row {row}: the id (first field) is empty")
            if utt_id in seen:
                raise ValueError(f"{path}, row {row}: id {utt_id!r} already used in row {seen[utt_id]}")
            spoken = (normalized or text) if use_normalized else text
            if not spoken:
                raise ValueError(f"{path}, row {row}: utterance {utt_id} has no text")
            wav = root / "wavs" / f"{utt_id}.wav"
            if not wav.exists():
                raise ValueError(f"{path}, row {row}: audio file {wav} is missing")
            seen[utt_id] = row
            items.append(Item(utt_id, spoken, wav))
    if not items:
        raise ValueError(f"{path} has no rows")
    return items


class LJSpeechDataset(TextMelDataset):
    """An LJSpeech-style folder as ``(text_ids, mel)`` pairs (normalised text by default)."""

    def __init__(self, root, config: AudioConfig = AudioConfig(), cache=None, cleaners: str = "english",
                 use_normalized: bool = True) -> None:
        items = read_ljspeech_metadata(root, use_normalized)
        try:
            super().__init__(items, config, cache, cleaners)
        except ValueError as err:
            rows = {item.id: i + 1 for i, item in enumerate(items)}  # no blank lines in real LJSpeech
            uid = str(err).split(":")[0].removeprefix("utterance ")
            raise ValueError(f"{Path(root) / 'metadata.csv'} (row {rows.get(uid, '?')}): {err}") from None
