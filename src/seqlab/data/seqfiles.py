"""Sequence file formats: FASTA, GenBank and EMBL flat files (plain or ``.gz``), no biopython.

:func:`read_sequence_records` is the one reader of sequences for the CLI and the HMM
tasks (``seqlab hmm islands --file``, ``seqlab hmm decode --file``): every record of a
FASTA, GenBank or EMBL file, kept apart; :func:`read_genbank` also parses the feature table.

Locations follow the INSDC feature table definition
(https://www.insdc.org/submitting-standards/feature-table/): ``a..b`` (1-based,
inclusive), ``complement(...)``, ``join(...)``/``order(...)``, fuzzy ends ``<a``/``>b``,
single bases ``a`` and sites ``a^b``. seqlab stores them 0-based half-open, as Python
slices: ``a..b`` becomes ``[a-1, b)``. The bundled genomes that these readers load are in
:mod:`seqlab.data.dna`, which re-exports the readers.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from seqlab.exceptions import SeqlabFileNotFoundError, SeqlabTypeError, SeqlabValueError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "GenBankRecord",
    "parse_location",
    "read_fasta",
    "read_genbank",
    "read_sequence_records",
    "sequence_format",
]


def _open_text(path: str | Path) -> str:
    if not isinstance(path, str | Path) or not str(path):
        raise SeqlabTypeError(f"path must be a file path (str or Path); got {path!r}.")
    path = Path(path)
    if not path.exists():
        raise SeqlabFileNotFoundError(f"no such file: {path}")
    if path.is_dir():
        raise SeqlabFileNotFoundError(f"{path} is a folder, not a file; name a file in it.")
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                return fh.read()
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise SeqlabValueError(
            f"{path} is not a UTF-8 text file (byte {err.start} cannot be decoded); is it a "
            "sequence file?"
        ) from None
    except (OSError, EOFError) as err:  # unreadable, or a corrupt/truncated .gz
        raise SeqlabValueError(f"cannot read {path}: {err}") from None


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
    return _fasta_records(_open_text(path), path)


def _fasta_records(text: str, path: str | Path) -> dict[str, str]:
    records: dict[str, list[str]] = {}
    current: list[str] | None = None
    for lineno, line in enumerate(text.splitlines(), start=1):
        if line.startswith(">"):
            words = line[1:].split()
            if not words:
                raise SeqlabValueError(f"{path}, line {lineno}: a FASTA header without an id.")
            if words[0] in records:
                raise SeqlabValueError(f"{path}, line {lineno}: duplicate FASTA id {words[0]!r}.")
            current = records[words[0]] = []
        elif line.strip():
            if current is None:
                raise SeqlabValueError(
                    f"{path}, line {lineno}: sequence text before the first '>' header; "
                    "is this a FASTA file?"
                )
            current.append("".join(line.split()))
    return {k: "".join(v) for k, v in records.items()}


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
    if not isinstance(location, str):
        raise SeqlabTypeError(f"location must be a str; got {type(location).__name__}.")
    text = "".join(location.split())
    tokens: list[str] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise SeqlabValueError(
                f"cannot parse GenBank location {location!r} at {text[pos:pos + 20]!r}; "
                "supported: a..b, a, a^b, <a, >b, complement(), join(), order()."
            )
        tokens.append(m.group(1))
        pos = m.end()

    def parse(i: int) -> tuple[list[tuple[int, int, int]], int]:
        if i >= len(tokens):
            raise SeqlabValueError(f"location {location!r} ends early (unbalanced parentheses "
                                   "or a trailing comma).")
        tok = tokens[i]
        if tok in ("complement(", "join(", "order("):
            parts: list[tuple[int, int, int]] = []
            i += 1
            while True:
                sub, i = parse(i)
                parts.extend(sub)
                if i >= len(tokens):
                    raise SeqlabValueError(f"unbalanced parentheses in location {location!r}.")
                if tokens[i] == ",":
                    i += 1
                    continue
                if tokens[i] == ")":
                    i += 1
                    break
                raise SeqlabValueError(f"unexpected {tokens[i]!r} in location {location!r}.")
            if tok == "complement(":
                parts = [(s, e, -strand) for s, e, strand in reversed(parts)]
            return parts, i
        if tok in (")", ","):
            raise SeqlabValueError(f"unexpected {tok!r} in location {location!r}.")
        nums = [int(x) for x in re.findall(r"\d+", tok)]
        if "^" in tok:
            return [(nums[0], nums[0], 1)], i + 1
        start, end = nums[0] - 1, nums[-1]
        if start < 0 or end <= start:
            raise SeqlabValueError(f"bad range {tok!r} in location {location!r}.")
        return [(start, end, 1)], i + 1

    if not tokens:
        raise SeqlabValueError("empty GenBank location.")
    segments, used = parse(0)
    if used != len(tokens):
        raise SeqlabValueError(f"trailing text in location {location!r}.")
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
        raise SeqlabValueError("not a GenBank file: the first line does not start with 'LOCUS'.")
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
        raise SeqlabValueError("a feature of the GenBank record ends beyond its sequence.")
    return GenBankRecord(name, " ".join(definition), topology, sequence, features)


def _closed(value: str) -> bool:
    """Whether a qualifier value is complete (an opened quote is closed)."""
    return not value.startswith('"') or (len(value) > 1 and value.endswith('"'))


def read_genbank(path: str | Path) -> GenBankRecord:
    """Read the first record of a GenBank flat file (plain or ``.gz``).

    >>> from seqlab.data.dna import _CHLOROPLAST  # Debian python-biopython-doc
    >>> rec = read_genbank(_CHLOROPLAST)
    >>> rec.name, rec.topology, len(rec.sequence)
    ('NC_000932', 'circular', 154478)
    >>> rec.features.loc[rec.features["name"] == "psbA", ["type", "start", "end", "strand"]]
       type  start   end  strand
    5  gene    382  1444      -1
    6   CDS    382  1444      -1
    """
    return _parse_genbank_text(_open_text(path))


def sequence_format(text: str) -> str | None:
    """``"fasta"``, ``"genbank"``, ``"embl"`` from the first non-blank line (``>``,
    ``LOCUS``, ``ID``), else None.

    >>> fmt = sequence_format
    >>> fmt("\\n>r1\\nACGT\\n"), fmt("LOCUS  X 4 bp"), fmt("1,2")
    ('fasta', 'genbank', None)
    """
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if first.startswith(">"):
        return "fasta"
    if first.startswith("LOCUS"):
        return "genbank"
    if first.startswith("ID "):
        return "embl"
    return None


def _flat_records(text: str, path: str | Path, fmt: str) -> dict[str, str]:
    """Name and sequence of every record of a GenBank or EMBL flat file."""
    head, seq_start = ("LOCUS", "ORIGIN") if fmt == "genbank" else ("ID ", "SQ ")
    records: dict[str, str] = {}
    name: str | None = None
    in_seq = False
    chunks: list[str] = []
    for ln in text.splitlines():
        if ln.startswith(head):
            words = ln[len(head):].split()
            name = words[0].rstrip(";") if words else ""
            chunks, in_seq = [], False
        elif ln.startswith(seq_start):
            in_seq = True
        elif ln.startswith("//"):
            if name in records:
                raise SeqlabValueError(f"{path}: duplicate record name {name!r}")
            records[name or f"record{len(records) + 1}"] = "".join(chunks)
            name, in_seq = None, False
        elif in_seq:
            chunks.append("".join(ch for ch in ln if ch.isalpha()))
    if name is not None:
        raise SeqlabValueError(
            f"{path}: record {name!r} does not end with '//' (a truncated file?); complete "
            "or remove it.")
    return records


def read_sequence_records(path: str | Path) -> dict[str, str]:
    """``{record name: sequence}`` of a FASTA, GenBank or EMBL file (plain or ``.gz``),
    every record kept separate, letters as in the file; the format is recognised from the
    first non-blank line (``>``, ``LOCUS``, ``ID``; :func:`sequence_format`). Records
    without sequence are dropped; a file with none is an error.

    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "x.embl")
    >>> _ = open(p, "w").write("ID   R1; SV 1\\nSQ   Sequence\\n     acgtac 6\\n//\\n")
    >>> read_sequence_records(p)
    {'R1': 'acgtac'}
    """
    text = _open_text(path)
    if not text.strip():
        raise SeqlabValueError(f"{path} is empty; give a FASTA, GenBank or EMBL file")
    fmt = sequence_format(text)
    if fmt is None:
        first = next(ln for ln in text.splitlines() if ln.strip())
        raise SeqlabValueError(
            f"{path}: unknown sequence format (first line {first[:30]!r}); give FASTA ('>'), "
            "GenBank ('LOCUS') or EMBL ('ID')")
    records = _fasta_records(text, path) if fmt == "fasta" else _flat_records(text, path, fmt)
    records = {k: v for k, v in records.items() if v}
    if not records:
        raise SeqlabValueError(f"{path} holds no sequence; give a file with sequence data")
    return records
