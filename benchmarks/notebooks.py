"""Time and peak memory of every notebook, quick mode (and full mode with --full).

    .venv/bin/python benchmarks/notebooks.py [--full] [--json out.json]

Each instructor notebook runs in a fresh kernel; an extra last cell reports the kernel's peak
resident memory (ru_maxrss). Goals (issue 10): each ≤ 90 s in quick mode, all together ≤ 10 min,
peak RSS ≤ 2 GiB each.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from authoring import editions, notebooks  # noqa: E402
from authoring.execute import execute  # noqa: E402

PEAK = "import resource; print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"


def measure(source: Path, quick: bool) -> dict:
    os.environ["COURSE_QUICK"] = "1" if quick else "0"
    nb = editions.instructor_edition(source)
    nb.cells.append(nbformat.v4.new_code_cell(PEAK))
    with tempfile.TemporaryDirectory() as tmp:
        nb, seconds = execute(nb, Path(tmp), timeout=3600)
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    peak_kb = int(text.split("PEAK_RSS_KB")[1].split()[0])
    return {"notebook": source.stem, "mode": "quick" if quick else "full",
            "seconds": round(seconds, 1), "peak_rss_mib": round(peak_kb / 1024)}


def table(rows: list[dict]) -> str:
    lines = ["| notebook | mode | seconds | peak RSS (MiB) |", "|---|---|---:|---:|"]
    lines += [f"| {r['notebook']} | {r['mode']} | {r['seconds']} | {r['peak_rss_mib']} |" for r in rows]
    for mode in ("quick", "full"):
        chosen = [r for r in rows if r["mode"] == mode]
        if chosen:
            lines.append(f"| **all, {mode} mode** | {mode} | {sum(r['seconds'] for r in chosen):.1f} | "
                         f"max {max(r['peak_rss_mib'] for r in chosen)} |")
    quick = [r for r in rows if r["mode"] == "quick"]
    if quick:
        ok = (sum(r["seconds"] for r in quick) <= 600 and max(r["seconds"] for r in quick) <= 90
              and max(r["peak_rss_mib"] for r in rows) <= 2048)
        lines.append(f"\nGoals (quick mode ≤ 10 min together, none > 90 s; peak RSS ≤ 2 GiB each): "
                     f"{'met' if ok else 'NOT met'}")
    return "\n".join(lines)


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="also run every notebook in full mode (long)")
    parser.add_argument("--json", help="write the rows to this JSON file")
    parser.add_argument("notebooks", nargs="*", help="chapter sources (default: all)")
    args = parser.parse_args(argv)
    sources = [notebooks.NOTEBOOKS / n for n in args.notebooks] or notebooks.sources()
    rows = []
    for source in sources:
        for quick in ([True, False] if args.full else [True]):
            rows.append(measure(source, quick))
            print(rows[-1], flush=True)
    print(table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return rows


if __name__ == "__main__":
    main()
