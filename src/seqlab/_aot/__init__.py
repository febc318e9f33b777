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
from typing import Any

__all__ = ["DEPENDS", "EXPORTS", "available", "kernel", "kernels", "source_hash"]

_NLL = "f8(f8[:], f8[:], Tuple((f8[:], f8[:,:], i8[:])))"  # (x, scale, (w, X, dims))

#: exported name -> (module of the jitted kernel, its name, numba signature); arrays of any
#: layout (``[:]``: the callers' contiguous arrays and any other take the same code)
EXPORTS = {
    "kalman_filter": (
        "seqlab.classical._statespace_kernels", "kalman_filter",
        "f8(f8[:], f8[:], f8[:], f8, i8[:], i8[:], f8[:], f8[:,:], f8[:,:], f8[:], f8[:,:], i8,"
        " f8[:], f8[:], f8[:,:], f8[:,:], f8[:,:])"),
    # SARIMAX's profile likelihoods (the BFGS objective while it runs interpreted)
    "sarimax_nll": ("seqlab.classical._sarimax_kernels", "sarimax_nll", _NLL),
    "sarimax_nll_ar": ("seqlab.classical._sarimax_kernels", "sarimax_nll_ar", _NLL),
    "sarimax_nll_ma": ("seqlab.classical._sarimax_kernels", "sarimax_nll_ma", _NLL),
    # AutoARIMA's CSS objective (0.5 log(S / nu) of an ARMA recursion)
    "css": ("seqlab.classical._auto_arima_kernels", "_css", "f8(f8[:], f8[:], f8[:], i8)"),
}


#: modules whose code the exported kernels compile besides their own: the helpers they call
#: and seqlab's ``njit`` (tests/classical/test_aot.py checks the list against the imports)
DEPENDS = ("seqlab._jit", "seqlab.classical._arma_cov")


def source_hash() -> int:
    """A 60-bit hash of :data:`EXPORTS` and the source files of the kernels it names and of
    :data:`DEPENDS`, read without importing them (no numba). The build compiles it into the
    module (``_kernels.source_hash()``), so that a module built from other sources (an
    editable install whose kernels were edited since, a build that failed and left an older
    one) is recognised and not used."""
    import hashlib
    import importlib.util

    h = hashlib.sha256(repr(sorted(EXPORTS.items())).encode())
    for module in sorted({m for m, _, _ in EXPORTS.values()} | set(DEPENDS)):
        spec = importlib.util.find_spec(module)
        assert spec is not None and spec.origin is not None, module
        with open(spec.origin, "rb") as f:
            h.update(f.read())
    return int(h.hexdigest()[:15], 16)


@functools.cache
def kernels() -> ModuleType | None:
    """The compiled module, or None where it was not built, was built from other sources
    than these (with a warning: reinstall to rebuild it), or ``SEQLAB_AOT=0``."""
    if os.environ.get("SEQLAB_AOT", "1") == "0":
        return None
    try:
        from seqlab._aot import _kernels  # type: ignore[attr-defined]
    except ImportError:
        return None
    if getattr(_kernels, "source_hash", lambda: None)() != source_hash():
        import warnings

        warnings.warn("seqlab: the ahead-of-time kernels were built from other sources than "
                      "these (reinstall seqlab to rebuild them); using numba's instead",
                      RuntimeWarning, stacklevel=2)
        return None
    return _kernels


def available() -> bool:
    """True when the ahead-of-time kernels are in use."""
    return kernels() is not None


def kernel(name: str, jitted: Any) -> Any:
    """The exported ``name`` where the module is in use, else ``jitted`` (its numba twin:
    the same numbers bit for bit)."""
    module = kernels()
    return jitted if module is None else getattr(module, name)
