"""tanh for recurrent gates in compiled numba loops: speed (ns per value) and accuracy (ulp).

numba has no SVML on this machine, so ``math.tanh`` / ``math.exp`` in a loop stay scalar
calls into libm. Issue 19's plan for a compiled GRU loop needs gate math that LLVM can
vectorise. Compared, float32, 1 thread, on 64k values ~ N(0, 2^2):

- ``math.tanh``: glibc's ``tanhf``;
- seqlab's kernels' ``_tanh`` (``seqlab.recurrent._bptt_kernels``): ``1 - 2/(exp(2x)+1)``
  in float64, rounded once (within 1 ulp);
- a [13/6] rational approximation on |x| <= 7.9053 (Eigen's ``generic_fast_tanh_float``
  coefficients): arithmetic only, so the loop vectorises (with ``error_model="numpy"``: numba's
  default inserts a zero-division check on ``p / q`` that keeps it scalar, 1.7 ns a value).

Usage: ``python benchmarks/gate_math.py``. Accuracy is measured against float64 ``np.tanh``
rounded to float32, in units in the last place.
"""

from __future__ import annotations

import math
import time

import numpy as np
from numba import njit

from seqlab.recurrent import _bptt_kernels as K

f32 = np.float32
A = tuple(f32(v) for v in (4.89352455891786e-03, 6.37261928875436e-04, 1.48572235717979e-05,
                           5.12229709037114e-08, -8.60467152213735e-11, 2.00018790482477e-13,
                           -2.76076847742355e-16))
B = tuple(f32(v) for v in (4.89352518554385e-03, 2.26843463243900e-03, 1.18534705686654e-04,
                           1.19825839466702e-06))
CLAMP = f32(7.90531110763549805)


@njit(fastmath={"nnan", "ninf", "nsz", "arcp", "contract", "afn", "reassoc"},
      error_model="numpy")  # no zero-division check: the loop vectorises
def rational(x, out):  # type: ignore[no-untyped-def]
    a1, a3, a5, a7, a9, a11, a13 = A
    b0, b2, b4, b6 = B
    for i in range(x.size):
        v = min(max(x[i], -CLAMP), CLAMP)
        v2 = v * v
        p = v * (a1 + v2 * (a3 + v2 * (a5 + v2 * (a7 + v2 * (a9 + v2 * (a11 + v2 * a13))))))
        out[i] = p / (b0 + v2 * (b2 + v2 * (b4 + v2 * b6)))


@njit
def libm(x, out):  # type: ignore[no-untyped-def]
    for i in range(x.size):
        out[i] = math.tanh(x[i])


@njit
def seqlab_kernels(x, out):  # type: ignore[no-untyped-def]
    for i in range(x.size):
        out[i] = K._tanh(x[i])


def main() -> None:
    x = (np.random.default_rng(0).standard_normal(64_000) * 2).astype(f32)
    ref = np.tanh(x.astype(np.float64)).astype(f32)
    out = np.empty_like(x)
    print(f"{'tanh, float32':<28} {'ns/value':>9} {'max ulp':>8}")
    for name, fn in (("math.tanh (glibc tanhf)", libm), ("seqlab _tanh", seqlab_kernels),
                     ("rational [13/6], fastmath", rational)):
        fn(x, out)
        best = float("inf")
        for _ in range(30):
            t0 = time.perf_counter()
            fn(x, out)
            best = min(best, time.perf_counter() - t0)
        ulp = np.max(np.abs(out.astype(np.float64) - ref) / np.spacing(np.abs(ref)))
        print(f"{name:<28} {best / x.size * 1e9:9.2f} {ulp:8.1f}")


if __name__ == "__main__":
    main()
