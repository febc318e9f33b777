"""DNA and protein sequences: FASTA and GenBank readers, the bundled genomes, an encoder.

Files (read offline, never imported as code):

- ``pyhmmer/tests/data/seqs/1390.SAMEA104415756.OFHT01000022.fna``: a 391 kb contig of a
  *Bacillus* genome (one FASTA record), for CpG/GC-content style HMM decoding;
- ``pyhmmer/tests/data/seqs/938293.PRJEB85.HG003687.faa``: 2,100 predicted proteins;
- Debian ``python-biopython-doc``: ``Tests/GenBank/NC_000932.gb.gz``, the annotated
  chloroplast genome of *Arabidopsis thaliana* (Sato et al. 1999, DNA Research 6:283),
  parsed by the small GenBank reader here (no biopython).

Locations follow the INSDC feature table definition
(https://www.insdc.org/submitting-standards/feature-table/): ``a..b`` (1-based,
inclusive), ``complement(...)``, ``join(...)``/``order(...)``, fuzzy ends ``<a``/``>b``,
single bases ``a`` and sites ``a^b``. seqlab stores them 0-based half-open, as Python
slices: ``a..b`` becomes ``[a-1, b)``.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from seqlab._validation import SeedLike, check_choice, check_random_state
from seqlab.data._files import package_file, system_file
from seqlab.data._registry import DatasetInfo, register

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "IUPAC_DNA",
    "ChloroplastGenome",
    "GenBankRecord",
    "encode_dna",
    "load_chloroplast",
    "load_contig",
    "load_proteome",
    "parse_location",
    "read_fasta",
    "read_genbank",
]

_PYHMMER = "pip install pyhmmer"
_BIOPYTHON_DOC = "apt-get install python-biopython-doc"
_CHLOROPLAST = "/usr/share/doc/python-biopython-doc/Tests/GenBank/NC_000932.gb.gz"
_SEQS = "tests/data/seqs/"

#: IUPAC nucleotide ambiguity codes -> the bases each may stand for
IUPAC_DNA: dict[str, str] = {
    "R": "AG", "Y": "CT", "S": "CG", "W": "AT", "K": "GT", "M": "AC",
    "B": "CGT", "D": "AGT", "H": "ACT", "V": "ACG", "N": "ACGT",
}


def _open_text(path: str | Path) -> str:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return fh.read()
    return path.read_text(encoding="utf-8")


def read_fasta(path: str | Path) -> dict[str, str]:
    """Records of a FASTA file (plain or ``.gz``): ``{id: sequence}`` in file order.

    The id is the first word of the header line (after ``>``); the sequence is the
    following lines joined with whitespace removed, letters kept as in the file.
    A duplicate id or text before the first header raises ``ValueError``.

    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "x.fa")
    >>> _ = open(p, "w").write(">seq1 demo\\nACGT\\nAC\\n>seq2\\nGG\\n")
    >>> read_fasta(p)
    {'seq1': 'ACGTAC', 'seq2': 'GG'}
    """
    records: dict[str, list[str]] = {}
    current: list[str] | None = None
    for lineno, line in enumerate(_open_text(path).splitlines(), start=1):
        if line.startswith(">"):
            words = line[1:].split()
            if not words:
                raise ValueError(f"{path}, line {lineno}: a FASTA header without an id.")
            if words[0] in records:
                raise ValueError(f"{path}, line {lineno}: duplicate FASTA id {words[0]!r}.")
            current = records[words[0]] = []
        elif line.strip():
            if current is None:
                raise ValueError(
                    f"{path}, line {lineno}: sequence text before the first '>' header; "
                    "is this a FASTA file?"
                )
            current.append("".join(line.split()))
    return {k: "".join(v) for k, v in records.items()}


@cache
def _read_fasta_cached(path: Path) -> tuple[tuple[str, str], ...]:
    return tuple(read_fasta(path).items())


def load_contig() -> str:
    """The 391,023 bp bacterial contig ``1390.SAMEA104415756.OFHT01000022``, uppercase.

    One FASTA record from ``pyhmmer/tests/data/seqs/``; letters A, C, G, T only.

    >>> s = load_contig()
    >>> len(s), s[:12]
    (391023, 'CCGCCATAACCG')
    """
    path = package_file("pyhmmer", _SEQS + "1390.SAMEA104415756.OFHT01000022.fna", _PYHMMER,
                        "load_contig()")
    records = _read_fasta_cached(path)
    return records[0][1].upper()


def load_proteome() -> dict[str, str]:
    """The 2,100 proteins of ``938293.PRJEB85.HG003687.faa`` (pyhmmer's test data).

    ``{id: amino-acid sequence}`` in file order (one-letter codes, ``*`` stripped from
    the end if present).

    >>> p = load_proteome()
    >>> len(p), next(iter(p))
    (2100, '938293.PRJEB85.HG003688_1')
    """
    path = package_file("pyhmmer", _SEQS + "938293.PRJEB85.HG003687.faa", _PYHMMER,
                        "load_proteome()")
    return {k: v.rstrip("*") for k, v in _read_fasta_cached(path)}


# --------------------------------------------------------------------------- GenBank
_TOKEN = re.compile(r"\s*(complement\(|join\(|order\(|\)|,|[<>]?\d+(?:\.\.[<>]?\d+|\^\d+)?)")


def parse_location(location: str) -> list[tuple[int, int, int]]:
    """Segments ``(start, end, strand)`` of an INSDC location, 0-based half-open.

    Segments come in biological order (``complement(join(a,b))`` lists b's complement
    first). Fuzzy ends ``<``/``>`` are read as their number; a site ``a^b`` (between two
    bases) becomes the empty segment ``(a, a, strand)``. References to other entries
    (``J00194.1:100..202``) raise ``ValueError``.

    >>> parse_location("complement(383..1444)")
    [(382, 1444, -1)]
    >>> parse_location("join(complement(69611..69724),139856..140087)")
    [(69610, 69724, -1), (139855, 140087, 1)]
    >>> parse_location("complement(join(<1..5,8..>10))")
    [(7, 10, -1), (0, 5, -1)]
    """
    text = "".join(location.split())
    tokens: list[str] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ValueError(
                f"cannot parse GenBank location {location!r} at {text[pos:pos + 20]!r}; "
                "supported: a..b, a, a^b, <a, >b, complement(), join(), order()."
            )
        tokens.append(m.group(1))
        pos = m.end()

    def parse(i: int) -> tuple[list[tuple[int, int, int]], int]:
        tok = tokens[i]
        if tok in ("complement(", "join(", "order("):
            parts: list[tuple[int, int, int]] = []
            i += 1
            while True:
                sub, i = parse(i)
                parts.extend(sub)
                if i >= len(tokens):
                    raise ValueError(f"unbalanced parentheses in location {location!r}.")
                if tokens[i] == ",":
                    i += 1
                    continue
                if tokens[i] == ")":
                    i += 1
                    break
                raise ValueError(f"unexpected {tokens[i]!r} in location {location!r}.")
            if tok == "complement(":
                parts = [(s, e, -strand) for s, e, strand in reversed(parts)]
            return parts, i
        if tok in (")", ","):
            raise ValueError(f"unexpected {tok!r} in location {location!r}.")
        nums = [int(x) for x in re.findall(r"\d+", tok)]
        if "^" in tok:
            return [(nums[0], nums[0], 1)], i + 1
        start, end = nums[0] - 1, nums[-1]
        if start < 0 or end <= start:
            raise ValueError(f"bad range {tok!r} in location {location!r}.")
        return [(start, end, 1)], i + 1

    if not tokens:
        raise ValueError("empty GenBank location.")
    segments, used = parse(0)
    if used != len(tokens):
        raise ValueError(f"trailing text in location {location!r}.")
    return segments


@dataclass
class GenBankRecord:
    """One GenBank record: sequence and feature table.

    ``features`` has one row per feature, in file order, with columns ``type``,
    ``start``, ``end`` (0-based half-open hull of all segments), ``strand`` (+1, -1, or 0
    when segments lie on both strands), ``name`` (the ``/gene`` qualifier, else
    ``/locus_tag``, else ``/product``, else ""), ``segments`` (tuple of ``(start, end,
    strand)``), ``location`` (the original text) and ``qualifiers`` (dict; a repeated
    qualifier keeps its first value, flags such as ``/pseudo`` map to "").
    """

    name: str
    definition: str
    topology: str  # "circular" or "linear"
    sequence: str  # uppercase
    features: pd.DataFrame

    def feature_mask(self, types: Sequence[str] = ("gene", "CDS", "tRNA", "rRNA")) -> np.ndarray:
        """``(len(sequence),)`` bool: True on every base inside a segment of a feature
        whose type is in ``types``, on either strand."""
        mask = np.zeros(len(self.sequence), dtype=bool)
        for segs in self.features.loc[self.features["type"].isin(list(types)), "segments"]:
            for start, end, _ in segs:
                mask[start:end] = True
        return mask


def _parse_genbank_text(text: str) -> GenBankRecord:
    import pandas as pd

    lines = text.splitlines()
    if not lines or not lines[0].startswith("LOCUS"):
        raise ValueError("not a GenBank file: the first line does not start with 'LOCUS'.")
    locus = lines[0].split()
    name = locus[1] if len(locus) > 1 else ""
    topology = "circular" if "circular" in locus else "linear"
    definition: list[str] = []
    raw: list[tuple[str, list[str]]] = []  # (type, [location + qualifier lines])
    seq_parts: list[str] = []
    section = ""
    for line in lines:
        if line.startswith("//"):
            break
        if line[:1].strip():  # a new top-level keyword
            section = line.split()[0]
            if section == "DEFINITION":
                definition.append(line[12:].strip())
            continue
        if section == "DEFINITION":
            definition.append(line.strip())
        elif section == "FEATURES":
            if len(line) > 5 and line[5] != " ":  # "     CDS             join(..."
                raw.append((line[5:21].strip(), [line[21:].strip()]))
            elif raw:
                raw[-1][1].append(line[21:].strip())
        elif section == "ORIGIN":
            seq_parts.append("".join(ch for ch in line if ch.isalpha()))
    rows = []
    for ftype, body in raw:
        loc_lines: list[str] = []
        quals: list[str] = []
        for piece in body:  # the location may wrap over lines before the first qualifier
            (quals if (quals or piece.startswith("/")) else loc_lines).append(piece)
        location = "".join(loc_lines)
        items: list[list[str]] = []  # [key, value] in file order
        for piece in quals:
            if piece.startswith("/") and (not items or _closed(items[-1][1])):
                key, _, value = piece[1:].partition("=")
                items.append([key, value])
            elif items:  # continuation line of a long value
                sep = "" if items[-1][0] == "translation" else " "
                items[-1][1] += sep + piece
        qualifiers: dict[str, str] = {}
        for key, value in items:
            qualifiers.setdefault(key, value.strip('"'))
        segs = parse_location(location)
        strands = {s for _, _, s in segs}
        rows.append({
            "type": ftype,
            "start": min(s for s, _, _ in segs),
            "end": max(e for _, e, _ in segs),
            "strand": strands.pop() if len(strands) == 1 else 0,
            "name": qualifiers.get("gene") or qualifiers.get("locus_tag")
            or qualifiers.get("product", ""),
            "segments": tuple(segs),
            "location": location,
            "qualifiers": qualifiers,
        })
    features = pd.DataFrame(
        rows, columns=["type", "start", "end", "strand", "name", "segments", "location",
                       "qualifiers"],
    ).astype({"start": "int64", "end": "int64", "strand": "int8"})
    sequence = "".join(seq_parts).upper()
    if len(features) and int(features["end"].max()) > len(sequence):
        raise ValueError("a feature of the GenBank record ends beyond its sequence.")
    return GenBankRecord(name, " ".join(definition), topology, sequence, features)


def _closed(value: str) -> bool:
    """Whether a qualifier value is complete (an opened quote is closed)."""
    return not value.startswith('"') or (len(value) > 1 and value.endswith('"'))


def read_genbank(path: str | Path) -> GenBankRecord:
    """Read the first record of a GenBank flat file (plain or ``.gz``).

    >>> rec = read_genbank(_CHLOROPLAST)
    >>> rec.name, rec.topology, len(rec.sequence)
    ('NC_000932', 'circular', 154478)
    >>> rec.features.loc[rec.features["name"] == "psbA", ["type", "start", "end", "strand"]]
       type  start   end  strand
    5  gene    382  1444      -1
    6   CDS    382  1444      -1
    """
    return _parse_genbank_text(_open_text(path))


@dataclass
class ChloroplastGenome:
    """The annotated chloroplast genome of *Arabidopsis thaliana* (RefSeq NC_000932.1).

    ============ ======================== ==============================================
    field        shape / type             meaning
    ============ ======================== ==============================================
    sequence     str, 154,478 letters     the genome, uppercase A/C/G/T (circular)
    gene_mask    (154478,) bool           True inside a feature of type gene, CDS, tRNA
                                          or rRNA (either strand); see below
    features     DataFrame                the feature table (see :class:`GenBankRecord`)
    name         str                      "NC_000932"
    definition   str                      the DEFINITION line
    ============ ======================== ==============================================

    ``gene_mask`` rule: a base is True when it lies in any segment of any feature whose
    type is in ``mask_types`` (default gene, CDS, tRNA, rRNA). A ``gene`` feature in this
    file spans its introns, so with the default introns count as gene; pass
    ``mask_types=("CDS", "tRNA", "rRNA")`` to :func:`load_chloroplast` for exons only.
    """

    sequence: str
    gene_mask: np.ndarray
    features: pd.DataFrame
    name: str = "NC_000932"
    definition: str = ""

    def __len__(self) -> int:
        return len(self.sequence)


def _copy_features(features: pd.DataFrame) -> pd.DataFrame:
    out = features.copy()
    out["qualifiers"] = [dict(q) for q in features["qualifiers"]]  # callers may edit them
    return out


@cache
def _read_genbank_cached(path: Path) -> GenBankRecord:
    return read_genbank(path)


def load_chloroplast(
    mask_types: Sequence[str] = ("gene", "CDS", "tRNA", "rRNA"),
) -> ChloroplastGenome:
    """The *Arabidopsis thaliana* chloroplast genome with its gene annotation.

    Read from Debian ``python-biopython-doc``'s ``Tests/GenBank/NC_000932.gb.gz`` by
    :func:`read_genbank`. See :class:`ChloroplastGenome` for the fields and the exact
    ``gene_mask`` rule.

    >>> g = load_chloroplast()
    >>> len(g.sequence), g.gene_mask.dtype, bool(g.gene_mask[382]), bool(g.gene_mask[381])
    (154478, dtype('bool'), True, False)
    """
    path = system_file(_CHLOROPLAST, _BIOPYTHON_DOC, "load_chloroplast()")
    rec = _read_genbank_cached(path)
    return ChloroplastGenome(
        sequence=rec.sequence,
        gene_mask=rec.feature_mask(tuple(mask_types)),
        features=_copy_features(rec.features),
        name=rec.name,
        definition=rec.definition,
    )


# --------------------------------------------------------------------------- encoding
def encode_dna(
    seq: str,
    alphabet: str = "ACGT",
    *,
    ambiguous: Literal["error", "skip", "random"] = "error",
    seed: SeedLike = None,
) -> np.ndarray:
    """Letters of ``seq`` as ``uint8`` codes: position in ``alphabet`` (A=0, C=1, G=2, T=3).

    Lower case counts as upper case. Letters outside ``alphabet`` are handled by
    ``ambiguous``:

    ========== =========================================================================
    "error"    ``ValueError`` naming the first such letter and its position (default)
    "skip"     drop them (the result is shorter than ``seq``)
    "random"   replace each by a random letter of the alphabet, drawn with ``seed``
    ========== =========================================================================

    For a nucleotide alphabet (``"ACGT"`` or ``"ACGU"``) only IUPAC ambiguity codes
    (:data:`IUPAC_DNA`: N, R, Y, ...) may be skipped or replaced, and "random" draws among
    the bases the code stands for (R -> A or G); any other letter is always an error.

    >>> encode_dna("ACGTacgt").tolist()
    [0, 1, 2, 3, 0, 1, 2, 3]
    >>> encode_dna("ACNGT", ambiguous="skip").tolist()
    [0, 1, 2, 3]
    >>> encode_dna("ACXGT")
    Traceback (most recent call last):
    ...
    ValueError: seq has 'X' at position 2, which is not in the alphabet 'ACGT' ...
    """
    check_choice(ambiguous, "ambiguous", ("error", "skip", "random"))
    if not isinstance(seq, str):
        raise TypeError(f"seq must be a str; got {type(seq).__name__}.")
    if not isinstance(alphabet, str) or not alphabet or len(set(alphabet.upper())) != len(
        alphabet
    ) or len(alphabet) > 255 or not alphabet.isascii():
        raise ValueError(
            f"alphabet must be a non-empty string of distinct ASCII letters; got {alphabet!r}."
        )
    alphabet = alphabet.upper()
    try:
        raw = np.frombuffer(seq.upper().encode("ascii"), dtype=np.uint8)
    except UnicodeEncodeError as err:
        raise ValueError(
            f"seq has the non-ASCII character {seq[err.start]!r} at position {err.start}."
        ) from None
    lut = np.full(256, 255, dtype=np.uint8)
    lut[np.frombuffer(alphabet.encode("ascii"), dtype=np.uint8)] = np.arange(
        len(alphabet), dtype=np.uint8
    )
    codes = lut[raw]
    bad = codes == 255
    if not bad.any():
        return codes
    nucleotide = alphabet in ("ACGT", "ACGU")
    handled = bad.copy()
    if nucleotide:
        iupac = np.zeros(256, dtype=bool)
        iupac[[ord(c) for c in IUPAC_DNA]] = True
        handled &= iupac[raw]
    if ambiguous == "error" or not (handled == bad).all():
        pos = int(np.argmax(bad if ambiguous == "error" else bad & ~handled))
        hint = (
            "pass ambiguous='skip' or 'random' to handle IUPAC ambiguity codes such as N"
            if nucleotide
            else "pass ambiguous='skip' or 'random' to drop or replace such letters"
        )
        raise ValueError(
            f"seq has {seq[pos]!r} at position {pos}, which is not in the alphabet "
            f"{alphabet!r} ({int(bad.sum())} such letter(s) in all); {hint}."
        )
    if ambiguous == "skip":
        return codes[~bad]
    rng = check_random_state(seed)
    out = codes.copy()
    idx = np.flatnonzero(bad)
    if nucleotide:
        for letter, bases in IUPAC_DNA.items():
            where = idx[raw[idx] == ord(letter)]
            if where.size:
                choices = np.array([alphabet.index(b.replace("T", alphabet[3]))
                                    for b in bases], dtype=np.uint8)
                out[where] = choices[rng.integers(len(choices), size=where.size)]
    else:
        out[idx] = rng.integers(len(alphabet), size=idx.size).astype(np.uint8)
    return out


register(
    DatasetInfo("contig", "dna", load_contig,
                "bacterial genome contig (Bacillus), uppercase DNA", "391023 bp",
                "pyhmmer: pyhmmer/tests/data/seqs/1390.SAMEA104415756.OFHT01000022.fna"),
    DatasetInfo("proteome", "dna", load_proteome,
                "predicted protein sequences of one bacterial genome", "2100 proteins",
                "pyhmmer: pyhmmer/tests/data/seqs/938293.PRJEB85.HG003687.faa"),
    DatasetInfo("chloroplast", "dna", load_chloroplast,
                "Arabidopsis thaliana chloroplast genome with gene mask and features",
                "154478 bp", "Debian python-biopython-doc: " + _CHLOROPLAST),
)
