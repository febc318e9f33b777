"""Check the paths a command reads and writes before it does any work (GUIDE.md §10).

A plot or model file that cannot be written should fail in the first second, not after a
ten-minute fit. Each helper takes the path and the option that named it (for the message)
and raises a seqlab error saying what is wrong and what to do:

- :func:`check_output_file`: the folder exists, is a folder and is writable (a probe file is
  created and removed, which also catches read-only file systems and root-owned folders
  that ``os.access`` misjudges); the path itself is not a folder;
- :func:`check_plot_file`: the same, and matplotlib can write the suffix's format;
- :func:`check_output_dir`: the path is a folder or can be created as one (its nearest
  existing ancestor is a writable folder);
- :func:`check_input_file`: the path exists, is a file (a folder is named as one), and can
  be read.

>>> import tempfile
>>> d = tempfile.mkdtemp()
>>> check_output_file(d, "--save")
Traceback (most recent call last):
...
seqlab.exceptions.SeqlabValueError: --save ...: is a folder; give a file name, e.g. ...
>>> check_output_file(d + "/model.npz", "--save").name
'model.npz'
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from seqlab.exceptions import SeqlabFileNotFoundError, SeqlabValueError

__all__ = ["check_input_file", "check_output_dir", "check_output_file", "check_plot_file"]


def _probe_writable(folder: Path, option: str, path: str | os.PathLike[str]) -> None:
    """Create and remove a file in ``folder``; refuse the path if that fails."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".seqlab-write-check-", dir=folder)
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise SeqlabValueError(
            f"{option} {path}: cannot write in the folder {folder} ({reason}); choose a "
            "folder you can write to."
        ) from None
    os.close(fd)
    os.unlink(probe)


def check_output_file(
    path: str | os.PathLike[str], option: str, *, make_parents: bool = False
) -> Path:
    """The file ``path`` (named by ``option``) can be created or replaced; returns it.

    ``make_parents``: the writer creates missing folders (as checkpoints do), so only the
    nearest existing one must be a writable folder.
    """
    p = Path(path).expanduser()
    if p.is_dir():
        raise SeqlabValueError(
            f"{option} {path}: is a folder; give a file name, e.g. {p / ('out' + _ext(option))}."
        )
    if p.exists() and not p.is_file():  # /dev/stdout, /dev/null, a named pipe: written in place
        if not os.access(p, os.W_OK):
            raise SeqlabValueError(f"{option} {path}: cannot be written (permission denied).")
        return p
    if make_parents:
        check_output_dir(p.parent, option)
        return p
    parent = p.parent
    if not parent.exists():
        raise SeqlabFileNotFoundError(
            f"{option} {path}: the folder {parent} does not exist; create it first or choose "
            "another path."
        )
    if not parent.is_dir():
        raise SeqlabFileNotFoundError(
            f"{option} {path}: {parent} is a file, not a folder; choose another path."
        )
    if p.exists() and not os.access(p, os.W_OK):
        raise SeqlabValueError(f"{option} {path}: the file exists and is read-only.")
    _probe_writable(parent, option, path)
    return p


def _ext(option: str) -> str:
    return {"--plot": ".png", "--save": ".npz", "--checkpoint-path": ".safetensors"}.get(
        option, ".txt")


def check_plot_file(path: str | os.PathLike[str], option: str = "--plot") -> Path:
    """:func:`check_output_file`, and matplotlib can write the format of the suffix."""
    p = check_output_file(path, option)
    suffix = p.suffix.lower().lstrip(".")
    if suffix:
        from matplotlib.backend_bases import FigureCanvasBase

        formats = FigureCanvasBase.get_supported_filetypes()
        if suffix not in formats:
            raise SeqlabValueError(
                f"{option} {path}: matplotlib cannot write '.{suffix}' files; use one of "
                + ", ".join("." + f for f in sorted(formats)) + "."
            )
    return p


def check_output_dir(path: str | os.PathLike[str], option: str) -> Path:
    """The folder ``path`` exists or can be created (with its parents); returns it."""
    p = Path(path).expanduser()
    if p.exists() and not p.is_dir():
        raise SeqlabValueError(
            f"{option} {p}: is a file, but a folder is needed; name a new or existing folder."
        )
    existing = p
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise SeqlabFileNotFoundError(
            f"{option} {path}: {existing} is a file, so the folder cannot be created; "
            "choose another path."
        )
    _probe_writable(existing, option, path)
    return p


def check_input_file(path: str | os.PathLike[str], option: str) -> Path:
    """The file ``path`` exists, is a file and can be read; returns it."""
    p = Path(path).expanduser()
    if p.is_dir():
        raise SeqlabFileNotFoundError(f"{option} {path}: is a folder, not a file; name a file.")
    if not p.exists():
        raise SeqlabFileNotFoundError(f"{option} {path}: the file does not exist.")
    if not os.access(p, os.R_OK):
        raise SeqlabValueError(f"{option} {path}: the file cannot be read (permission denied).")
    return p
