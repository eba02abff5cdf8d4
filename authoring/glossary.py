"""Link the first use of each glossary term in a chapter to its entry (book build only).

Terms come from ``book/glossary.md`` (a MyST ``{glossary}``). Only plain prose is touched:
code, math, links, roles, headings and directives stay as written.
"""

from __future__ import annotations

import re
from pathlib import Path

_PROTECTED = re.compile(
    r"(```.*?```|:::.*?:::|\$\$.*?\$\$|\$[^$\n]+\$|`[^`\n]+`|\{[a-z:-]+\}`[^`]*`"
    r"|\[[^\]]*\]\([^)]*\)|<[^>]+>|^#[^\n]*$|^[ \t]*[:|][^\n]*$)",
    re.S | re.M,
)


def glossary_terms(path: Path) -> list[str]:
    """Entry names of a MyST glossary (unindented lines inside the directive)."""
    text = path.read_text(encoding="utf-8")
    body = text.split("```{glossary}", 1)[1].split("\n```", 1)[0]
    return [line.strip() for line in body.splitlines() if line and not line[0].isspace() and not line.startswith(":")]


def link_first_uses(markdown_cells: list[str], terms: list[str]) -> list[str]:
    """Return the cells with the first prose occurrence of each term turned into ``{term}``."""
    remaining = sorted(terms, key=len, reverse=True)  # "attention weights" before "attention"
    out = []
    for text in markdown_cells:
        pieces = _PROTECTED.split(text)
        for i in range(0, len(pieces), 2):  # even pieces are prose, odd ones protected
            for term in list(remaining):
                if _link_once(pieces, i, term):
                    remaining.remove(term)
        out.append("".join(pieces))
    return out


def _link_once(pieces: list[str], i: int, term: str) -> bool:
    pattern = re.compile(rf"(?<![\w-]){re.escape(term)}(?![\w-])", re.I)
    parts = _ROLE.split(pieces[i])  # never link inside a role added for a longer term
    for k in range(0, len(parts), 2):
        match = pattern.search(parts[k])
        if match:
            role = f"{{term}}`{match.group(0)} <{term}>`"
            parts[k] = parts[k][: match.start()] + role + parts[k][match.end():]
            pieces[i] = "".join(parts)
            return True
    return False


_ROLE = re.compile(r"(\{term\}`[^`]*`)")
