"""The reference pages hold together: book/references.bib, the glossary and Appendix A.

- every BibTeX entry has author, title and a plausible year; keys are unique; arXiv ids and DOIs
  are well formed; the primary papers the course is built on are all there;
- every ``{cite}`` key used in ``notebooks/*.md`` and ``book/*.md`` exists in the bibliography;
- the glossary has at least 80 terms, each with a Chinese term and the chapter that introduces it,
  and every ``{term}`` reference resolves;
- Appendix A gives each checked claim a verdict from the fixed set.
"""

from __future__ import annotations

import re

import pytest

from course_lib.settings import ROOT

BIB = ROOT / "book" / "references.bib"
GLOSSARY = ROOT / "book" / "glossary.md"
APPENDIX = ROOT / "notebooks" / "A_fact_check.md"
PAGES = sorted((ROOT / "notebooks").glob("*.md")) + sorted((ROOT / "book").glob("*.md"))

# The primary sources named in the course plan.
REQUIRED = {
    "rosenblatt1958perceptron", "novikoff1962convergence", "minsky1969perceptrons",
    "rumelhart1986learning", "polyak1964some", "nesterov1983method", "sutskever2013importance",
    "duchi2011adaptive", "tieleman2012rmsprop", "zeiler2012adadelta", "kingma2015adam",
    "lecun1998gradient", "hochreiter1997long", "cho2014learning", "schuster1997bidirectional",
    "zhang2018mixup", "park2019specaugment", "griffin1984signal", "stevens1937scale",
    "slaney1998auditory", "bahdanau2015neural", "chorowski2015attention", "luong2015effective",
    "vaswani2017attention", "wang2017tacotron", "shen2018natural", "tachibana2018efficiently",
    "vandenoord2016wavenet", "dinh2015nice", "dinh2017density", "kingma2018glow",
    "rezende2015variational", "prenger2019waveglow", "ren2019fastspeech", "kim2020glowtts",
    "rabiner1989tutorial", "zen2009statistical", "ito2017lj", "espeakng2024", "rix2001perceptual",
    "taal2011algorithm", "kubichek1993mel", "krueger2017zoneout", "zhang2018forward",
}
# arXiv ids of the papers whose id the course quotes in the text.
ARXIV = {
    "vandenoord2016wavenet": "1609.03499", "wang2017tacotron": "1703.10135",
    "shen2018natural": "1712.05884", "prenger2019waveglow": "1811.00002",
    "tachibana2018efficiently": "1710.08969", "kingma2015adam": "1412.6980",
}

_CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]*)`")
_TERM = re.compile(r"\{term\}`([^`]*)`")
_CJK = re.compile(r"[\u3400-\u9fff]")


# ------------------------------------------------------------------ a small BibTeX reader
def _balanced(text: str, start: int, open_: str, close: str) -> int:
    """Index just past the ``close`` that matches the ``open_`` at ``text[start]``."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == open_:
            depth += 1
        elif text[i] == close:
            depth -= 1
            if depth == 0:
                return i + 1
    raise ValueError(f"unbalanced {open_}{close} starting at character {start}")


def _fields(body: str) -> dict[str, str]:
    fields, i = {}, 0
    while i < len(body):
        m = re.compile(r"\s*,?\s*([A-Za-z][\w-]*)\s*=\s*").match(body, i)
        if not m:
            if body[i:].strip(" \t\n,"):
                raise ValueError(f"cannot parse fields near {body[i:i + 40]!r}")
            break
        name, i = m.group(1).lower(), m.end()
        if body[i] == "{":
            end = _balanced(body, i, "{", "}")
            value = body[i + 1:end - 1]
        elif body[i] == '"':
            end = body.index('"', i + 1) + 1
            value = body[i + 1:end - 1]
        else:
            end = re.compile(r"[^,\s}]+").match(body, i).end()
            value = body[i:end]
        if name in fields:
            raise ValueError(f"field {name!r} given twice")
        fields[name] = " ".join(value.split())
        i = end
    return fields


def parse_bib(text: str) -> list[tuple[str, str, dict[str, str]]]:
    """``(type, key, fields)`` for each entry; @comment/@string/@preamble are skipped."""
    entries = []
    for m in re.finditer(r"@(\w+)\s*\{", text):
        kind = m.group(1).lower()
        end = _balanced(text, m.end() - 1, "{", "}")
        if kind in {"comment", "string", "preamble"}:
            continue
        inner = text[m.end():end - 1]
        key, _, body = inner.partition(",")
        entries.append((kind, key.strip(), _fields(body)))
    return entries


@pytest.fixture(scope="module")
def entries():
    return parse_bib(BIB.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def keys(entries):
    return {key for _, key, _ in entries}


def test_parser_reads_nested_braces_and_rejects_broken_entries():
    (kind, key, f), = parse_bib('@article{k1,\n author = {A and {B C}},\n title = "T {X}", year = 1999}')
    assert (kind, key, f["author"], f["title"], f["year"]) == ("article", "k1", "A and {B C}", "T {X}", "1999")
    with pytest.raises(ValueError):
        parse_bib("@article{k2, title = {never closed, year = 2000}")


def test_every_entry_has_author_title_and_year(entries):
    assert len(entries) >= 45
    for kind, key, f in entries:
        assert f.get("author") or f.get("editor"), f"{key}: no author"
        assert f.get("title"), f"{key}: no title"
        assert re.fullmatch(r"1[89]\d\d|20[0-4]\d", f.get("year", "")), f"{key}: year {f.get('year')!r}"
        assert kind in {"article", "inproceedings", "book", "misc", "techreport", "incollection"}, f"{key}: @{kind}"


def test_keys_are_unique_and_lowercase(entries):
    seen = {}
    for _, key, _ in entries:
        assert re.fullmatch(r"[a-z][a-z0-9]*", key), f"key {key!r}: use lowercase firstauthorYEARword"
        assert key.lower() not in seen, f"duplicate key {key!r}"
        seen[key.lower()] = True


def test_identifiers_are_well_formed(entries):
    for _, key, f in entries:
        if "eprint" in f:
            assert re.fullmatch(r"\d{4}\.\d{4,5}", f["eprint"]), f"{key}: arXiv id {f['eprint']!r}"
            assert f.get("archiveprefix") == "arXiv", f"{key}: eprint without archivePrefix = {{arXiv}}"
        if "doi" in f:
            assert re.fullmatch(r"10\.\d{4,9}/\S+", f["doi"]), f"{key}: DOI {f['doi']!r}"
        if "pages" in f:
            assert re.fullmatch(r"\d+(--\d+)?", f["pages"]), f"{key}: pages {f['pages']!r} (use 12--34)"
            if "--" in f["pages"]:
                first, last = map(int, f["pages"].split("--"))
                assert first <= last, f"{key}: pages run backwards"


def test_primary_papers_are_all_present(keys, entries):
    assert REQUIRED <= keys, f"missing: {sorted(REQUIRED - keys)}"
    by_key = {key: f for _, key, f in entries}
    for key, arxiv in ARXIV.items():
        assert by_key[key].get("eprint") == arxiv, f"{key}: arXiv id should be {arxiv}"


def test_pybtex_reads_the_same_entries(keys):
    database = pytest.importorskip("pybtex.database")
    data = database.parse_file(str(BIB))
    assert set(data.entries) == keys
    for key, entry in data.entries.items():
        assert entry.persons.get("author") or entry.persons.get("editor"), key


# ------------------------------------------------------------------ citations in the pages
def cited_keys(text: str) -> set[str]:
    return {k.strip() for group in _CITE.findall(text) for k in group.split(",") if k.strip()}


def test_cite_regex_reads_every_role_form():
    text = "a {cite}`x2000a` b {cite:p}`y2001b, z2002c` c {cite:t}`w2003d` {eq}`not-a-cite`"
    assert cited_keys(text) == {"x2000a", "y2001b", "z2002c", "w2003d"}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_cited_key_is_in_the_bibliography(page, keys):
    missing = cited_keys(page.read_text(encoding="utf-8")) - keys
    assert not missing, f"{page.name} cites keys not in book/references.bib: {sorted(missing)}"


def test_appendix_cites_the_papers_it_checks():
    cited = cited_keys(APPENDIX.read_text(encoding="utf-8"))
    assert {"shen2018natural", "wang2017tacotron", "vandenoord2016wavenet", "prenger2019waveglow",
            "rosenblatt1958perceptron", "kingma2015adam", "ren2019fastspeech"} <= cited


# ------------------------------------------------------------------ glossary
def glossary_entries(text: str) -> dict[str, str]:
    """``{term: definition}`` from the ``{glossary}`` directive of a MyST page."""
    m = re.search(r"```\{glossary\}\n(.*?)\n```", text, re.S)
    assert m, "book/glossary.md needs a ```{glossary} block"
    entries, term = {}, None
    for line in m.group(1).splitlines():
        if not line.strip() or line.startswith(":"):
            continue
        if not line[0].isspace():
            term = line.strip()
            assert term.lower() not in {t.lower() for t in entries}, f"glossary term {term!r} appears twice"
            entries[term] = ""
        else:
            assert term is not None, f"definition before any term: {line!r}"
            entries[term] += " " + line.strip()
    return entries


@pytest.fixture(scope="module")
def glossary():
    return glossary_entries(GLOSSARY.read_text(encoding="utf-8"))


def test_glossary_has_80_terms_each_with_chinese_and_a_chapter(glossary):
    assert len(glossary) >= 80, f"only {len(glossary)} glossary terms"
    for term, definition in glossary.items():
        assert len(definition.split()) >= 6, f"{term}: definition too short"
        assert _CJK.search(definition) and "中文：" in definition, f"{term}: no Chinese term"
        assert re.search(r"· ch\. (0\d|1[0-6]|A)\s*$", definition), f"{term}: end with '· ch. NN'"


def test_glossary_covers_the_core_terms(glossary):
    lower = {t.lower() for t in glossary}
    for term in ["perceptron", "backpropagation", "gradient descent", "spectrogram", "vocoder",
                 "attention", "teacher forcing", "stop token", "normalizing flow", "affine coupling layer",
                 "invertible 1×1 convolution", "μ-law companding", "receptive field", "griffin-lim algorithm"]:
        assert term in lower, f"glossary lacks {term!r}"
    assert "感知机" in glossary["perceptron"]


def test_term_references_resolve(glossary):
    lower = {t.lower() for t in glossary}
    for page in PAGES:
        for ref in _TERM.findall(page.read_text(encoding="utf-8")):
            target = re.search(r"<([^>]*)>\s*$", ref)
            name = (target.group(1) if target else ref).strip().lower()
            assert name in lower, f"{page.name}: {{term}}`{ref}` is not in the glossary"


# ------------------------------------------------------------------ Appendix A
def test_appendix_verdicts_come_from_the_fixed_set():
    text = APPENDIX.read_text(encoding="utf-8")
    verdicts = re.findall(r"\*\*Verdict: ([^.*]+?)[.*]", text)
    assert len(verdicts) >= 40, f"only {len(verdicts)} verdicts"
    for verdict in verdicts:
        assert re.match(r"(correct|partly right|wrong)\b", verdict), f"unknown verdict {verdict!r}"
    # the nine errors of the design document are summarised in one table
    rows = re.findall(r"^\| [1-9] \|", text, re.M)
    assert len(rows) == 9


def blockquotes(text: str) -> list[str]:
    """Runs of consecutive lines that start with '>'."""
    blocks, current = [], []
    for line in text.splitlines() + [""]:
        if line.startswith(">"):
            current.append(line)
        elif current:
            blocks.append("\n".join(current))
            current = []
    return blocks


def test_appendix_quotes_come_with_a_translation():
    quotes = [b for b in blockquotes(APPENDIX.read_text(encoding="utf-8")) if _CJK.search(b)]
    assert len(quotes) >= 30
    for quote in quotes:
        assert '> "' in quote, f"Chinese quote without an English translation: {quote[:60]!r}"
