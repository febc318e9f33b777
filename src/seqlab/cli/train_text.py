"""train a character- or byte-level language model on a text file.

(Being built this session; see issue 15.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqlab.exceptions import SeqlabValueError

__all__ = ["Options", "run"]


@dataclass
class Options:
    """Flags of this journey (none yet)."""


def run(path: Path, task: Any, train: Any, options: Options) -> int:
    """Train on ``path`` and save the model file."""
    raise SeqlabValueError("seqlab train --data for this kind of data is not available yet.")
