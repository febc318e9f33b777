"""Kernels compiled ahead of time, at install (issue 17: a first call pays neither numba's
compilation nor, where every kernel it needs is here, numba's first cache load).

``setup.py`` builds the extension module ``seqlab._aot._kernels`` with ``numba.pycc`` from
the very functions the jitted kernels compile (:data:`EXPORTS`), for this machine's CPU.
Where it could not be built (no C compiler, a numba without ``pycc``), the build says so
and seqlab uses the jitted kernels, which give the same numbers bit for bit
(tests/classical/test_aot.py). ``SEQLAB_AOT=0`` in the environment turns the module off.

>>> isinstance(available(), bool)
True
"""

from __future__ import annotations

import functools
import os
from types import ModuleType

__all__ = ["EXPORTS", "available", "kernels"]

#: exported name -> (module of the jitted kernel, its name, numba signature)
EXPORTS = {
    "kalman_filter": (
        "seqlab.classical._statespace_kernels", "kalman_filter",
        "f8(f8[:], f8[:], f8[:], f8, i8[:], i8[:], f8[:], f8[:,:], f8[:,:], f8[:], f8[:,:], i8,"
        " f8[:], f8[:], f8[:,:], f8[:,:], f8[:,:])"),
}


@functools.cache
def kernels() -> ModuleType | None:
    """The compiled module, or None where it was not built or ``SEQLAB_AOT=0``."""
    if os.environ.get("SEQLAB_AOT", "1") == "0":
        return None
    try:
        from seqlab._aot import _kernels  # type: ignore[attr-defined]
    except ImportError:
        return None
    return _kernels


def available() -> bool:
    """True when the ahead-of-time kernels are in use."""
    return kernels() is not None
