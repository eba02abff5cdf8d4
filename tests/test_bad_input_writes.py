"""Writing files when things go wrong (issue #17): a full disk, file modes, symbolic links.

Every writer goes through :func:`course_lib.checkpoint._write_atomic` (checkpoints, text files, wavs)
or :func:`course_lib.checkpoint.append_line` (training logs). A full disk is injected (the write
raises ``OSError(ENOSPC)``) so these rows always run; one test also fills a real tmpfs where this
machine lets us mount one.
"""

from __future__ import annotations

import errno
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from course_lib.audio import save_audio
from course_lib.checkpoint import WriteFailed, append_line, load_checkpoint, save_checkpoint, write_text_atomic


def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def _torch_full_disk(obj, handle, *args, **kwargs):
    """What torch.save does on a full disk: the file's write fails, torch reports its own RuntimeError."""
    try:
        handle.write(b"PK" + b"\0" * 100)
        _no_space()
    except OSError:
        raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 704 vs 598") from None


#: writer id → (write the first version, write the second version under a full disk, what to patch)
WRITERS = {
    "save_checkpoint": (lambda p: save_checkpoint(p, {"step": 1}), lambda p: save_checkpoint(p, {"step": 2}),
                        ("torch.save", _torch_full_disk)),
    "write_text_atomic": (lambda p: write_text_atomic(p, "one\n"), lambda p: write_text_atomic(p, "two\n"),
                          ("course_lib.checkpoint.os.fsync", _no_space)),
    "save_audio": (lambda p: save_audio(p, np.zeros(100)), lambda p: save_audio(p, np.ones(50) / 2),
                   ("soundfile.write", _no_space)),
    "append_line": (lambda p: append_line(p, "one"), lambda p: append_line(p, "two"),
                    ("builtins.open", lambda *a, **k: _no_space())),
}
SUFFIX = {"save_checkpoint": ".pt", "write_text_atomic": ".json", "save_audio": ".wav", "append_line": ".jsonl"}


def _assert_one_clear_line(err: BaseException, path: Path) -> None:
    text = str(err)
    assert isinstance(err, WriteFailed) and isinstance(err, OSError), type(err)
    assert "\n" not in text and str(path) in text and "disk is full" in text, text
    assert "run the same command again" in text, text  # says what to do


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_full_disk_is_one_line_and_keeps_the_previous_file(tmp_path, monkeypatch, writer):
    first, second, (target, fake) = WRITERS[writer]
    path = tmp_path / f"out{SUFFIX[writer]}"
    first(path)
    before = path.read_bytes()
    monkeypatch.setattr(target, fake)
    with pytest.raises(WriteFailed) as info:
        second(path)
    monkeypatch.undo()
    _assert_one_clear_line(info.value, path)
    assert path.read_bytes() == before, "the previous file changed"
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name], "a temporary file was left behind"
    if writer == "save_checkpoint":
        assert load_checkpoint(path) == {"step": 1}  # still loads
        assert "unchanged" in str(info.value)


def test_full_disk_during_training_keeps_the_last_checkpoint(tmp_path, monkeypatch):
    """The Tacotron 2 trainer: a save that fails at step 6 leaves step 3's checkpoint loadable."""
    from course_lib.tts.tacotron2.train import train
    from tests.test_train import config, fake_data

    real_save = torch.save
    calls = {"n": 0}

    def save_then_fill(obj, handle, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] >= 2:
            return _torch_full_disk(obj, handle)
        return real_save(obj, handle, *args, **kwargs)

    monkeypatch.setattr("torch.save", save_then_fill)
    cfg = config(checkpoint_every=3)
    with pytest.raises(WriteFailed) as info:
        train(cfg, tmp_path / "run", fake_data(), progress=False)
    monkeypatch.undo()
    ckpt = tmp_path / "run" / "checkpoint.pt"
    _assert_one_clear_line(info.value, ckpt)
    assert load_checkpoint(ckpt)["step"] == 3
    assert not [p for p in (tmp_path / "run").iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("cli", ["tacotron2", "waveglow"])
def test_training_clis_print_one_line_on_a_full_disk(tmp_path, monkeypatch, capsys, cli):
    """Both trainers' CLIs turn the writer's WriteFailed into one ``error:`` line and exit 1 (the
    training itself is replaced by a save into a full disk, which is what a long run meets)."""
    path = tmp_path / "run" / "checkpoint.pt"

    def train_into_full_disk(*args, **kwargs):
        monkeypatch.setattr("torch.save", _torch_full_disk)
        save_checkpoint(path, {"step": 1})

    if cli == "tacotron2":
        from course_lib.tts.tacotron2.train import __main__ as main_module

        monkeypatch.setattr("course_lib.tts.tacotron2.train.trainer.train", train_into_full_disk)
        status = main_module.main(["--out", str(tmp_path / "run"), "--no-progress"])
    else:
        from course_lib.tts.waveglow import train as main_module

        monkeypatch.setattr(main_module, "train", train_into_full_disk)
        status = main_module.main(["--out", str(tmp_path / "run"), "--max-steps", "1", "--no-progress"])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert status == 1 and len(lines) == 1 and lines[0].startswith("error: "), err
    assert "disk is full" in lines[0] and str(path) in lines[0] and "Traceback" not in err
    assert not path.parent.exists() or not list(path.parent.iterdir())


# ---------------------------------------------------------------------------- a real full disk
@pytest.fixture
def tiny_tmpfs(tmp_path):
    """A 1 MiB tmpfs, or a skip saying why it cannot be mounted here (the injected rows above always run)."""
    where = tmp_path / "tmpfs"
    where.mkdir()
    try:
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)], capture_output=True,
                              text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as err:
        pytest.skip(f"cannot mount a tmpfs here ({err}); the injected-ENOSPC tests cover the same code")
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.strip()}); the injected-ENOSPC tests cover it")
    yield where
    subprocess.run(["umount", str(where)], check=False, timeout=20)


def test_real_full_tmpfs(tiny_tmpfs):
    path = tiny_tmpfs / "checkpoint.pt"
    save_checkpoint(path, {"w": torch.zeros(10)})
    for write in (lambda: save_checkpoint(path, {"w": torch.zeros(1_000_000)}),  # 4 MB into 1 MiB
                  lambda: save_audio(tiny_tmpfs / "x.wav", np.zeros(1_000_000)),
                  lambda: write_text_atomic(tiny_tmpfs / "x.txt", "x" * 2_000_000)):
        with pytest.raises(WriteFailed, match="disk is full") as info:
            write()
        assert "\n" not in str(info.value) and str(tiny_tmpfs) in str(info.value)
    assert torch.equal(load_checkpoint(path)["w"], torch.zeros(10))
    assert sorted(p.name for p in tiny_tmpfs.iterdir()) == ["checkpoint.pt"]


# ---------------------------------------------------------------------------- modes and links
@pytest.mark.parametrize("writer", ["save_checkpoint", "write_text_atomic", "save_audio"])
def test_new_files_follow_the_umask_and_replaced_files_keep_their_mode(tmp_path, writer):
    first, second, _ = WRITERS[writer]
    path = tmp_path / f"out{SUFFIX[writer]}"
    old = os.umask(0o027)
    try:
        first(path)
        assert path.stat().st_mode & 0o777 == 0o640  # 0o666 & ~0o027, not mkstemp's 0o600
        path.chmod(0o604)
        second(path)
        assert path.stat().st_mode & 0o777 == 0o604  # the replaced file's mode is kept
    finally:
        os.umask(old)


@pytest.mark.parametrize("writer", ["save_checkpoint", "save_audio"])
def test_a_symlink_is_written_through(tmp_path, writer):
    first, second, _ = WRITERS[writer]
    target = tmp_path / "real" / f"target{SUFFIX[writer]}"
    target.parent.mkdir()
    first(target)
    link = tmp_path / f"link{SUFFIX[writer]}"
    link.symlink_to(target)
    before = target.read_bytes()
    second(link)
    assert link.is_symlink() and link.resolve() == target and target.read_bytes() != before
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]
