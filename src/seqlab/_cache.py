"""seqlab's cache folder: derived data and per-machine measurements, never needed to be right.

``$SEQLAB_CACHE``, else ``~/.cache/seqlab``. Everything in it can be deleted at any time: it is
rebuilt (data) or measured again (the matrix-product backend choices of
:mod:`seqlab.recurrent._matmul`).
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Folder for seqlab's derived data: ``$SEQLAB_CACHE`` or ``~/.cache/seqlab``."""
    env = os.environ.get("SEQLAB_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "seqlab"
