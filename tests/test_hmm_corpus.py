"""GMM-HMM forced alignment on the real course corpus (skipped when assets/corpus is absent)."""

import numpy as np
import pytest

from course_lib import settings
from course_lib.tts import duration as D

pytestmark = pytest.mark.skipif(not (settings.ASSETS / "corpus" / "metadata.jsonl").exists(),
                                reason="the course corpus is not installed")


def test_forced_alignment_beats_uniform_on_held_out_sentences():
    import torch

    from course_lib.audio import mel_spectrogram
    from course_lib.data.corpus import load_corpus

    torch.set_num_threads(1)
    corpus = load_corpus()
    train = [u for u in corpus if u.split == "train"][:30]
    test = [u for u in corpus if u.split == "test"][:8]
    strip = lambda u: [p.phoneme.lstrip("',") for p in u.phonemes]  # noqa: E731
    feats = {u.id: D.cepstral_features(mel_spectrogram(u.load_audio())) for u in train + test}
    model, history = D.train_gmm_hmm([strip(u) for u in train], [feats[u.id] for u in train],
                                     D.HMMConfig(mixture_schedule=(1, 1, 2, 2)),
                                     inventory=sorted({p for u in corpus for p in strip(u)}))
    assert history[-1] > history[0]
    alignments = model.align_many([strip(u) for u in test], [feats[u.id] for u in test])
    truth = [np.array([p.start for p in u.phonemes] + [u.phonemes[-1].end]) for u in test]
    hmm = D.boundary_errors([a.boundaries for a in alignments], truth)
    uniform = D.boundary_errors([D.uniform_boundaries(len(u.phonemes), len(feats[u.id])) for u in test], truth)
    assert hmm.ms < 25.0 and hmm.ms < uniform.ms / 3, f"HMM {hmm} vs uniform {uniform}"
    assert hmm.within_20ms > 0.6
