"""The catalogue of data sets behind ``seqlab data list`` and ``seqlab data show``.

Each loader module registers its data sets with :func:`register`; an entry records the
loader, the application domain, a one-line description, the declared size (checked against
the loader by the tests, so the catalogue cannot drift from the data) and the source.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Domain = Literal[
    "classic", "weather", "stocks", "text", "dna", "speech", "images", "synthetic"
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


def register(info: DatasetInfo) -> DatasetInfo:
    """Add ``info`` to the catalogue (names are unique)."""
    if info.name in DATASETS:
        raise ValueError(f"data set {info.name!r} is registered twice")
    DATASETS[info.name] = info
    return info


def get_dataset(name: str) -> DatasetInfo:
    """Catalogue entry for ``name``; an unknown name lists the valid ones."""
    if name not in DATASETS:
        raise ValueError(
            f"unknown data set {name!r}; valid names are: {', '.join(sorted(DATASETS))}. "
            "Run `seqlab data list` to see them with sizes and sources."
        )
    return DATASETS[name]
