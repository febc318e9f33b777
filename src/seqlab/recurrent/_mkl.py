"""MKL's float32 matrix product called from numba kernels: torch's own MKL (the Fortran
symbol ``sgemm_`` that ``libtorch_cpu`` exports on x86 builds), so that a recursion whose
per-step product torch would run through MKL anyway can run as one compiled loop -- the
same library and product, without a torch call (and the dispatch around it) per step.

The kernels call it by the name ``seqlab_sgemm``, which :func:`register` gives to numba's
linker (llvmlite's ``add_symbol``) before any kernel naming it is compiled or loaded from
numba's cache (the cached code names the symbol; its address is resolved in each process):
MKL's ``sgemm_`` where :func:`available`, else scipy's BLAS ``sgemm`` (the same Fortran
interface), so that kernels which only call MKL on request still link everywhere. Builds
without MKL (macOS, ARM) or without the exported symbol: ``available()`` is False and the
callers do not ask for it.

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

_SYMBOL = "seqlab_sgemm"
_sgemm = types.ExternalFunction(_SYMBOL, types.void(*([types.voidptr] * 13)))


@functools.cache
def _mkl_address() -> int | None:
    """The address of torch's MKL ``sgemm_``, or None."""
    if not torch.backends.mkl.is_available():
        return None
    libdir = Path(torch.__file__).parent / "lib"
    for path in sorted(libdir.glob("libtorch_cpu.*")):
        try:
            fn = ctypes.CDLL(str(path)).sgemm_
        except (OSError, AttributeError):
            continue
        address = ctypes.cast(fn, ctypes.c_void_p).value
        if address:
            return int(address)
    return None


def _scipy_address() -> int:
    """The address of scipy's BLAS ``sgemm`` (``scipy.linalg.cython_blas``)."""
    from scipy.linalg import cython_blas

    capsule = cython_blas.__pyx_capi__["sgemm"]
    name = ctypes.pythonapi.PyCapsule_GetName
    name.restype, name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    pointer = ctypes.pythonapi.PyCapsule_GetPointer
    pointer.restype, pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    return int(pointer(capsule, name(capsule)))


@functools.cache
def register() -> None:
    """Give ``seqlab_sgemm`` to numba's linker: MKL's where :func:`available`, else scipy's."""
    import llvmlite.binding as llvm

    llvm.add_symbol(_SYMBOL, _mkl_address() or _scipy_address())


def available() -> bool:
    """True when torch's MKL ``sgemm_`` is found (and registered for the kernels)."""
    register()
    return _mkl_address() is not None


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

