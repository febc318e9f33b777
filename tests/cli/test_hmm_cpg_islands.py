"""`seqlab hmm islands --file`: the Durbin CpG model on FASTA / GenBank / EMBL records."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

ISLAND = "AT" * 300 + "CG" * 200 + "AT" * 300  # planted island at [600, 1000)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    src = str(Path(__file__).resolve().parents[2] / "src")
    return subprocess.run([sys.executable, "-m", "seqlab", "hmm", "islands", *args],
                          capture_output=True, text=True, env={"PYTHONPATH": src,
                                                               "PATH": "/usr/bin:/bin"})


def test_multi_fasta_records_kept_apart(tmp_path: Path) -> None:
    f = tmp_path / "x.fa"
    # r2 alone is an island from 0: concatenation would merge it with r1's tail.
    f.write_text(f">r1 first\n{ISLAND}\n>r2\n{'CG' * 300}\n")
    out = tmp_path / "isl.tsv"
    res = _run("--file", str(f), "--output", str(out))
    assert res.returncode == 0, res.stderr
    df = pd.read_csv(out, sep="\t")
    assert df[["record", "start", "end", "length"]].values.tolist() == [
        ["r1", 600, 1000, 400], ["r2", 0, 600, 600]]
    assert df.gc.tolist() == [1.0, 1.0] and df.cpg_oe.tolist() == [2.0, 2.0]


def test_genbank_and_embl(tmp_path: Path) -> None:
    body = "\n".join(f"{i + 1:>9} {ISLAND[i:i + 60]}" for i in range(0, len(ISLAND), 60))
    gb = tmp_path / "x.gb"
    gb.write_text(f"LOCUS       GBREC  {len(ISLAND)} bp    DNA\nORIGIN\n{body}\n//\n")
    embl = tmp_path / "x.embl"
    embl.write_text(f"ID   EMREC; SV 1; linear; DNA\nSQ   Sequence\n{body}\n//\n")
    for path, name in ((gb, "GBREC"), (embl, "EMREC")):
        res = _run("--file", str(path))
        assert res.returncode == 0, res.stderr
        lines = res.stdout.splitlines()
        assert lines[1].split("\t")[:3] == [name, "600", "1000"] and len(lines) == 2


def test_errors_are_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "e.fa"
    empty.write_text("")
    odd = tmp_path / "o.txt"
    odd.write_text("hello\n")
    for path in (empty, odd):
        res = _run("--file", str(path))
        assert res.returncode != 0
        assert res.stderr.startswith("seqlab: error:") and res.stderr.count("\n") == 1


def test_same_record_in_genbank_and_embl_agrees() -> None:
    import pytest

    d = Path("/usr/share/doc/python-biopython-doc/Tests")
    gb, embl = d / "GenBank/NC_005816.gb.gz", d / "EMBL/AE017046.embl.gz"
    if not (gb.exists() and embl.exists()):
        pytest.skip("Biopython test data (python-biopython-doc) not installed")
    a, b = _run("--file", str(gb)), _run("--file", str(embl))
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    rows_a = [ln.split("\t")[1:] for ln in a.stdout.splitlines()]
    rows_b = [ln.split("\t")[1:] for ln in b.stdout.splitlines()]
    assert rows_a == rows_b and len(rows_a) > 1
