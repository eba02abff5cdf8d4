"""Datasets: the course speech corpus, the LJSpeech layout, collate and feature cache (chapter 08).

Names are imported on first use (PEP 562), so ``import course_lib.data.corpus`` or the corpus
builder does not pull in torch.
"""

from importlib import import_module

_WHERE = {
    "PhonemeTiming": "corpus", "Utterance": "corpus", "char_alignment": "corpus", "load_corpus": "corpus",
    "verify_corpus": "corpus", "MelCache": "cache", "config_key": "cache", "BucketBatchSampler": "collate",
    "TTSCollate": "collate", "CorpusDataset": "dataset", "Item": "dataset", "TextMelDataset": "dataset",
    "LJSpeechDataset": "ljspeech", "read_ljspeech_metadata": "ljspeech",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(import_module(f"course_lib.data.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'course_lib.data' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
