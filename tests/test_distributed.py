"""Data-parallel training (course_lib.training.distributed; both model CLIs run directly under torchrun):
two CPU processes with Gloo train a tiny model for a few steps and must end with identical weights."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp

from course_lib.training import distributed as D

ROOT = Path(__file__).resolve().parent.parent
TINY = dict(symbols_embedding_dim=16, encoder_embedding_dim=16, prenet_dim=16, attention_rnn_dim=24,
            decoder_rnn_dim=24, attention_dim=8, attention_location_n_filters=4, attention_location_kernel_size=5,
            postnet_embedding_dim=16, max_decoder_steps=20)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fake_data():
    """The same 12 random (text ids, mel) pairs on every rank (seeded)."""
    from course_lib.tts.tacotron2.train.data import TrainData

    g = torch.Generator().manual_seed(0)
    pairs = []
    for _ in range(14):
        n, frames = int(torch.randint(5, 11, (1,), generator=g)), int(torch.randint(12, 31, (1,), generator=g))
        pairs.append((torch.randint(1, 148, (n,), generator=g), torch.randn(80, frames, generator=g) - 5))
    return TrainData(pairs[:12], pairs[12:])


def _worker(rank, world, port, out):
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank), MASTER_ADDR="127.0.0.1",
                      MASTER_PORT=str(port))
    torch.set_num_threads(1)
    from course_lib.tts.tacotron2.train import TrainConfig, train

    env = D.init_from_env("cpu")
    assert env.distributed and env.backend == "gloo" and env.rank == rank
    config = TrainConfig(model_overrides=TINY, batch_size=2, max_steps=3, minutes=0, eval_every=2,
                         checkpoint_every=100, n_eval=2, threads=1)
    done = train(config, out / "run", fake_data(), progress=False, env=env)  # the course trainer, data-parallel
    result = {"step": done.step, "in_sync": done.in_sync, "world_size": done.world_size,
              "evaluated": done.last_eval is not None}
    from course_lib.checkpoint import load_checkpoint

    model_state = load_checkpoint(out / "run" / "checkpoint.pt")["model"]
    from course_lib.tts.tacotron2 import Tacotron2

    model = Tacotron2(config.model_config())
    model.load_state_dict(model_state)
    in_sync_after = D.weights_in_sync(model, env)
    if rank == 1:  # a negative control: the check must notice a rank that drifted
        with torch.no_grad():
            next(model.parameters()).add_(1e-3)
    drifted = D.weights_in_sync(model, env)
    torch.save({"result": result, "in_sync_after": in_sync_after, "drifted": drifted}, out / f"rank{rank}.pt")
    D.cleanup(env)


@pytest.mark.slow
def test_two_gloo_processes_end_with_identical_weights(tmp_path):
    from course_lib.checkpoint import load_checkpoint

    mp.spawn(_worker, args=(2, free_port(), tmp_path), nprocs=2, join=True)
    results = [torch.load(tmp_path / f"rank{r}.pt", weights_only=False) for r in range(2)]
    for r in results:
        assert r["result"]["in_sync"] and r["in_sync_after"] and r["result"]["step"] == 3
        assert r["result"]["world_size"] == 2
        assert not r["drifted"]  # the check can fail: a perturbed copy on rank 1 is caught on both ranks
    assert [r["result"]["evaluated"] for r in results] == [True, False]  # rank 0 alone evaluates
    payload = load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    assert payload["world_size"] == 2 and payload["step"] == 3
    # only rank 0 evaluated and logged: one line at step 2, one at the end (step 3)
    lines = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [2, 3] and all(line["world_size"] == 2 for line in lines)
    from course_lib import settings
    from course_lib.tts.tacotron2 import Tacotron2  # the weights moved away from the (seeded) initialisation
    from course_lib.tts.tacotron2.train import TrainConfig

    settings.seed_everything(0)
    init = Tacotron2(TrainConfig(model_overrides=TINY).model_config()).state_dict()
    moved = [k for k, v in payload["model"].items() if v.is_floating_point() and not torch.equal(v, init[k])]
    assert len(moved) > 10


def _torchrun(module_args: list[str], tmp_path: Path, env: dict) -> dict:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
           "--master_port", str(free_port()), "-m", *module_args, "--no-progress", "--device", "cpu"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=180, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])  # rank 0 alone prints


@pytest.mark.slow
def test_torchrun_trains_waveglow_with_both_clis_and_resumes(tmp_path):
    """``torchrun -m course_lib.tts.waveglow.train`` trains data-parallel, and a second run resumes it."""
    from course_lib.checkpoint import load_checkpoint
    from course_lib.tts.waveglow.checkpoint import load_waveglow
    from course_lib.tts.waveglow.config import WaveGlowConfig

    from .test_resume import tiny_corpus

    tiny_corpus(tmp_path / "assets", n_train=4, n_val=1)
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", COURSE_ASSETS=str(tmp_path / "assets"))
    out = str(tmp_path / "wg")
    first = _torchrun(["course_lib.tts.waveglow.train", "--out", out, "--max-steps", "2", "--batch-size", "1"],
                      tmp_path, env)
    assert first["in_sync"] and first["step"] == 2 and first["world_size"] == 2 and "val_loss" in first
    payload = load_checkpoint(tmp_path / "wg" / "checkpoint.pt")
    assert payload["world_size"] == 2 and len(payload["rng"]) == 2
    assert payload["rng"][0] != payload["rng"][1]  # each rank draws its own segments
    second = _torchrun(["course_lib.tts.waveglow.train", "--out", out, "--max-steps", "3", "--batch-size", "1"],
                       tmp_path, env)
    assert second["in_sync"] and second["step"] == 3 and second["world_size"] == 2
    payload = load_checkpoint(tmp_path / "wg" / "checkpoint.pt")
    assert payload["step"] == 3 and len(payload["commands"]) == 2
    assert all(c.startswith("torchrun --nproc_per_node 2") for c in payload["commands"])
    log = [json.loads(line) for line in (tmp_path / "wg" / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in log] == [2, 3]  # rank 0 alone evaluated and logged
    assert not list((tmp_path / "wg").glob("*.tmp"))
    model = load_waveglow(tmp_path / "wg" / "checkpoint.pt")  # the course loader reads it
    assert model.config == WaveGlowConfig.course()


@pytest.mark.slow
def test_the_course_tacotron_trainer_runs_under_torchrun_and_resumes_a_one_process_run(tmp_path):
    """``-m course_lib.tts.tacotron2.train`` alone, then under ``torchrun``, continues the same run."""
    from course_lib.checkpoint import load_checkpoint

    from .test_resume import tiny_corpus

    tiny_corpus(tmp_path / "assets")  # 4 training utterances: with 2 processes, 2 batches of 1 per rank and epoch
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", COURSE_ASSETS=str(tmp_path / "assets"))
    run = ["--out", str(tmp_path / "t2"), "--batch-size", "1", "--eval-every", "2", "--minutes", "0", "--no-progress"]
    alone = subprocess.run([sys.executable, "-m", "course_lib.tts.tacotron2.train", *run, "--max-steps", "3",
                            "--device", "cpu"], capture_output=True, text=True, env=env, timeout=180, cwd=tmp_path)
    assert alone.returncode == 0, alone.stderr[-2000:]
    assert alone.stdout.count("step 3,") == 1
    first = load_checkpoint(tmp_path / "t2" / "checkpoint.pt")
    assert first["step"] == 3 and first["world_size"] == 1 and "within" in first["last_eval"]
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
           "--master_port", str(free_port()), "-m", "course_lib.tts.tacotron2.train", *run, "--max-steps", "4"]
    second = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=180, cwd=tmp_path)
    assert second.returncode == 0, second.stderr[-2000:]
    assert second.stdout.count("step 4,") == 1  # rank 0 alone reports
    payload = load_checkpoint(tmp_path / "t2" / "checkpoint.pt")
    assert payload["world_size"] == 2 and payload["step"] == 4
    log = [json.loads(line) for line in (tmp_path / "t2" / "metrics.jsonl").read_text().splitlines()]
    assert [(row["step"], row.get("world_size")) for row in log] == [(2, None), (3, None), (4, 2)]
    assert not list((tmp_path / "t2").glob("*.tmp"))


def test_single_process_environment(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    env = D.init_from_env("cpu")
    assert env == D.DistEnv() and env.is_main and not env.distributed
    model = torch.nn.Linear(2, 2)
    assert D.wrap_model(model, env) is model and D.unwrap(model) is model
    assert D.weights_in_sync(model, env)
    with D.autocast(env):  # a no-op on the CPU
        assert model(torch.ones(1, 2)).dtype == torch.float32
    assert not D.grad_scaler(env).is_enabled()
    assert D.save_on_main(lambda: 42, env) == 42
    assert D.any_rank(True, env) is True and D.any_rank(torch.tensor(False), env) is False
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "5")
    with pytest.raises(ValueError, match="RANK=5"):
        D.init_from_env("cpu")
    monkeypatch.setenv("RANK", "x")
    with pytest.raises(ValueError, match="whole number"):
        D.init_from_env("cpu")
    with pytest.raises(ValueError, match="amp"):
        D.autocast(env, "fp8")


def test_shards_are_disjoint_equal_and_cover_what_they_can():
    batches = [[i] for i in range(11)]
    shards = [D.shard_batches(batches, D.DistEnv(rank=r, world_size=3)) for r in range(3)]
    assert [len(s) for s in shards] == [3, 3, 3]  # equal counts: no rank waits for a missing step
    flat = [b[0] for s in shards for b in s]
    assert len(set(flat)) == 9
    with pytest.raises(ValueError, match="cannot be shared"):
        D.shard_batches(batches[:2], D.DistEnv(rank=0, world_size=3))
    samplers = [D.distributed_sampler(range(10), D.DistEnv(rank=r, world_size=2), seed=1) for r in range(2)]
    a, b = (set(s) for s in samplers)
    assert not a & b and len(a) == len(b) == 5


def test_cli_reports_bad_input_without_traceback(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for module in ("course_lib.tts.tacotron2.train", "course_lib.tts.waveglow.train"):
        cmd = [sys.executable, "-m", module, "--out", str(tmp_path / "x"), "--data", str(tmp_path / "nowhere"),
               "--max-steps", "1", "--device", "cpu"]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr and "nowhere" in proc.stderr, module


def fake_ljspeech(root: Path, n: int = 6) -> Path:
    """A tiny LJSpeech-layout folder: metadata.csv (id|text|normalized) and wavs/<id>.wav."""
    import numpy as np
    import soundfile as sf

    (root / "wavs").mkdir(parents=True)
    rows = []
    for i in range(n):
        t = np.arange(int(22050 * (0.4 + 0.1 * i))) / 22050
        sf.write(root / "wavs" / f"LJ001-{i:04d}.wav", (0.3 * np.sin(2 * np.pi * (200 + 50 * i) * t)).astype("float32"),
                 22050)
        rows.append(f"LJ001-{i:04d}|Sentence {i}.|Sentence number {i}.")
    (root / "metadata.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


@pytest.mark.slow
def test_ljspeech_recipes_run_in_one_process(tmp_path, monkeypatch):
    from course_lib.tts.tacotron2.train.__main__ import main as tacotron2_main
    from course_lib.tts.waveglow.train import main as waveglow_main

    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    root = fake_ljspeech(tmp_path / "LJSpeech-1.1")
    tiny = ["--device", "cpu", "--no-progress", "--data", str(root), "--val-size", "2", "--batch-size", "2"]
    assert tacotron2_main(["--out", str(tmp_path / "t2"), "--max-steps", "2", "--eval-every", "1",
                           "--guided-attention", "0", "--minutes", "0", *tiny]) == 0
    lines = (tmp_path / "t2" / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 2 and "val_total" in json.loads(lines[-1])
    assert (root / "mel_cache").is_dir()  # LJSpeech mels are cached on disk, not kept as a list in memory
    assert waveglow_main(["--out", str(tmp_path / "wg"), "--max-steps", "1", *tiny]) == 0
    assert (tmp_path / "wg" / "checkpoint.pt").exists()
    assert "val_loss" in json.loads((tmp_path / "wg" / "metrics.jsonl").read_text())  # validated on held-out clips
