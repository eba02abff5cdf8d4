"""Speak text from the command line with the course Tacotron 2 and a vocoder (chapter 15).

    python -m course_lib.tts.speak "Some text." -o out.wav
    python -m course_lib.tts.speak --file lines.txt -o wavs/          # one wav per non-empty line
    python -m course_lib.tts.speak "Hi." -o out/ --vocoder griffin-lim --seed 1
    python -m course_lib.tts.speak "Hi." --vocoder waveglow --sigma 0.6  # the course's own WaveGlow

Uses the shipped checkpoints in assets/ unless --tacotron / --waveglow name others (course files,
or NVIDIA's tacotron2_statedict.pt / waveglow_256channels_universal_v5.pt). Every input is checked
before anything is synthesised or created (a failed run leaves no empty folder); each wav is written
to a temporary file and renamed (course_lib.checkpoint: the umask's mode, or the replaced file's;
written through a symlink), so a failure, a full disk included, never leaves a half-written file.
Errors print one line on stderr and exit with status 1.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import warnings
from pathlib import Path

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")
VOCODERS = ("harmonic-noise", "waveglow", "griffin-lim")  # = pipeline.VOCODERS (tested), without importing torch


class CliError(Exception):
    """A problem with the user's input: printed as one line, exit status 1."""


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m course_lib.tts.speak", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("text", nargs="?", help="the text to speak (or use --file)")
    p.add_argument("--file", "-f", help="a UTF-8 text file: one utterance per non-empty line")
    p.add_argument("-o", "--out", default=None,
                   help="output .wav/.flac/.ogg, or a folder (ends with / or exists); default speech.wav, "
                        "or the folder <file stem>_wavs/ with --file")
    p.add_argument("--vocoder", choices=VOCODERS, default=None,
                   help="harmonic-noise (default: the best measured, see benchmarks/RESULTS.md), waveglow (the "
                        "default when --waveglow names a checkpoint) or griffin-lim")
    p.add_argument("--sigma", type=float, default=0.6, help="WaveGlow noise scale σ (default 0.6)")
    p.add_argument("--seed", type=int, default=0, help="fixes prenet dropout and WaveGlow noise (default 0)")
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    p.add_argument("--tacotron", default=None, help="Tacotron 2 checkpoint (default: assets/tacotron2)")
    p.add_argument("--waveglow", default=None, help="WaveGlow checkpoint (default: assets/waveglow)")
    p.add_argument("--threads", type=int, default=1,
                   help="torch CPU threads (default 1: fastest for Tacotron 2's small steps and on a busy machine)")
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    args = p.parse_args(argv)
    if args.vocoder is None:
        args.vocoder = "waveglow" if args.waveglow is not None else VOCODERS[0]
    return args


def _slug(text: str, limit: int = 40) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:limit].strip("_")
    return slug or "speech"


def read_lines(path: str) -> list[str]:
    """Non-empty lines of a UTF-8 text file, with one clear error for anything unreadable."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise CliError(f"cannot read --file {path}: no such file") from None
    except IsADirectoryError:
        raise CliError(f"cannot read --file {path}: it is a folder, not a text file") from None
    except OSError as err:
        raise CliError(f"cannot read --file {path}: {err.strerror or err}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise CliError(f"--file {path} is not UTF-8 text (byte {err.start}); save it as UTF-8") from None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise CliError(f"--file {path} holds no text: write one utterance per line")
    return lines


def plan_outputs(texts: list[str], out: str | None, file: str | None) -> list[Path]:
    """Where each utterance goes; checks the suffix and that the folder can be written, creating nothing yet."""
    if out is None:
        out = f"{Path(file).stem}_wavs{os.sep}" if file else "speech.wav"
    audio_suffix = Path(out).suffix.lower() in AUDIO_SUFFIXES
    if file and audio_suffix:
        raise CliError(f"--file writes one wav per line, so -o must be a folder, not the file {out!r}")
    folder_given = out.endswith(("/", os.sep)) or Path(out).is_dir() or bool(file)
    if folder_given:
        folder = Path(out)
        names = [f"{i + 1:03d}_{_slug(t)}.wav" for i, t in enumerate(texts)] if file else [f"{_slug(texts[0])}.wav"]
        paths = [folder / n for n in names]
    else:
        paths = [Path(out)]
        if paths[0].suffix.lower() not in AUDIO_SUFFIXES:
            raise CliError(f"output {out!r} needs a {'/'.join(AUDIO_SUFFIXES)} suffix "
                           "(or end it with '/' for a folder)")
    _check_writable(paths[0].parent)
    for path in paths:
        _check_target(path)
    return paths


def _check_writable(folder: Path) -> None:
    """Refuse a folder that cannot be made or written, without creating anything (a failed run leaves no trace)."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        if existing.is_symlink():  # a dangling link in the way
            raise CliError(f"cannot write into {folder}: {existing} is a broken symbolic link")
        existing = existing.parent
    if not existing.is_dir():
        raise CliError(f"cannot write into {folder}: {existing} is a file, not a folder")
    try:  # a probe file in the nearest folder that exists, removed at once (os.access ignores read-only mounts)
        fd, probe = tempfile.mkstemp(dir=existing, prefix=".speak-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise CliError(f"cannot write into {folder}: {err.strerror or err}") from None


def _check_target(path: Path) -> None:
    """An existing output must be a file (or a link to one): it is replaced, through a link if it is one."""
    if path.is_symlink() and not path.exists():
        raise CliError(f"output {path} is a symbolic link to {os.readlink(path)}, which does not exist; "
                       "remove the link or give another -o")
    if path.exists() and not path.is_file():
        raise CliError(f"output {path} exists and is not a file; give another -o")


def run(args: argparse.Namespace) -> int:
    if args.text is not None and args.file:
        raise CliError("give the text or --file, not both")
    if args.text is None and not args.file:
        raise CliError('nothing to say: give the text ("Some text.") or --file lines.txt')
    texts = read_lines(args.file) if args.file else [args.text]
    if any(not t.strip() for t in texts):
        raise CliError("the text is empty: give at least one word to speak")
    if not (args.sigma >= 0 and args.sigma < float("inf")):
        raise CliError(f"--sigma must be a finite number >= 0 (0.6 is typical), got {args.sigma}")
    if args.threads < 1:
        raise CliError(f"--threads must be >= 1, got {args.threads}")
    paths = plan_outputs(texts, args.out, args.file)

    import torch  # imported late so that argument errors come back instantly

    torch.set_num_threads(args.threads)
    from course_lib.audio import save_audio
    from course_lib.tts import pipeline
    from course_lib.tts.tacotron2 import encode_text

    def check_lines(check) -> None:  # every line must be speakable before the first one is spoken
        for i, text in enumerate(texts):
            try:
                check(text)
            except ValueError as err:
                where = f"line {i + 1} of {args.file}: " if args.file else ""
                raise CliError(f"{where}{err}") from None

    check_lines(encode_text)  # characters first: no model needed
    acoustic = pipeline.load_tacotron2(args.tacotron, args.device)
    check_lines(lambda text: pipeline.check_speakable(text, acoustic))  # {ARPAbet} the model never learned
    if args.vocoder == "waveglow":
        pipeline.load_vocoder(args.waveglow, args.device)
    for text, path in zip(texts, paths):  # save_audio creates the folder when the first wav is ready
        speech = pipeline.speak(text, vocoder=args.vocoder, sigma=args.sigma, device=args.device,
                                tacotron=args.tacotron, waveglow=args.waveglow, seed=args.seed)
        save_audio(path, speech.audio, speech.sample_rate)
        if any(speech.hit_max_steps):
            print(f"warning: {path}: the stop token never fired for part of the text; the audio is cut off",
                  file=sys.stderr)
        if not args.quiet:
            seconds = len(speech.audio) / speech.sample_rate
            compute = sum(speech.seconds.values())
            print(f"{path}  {seconds:.2f} s of audio in {compute:.2f} s (real-time factor {compute / seconds:.3f})")
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # library warnings are summarised above, not dumped
            return run(args)
    except CliError as err:
        print(f"error: {err}", file=sys.stderr)
    except (FileNotFoundError, ValueError, TypeError) as err:
        print(f"error: {err}", file=sys.stderr)
    except OSError as err:
        print(f"error: {err.strerror or err}{f': {err.filename}' if err.filename else ''}", file=sys.stderr)
    except RuntimeError as err:  # e.g. CUDA asked for but not available, NaN audio
        print(f"error: {str(err).splitlines()[0]}", file=sys.stderr)
    except KeyboardInterrupt:
        print("interrupted; no partial file was written", file=sys.stderr)
        return 130
    return 1


if __name__ == "__main__":
    sys.exit(main())
