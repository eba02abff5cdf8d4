"""NOTICE credits NVIDIA's BSD-3 references, and every module it names points back to it (issue 15.7)."""

import re

from course_lib.settings import ROOT

NOTICE = ROOT / "NOTICE"


def test_notice_names_both_references_with_their_copyright():
    text = NOTICE.read_text(encoding="utf-8")
    for repo in ("NVIDIA/tacotron2", "NVIDIA/waveglow"):
        assert repo in text, f"NOTICE must name {repo}"
    assert text.count("Copyright (c) 2018, NVIDIA") == 2, "NOTICE keeps both NVIDIA copyright lines"
    assert "Redistributions of source code must retain" in text, "NOTICE carries the BSD-3-Clause conditions"


def test_modules_and_notice_point_at_each_other():
    listed = set(re.findall(r"^\s+(course_lib/\S+\.py)", NOTICE.read_text(encoding="utf-8"), flags=re.M))
    assert listed, "NOTICE lists the modules that follow NVIDIA's references"
    for path in listed:
        assert (ROOT / path).exists(), f"NOTICE names {path}, which does not exist"
        assert "see NOTICE" in (ROOT / path).read_text(encoding="utf-8"), f"{path}'s docstring must point to NOTICE"
    pointing = {str(p.relative_to(ROOT)) for p in (ROOT / "course_lib").rglob("*.py")
                if "see NOTICE" in p.read_text(encoding="utf-8")}
    assert pointing <= listed, f"these modules point to NOTICE but it does not list them: {sorted(pointing - listed)}"
