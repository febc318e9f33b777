"""DNA and protein sequences: FASTA and GenBank readers, the bundled genomes, an encoder.

Files (read offline, never imported as code):

- ``pyhmmer/tests/data/seqs/1390.SAMEA104415756.OFHT01000022.fna``: a 391 kb contig of a
  *Bacillus* genome (one FASTA record), for CpG/GC-content style HMM decoding;
- ``pyhmmer/tests/data/seqs/938293.PRJEB85.HG003687.faa``: 2,100 predicted proteins;
- Debian ``python-biopython-doc``: ``Tests/GenBank/NC_000932.gb.gz``, the annotated
  chloroplast genome of *Arabidopsis thaliana* (Sato et al. 1999, DNA Research 6:283),
  parsed by the small GenBank reader here (no biopython).

The FASTA, GenBank and EMBL readers (and the INSDC location rules) live in
:mod:`seqlab.data.seqfiles`; they are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from seqlab._validation import SeedLike, check_choice, check_random_state
from seqlab.data._files import package_file, system_file
from seqlab.data._registry import DatasetInfo, register
from seqlab.data.seqfiles import (
    GenBankRecord,
    parse_location,
    read_fasta,
    read_genbank,
    read_sequence_records,
)
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError

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
    "read_sequence_records",
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
    seqlab.exceptions.SeqlabValueError: seq has 'X' at position 2, which is not in the ...
    """
    check_choice(ambiguous, "ambiguous", ("error", "skip", "random"))
    if not isinstance(seq, str):
        raise SeqlabTypeError(f"seq must be a str; got {type(seq).__name__}.")
    if not isinstance(alphabet, str) or not alphabet or len(set(alphabet.upper())) != len(
        alphabet
    ) or len(alphabet) > 255 or not alphabet.isascii():
        raise SeqlabValueError(
            f"alphabet must be a non-empty string of distinct ASCII letters; got {alphabet!r}."
        )
    alphabet = alphabet.upper()
    try:
        raw = np.frombuffer(seq.upper().encode("ascii"), dtype=np.uint8)
    except UnicodeEncodeError as err:
        raise SeqlabValueError(
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
        raise SeqlabValueError(
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
