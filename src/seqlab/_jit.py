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

:class:`FirstCalls` is the one gate between a kernel and its interpreted twin (the same
numbers, no compilation) that the Kalman filter, AutoARIMA's CSS gradient and SARIMAX's
profile BFGS share (see its docstring).
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import sys
import types
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

from numba import njit

__all__ = ["FirstCalls", "compiled_or_cached", "interpreted", "njit"]


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


#: the gates by name (introspection: ``GATES[name].state()``)
GATES: dict[str, FirstCalls] = {}
LEDGER = "seqlab-first-calls.json"


class FirstCalls:
    """The first-call gate of a kernel (or a group compiled together) with an interpreted
    twin that gives the same numbers: which of the two runs now.

    - compiled when every kernel of the group is compiled in this process or found in
      numba's on-disk cache (then using it costs no compilation);
    - otherwise interpreted, for as long as the interpreted seconds spent on it stay within
      ``budget_s``: the seconds of this process *plus those of every earlier process* that
      used the same cache folder, kept in a small ledger there (``LEDGER``, written at
      exit; a folder numba cannot write to keeps none, and then numba caches nothing
      either). The callers count estimates from the work done (observations, function
      evaluations), not a clock: compiling or loading an inner kernel during an interpreted
      call must not count, and a busy machine must not make the choice erratic;
    - compiled once the budget is spent: this process compiles (and numba caches) the
      kernels, so every later process finds them in the cache.

    So a one-off first call stays cheap (no compilation), while repeated use, in one
    process or in many short ones, compiles once and fills the cache after at most
    ``budget_s`` of interpreted work (rent or buy: never more than the budget above the
    cost of compiling at once). ``kernels`` returns the dispatchers (called lazily: their
    modules import numba).
    """

    def __init__(self, name: str, kernels: Callable[[], Sequence[Any]], budget_s: float
                 ) -> None:
        self.name = name
        self.budget_s = float(budget_s)
        self.spent_s = 0.0  # interpreted seconds of this process
        self._kernels = kernels
        self._earlier: float | None = None
        self._at_exit = False
        GATES[name] = self

    def kernels(self) -> Sequence[Any]:
        return self._kernels()

    def compiled_or_cached(self) -> bool:
        """Every kernel compiled in this process or in numba's cache."""
        return all(compiled_or_cached(k) for k in self.kernels())

    def earlier_s(self) -> float:
        """Interpreted seconds that earlier processes recorded in the cache folder."""
        if self._earlier is None:
            self._earlier = float(_read_ledger(self._ledger_path()).get(self.name, 0.0))
        return self._earlier

    def interpret(self, cost_s: float = 0.0) -> bool:
        """Whether the next call runs interpreted; if so ``cost_s`` (its estimated seconds,
        or 0 when the caller reports them afterwards with :meth:`spend`) is counted."""
        if self.compiled_or_cached():
            return False
        spent = self.earlier_s() + self.spent_s
        if spent >= self.budget_s or spent + cost_s > self.budget_s:
            return False
        self.spend(cost_s)
        return True

    def spend(self, seconds: float) -> None:
        """Count ``seconds`` of interpreted work (added to the ledger at exit)."""
        self.spent_s += seconds
        if not self._at_exit:
            self._at_exit = True
            atexit.register(self._record)

    def state(self) -> dict[str, Any]:
        """What the gate knows: compiled here, found in the cache, seconds spent."""
        return {"compiled": all(bool(k.signatures) for k in self.kernels()),
                "cached": all(_in_cache(k) for k in self.kernels()),
                "spent_s": self.spent_s, "earlier_s": self.earlier_s(),
                "budget_s": self.budget_s}

    def _ledger_path(self) -> str | None:
        try:  # numba's cache folder of the first kernel (its own choice, NUMBA_CACHE_DIR or
            return os.path.join(self.kernels()[0]._cache.cache_path, LEDGER)  # __pycache__)
        except Exception:
            return None

    def _record(self) -> None:
        """At exit: add this process's seconds to the ledger (atomically replaced; two
        processes ending at once may lose one's seconds, which only delays compiling)."""
        try:
            path = self._ledger_path()
            if path is None or self.spent_s <= 0.0 or self.compiled_or_cached():
                return
            data = _read_ledger(path)
            data[self.name] = float(data.get(self.name, 0.0)) + self.spent_s
            tmp = f"{path}.{os.getpid()}.tmp"
            with open(tmp, "w") as fh:
                json.dump(data, fh)
            os.replace(tmp, path)
        except Exception:  # an unwritable cache folder (numba caches nothing there either),
            pass  # or an interpreter already shutting down: the ledger is only an optimisation


def _read_ledger(path: str | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        with open(path) as fh:
            data = json.load(fh)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}
