"""`make bench` keeps one RESULTS.md: re-measuring some sections must keep the others."""

import pytest


@pytest.fixture(scope="module")
def run_all(load_benchmark):
    return load_benchmark("run_all")


def test_merge_replaces_only_the_remeasured_sections(run_all):
    old = "# Benchmark results\n\nhead\n\n## a\n\nA1\n\n## b\n\n| x |\n|---|\n\n## c\n\nC1\n"
    new = run_all.merge(old, ["## b\n\n| y |\n|---|\n", "## d\n\nD\n"])
    assert new.startswith("# Benchmark results\n\nhead\n\n## a\n\nA1\n\n## b\n\n| y |")
    assert "| x |" not in new and "## c\n\nC1\n" in new and new.rstrip().endswith("## d\n\nD")
    assert new.index("## b") < new.index("## c") < new.index("## d")  # order kept, new ones last


def test_unknown_benchmark_names_are_refused(run_all, capsys):
    with pytest.raises(SystemExit):
        run_all.main(["--only", "nonsense"])
    assert "nonsense" in capsys.readouterr().err
