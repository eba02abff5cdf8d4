"""Are a notebook's printed numbers the same on every run? (Maintainers: tests/test_determinism.py.)

Two quick-mode runs of a chapter on one machine must print the same text. What legitimately
changes between runs — wall-clock times, speeds, progress bars, memory addresses, temporary
folders — is replaced by a placeholder first (:data:`SANITIZERS`); everything else must match
character for character. The same rules, in nbval's format (:func:`nbval_config`), live in
``tests/nbval_sanitize.cfg`` for ``pytest --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg``.
"""

from __future__ import annotations

import re

#: ``(regex, replacement)`` pairs applied in order with :func:`re.sub` (nbval applies them the same way).
SANITIZERS: tuple[tuple[str, str], ...] = (
    (r"\x1b\[[0-9;]*[A-Za-z]", ""),  # terminal colours
    (r"[^\n]*\r(?!\n)", ""),  # a progress bar's overwritten states: keep what follows the last \r
    (r"(?m)^[^\n]*\[\d+:\d\d(?::\d\d)?(?:<[^\],\n]*)?,[^\]\n]*\][^\n]*$", "<progress bar>"),  # tqdm
    (r"(?i)\b(in|after|took|elapsed:?|time:?)\s+\d+(?:\.\d+)?\s*(?:ns|µs|us|ms|s|sec|seconds?|min|minutes?|h|hours?)\b",
     r"\1 <time>"),
    (r"\d[\d,]*(?:\.\d+)?\s*(?:it|its|steps?|samples|frames|utterances|sentences|chars|tokens|batches|images)/s\b",
     "<rate>"),
    (r"\d+(?:\.\d+)?\s*s/(?:it|step|batch)\b", "<rate>"),
    (r"(?i)(real-time factor|RTF)(\s*[:=]?\s*)\d+(?:\.\d+)?", r"\1\2<rtf>"),
    (r"\d+(?:\.\d+)?\s*× real time", "<rtf>× real time"),
    (r"0x[0-9a-fA-F]{6,}", "0x<address>"),
    (r"(?:/private)?(?:/tmp|/var/folders/[^/\s]+/[^/\s]+/T)/(?:tmp|pytest-of-)[\w.-]*", "<tmpdir>"),
    (r"(?i)(peak memory|max rss|rss|memory)([^\n\d]{0,20})\d+(?:\.\d+)?\s*[KMGT]i?B", r"\1\2<memory>"),
)
_COMPILED = tuple((re.compile(pattern), replacement) for pattern, replacement in SANITIZERS)


def sanitize(text: str) -> str:
    """``text`` with every run-dependent part replaced by its placeholder."""
    for pattern, replacement in _COMPILED:
        text = pattern.sub(replacement, text)
    return text


def printed_outputs(nb) -> dict[int, str]:
    """``{code cell index: sanitised text}``: what the cell printed (stdout) and its ``text/plain`` result.

    stderr (warnings, progress bars) and rich outputs (figures, audio, widgets) are left out.
    """
    out: dict[int, str] = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        parts = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                parts.append(output.get("text", ""))
            elif output.get("output_type") == "execute_result":
                parts.append(output.get("data", {}).get("text/plain", ""))
        if parts:
            out[index] = sanitize("".join(parts))
    return out


def differences(first: dict[int, str], second: dict[int, str], limit: int = 10) -> list[str]:
    """Human-readable differences between two :func:`printed_outputs` (empty when they agree)."""
    problems = []
    for index in sorted(set(first) | set(second)):
        a, b = first.get(index), second.get(index)
        if a == b:
            continue
        if a is None or b is None:
            problems.append(f"cell {index}: printed only in run {'2' if a is None else '1'}")
            continue
        a_lines, b_lines = a.splitlines(), b.splitlines()
        line = next((i for i, (x, y) in enumerate(zip(a_lines, b_lines)) if x != y), min(len(a_lines), len(b_lines)))
        got = (a_lines[line] if line < len(a_lines) else "<end>", b_lines[line] if line < len(b_lines) else "<end>")
        problems.append(f"cell {index}, line {line + 1}: {got[0]!r} != {got[1]!r}")
    return problems[:limit]


def nbval_config() -> str:
    """:data:`SANITIZERS` in the format of nbval's ``--nbval-sanitize-with`` file."""
    lines = ["# Generated from course_lib.authoring.determinism.SANITIZERS; "
             "tests/test_determinism.py keeps it in sync.",
             "# Use: pytest --nbval build/executed/instructor/01_perceptron.ipynb "
             "--nbval-sanitize-with tests/nbval_sanitize.cfg", ""]
    for number, (pattern, replacement) in enumerate(SANITIZERS, 1):
        # nbval reads the replacement with re.sub too, so group references like \1 work as here
        lines += [f"[rule_{number:02d}]", f"regex: {pattern}", f"replace: {replacement}", ""]
    return "\n".join(lines)


__all__ = ["SANITIZERS", "sanitize", "printed_outputs", "differences", "nbval_config"]
