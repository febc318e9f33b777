"""Your own labelled sequences: a folder of WAV files per class, or a CSV of sequences.

- :func:`read_labelled_folder`: ``DIR/<class>/*.wav``, one sub-folder per class; returns
  the recordings as ``(signal, sample_rate)`` pairs (see :func:`seqlab.data.audio.read_wav`)
  with their class names and paths.
- :func:`read_labelled_csv`: a long table, one row per time step: a sequence id column, a
  label column, numeric value columns (and optionally a column giving the order of the rows
  within a sequence); rows with the same id form one ``(T_i, F)`` sequence.
- :func:`read_sequences_csv`: the same table without labels (for prediction).

Both refuse what would silently train a wrong model: no data, a single class, an unreadable
WAV (named), a sequence with two labels, a missing or non-numeric value (line named).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seqlab.data.audio import read_wav
from seqlab.exceptions import SeqlabValueError

__all__ = [
    "ID_COLUMNS",
    "LABEL_COLUMNS",
    "LabelledRecordings",
    "LabelledSequences",
    "read_labelled_csv",
    "read_labelled_folder",
    "read_sequences_csv",
    "wav_files",
]

#: column names tried, in order, when ``label_column`` / ``id_column`` is not given
LABEL_COLUMNS = ("label", "class", "target", "y")
ID_COLUMNS = ("id", "sequence_id", "sequence", "seq_id", "series_id", "utterance")
_WAV = (".wav", ".wave")


@dataclass
class LabelledRecordings:
    """Recordings and their classes, as :func:`read_labelled_folder` returns them.

    ========== ============================ ====================================
    field      type                         meaning
    ========== ============================ ====================================
    audio      list of (signal, rate)       mono float64 samples, sample rate
    labels     (N,) str array               class (sub-folder name) of each
    paths      list of Path                 the file of each recording
    ========== ============================ ====================================
    """

    audio: list[tuple[np.ndarray, int]]
    labels: np.ndarray
    paths: list[Path] = field(default_factory=list)


@dataclass
class LabelledSequences:
    """Sequences read from a CSV (labels may be None when the file has no label column).

    ============== ======================= ===========================================
    field          type                    meaning
    ============== ======================= ===========================================
    sequences      list of (T_i, F)        float64 values, rows in file (or order) order
    labels         (N,) str array or None  label of each sequence
    ids            list of str             sequence id, in order of first appearance
    feature_names  tuple of str            the F value columns
    ============== ======================= ===========================================
    """

    sequences: list[np.ndarray]
    labels: np.ndarray | None
    ids: list[str]
    feature_names: tuple[str, ...]


def wav_files(folder: str | Path) -> list[Path]:
    """The ``.wav`` files directly inside ``folder``, sorted by name."""
    return sorted(p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in _WAV)


def read_labelled_folder(folder: str | Path) -> LabelledRecordings:
    """Read ``folder/<class>/*.wav``: every sub-folder is a class, its WAV files the examples.

    Sub-folders without WAV files and files directly in ``folder`` are errors (they would be
    silently ignored otherwise), as are fewer than two classes and any unreadable WAV (the
    message names the file).

    >>> import tempfile, os
    >>> from scipy.io import wavfile
    >>> root = tempfile.mkdtemp()
    >>> for c in ("low", "high"):
    ...     os.mkdir(os.path.join(root, c))
    ...     wavfile.write(os.path.join(root, c, "a.wav"), 8000, np.zeros(800, np.int16))
    >>> data = read_labelled_folder(root)
    >>> sorted(data.labels.tolist()), data.audio[0][1]
    (['high', 'low'], 8000)
    """
    root = Path(folder)
    if not root.is_dir():
        raise SeqlabValueError(f"{str(root)!r} is not a folder.")
    classes = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    stray = [p.name for p in wav_files(root)]
    if stray:
        raise SeqlabValueError(
            f"{str(root)!r} holds WAV files directly ({', '.join(stray[:3])}); put each class's "
            "files in their own sub-folder (recordings/yes/*.wav, recordings/no/*.wav)."
        )
    if not classes:
        raise SeqlabValueError(
            f"{str(root)!r} has no sub-folders; a labelled folder needs one sub-folder of WAV "
            "files per class."
        )
    audio: list[tuple[np.ndarray, int]] = []
    labels: list[str] = []
    paths: list[Path] = []
    for sub in classes:
        files = wav_files(sub)
        if not files:
            raise SeqlabValueError(
                f"class folder {str(sub)!r} holds no .wav files; remove it or add recordings."
            )
        for f in files:
            audio.append(read_wav(f))
            labels.append(sub.name)
            paths.append(f)
    if len(classes) < 2:
        raise SeqlabValueError(
            f"{str(root)!r} has a single class ({classes[0].name!r}); a classifier needs at "
            "least two sub-folders of recordings."
        )
    return LabelledRecordings(audio, np.array(labels), paths)


def _pick(header: list[str], given: str | None, candidates: tuple[str, ...], what: str,
          path: Path, required: bool = True) -> int | None:
    lower = [h.lower() for h in header]
    if given is not None:
        if given in header:
            return header.index(given)
        if given.lower() in lower:
            return lower.index(given.lower())
        raise SeqlabValueError(
            f"{str(path)!r} has no {what} column {given!r}; its columns are {header}."
        )
    for name in candidates:
        if name in lower:
            return lower.index(name)
    if not required:
        return None
    raise SeqlabValueError(
        f"{str(path)!r}: no {what} column found (looked for {', '.join(candidates)}); its "
        f"columns are {header}. Name it with --{what}-column."
    )


def _read_table(path: str | Path,
                id_column: str | None, label_column: str | None, value_columns: tuple[str, ...]
                | list[str] | None, order_column: str | None,
                require_label: bool) -> LabelledSequences:
    p = Path(path)
    if not p.is_file() or p.stat().st_size == 0:
        raise SeqlabValueError(f"{str(p)!r} is not a non-empty CSV file.")
    sep = "\t" if p.suffix.lower() == ".tsv" else ","
    try:
        with p.open("r", encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh, delimiter=sep))
    except UnicodeDecodeError:
        raise SeqlabValueError(f"{str(p)!r} is not UTF-8 text, so not a CSV table.") from None
    if not rows:
        raise SeqlabValueError(f"{str(p)!r} is empty.")
    header = [h.strip() for h in rows[0]]
    i_id = _pick(header, id_column, ID_COLUMNS, "id", p)
    i_label = _pick(header, label_column, LABEL_COLUMNS, "label", p, required=require_label)
    i_order = None if order_column is None else _pick(header, order_column, (), "order", p)
    if value_columns is None:
        used = {i_id, i_label, i_order}
        i_values = [i for i in range(len(header)) if i not in used]
    else:
        i_values = [int(_pick(header, c, (), "value", p) or 0) for c in value_columns]
    if not i_values:
        raise SeqlabValueError(f"{str(p)!r} has no value columns besides the id and label.")
    groups: dict[str, list[tuple[float, list[float]]]] = {}
    labels: dict[str, str] = {}
    for lineno, row in enumerate(rows[1:], start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise SeqlabValueError(
                f"{str(p)!r}, line {lineno}: {len(row)} fields, but the header has "
                f"{len(header)}."
            )
        key = row[int(i_id)].strip()  # type: ignore[arg-type]
        values: list[float] = []
        for i in i_values + ([i_order] if i_order is not None else []):
            cell = row[i].strip()
            try:
                v = float(cell)
            except ValueError:
                v = float("nan") if not cell else None  # type: ignore[assignment]
                if v is None:
                    raise SeqlabValueError(
                        f"{str(p)!r}, line {lineno}, column {header[i]!r}: {cell!r} is not a "
                        "number; value columns must be numeric (choose them with "
                        "--feature-columns)."
                    ) from None
            if not np.isfinite(v):
                raise SeqlabValueError(
                    f"{str(p)!r}, line {lineno}, column {header[i]!r}: missing or non-finite "
                    "value; fill or drop that row first."
                )
            values.append(v)
        order = values.pop() if i_order is not None else float(len(groups.get(key, [])))
        groups.setdefault(key, []).append((order, values))
        if i_label is not None:
            label = row[i_label].strip()
            if not label:
                raise SeqlabValueError(f"{str(p)!r}, line {lineno}: empty label.")
            if labels.setdefault(key, label) != label:
                raise SeqlabValueError(
                    f"{str(p)!r}, line {lineno}: sequence {key!r} has two labels "
                    f"({labels[key]!r} and {label!r}); each sequence needs one label."
                )
    if not groups:
        raise SeqlabValueError(f"{str(p)!r} has a header but no rows.")
    sequences = [np.array([v for _, v in sorted(g, key=lambda r: r[0])], dtype=np.float64)
                 for g in groups.values()]
    ids = list(groups)
    label_arr = None if i_label is None else np.array([labels[k] for k in ids])
    return LabelledSequences(sequences, label_arr, ids, tuple(header[i] for i in i_values))


def read_labelled_csv(
    path: str | Path,
    id_column: str | None = None,
    label_column: str | None = None,
    value_columns: tuple[str, ...] | list[str] | None = None,
    order_column: str | None = None,
) -> LabelledSequences:
    """Read labelled sequences from a long CSV/TSV table (one row per time step).

    Rows with the same ``id_column`` value form one sequence, in file order or sorted by
    ``order_column``; ``value_columns`` (default: every column other than the id, label and
    order columns) must be numbers. Columns not given are found by name
    (:data:`ID_COLUMNS`, :data:`LABEL_COLUMNS`, case-insensitive). Errors: a sequence with
    two labels, a missing or non-numeric value, fewer than two classes.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "s.csv")
    >>> _ = open(p, "w").write("id,t,x,label\\na,0,1.0,up\\na,1,2.0,up\\nb,0,3.0,down\\n")
    >>> d = read_labelled_csv(p, value_columns=["x"], order_column="t")
    >>> d.ids, d.labels.tolist(), d.sequences[0].ravel().tolist()
    (['a', 'b'], ['up', 'down'], [1.0, 2.0])
    """
    data = _read_table(path, id_column, label_column, value_columns, order_column, True)
    assert data.labels is not None
    if len(set(data.labels.tolist())) < 2:
        raise SeqlabValueError(
            f"{str(path)!r}: every sequence has the label {data.labels[0]!r}; a classifier "
            "needs at least two classes."
        )
    return data


def read_sequences_csv(
    path: str | Path,
    id_column: str | None = None,
    value_columns: tuple[str, ...] | list[str] | None = None,
    order_column: str | None = None,
    label_column: str | None = None,
) -> LabelledSequences:
    """Sequences from a CSV as :func:`read_labelled_csv`, the label column optional."""
    return _read_table(path, id_column, label_column, value_columns, order_column, False)
