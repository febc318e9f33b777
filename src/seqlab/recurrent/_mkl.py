"""MKL's float32 matrix product called from numba kernels: torch's own MKL (the Fortran
symbol ``sgemm_`` that ``libtorch_cpu`` exports on x86 builds), so that a recursion whose
per-step product torch would run through MKL anyway can run as one compiled loop -- the
same library and product, without a torch call (and the dispatch around it) per step.

:func:`available` finds the symbol and registers it with numba's linker (llvmlite's
``add_symbol``) before any kernel that calls :func:`gemm` is compiled or loaded from numba's
cache (the cached code names the symbol; its address is resolved in each process). Builds
without MKL (macOS, ARM) or without the exported symbol: ``available()`` is False and the
callers keep their torch loops.

Measured (issue 19, Zen 4 EPYC, 1 thread, B=32 H=128): 32x128 @ 128x384 35.5-36.3 us a
product in a numba loop, against ~40 us a ``torch.addmm`` in the GRU's Python loop.
"""

from __future__ import annotations

import ctypes
import functools
from pathlib import Path

import numpy as np
import torch
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

from seqlab._jit import njit

_SYMBOL = "sgemm_"
_sgemm = types.ExternalFunction(_SYMBOL, types.void(*([types.voidptr] * 13)))


@functools.cache
def available() -> bool:
    """True when torch's MKL ``sgemm_`` is found and registered for numba's kernels."""
    if not torch.backends.mkl.is_available():
        return False
    libdir = Path(torch.__file__).parent / "lib"
    for path in sorted(libdir.glob("libtorch_cpu.*")):
        try:
            fn = getattr(ctypes.CDLL(str(path)), _SYMBOL)
        except (OSError, AttributeError):
            continue
        address = ctypes.cast(fn, ctypes.c_void_p).value
        if not address:
            continue
        import llvmlite.binding as llvm

        llvm.add_symbol(_SYMBOL, address)
        return True
    return False


@intrinsic
def _ref(typingctx, value):
    """A pointer to a stack copy of the scalar ``value`` (Fortran passes by reference)."""
    sig = types.voidptr(value)

    def codegen(context, builder, signature, args):
        slot = cgutils.alloca_once_value(builder, args[0])
        return builder.bitcast(slot, ir.IntType(8).as_pointer())

    return sig, codegen


@njit(cache=True, inline="always")
def gemm(m, n, k, a, lda, b, ldb, c, ldc, beta):
    """Row-major float32 ``C = A @ B + beta C``: A (m, k), B (k, n), C (m, n) given by their
    first elements' arrays (any views) and row strides in elements. (Column-major, as MKL
    sees them: C^T = B^T A^T, no transposes.)"""
    no = np.uint8(78)  # 'N'
    r = _ref  # numba's typing, not Python's: mypy sees the intrinsic's (typingctx, value)
    _sgemm(r(no), r(no), r(np.int32(n)), r(np.int32(m)), r(np.int32(k)),  # type: ignore[call-arg]
           r(np.float32(1.0)), b.ctypes.data, r(np.int32(ldb)),  # type: ignore[call-arg]
           a.ctypes.data, r(np.int32(lda)), r(np.float32(beta)),  # type: ignore[call-arg]
           c.ctypes.data, r(np.int32(ldc)))  # type: ignore[call-arg]
