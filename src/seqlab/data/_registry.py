"""The catalogue of data sets behind ``seqlab data list`` and ``seqlab data show``.

Each loader module registers its data sets with :func:`register`; an entry records the
loader, the application domain, a one-line description, the declared size (checked against
the loader by the tests, so the catalogue cannot drift from the data) and the source.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from seqlab.exceptions import SeqlabValueError

Domain = Literal[
    "classic", "weather", "stocks", "text", "dna", "speech", "images", "music", "synthetic"
]


@dataclass(frozen=True)
class DatasetInfo:
    """One entry of the catalogue."""

    name: str  # what `seqlab data show NAME` takes
    domain: Domain  # application domain of the lecture (or "synthetic")
    loader: Callable[..., Any]  # called with no arguments gives the default data set
    description: str  # one line: what it is, units
    size: str  # declared size, e.g. "309 years"; tests check it against the loader
    source: str  # where the file comes from (package and path, or generator)


DATASETS: dict[str, DatasetInfo] = {}


def register(*infos: DatasetInfo) -> None:
    """Add each entry to the catalogue; names are unique.

    Registering the same data set again (equal fields but the loader object) is a no-op:
    pytest's ``--import-mode=importlib`` executes a module body a second time when it collects
    its doctests. Two different data sets under one name still raise.
    """
    for info in infos:
        old = DATASETS.get(info.name)
        if old is not None:
            if _same_entry(old, info):
                continue
            raise SeqlabValueError(f"data set {info.name!r} is registered twice, differently")
        DATASETS[info.name] = info


def _same_entry(a: DatasetInfo, b: DatasetInfo) -> bool:
    fields = ("name", "domain", "description", "size", "source")
    return all(getattr(a, f) == getattr(b, f) for f in fields)


def get_dataset(name: str) -> DatasetInfo:
    """Catalogue entry for ``name``; an unknown name lists the valid ones."""
    if not isinstance(name, str) or name not in DATASETS:
        raise SeqlabValueError(
            f"unknown data set {name!r}; valid names are: {', '.join(sorted(DATASETS))}. "
            "Run `seqlab data list` to see them with sizes and sources."
        )
    return DATASETS[name]
