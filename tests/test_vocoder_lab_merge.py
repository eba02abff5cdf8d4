"""benchmarks/vocoder_lab.py --merge: scores on ground-truth and on Tacotron-predicted mels never share a table."""

import json

import pytest


@pytest.fixture(scope="module")
def lab(load_benchmark):
    return load_benchmark("vocoder_lab")


def saved(tmp_path, name, mels=None, **scores):
    report = {"split": "test", "utterances": 1, "audio_seconds": 1.0, "rtf": {},
              "per_utterance": {name: [scores]}, **({"mels": mels} if mels else {})}
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(report))
    return str(path)


def test_merge_refuses_the_other_kind_of_mel_and_keeps_its_own(lab, tmp_path, capsys):
    old = saved(tmp_path, "gt", pesq=2.0)  # written before --mels existed: ground-truth mels
    taco = saved(tmp_path, "taco", "tacotron", f0_rmse_cents=90.0, harmonic_share=0.5)
    with pytest.raises(SystemExit):
        lab.main(["--mels", "tacotron", "--merge", taco, old])
    assert "scored vocoders on ground-truth mels, this run on tacotron mels" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        lab.main(["--merge", taco])
    assert "merge only JSONs made with --mels ground-truth" in capsys.readouterr().err
    out = tmp_path / "merged.json"
    assert lab.main(["--mels", "tacotron", "--merge", taco, "--json", str(out)]) == 0
    merged = json.loads(out.read_text())
    assert merged["mels"] == "tacotron" and merged["summary"]["taco"]["f0_rmse_cents"] == 90.0
    assert "pesq" not in merged["summary"]["taco"]


def test_a_harmonic_noise_candidate_is_the_pipeline_vocoder(lab):
    import numpy as np
    import torch

    from course_lib.tts.waveglow.harmonic_noise import harmonic_plus_noise

    name, run = lab.parse_candidate("hnm=harmonic-noise@3")
    mel, f0 = torch.full((80, 12), -3.0), np.full(12, 110.0)
    expected = harmonic_plus_noise(mel, f0, n_iter=3, generator=torch.Generator().manual_seed(5))
    assert name == "hnm" and np.array_equal(run(mel, None, f0, 5), expected)
    assert run(mel, np.zeros(3000), f0, 5).shape == (3000,)  # cut (or padded) to the recording
    with pytest.raises(SystemExit, match="harmonic-noise"):
        lab.parse_candidate("=harmonic-noise")
