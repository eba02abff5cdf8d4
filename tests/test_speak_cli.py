"""`python -m course_lib.tts.speak`: outputs, and one clear line + non-zero exit for every bad input.

Each case runs the real command in a subprocess with tiny random-weight checkpoints (written by
tests.test_pipeline's helpers); COURSE_ASSETS points the default loader at a folder of our choosing.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf

from tests.test_pipeline import write_tiny_f0_predictor, write_tiny_tacotron, write_tiny_waveglow

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def assets(tmp_path_factory):
    """An assets folder laid out like the repository's, holding tiny checkpoints."""
    root = tmp_path_factory.mktemp("assets")
    write_tiny_tacotron(root / "tacotron2" / "tacotron2_course.pt")
    (root / "waveglow").mkdir()
    write_tiny_waveglow(root / "waveglow" / "waveglow_course.pt")
    write_tiny_f0_predictor(root / "waveglow" / "f0_predictor.pt")
    return root


def cli(*args, assets=None, cwd=None):
    env = dict(os.environ, COURSE_THREADS="1", PYTHONPATH=str(ROOT))
    if assets is not None:
        env["COURSE_ASSETS"] = str(assets)
    return subprocess.run([sys.executable, "-m", "course_lib.tts.speak", *map(str, args)], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=120)


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def assert_clean_failure(proc, *words, status=1):
    assert proc.returncode == status, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for word in words:
        assert word in lines[0], lines[0]


def test_speaks_text_into_a_wav(assets, tmp_path):
    out = tmp_path / "out.wav"
    proc = cli("Hello there.", "-o", out, assets=assets)
    assert proc.returncode == 0, proc.stderr
    audio, sr = sf.read(out)
    assert sr == 22050 and audio.ndim == 1 and len(audio) % (3 * 256) == 0 and audio.std() > 0
    assert "real-time factor" in proc.stdout
    assert files_under(tmp_path) == ["out.wav"]  # no temporary files left behind


@pytest.mark.slow
def test_file_writes_one_wav_per_line_with_griffin_lim(assets, tmp_path):
    lines = tmp_path / "lines.txt"
    lines.write_text("First line.\n\n  Second line!  \n", encoding="utf-8")
    proc = cli("--file", lines, "-o", tmp_path / "wavs/", "--vocoder", "griffin-lim", "--seed", "3", assets=assets)
    assert proc.returncode == 0, proc.stderr
    assert files_under(tmp_path / "wavs") == ["001_first_line.wav", "002_second_line.wav"]
    proc = cli("One more.", "-o", str(tmp_path / "wavs") + "/", "-q", assets=assets)  # a folder for one text
    assert proc.returncode == 0 and proc.stdout == ""
    assert "one_more.wav" in files_under(tmp_path / "wavs")


@pytest.mark.parametrize("args,words", [
    (["   "], ["empty"]),
    ([], ["nothing to say"]),
    (["Hi.", "--file", "x.txt"], ["not both"]),
    (["Hi.", "-o", "out.mp3"], ["suffix"]),
    (["Hi.", "--sigma", "-1"], ["--sigma"]),
])
def test_bad_arguments_fail_fast_and_clearly(assets, tmp_path, args, words):
    proc = cli(*args, assets=assets, cwd=tmp_path)
    assert_clean_failure(proc, *words)
    assert files_under(tmp_path) == []


def test_unknown_vocoder_is_an_argument_error(assets, tmp_path):
    proc = cli("Hi.", "--vocoder", "wavenet", assets=assets, cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "invalid choice: 'wavenet'" in proc.stderr and files_under(tmp_path) == []


def test_unreadable_files_are_reported(assets, tmp_path):
    assert_clean_failure(cli("--file", tmp_path / "missing.txt", "-o", tmp_path / "w/", assets=assets),
                         "no such file")
    assert_clean_failure(cli("--file", tmp_path, "-o", tmp_path / "w/", assets=assets), "folder")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9\n".encode("latin-1"))
    assert_clean_failure(cli("--file", tmp_path / "latin1.txt", "-o", tmp_path / "w/", assets=assets), "UTF-8")
    (tmp_path / "blank.txt").write_text("\n \n")
    assert_clean_failure(cli("--file", tmp_path / "blank.txt", "-o", tmp_path / "w/", assets=assets), "no text")
    (tmp_path / "lines.txt").write_text("Fine.\n")
    assert_clean_failure(cli("--file", tmp_path / "lines.txt", "-o", tmp_path / "one.wav", assets=assets), "folder")
    assert not (tmp_path / "w").exists() and not (tmp_path / "one.wav").exists()


def test_unspeakable_line_stops_before_anything_is_written(assets, tmp_path):
    lines = tmp_path / "lines.txt"
    lines.write_text("A fine line.\nMixed 日本 text.\n", encoding="utf-8")
    proc = cli("--file", lines, "-o", tmp_path / "wavs/", assets=assets)
    assert_clean_failure(proc, "line 2")
    assert files_under(tmp_path / "wavs") == []


def test_unwritable_output_is_reported(assets, tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("a file, not a folder")
    proc = cli("Hi.", "-o", blocker / "out.wav", assets=assets)
    assert_clean_failure(proc, "cannot write")
    assert files_under(tmp_path) == ["file.txt"]


@pytest.mark.slow
def test_missing_checkpoints_are_reported(assets, tmp_path):
    empty = tmp_path / "no_assets"
    empty.mkdir()
    out = tmp_path / "out.wav"
    assert_clean_failure(cli("Hi.", "-o", out, assets=empty), "tacotron2_course.pt")
    assert_clean_failure(cli("Hi.", "-o", out, "--tacotron", tmp_path / "nope.pt", assets=assets), "nope.pt")
    (empty / "tacotron2").mkdir()
    shipped = (assets / "tacotron2" / "tacotron2_course.pt").read_bytes()
    (empty / "tacotron2" / "tacotron2_course.pt").write_bytes(shipped)
    assert_clean_failure(cli("Hi.", "-o", out, assets=empty), "f0_predictor.pt", "griffin-lim")
    assert_clean_failure(cli("Hi.", "-o", out, "--vocoder", "waveglow", assets=empty), "waveglow_course.pt",
                         "griffin-lim")
    assert not out.exists()
    proc = cli("Hi.", "-o", out, "--vocoder", "griffin-lim", assets=empty)  # the hint works
    assert proc.returncode == 0 and out.exists()


def test_unavailable_device_is_reported(assets, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    assert_clean_failure(cli("Hi.", "-o", tmp_path / "out.wav", "--device", "cuda", assets=assets), "CUDA")


# ---------------------------------------------------------------------------- issue #17
@pytest.mark.parametrize("args", [
    ["🙂", "-o", "newdir/x.wav"],  # an unspeakable text
    ["--file", "lines.txt", "-o", "newdir/"],  # a bad line in --file
    ["Hi.", "-o", "newdir/sub/x.wav", "--tacotron", "missing.pt"],  # a missing model
])
def test_a_failed_run_creates_no_folder(assets, tmp_path, args):
    (tmp_path / "lines.txt").write_text("A fine line.\nMixed 日本 text.\n", encoding="utf-8")
    assert_clean_failure(cli(*args, assets=assets, cwd=tmp_path))
    assert not (tmp_path / "newdir").exists()


def test_output_through_a_symlink_is_written_through(assets, tmp_path):
    target = tmp_path / "real" / "speech.wav"
    target.parent.mkdir()
    target.write_bytes(b"old")
    target.chmod(0o640)
    (tmp_path / "link.wav").symlink_to(target)
    proc = cli("Hi.", "-o", tmp_path / "link.wav", "-q", assets=assets)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "link.wav").is_symlink() and sf.info(target).samplerate == 22050
    assert target.stat().st_mode & 0o777 == 0o640  # the replaced file keeps its mode
    (tmp_path / "dangling.wav").symlink_to(tmp_path / "nowhere" / "x.wav")
    assert_clean_failure(cli("Hi.", "-o", tmp_path / "dangling.wav", assets=assets), "symbolic link")


def test_arpabet_is_refused_for_a_model_trained_without_it(tmp_path):
    import torch

    from course_lib.text import SYMBOLS

    root = tmp_path / "assets"
    write_tiny_tacotron(root / "tacotron2" / "tacotron2_course.pt")
    path = root / "tacotron2" / "tacotron2_course.pt"
    payload = torch.load(path, weights_only=True)
    payload["model"]["embedding.weight"][[i for i, s in enumerate(SYMBOLS) if s.startswith("@")]] = 0
    torch.save(payload, path)
    proc = cli("{HH AH0 L OW1} world", "-o", tmp_path / "out" / "x.wav", "--vocoder", "griffin-lim", assets=root)
    assert_clean_failure(proc, "without ARPAbet", "tacotron2_course.pt")
    assert not (tmp_path / "out").exists()


def test_full_disk_is_one_line(assets, tmp_path, monkeypatch, capsys):
    """`speak -o` on a full disk (ENOSPC injected into the wav writer): one line, no temp, old file kept."""
    import errno

    from course_lib.tts import pipeline, speak

    out = tmp_path / "x.wav"
    out.write_bytes(b"previous")

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("soundfile.write", no_space)
    pipeline.clear_cache()
    status = speak.main(["Hi.", "-o", str(out), "--vocoder", "griffin-lim", "-q",
                              "--tacotron", str(assets / "tacotron2" / "tacotron2_course.pt")])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert status == 1 and len(lines) == 1 and lines[0].startswith("error: could not write"), err
    assert "disk is full" in lines[0] and str(out) in lines[0]
    assert out.read_bytes() == b"previous" and files_under(tmp_path) == ["x.wav"]
    pipeline.clear_cache()
