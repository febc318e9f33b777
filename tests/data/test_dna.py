"""FASTA/GenBank readers, bundled genomes and encode_dna."""

import gzip
import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyhmmer.easel import SequenceFile

from seqlab import MissingDependencyError
from seqlab.data import dna

_SEQS = Path(next(iter(importlib.util.find_spec("pyhmmer").submodule_search_locations)),
             "tests", "data", "seqs")
_GB = Path(dna._CHLOROPLAST)

# the standard genetic code (NCBI translation table 1/11 share the amino acids), TCAG order
_BASES = "TCAG"
_AA = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"
_CODE = {a + b + c: _AA[16 * i + 4 * j + k] for i, a in enumerate(_BASES)
         for j, b in enumerate(_BASES) for k, c in enumerate(_BASES)}
_COMP = str.maketrans("ACGT", "TGCA")


def _translate(nt: str) -> str:
    return "".join(_CODE.get(nt[i:i + 3], "X") for i in range(0, len(nt) - 2, 3))


def _extract(seq: str, segments) -> str:
    return "".join(seq[s:e] if strand == 1 else seq[s:e].translate(_COMP)[::-1]
                   for s, e, strand in segments)


@pytest.mark.parametrize("name", ["938293.PRJEB85.HG003687.faa",
                                  "1390.SAMEA104415756.OFHT01000022.fna",
                                  "CP040672.1.genes_100.fna"])
def test_read_fasta_matches_pyhmmer(name):
    ours = dna.read_fasta(_SEQS / name)
    with SequenceFile(str(_SEQS / name), digital=False) as fh:
        ref = {s.name if isinstance(s.name, str) else s.name.decode(): s.sequence for s in fh}
    assert list(ours) == list(ref)
    assert ours == ref


def test_read_fasta_errors(tmp_path):
    p = tmp_path / "bad.fa"
    p.write_text("ACGT\n>x\nAC\n")
    with pytest.raises(ValueError, match="before the first '>'"):
        dna.read_fasta(p)
    p.write_text(">x\nAC\n>x\nGG\n")
    with pytest.raises(ValueError, match="duplicate FASTA id 'x'"):
        dna.read_fasta(p)
    gz = tmp_path / "ok.fa.gz"
    with gzip.open(gz, "wt") as fh:
        fh.write(">a desc\nac gt\n")
    assert dna.read_fasta(gz) == {"a": "acgt"}


def test_contig_and_proteome():
    contig = dna.load_contig()
    assert len(contig) == 391023  # OFHT01000022 in pyhmmer's test data
    assert set(contig) == set("ACGT") and contig == contig.upper()
    proteins = dna.load_proteome()
    assert len(proteins) == 2100
    assert all(set(p) <= set("ACDEFGHIKLMNPQRSTVWXY") for p in proteins.values())


def test_chloroplast_matches_the_record():
    g = dna.load_chloroplast()
    raw = gzip.open(_GB, "rt").read()
    # Sato et al. 1999 (DNA Research 6:283): 154,478 bp; G+C content 36.3 %
    assert len(g) == len(g.sequence) == 154478
    assert set(g.sequence) <= set("ACGT")
    gc = (g.sequence.count("G") + g.sequence.count("C")) / len(g.sequence)
    assert gc == pytest.approx(0.363, abs=5e-4)
    assert g.sequence.startswith("ATGGGCGAACGACGGGAATTGAACCCGCGA")  # ORIGIN line 1
    # one row per feature key line of the file
    keys = re.findall(r"^ {5}(\S+) +\S", raw.split("\nFEATURES")[1].split("\nORIGIN")[0],
                      flags=re.MULTILINE)
    assert g.features["type"].tolist() == keys
    assert g.features["type"].value_counts().to_dict() == {
        "gene": 129, "CDS": 85, "tRNA": 37, "rRNA": 7, "source": 1}
    # psbA: "CDS complement(383..1444)" -> 0-based half-open [382, 1444), minus strand
    psba = g.features[(g.features["name"] == "psbA") & (g.features["type"] == "CDS")].iloc[0]
    assert (psba["start"], psba["end"], psba["strand"]) == (382, 1444, -1)
    # rps12 is trans-spliced over both strands
    rps12 = g.features[(g.features["name"] == "rps12") & (g.features["type"] == "CDS")]
    assert (rps12["strand"] == 0).any()


def test_every_cds_translates_to_its_annotated_protein():
    """Extracting each CDS with our coordinates and translating it gives the /translation
    of the record and the protein of biopython's NC_000932.faa (joins, complements, trans-
    splicing across strands all have to be right)."""
    g = dna.load_chloroplast()
    faa = dna.read_fasta(_GB.with_name("NC_000932.faa.gz"))
    faa_proteins = set(faa.values())
    cds = g.features[g.features["type"] == "CDS"]
    assert len(cds) == 85
    for _, row in cds.iterrows():
        nt = _extract(g.sequence, row["segments"])[int(row["qualifiers"]["codon_start"]) - 1:]
        protein = _translate(nt)
        assert protein.endswith("*"), row["name"]
        annotated = row["qualifiers"]["translation"]
        # first codon: bacterial/plastid starts (GTG, TTG...) are read as M
        assert protein[1:-1] == annotated[1:], row["name"]
        assert annotated in faa_proteins


def test_gene_mask_rule():
    g = dna.load_chloroplast()
    assert g.gene_mask.dtype == bool and g.gene_mask.shape == (154478,)
    # independent union of the feature segments, from the raw location strings
    expect = np.zeros(len(g), dtype=bool)
    for ftype, loc in zip(g.features["type"], g.features["location"]):
        if ftype in ("gene", "CDS", "tRNA", "rRNA"):
            for a, b in re.findall(r"(\d+)\.\.(\d+)", loc):
                expect[int(a) - 1:int(b)] = True
    np.testing.assert_array_equal(g.gene_mask, expect)
    assert not g.gene_mask[:3].any()  # trnH starts at base 4
    assert g.gene_mask[382:1444].all()  # psbA
    # rps16: gene complement(5084..6188), CDS join(5084..5283,6149..6188): the intron
    # counts as gene by default, not with exons only
    exons = dna.load_chloroplast(mask_types=("CDS", "tRNA", "rRNA")).gene_mask
    assert g.gene_mask[5283:6148].all() and not exons[5283:6148].any()
    assert exons[5083:5283].all()


@pytest.mark.parametrize(("loc", "expected"), [
    ("467", [(466, 467, 1)]),
    ("<1..206", [(0, 206, 1)]),
    ("complement(>5..10)", [(4, 10, -1)]),
    ("join(1..3,7..9)", [(0, 3, 1), (6, 9, 1)]),
    ("complement(join(1..3,7..9))", [(6, 9, -1), (0, 3, -1)]),
    ("join(complement(7..9),complement(1..3))", [(6, 9, -1), (0, 3, -1)]),
    ("order(1..3, 5..6)", [(0, 3, 1), (4, 6, 1)]),
    ("102^103", [(102, 102, 1)]),
])
def test_parse_location(loc, expected):
    assert dna.parse_location(loc) == expected


@pytest.mark.parametrize("loc", ["join(1..3", "J00194.1:100..202", "5..2", "join(1..3,)", ""])
def test_parse_location_errors(loc):
    with pytest.raises(ValueError):
        dna.parse_location(loc)


@given(st.text(alphabet="ACGTacgt"))
def test_encode_dna_round_trip(seq):
    codes = dna.encode_dna(seq)
    assert codes.dtype == np.uint8 and codes.shape == (len(seq),)
    assert "".join("ACGT"[c] for c in codes) == seq.upper()


def test_encode_dna_errors_and_ambiguity():
    with pytest.raises(ValueError, match=r"'N' at position 3.*ambiguous="):
        dna.encode_dna("ACGNNT")
    with pytest.raises(ValueError, match=r"'-' at position 1"):
        dna.encode_dna("A-NT", ambiguous="skip")  # a gap is never an ambiguity code
    assert dna.encode_dna("ACGNNT", ambiguous="skip").tolist() == [0, 1, 2, 3]
    seq = "RRRRYYYYNNNN" * 50
    a = dna.encode_dna(seq, ambiguous="random", seed=1)
    assert np.array_equal(a, dna.encode_dna(seq, ambiguous="random", seed=1))
    assert set(a[[i for i, c in enumerate(seq) if c == "R"]]) == {0, 2}  # A or G
    assert set(a[[i for i, c in enumerate(seq) if c == "Y"]]) == {1, 3}  # C or T
    assert set(a[[i for i, c in enumerate(seq) if c == "N"]]) == {0, 1, 2, 3}
    with pytest.raises(ValueError, match="'error', 'skip', 'random'"):
        dna.encode_dna("ACGT", ambiguous="drop")
    assert dna.encode_dna("ACGU", alphabet="ACGU").tolist() == [0, 1, 2, 3]
    assert dna.encode_dna("MKV", alphabet="ACDEFGHIKLMNPQRSTVWY").tolist() == [10, 8, 17]


def test_missing_pyhmmer_names_install_command(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "pyhmmer" else real(name, *a))
    with pytest.raises(MissingDependencyError, match="pip install pyhmmer"):
        dna.load_contig()
    with pytest.raises(MissingDependencyError, match="pip install pyhmmer"):
        dna.load_proteome()


def test_missing_biopython_doc_names_apt_command(monkeypatch, tmp_path):
    monkeypatch.setattr(dna, "_CHLOROPLAST", str(tmp_path / "NC_000932.gb.gz"))
    with pytest.raises(FileNotFoundError, match="apt-get install python-biopython-doc"):
        dna.load_chloroplast()


def test_chloroplast_returns_independent_copies():
    g = dna.load_chloroplast()
    g.gene_mask[:] = False
    g.features.loc[0, "name"] = "edited"
    g.features["qualifiers"].iloc[1]["gene"] = "edited"
    h = dna.load_chloroplast()
    assert h.gene_mask[382] and h.features.loc[0, "name"] != "edited"
    assert h.features["qualifiers"].iloc[1]["gene"] == "rps12"
