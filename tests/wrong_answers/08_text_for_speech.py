"""Plausible wrong answers to chapter 08's exercises; each check must reject every one."""

_ORD = """irregular = {irregular}
words = cardinal(n)
cut = max(words.rfind(" "), words.rfind("-")) + 1
head, last = words[:cut], words[cut:]
if last in irregular:
    return head + irregular[last]
{y_rule}return head + last + "th"
"""
_IRREGULAR = ('{"one": "first", "two": "second", "three": "third", "five": "fifth", '
              '"eight": "eighth", "nine": "ninth", "twelve": "twelfth"}')
_Y = 'if last.endswith("y"):\n    return head + last[:-1] + "ieth"\n'

_SEQ = """cleaned = clean_text(text)
index = {{s: i for i, s in enumerate(SYMBOLS)}}
unknown = sorted({{c for c in cleaned if {bad}}})
if unknown:
    raise ValueError(f"characters outside the symbol set: {{unknown}}")
return [index[c] for c in cleaned]
"""

WRONG_ANSWERS = {
    "my_ordinal": {
        "no -y → -ieth (twentyth)": _ORD.format(irregular=_IRREGULAR, y_rule=""),
        "forgets twelve → twelfth": _ORD.format(irregular=_IRREGULAR.replace(', "twelve": "twelfth"', ""), y_rule=_Y),
        "changes the first word, not the last": _ORD.format(irregular=_IRREGULAR, y_rule=_Y).replace(
            'max(words.rfind(" "), words.rfind("-")) + 1', 'len(words.split(" ")[0])').replace(
            "head, last = words[:cut], words[cut:]", "last, head = words[:cut], words[cut:]").replace(
            "return head + irregular[last]", "return irregular[last] + head").replace(
            'return head + last[:-1] + "ieth"', 'return last[:-1] + "ieth" + head').replace(
            'return head + last + "th"', 'return last + "th" + head'),
        "calls the library": "return ordinal(n)",
    },
    "my_text_to_sequence": {
        "lets the pad _ through": _SEQ.format(bad="c not in index"),
        "stops at the first unknown character": """cleaned = clean_text(text)
index = {s: i for i, s in enumerate(SYMBOLS)}
for c in cleaned:
    if c not in index or c == "_":
        raise ValueError(f"unknown character {c!r}")
return [index[c] for c in cleaned]
""",
        "drops unknown characters silently": """cleaned = clean_text(text)
index = {s: i for i, s in enumerate(SYMBOLS)}
return [index[c] for c in cleaned if c in index and c != "_"]
""",
    },
    "word_times": {
        "a phoneme touching the word's end counts": """out = []
for m in re.finditer(r"[\\w'-]+", utt.text):
    inside = [p for p in utt.phonemes if p.char_start <= m.end() and p.char_end > m.start()]
    out.append((min(p.start for p in inside), max(p.end for p in inside)))
return out
""",
        "ends at the end of the first phoneme": """out = []
for m in re.finditer(r"[\\w'-]+", utt.text):
    inside = [p for p in utt.phonemes if p.char_start < m.end() and p.char_end > m.start()]
    out.append((min(p.start for p in inside), min(p.end for p in inside)))
return out
""",
    },
}
