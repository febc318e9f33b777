"""The paper-vs-ours table: packaged module, committed JSON, README and --list agree."""

from __future__ import annotations

from pathlib import Path

from seqlab.cli import main
from seqlab.reproduce import REPRODUCTIONS
from seqlab.reproduce._recorded import RECORDED
from seqlab.reproduce._recorded_gen import readme_table, recorded_from_reports, render_module

ROOT = Path(__file__).resolve().parents[2]
REPORTS = sorted((ROOT / "benchmarks" / "results").glob("*-full.json"))


def test_packaged_table_is_built_from_the_committed_results():
    expected = render_module(recorded_from_reports(REPORTS))
    actual = (ROOT / "src" / "seqlab" / "reproduce" / "_recorded.py").read_text()
    assert actual == expected, "run: python benchmarks/reproduce.py --record"
    assert set(RECORDED) <= set(REPRODUCTIONS)


def test_readme_shows_the_same_table():
    readme = (ROOT / "README.md").read_text()
    marker = "<!-- reproductions-table -->\n"
    assert marker in readme
    block = readme.split(marker, 1)[1]
    table = readme_table(RECORDED)
    assert block.startswith(table), "README's reproductions table is out of date"


def test_list_prints_paper_beside_ours(capsys):
    assert main(["reproduce", "--list"]) == 0
    out = capsys.readouterr().out
    for name in REPRODUCTIONS:
        assert name in out
    # each reproduction's block: from its name at the line start to the next one's
    starts = sorted((out.index(f"\n{n} ") if not out.startswith(f"{n} ") else 0, n)
                    for n in REPRODUCTIONS)
    blocks = {n: out[a:b] for (a, n), (b, _) in zip(starts, [*starts[1:], (len(out), "")])}
    for name, rec in RECORDED.items():
        for setting, paper, ours in rec["rows"]:
            line = next(ln for ln in blocks[name].splitlines()
                        if ln.strip().startswith(setting + " "))
            assert paper in line and line.rstrip().endswith(ours)
    # issue 18's "done when": every reproduction has a committed full-budget run
    assert set(RECORDED) == set(REPRODUCTIONS)
    assert "not run at the full budget yet" not in out
