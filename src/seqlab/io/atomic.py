"""Atomic file writes: a temporary file in the target's folder, fsync, then ``os.replace``.

A reader of ``path`` sees either the old file or the complete new one, never a half-written
file, even when the writer is killed (``SIGKILL``, power loss after the rename is durable):

1. the content goes to ``.<name>.<pid>.<random>.seqlab-tmp`` in the same folder (a rename
   is atomic only within one file system);
2. the temporary file is flushed to disk (``fsync``) *before* the rename, so the rename can
   never publish a name whose blocks are not yet written;
3. ``os.replace`` swaps it in; the folder is fsynced so the rename itself survives a crash;
4. on any error (also ``KeyboardInterrupt``) the temporary file is removed and the old file
   is left as it was.

A writer killed between 1 and 3 leaves its temporary file behind; the next write to the same
target removes such files when the process that made them no longer runs (readers never look
at them). ``path`` is used exactly as given: no suffix is added.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from seqlab.exceptions import SeqlabFileNotFoundError, SeqlabValueError

__all__ = ["TEMP_SUFFIX", "atomic_write", "stale_temp_files"]

TEMP_SUFFIX = ".seqlab-tmp"
_UMASK: int | None = None


def _file_mode() -> int:
    """``0o666`` less the process umask: the mode ``open()`` would have given a new file."""
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0)
        os.umask(_UMASK)
    return 0o666 & ~_UMASK


def _temp_prefix(path: Path) -> str:
    return f".{path.name}."


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists but is not ours (or we cannot tell): leave its file alone
    return True


def stale_temp_files(path: str | os.PathLike[str]) -> list[Path]:
    """Temporary files of earlier writes to ``path`` whose writer process has died.

    >>> import tempfile
    >>> stale_temp_files(Path(tempfile.mkdtemp()) / "model.safetensors")
    []
    """
    path = Path(path)
    prefix = _temp_prefix(path)
    out = []
    try:
        entries = list(os.scandir(path.parent if str(path.parent) else "."))
    except OSError:
        return []
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(TEMP_SUFFIX)):
            continue
        pid_text = name[len(prefix) : -len(TEMP_SUFFIX)].split(".")[0]
        if pid_text.isdigit() and not _pid_alive(int(pid_text)):
            out.append(path.parent / name)
    return out


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open folders; the rename is still atomic there
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike[str], write: Callable[[str], None]) -> Path:
    """Call ``write(tmp)`` to fill a temporary file, then move it to ``path`` atomically.

    ``write`` receives the temporary file's name (a ``str``) and must create it there. The
    parent folder of ``path`` must exist. Returns ``path`` (as a :class:`~pathlib.Path`).

    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "notes.bin"
    >>> atomic_write(target, lambda tmp: Path(tmp).write_bytes(b"hello")) == target
    True
    >>> target.read_bytes(), sorted(p.name for p in target.parent.iterdir())
    (b'hello', ['notes.bin'])
    """
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise SeqlabFileNotFoundError(
            f"cannot write {str(path)!r}: the folder {str(folder)!r} does not exist; create "
            "it first."
        )
    if path.is_dir():
        raise SeqlabValueError(f"cannot write {str(path)!r}: it is a folder; give a file name.")
    for stale in stale_temp_files(path):
        with contextlib.suppress(OSError):
            stale.unlink()
    tmp = folder / f"{_temp_prefix(path)}{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
    try:
        write(str(tmp))
        fd = os.open(tmp, os.O_RDWR)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        mode = (path.stat().st_mode & 0o7777) if path.exists() else _file_mode()
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(folder)
    return path


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (see :func:`atomic_write`); returns it.

    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "table.csv"
    >>> atomic_write_text(target, "a,b").read_text()
    'a,b'
    """
    def write(tmp: str) -> None:
        Path(tmp).write_text(text, encoding="utf-8")

    return atomic_write(path, write)
