"""The per-step products of the recurrent cells: BLAS ``sgemm`` called from compiled numba code
against oneDNN called from Python (what the fast BPTT paths use today), 1 thread.

The question it answers (issue 19): could the whole time loop of a GRU or Elman layer run
compiled, products included, and would its products be as fast as oneDNN's? numba reaches
scipy's OpenBLAS ``sgemm`` through ``scipy.linalg.cython_blas`` and torch's own MKL through
the ``sgemm_`` that ``libtorch_cpu`` exports (no Python per call; oneDNN's C API is not
exported). OpenBLAS is limited to one thread (threadpoolctl), torch to one.

Usage: ``python benchmarks/blas_from_numba.py [--calls 200]``. Prints microseconds per product
and GFLOP/s of each for the step shapes of benchmarks/rnn.py (B=32 H=128: GRU forward/backward and
Elman; B=64 H=512: GRU at shape c), best of 5 runs of ``--calls`` back-to-back products.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import time

import numpy as np
import threadpoolctl
import torch
from numba import njit
from numba.extending import get_cython_function_address

_P = ctypes.c_void_p
# Fortran sgemm: (transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc), all pointers
_FORTRAN_SGEMM = ctypes.CFUNCTYPE(None, *([_P] * 13))
_SGEMM = _FORTRAN_SGEMM(get_cython_function_address("scipy.linalg.cython_blas", "sgemm"))
# torch's own MKL (linked into libtorch_cpu, which exports its Fortran sgemm_)
_MKL_SGEMM = _FORTRAN_SGEMM(ctypes.cast(ctypes.CDLL(
    os.path.join(os.path.dirname(torch.__file__), "lib", "libtorch_cpu.so")).sgemm_, _P).value)


def _products_through(sgemm):  # type: ignore[no-untyped-def]
    """``products(a, b, c, n, ints, scal, trans)``: ``n`` times C = A B (row-major (m, k) @
    (k, n)) as column-major C^T = B^T A^T through the Fortran ``sgemm``, compiled."""

    @njit
    def products(a, b, c, n, ints, scal, trans):  # type: ignore[no-untyped-def]
        for _ in range(n):
            sgemm(trans.ctypes.data, trans.ctypes.data, ints[0:].ctypes.data,
                  ints[1:].ctypes.data, ints[2:].ctypes.data, scal[0:].ctypes.data,
                  b.ctypes.data, ints[0:].ctypes.data, a.ctypes.data, ints[2:].ctypes.data,
                  scal[1:].ctypes.data, c.ctypes.data, ints[0:].ctypes.data)

    return products


_products, _mkl_products = _products_through(_SGEMM), _products_through(_MKL_SGEMM)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    with threadpoolctl.threadpool_limits(1):
        _table(args.calls)


def _table(calls: int) -> None:
    shapes = {"GRU fwd (a)": (32, 128, 384), "GRU bwd (a)": (32, 384, 128),
              "Elman (a)": (32, 128, 128), "GRU fwd (c)": (64, 512, 1536)}
    print(f"{'product':<13} {'m x k @ k x n':>18} {'OpenBLAS/numba':>15} {'MKL/numba':>15} "
          f"{'oneDNN/Python':>15}   (us per product, GFLOP/s)")
    for name, (m, k, n) in shapes.items():
        cols = _row(m, k, n, calls)
        flops = 2 * m * k * n
        print(f"{name:<13} {f'{m}x{k} @ {k}x{n}':>18} " + " ".join(
            f"{t * 1e6:7.1f} {flops / t / 1e9:5.0f}GF" for t in cols))


def _row(m: int, k: int, n: int, calls: int) -> list[float]:
    """Seconds per (m, k) @ (k, n) product: OpenBLAS and MKL from numba, oneDNN from Python."""
    rng = np.random.default_rng(0)
    a = rng.random((m, k), dtype=np.float32)
    b = rng.random((k, n), dtype=np.float32)
    c = np.zeros((m, n), np.float32)
    ints = np.array([n, m, k], np.int32)  # column-major view: (n x k) @ (k x m)
    scal, trans = np.array([1.0, 0.0], np.float32), np.frombuffer(b"N", np.uint8).copy()
    cols = []
    for kernel in (_products, _mkl_products):
        c[:] = 0.0
        kernel(a, b, c, 1, ints, scal, trans)
        np.testing.assert_allclose(c, a @ b, rtol=1e-4)
        cols.append(min(_timed(lambda fn=kernel: fn(a, b, c, calls, ints, scal, trans))
                        for _ in range(5)) / calls)
    at, o = torch.from_numpy(a), torch.zeros(m, n)
    packed = torch.ops.mkldnn._reorder_linear_weight(torch.from_numpy(b).t().contiguous(), m)

    def onednn() -> None:
        for _ in range(calls):
            torch.ops.mkldnn._linear_pointwise.binary(at, o, packed, None, "add")

    cols.append(min(_timed(onednn) for _ in range(5)) / calls)
    return cols


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
