"""``njit`` for seqlab's kernels, with numba's import-time BLAS probe made lazy, and
:func:`interpreted`: kernels run by the interpreter.

numba's first compilation *or cache load* in a process imports ``numba.np.arraymath``,
whose module body runs ``_check_blas()``: ``import scipy.linalg.cython_blas``, which imports
all of ``scipy.linalg`` (~0.2 s CPU) only to set the flag ``_HAVE_BLAS`` (read when
``np.cov``/``np.corrcoef`` are typed). For a kernel that never touches BLAS that is a fifth
of a warm first call (issue 17). Every kernel module imports ``njit`` from here, which
answers that one probe with "available" (scipy is a dependency of seqlab, so the probe
would say so) and restores the real check at once: ``np.dot``, ``@`` and ``np.linalg``
inside a kernel still call it while typing and import scipy's BLAS/LAPACK then, as before.
Nothing changes if ``numba.np.arraymath`` is already imported, or if numba's internals
differ from the version this was written for (0.60-0.68): then numba probes as usual.
"""

from __future__ import annotations

import functools
import sys
import types
from types import SimpleNamespace
from typing import Any

from numba import njit

__all__ = ["compiled_or_cached", "interpreted", "njit"]


def _defer_blas_probe() -> None:
    if "numba.np.arraymath" in sys.modules:
        return
    import numba.np.linalg as linalg

    real = getattr(linalg, "ensure_blas", None)
    if real is None:
        return

    def probe() -> None:  # runs once, from arraymath's _check_blas at its import
        linalg.ensure_blas = real

    linalg.ensure_blas = probe


_defer_blas_probe()


def interpreted(module: Any, names: tuple[str, ...], extra: dict[str, Any] | None = None
                ) -> SimpleNamespace:
    """The kernels ``names`` of ``module`` as plain Python functions that call each other
    (and ``extra`` in place of the module's globals of those names); every other kernel
    they call stays compiled.

    The same code objects run by the interpreter: the same IEEE operations in the same
    order (seqlab's kernels use no fastmath), hence the same numbers, without compiling
    anything. For work too small to repay a compilation on a first call.
    """
    env = dict(vars(module)) | (extra or {})
    for name in names:
        fn = getattr(module, name).py_func
        env[name] = types.FunctionType(fn.__code__, env, name, fn.__defaults__)
    return SimpleNamespace(**{name: env[name] for name in names})


def compiled_or_cached(dispatcher: Any) -> bool:
    """Whether ``dispatcher`` is compiled in this process or its compiled code is in numba's
    on-disk cache (so that using it costs no compilation; the cache is looked at once)."""
    return bool(dispatcher.signatures) or _in_cache(dispatcher)


@functools.cache
def _in_cache(dispatcher: Any) -> bool:
    try:  # a private numba API: if it changes (or fails), "not known"
        return bool(dispatcher._cache._cache_file._load_index())
    except Exception:
        return False
