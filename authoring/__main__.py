"""Maintainer command line: ``python -m authoring {build,check,workspace,execute}``."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from authoring import drift, notebooks, workspace
from course_lib.settings import ROOT


def _sources(names: list[str]) -> list[Path]:
    if not names:
        return notebooks.sources()
    paths = [Path(n) if Path(n).exists() else notebooks.NOTEBOOKS / n for n in names]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise SystemExit(f"error: no such chapter source: {', '.join(missing)}")
    wrong = [str(p) for p in paths if p.suffix != ".md" or not p.is_file()]
    if wrong:
        raise SystemExit(f"error: {', '.join(wrong)} is not a chapter source; give notebooks/NN_slug.md files")
    return paths


def _built(folder: Path) -> list[Path] | None:
    """The built notebooks in ``folder``, or None (after an error line) when there are none."""
    found = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
    if not found:
        print(f"error: no built notebooks in {folder}; run `python -m authoring build` first",
              file=sys.stderr)
        return None
    return found


def cmd_build(args) -> int:
    from authoring import editions  # nbgrader and torch: a second or more, so only for the commands that need them

    built = editions.build(_sources(args.notebooks), Path(args.out))
    print(f"built {len(built['instructor'])} instructor and {len(built['student'])} student notebooks in {args.out}")
    return 0


def cmd_check(args) -> int:
    from authoring import editions
    from authoring.execute import CellExecutionError, execute

    failed = False
    for source in _sources(args.notebooks):
        problems = []
        instructor = editions.instructor_edition(source)
        student = editions.student_edition(source)
        problems += drift.drift(instructor)
        problems += [f"solution text leaks into the student edition: {line!r}"
                     for line in editions.leaked_solutions(instructor, student)]
        with tempfile.TemporaryDirectory() as tmp:
            try:
                _, seconds = execute(instructor, Path(tmp))
                quick = os.environ.get('COURSE_QUICK', '0')
                print(f"{source.name}: instructor edition ran in {seconds:.1f} s (quick={quick})")
            except CellExecutionError as err:
                problems.append(f"instructor edition failed:\n{str(err)[-3000:]}")
            _, seconds = execute(student, Path(tmp), allow_errors=True)
            print(f"{source.name}: student edition ran in {seconds:.1f} s")
            problems += editions.student_run_problems(student)
        for problem in problems:
            print(f"{source.name}: {problem}", file=sys.stderr)
        failed |= bool(problems)
        if not problems:
            print(f"{source.name}: ok")
    return 1 if failed else 0


def cmd_workspace(args) -> int:
    if _built(Path(args.editions)) is None:
        return 2
    copied, kept = workspace.sync(Path(args.editions), Path(args.to))
    print(f"workspace {args.to}: {len(copied)} new notebook(s) copied, {len(kept)} of yours left untouched")
    return 0


def _execute_one(pair):
    from authoring.execute import execute_file

    source, target = pair
    return target.name, execute_file(source, target)


def cmd_execute(args) -> int:
    src, out = Path(args.editions), Path(args.out)
    built = _built(src)
    if built is None:
        return 2
    if args.jobs < 1:
        print(f"error: --jobs must be at least 1, got {args.jobs}", file=sys.stderr)
        return 2
    todo = []
    for nb in built:
        target = out / nb.name
        if args.force or not target.exists() or target.stat().st_mtime < nb.stat().st_mtime:
            todo.append((nb, target))
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for name, seconds in pool.map(_execute_one, todo):
            print(f"executed {name} in {seconds:.1f} s")
    print(f"{len(todo)} executed, {len(built) - len(todo)} up to date in {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m authoring", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build", help="build instructor and student .ipynb editions")
    p.add_argument("notebooks", nargs="*", help="chapter sources (default: all)")
    p.add_argument("--out", default=str(ROOT / "build" / "editions"))
    p.set_defaults(func=cmd_build)
    p = sub.add_parser("check", help="validate, execute both editions and check drift of chapters")
    p.add_argument("notebooks", nargs="*")
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("workspace", help="copy student notebooks into the workspace, never overwriting")
    p.add_argument("--editions", default=str(ROOT / "build" / "editions" / "student"))
    p.add_argument("--to", default=str(ROOT / "workspace"))
    p.set_defaults(func=cmd_workspace)
    p = sub.add_parser("execute", help="execute instructor notebooks for the book (outputs kept)")
    p.add_argument("--editions", default=str(ROOT / "build" / "editions" / "instructor"))
    p.add_argument("--out", default=str(ROOT / "build" / "executed" / "instructor"))
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=cmd_execute)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except notebooks.AuthoringError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
