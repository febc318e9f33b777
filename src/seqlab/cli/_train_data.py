"""``seqlab train --data FILE_OR_DIR``: what kind of data a path holds, and who trains on it.

Three journeys, each a module with an ``Options`` dataclass (its own flags, added to
``seqlab train``) and ``run(path, task, train, options) -> int``:

======== ============================================ ================================
kind     the path                                     module
======== ============================================ ================================
text     a text file (.txt, .md, .text, .rst, ...,      :mod:`seqlab.cli.train_text`
         or any other UTF-8 file without NUL bytes)
series   a CSV/TSV with a date column and values      :mod:`seqlab.cli.train_series`
labelled a folder with one sub-folder of WAV files    :mod:`seqlab.cli.train_labelled`
         per class, or a CSV/TSV with a ``label``
         column (and a sequence id column)
======== ============================================ ================================

``--kind auto`` (the default) picks by the rules above; anything else is a clear error that
names the file and suggests ``--kind``: never a silent fallback to built-in data.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path
from typing import Any

from seqlab.cli._dataclass_args import add_dataclass_arguments, dataclass_from_args
from seqlab.exceptions import SeqlabValueError

__all__ = ["JOURNEYS", "TABLE_SUFFIXES", "TEXT_SUFFIXES", "add_arguments", "detect_kind", "run"]

JOURNEYS = {
    "text": "seqlab.cli.train_text",
    "series": "seqlab.cli.train_series",
    "labelled": "seqlab.cli.train_labelled",
}
TEXT_SUFFIXES = (".txt", ".text", ".md", ".rst", ".tex", ".html", ".xml", ".py", ".fasta",
                 ".fa", ".seq")
TABLE_SUFFIXES = (".csv", ".tsv")
LABEL_COLUMNS = ("label", "class", "target", "y")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add each journey's ``Options`` flags, one argument group per journey."""
    for kind, module_name in JOURNEYS.items():
        module = importlib.import_module(module_name)
        title = (module.__doc__ or kind).splitlines()[0]
        group = parser.add_argument_group(f"--data, {kind} ({title})")
        add_dataclass_arguments(group, module.Options)  # type: ignore[arg-type]


def _header(path: Path) -> list[str]:
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as fh:
            first = fh.readline()
    except UnicodeDecodeError:
        raise SeqlabValueError(
            f"--data {str(path)!r} is not UTF-8 text, so it cannot be read as a CSV table."
        ) from None
    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    return [c.strip().strip('"').lower() for c in first.rstrip("\r\n").split(sep)]


def _looks_like_text(path: Path, probe: int = 1 << 16) -> bool:
    """The file's first ``probe`` bytes are UTF-8 (a cut last character allowed), no NULs."""
    with path.open("rb") as fh:
        head = fh.read(probe)
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as err:
        return len(head) == probe and err.start >= len(head) - 3  # cut multi-byte character
    return True


def detect_kind(path: str | Path, kind: str = "auto") -> str:
    """The journey for ``path``: ``"text"``, ``"series"`` or ``"labelled"``.

    Refuses a missing path, an empty file or folder, and (with ``kind="auto"``) a file type
    it cannot place, with a message that says what to do.

    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "corpus.txt")
    >>> _ = open(p, "w").write("to be or not to be")
    >>> detect_kind(p)
    'text'
    """
    p = Path(path)
    if kind not in ("auto", *JOURNEYS):
        raise SeqlabValueError(f"--kind must be one of auto, {', '.join(JOURNEYS)}; got {kind!r}.")
    if not p.exists():
        raise SeqlabValueError(f"--data {str(p)!r} does not exist.")
    if p.is_dir():
        if not any(p.iterdir()):
            raise SeqlabValueError(f"--data {str(p)!r} is an empty folder.")
        if kind in ("auto", "labelled"):
            return "labelled"
        raise SeqlabValueError(
            f"--data {str(p)!r} is a folder; --kind {kind} needs a file (a folder is read as "
            "labelled sequences: one sub-folder of WAV files per class)."
        )
    if p.stat().st_size == 0:
        raise SeqlabValueError(f"--data {str(p)!r} is an empty file.")
    if kind != "auto":
        return kind
    suffix = p.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix in TABLE_SUFFIXES:
        header = _header(p)
        return "labelled" if any(c in LABEL_COLUMNS for c in header) else "series"
    if _looks_like_text(p):  # README, LICENSE, a .log: UTF-8 text without NUL bytes
        return "text"
    raise SeqlabValueError(
        f"--data {str(p)!r}: cannot tell what a {suffix or 'suffix-less'!r} file holds (it is "
        "not UTF-8 text). Use a "
        f"text file ({', '.join(TEXT_SUFFIXES[:4])}, ...) for a language model, a CSV/TSV for a "
        "time series or labelled sequences, a folder of class sub-folders of WAV files, or say "
        "which with --kind text|series|labelled."
    )


def run(args: argparse.Namespace, task: Any, train: Any) -> int:
    """Dispatch ``seqlab train --data`` to its journey."""
    kind = detect_kind(task.data, task.kind)
    module: Any = importlib.import_module(JOURNEYS[kind])
    options = dataclass_from_args(module.Options, args)
    return int(module.run(Path(task.data), task, train, options))


def save_model(model: Any, path: str, **meta: Any) -> None:
    """``seqlab.save(model, path, **meta)`` on rank 0 only (data-parallel ranks > 0 write
    nothing; rank 0 holds the same weights)."""
    import seqlab
    from seqlab.training._ddp import is_writer

    if is_writer():
        seqlab.save(model, path, **meta)
