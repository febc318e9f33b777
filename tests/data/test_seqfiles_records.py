"""seqlab.data.seqfiles.read_sequence_records: every record of a FASTA, GenBank or EMBL file,
checked against the full GenBank parser, the FASTA reader, and by hand."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from seqlab.data.seqfiles import read_fasta, read_genbank, read_sequence_records
from seqlab.exceptions import SeqlabValueError

_GB = Path("/usr/share/doc/python-biopython-doc/Tests/GenBank/NC_000932.gb.gz")


def test_fasta_records_equal_read_fasta(tmp_path):
    p = tmp_path / "x.fa"
    p.write_text(">a one\nACGT\nNN\n>b\nggcc\n>empty\n")
    assert read_sequence_records(p) == {"a": "ACGTNN", "b": "ggcc"}  # empty record dropped
    assert read_fasta(p) == {"a": "ACGTNN", "b": "ggcc", "empty": ""}


def test_genbank_and_embl_multi_record_by_hand(tmp_path):
    gb = tmp_path / "x.gb.gz"
    with gzip.open(gb, "wt") as fh:
        fh.write("LOCUS       A1  8 bp DNA\nFEATURES   Location\nORIGIN\n        1 acgtac gt\n"
                 "//\nLOCUS       B2  3 bp DNA\nORIGIN\n        1 ttt\n//\n")
    assert read_sequence_records(gb) == {"A1": "acgtacgt", "B2": "ttt"}
    embl = tmp_path / "x.embl"
    embl.write_text("ID   E1; SV 1; linear\nXX\nSQ   Sequence 4 BP;\n     aacc        4\n//\n")
    assert read_sequence_records(embl) == {"E1": "aacc"}


def test_same_sequence_as_the_full_genbank_parser():
    if not _GB.exists():
        pytest.skip("Debian python-biopython-doc not installed")
    recs = read_sequence_records(_GB)
    assert list(recs) == ["NC_000932"]
    assert recs["NC_000932"].upper() == read_genbank(_GB).sequence


@pytest.mark.parametrize(("text", "message"), [
    ("", "is empty"),
    ("hello\n", "unknown sequence format"),
    ("LOCUS       A1 4 bp\nORIGIN\n        1 acgt\n", "does not end with '//'"),
    ("LOCUS A\nORIGIN\n 1 ac\n//\nLOCUS A\nORIGIN\n 1 gg\n//\n", "duplicate record name 'A'"),
    ("ID   E1;\nSQ   x\n//\n", "holds no sequence"),
])
def test_errors(tmp_path, text, message):
    p = tmp_path / "f.txt"
    p.write_text(text)
    with pytest.raises(SeqlabValueError, match=message):
        read_sequence_records(p)
