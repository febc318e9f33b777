"""The report folder of ``seqlab compare``, replaced whole or not at all (GUIDE.md §10).

A run writes its plots, ``report.md`` and ``results.json`` into a staging folder beside the
target (``.NAME.seqlab-tmp-XXXX``) and only at the end swaps it in: the old report is
renamed aside, the new one renamed into place, the old one removed. An error or Ctrl-C
before the swap removes the staging folder and leaves an old report exactly as it was;
the swap itself runs with Ctrl-C held back, so it cannot stop half-way.

Because the swap removes the old folder, :func:`check_report_dir` first refuses a target
holding anything but a seqlab report: ``results.json`` (with ``meta`` and ``tasks``),
``report.md`` and the figures ``results.json`` lists. A user's files are never deleted.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from seqlab.exceptions import SeqlabValueError

__all__ = ["check_report_dir", "staged_report_dir"]


def _report_files(folder: Path) -> set[str] | None:
    """Names a seqlab report in ``folder`` consists of, or None if it is not one."""
    try:
        doc = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        figures = {str(f) for task in doc["tasks"].values() for f in task["figures"]}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if "meta" not in doc:
        return None
    return {"results.json", "report.md"} | figures


def check_report_dir(out: str | os.PathLike[str]) -> Path:
    """Refuse a report folder ``out`` that a run cannot (or must not) replace; returns it.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "notes.txt").write_text("mine")
    >>> check_report_dir(d)
    Traceback (most recent call last):
    ...
    seqlab.exceptions.SeqlabValueError: report folder ... holds files that are not part of ...
    """
    p = Path(out).expanduser()
    if p.exists() and not p.is_dir():
        raise SeqlabValueError(f"report folder {p} is a file; name a new or existing folder.")
    if p.resolve() == Path.cwd().resolve() or p.resolve().parent == p.resolve():
        raise SeqlabValueError(
            f"report folder {out} is the current folder (or the root); the report replaces "
            "the whole folder, so name a sub-folder such as seqlab-report."
        )
    if p.is_dir():
        entries = sorted(e.name for e in p.iterdir())
        allowed = _report_files(p) or set()
        foreign = [name for name in entries if name not in allowed or (p / name).is_dir()]
        if foreign:
            shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more"
                                              if len(foreign) > 3 else "")
            raise SeqlabValueError(
                f"report folder {p} holds files that are not part of a seqlab report "
                f"({shown}); a run replaces the whole folder, so choose a new or empty "
                "folder, or move those files away."
            )
    return p


@contextlib.contextmanager
def _no_interrupt() -> Iterator[None]:
    """Hold Ctrl-C back for the block (main thread only; elsewhere SIGINT is not ours)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: pending.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pending:
        raise KeyboardInterrupt


@contextlib.contextmanager
def staged_report_dir(out: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a staging folder; on normal exit it replaces ``out``, otherwise it is removed.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "report"
    >>> with staged_report_dir(target) as tmp:
    ...     _ = (tmp / "results.json").write_text('{"meta": {}, "tasks": {}}')
    >>> sorted(p.name for p in target.iterdir()), tmp.exists()
    (['results.json'], False)
    """
    target = check_report_dir(out)
    if target.is_symlink():  # swap the folder the link points to; the link stays
        target = target.resolve()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.seqlab-tmp-", dir=target.parent))
    except OSError as err:
        raise SeqlabValueError(
            f"cannot create the report folder {target} ({err.strerror or err}); choose a "
            "folder you can write to."
        ) from None
    try:
        yield tmp
        with _no_interrupt():
            old = None
            if target.exists():
                old = target.parent / f".{target.name}.seqlab-old-{tmp.name.rsplit('-', 1)[-1]}"
                os.replace(target, old)
            try:
                os.replace(tmp, target)
            except BaseException:
                if old is not None:
                    os.replace(old, target)  # put the old report back
                raise
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
