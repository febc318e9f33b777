"""The Elman / leaky / skip recursion as one numba call whose per-step products are BLAS
calls (``np.dot``: scipy's BLAS; or torch's own MKL, :mod:`._mkl`), for
:class:`~seqlab.recurrent._bptt_elman_fast.SimpleFastFn`.

The fast Function runs the recursion as a Python loop of torch calls: per step one product
(MKL or oneDNN) and two or three elementwise ops, each paying torch's dispatch (~1.5-2.5 us
here). These kernels run the same loop compiled, with the step's product through ``np.dot``
and the elementwise part fused into one pass over the step's block. On a Zen 4 EPYC
(2026-12-05, 1 thread) scipy's OpenBLAS multiplies 32x128 @ 128x128 in 9.2 us against MKL's
12.5 (14.8 through torch), and the loop of B=32 T=100 H=128, forward and backward, took 2.35
ms against 3.75 for the torch loop; at 32x256 @ 256x256 OpenBLAS was the slower (59 against
46 us). So the choice is measured per machine and shape class, as for MKL / oneDNN
(:func:`seqlab.recurrent._matmul.loop_choice`), together with a third way: the same loop
calling torch's MKL (``mkl=True``, float32), which is MKL's product without a torch call per
step (1 thread: 22.7 against 23.9 us a 64x128 @ 128x128 product through torch, 44.4 against
48.6 at 32x256 @ 256x256; B=64 T=100 H=128 Elman forward+backward 6.04 -> 5.53 ms, B=32
H=256 9.53 -> 9.09).

Threads: OpenBLAS has its own thread pool, which fights torch's OpenMP threads for the cores
(:mod:`._bptt_kernels`' docstring: 20-300x slowdowns on 2 cores). The ``np.dot`` kernels
therefore run inside :func:`one_blas_thread` (scipy's BLAS held at one thread for the call
and restored after, ~11 us), and the measurement compares that one thread with torch's
products at torch's thread count.

Same formulas as the Function's torch loop (module :mod:`._bptt_elman_fast`): tanh units as
``2 sigmoid(2z) - 1`` on doubled weights, ``torch.lerp``'s two branches for leaky units, the
carried state at padded steps; the float32 sigmoid is
:func:`~seqlab.recurrent._bptt_kernels._sigmoid32` (within 2 ulp, as torch's), the float64
one ``1 / (1 + exp(-v))``. The tests run every fast-path equality test through all three loops,
float64 to 1e-12 against the readable cells.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
from numba.core import types
from numba.extending import overload

from seqlab._jit import njit
from seqlab.recurrent import _mkl
from seqlab.recurrent._bptt_kernels import _sigmoid32
from seqlab.recurrent._mkl import gemm


def _sigmoid(v: float) -> float:
    """The kernels' sigmoid (numba compiles :func:`_sigmoid_typed`'s choice)."""
    return 1.0 / (1.0 + math.exp(-v))


@overload(_sigmoid)
def _sigmoid_typed(v):
    """float32: :func:`_sigmoid32` (vectorises); float64: ``1 / (1 + exp(-v))``."""
    if isinstance(v, types.Float) and v.bitwidth == 32:
        return lambda v: _sigmoid32(v)
    return lambda v: 1.0 / (1.0 + math.exp(-v))


@functools.cache
def _controller() -> Any:
    """threadpoolctl's controller of the BLAS libraries loaded once scipy's BLAS (the one
    numba's ``np.dot`` calls) is (~3.5 ms, once)."""
    import scipy.linalg.cython_blas  # noqa: F401  (loads scipy's BLAS)
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """scipy's (and numpy's) BLAS at one thread inside, restored after."""
    with _controller().limit(limits=1, user_api="blas"):
        yield


def threads_for(mkl: bool) -> contextlib.AbstractContextManager[None]:
    """What the loops run inside: :func:`one_blas_thread` for ``np.dot``'s, nothing for
    MKL's (torch's MKL at torch's thread count; no OpenBLAS call to hold back)."""
    return contextlib.nullcontext() if mkl else one_blas_thread()


@njit(cache=True, inline="always")
def _product(a, b, out, mkl):
    """``out = a @ b`` (row-major, contiguous): torch's MKL where ``mkl`` (float32 only:
    :mod:`._mkl`), else ``np.dot`` (scipy's BLAS)."""
    if mkl:
        gemm(a.shape[0], b.shape[1], a.shape[1], a, a.shape[1], b, b.shape[1], out,
             out.shape[1], 0.0)
    else:
        np.dot(a, b, out)


@njit(cache=True)
def _product_loop(out, a, b, n, mkl):
    for _ in range(n):
        _product(a, b, out, mkl)


def product_loop(out: np.ndarray, a: np.ndarray, b: np.ndarray, n: int, mkl: bool) -> None:
    """``n`` products ``out = a @ b`` as the kernels run them (:func:`_product`), in one
    numba call: the measurement's loop. ``np.dot`` at one BLAS thread, or torch's MKL."""
    _mkl.register()  # the loop names the MKL product (linked before it loads)
    with threads_for(mkl):
        _product_loop(out, a, b, n, mkl)


@njit(cache=True, error_model="numpy")
def simple_forward(u, s, h0, w_t, ws_t, k, alpha, mask, act, buf, bufk, mkl):
    """The forward recursion of :class:`SimpleFastFn`, in place.

    ``u`` (T, B, H) holds the input projections (doubled for tanh units, ``act`` 0) and
    becomes ``u_t = f(z_t)``; ``s`` (T, B, H) receives the states of leaky units (``alpha``
    (H,) the leak; both of length 0 otherwise: the states are ``u`` itself). ``w_t`` (H, H)
    is ``W_hh^T`` (doubled for tanh), ``ws_t`` ``W_skip^T`` with skip length ``k`` (0: no
    skip term), ``mask`` (T, B) 0/1 (length 0: no padding). ``buf`` (B, H) and ``bufk``
    (k*B, H) are scratch. Returns nothing; the last state is ``s[T-1]`` or ``u[T-1]``.
    """
    T, B, H = u.shape
    leaky = s.shape[0] > 0
    masked = mask.shape[0] > 0
    f = u.dtype.type
    zero, one, two, half = f(0.0), f(1.0), f(2.0), f(0.5)
    uf = u.reshape(T * B, H)
    sf = s.reshape(T * B, H) if leaky else uf
    h = h0
    for t in range(T):
        if k > 0 and t >= k and t % k == 0:  # the skip terms of steps t .. t+k-1 at once
            n = min(k, T - t) * B
            tmp = bufk[:n]
            _product(sf[(t - k) * B : (t - k) * B + n], ws_t, tmp, mkl)
            blk = uf[t * B : t * B + n]
            for i in range(n):
                for j in range(H):
                    blk[i, j] += tmp[i, j]
        _product(h, w_t, buf, mkl)
        ut = u[t]
        for b in range(B):
            if act == 0:
                for j in range(H):
                    ut[b, j] = two * _sigmoid(ut[b, j] + buf[b, j]) - one
            elif act == 1:
                for j in range(H):
                    v = ut[b, j] + buf[b, j]
                    ut[b, j] = v if v > zero else zero * v
            elif act == 3:
                for j in range(H):
                    ut[b, j] = _sigmoid(ut[b, j] + buf[b, j])
            else:
                for j in range(H):
                    ut[b, j] += buf[b, j]
        ht = s[t] if leaky else ut
        if leaky:  # torch.lerp(u, h, a): a h + (1 - a) u, with its two branches
            for b in range(B):
                for j in range(H):
                    a, uu, hp = alpha[j], ut[b, j], h[b, j]
                    ht[b, j] = uu + a * (hp - uu) if a < half else hp - (hp - uu) * (one - a)
        if masked:
            for b in range(B):
                if mask[t, b] == 0.0:
                    for j in range(H):
                        ht[b, j] = h[b, j]
        h = ht


@njit(cache=True, error_model="numpy")
def simple_backward(g, d, w, ws, k, alpha, mask, buf, bufk, mkl):
    """The delta recursion of :class:`SimpleFastFn`, in place.

    ``g`` (T, B, H) holds dE/dh_t from the outputs (masked, the last state's gradient added
    to ``g[T-1]``) and is completed into the total dE/dh_t; ``d`` (T, B, H) holds
    ``f'(z_t)`` (times ``1 - a`` for leaky units, times the mask) and becomes
    ``dz_t = g_t d_t``. ``w`` is ``W_hh`` (H, H), ``ws`` ``W_skip`` with skip length ``k``.
    dE/dh_{t-1} += dz_t W_hh + c_t g_t with the carry c_t = ``alpha`` (leaky), 1 at padded
    steps (``mask`` 0), else 0; the skip terms ``dz_{j+k} W_skip`` are added k steps at once.
    """
    T, B, H = g.shape
    leaky = alpha.shape[0] > 0
    masked = mask.shape[0] > 0
    gf, df = g.reshape(T * B, H), d.reshape(T * B, H)
    for t in range(T - 1, -1, -1):
        if k > 0 and (T - 1 - t) % k == 0:  # G_j += dz_{j+k} W_skip for j in (t-k, t]
            lo, hi = max(0, t - k + 1), min(t, T - 1 - k)
            if hi >= lo:
                n = (hi + 1 - lo) * B
                tmp = bufk[:n]
                _product(df[(lo + k) * B : (hi + k + 1) * B], ws, tmp, mkl)
                blk = gf[lo * B : (hi + 1) * B]
                for i in range(n):
                    for j in range(H):
                        blk[i, j] += tmp[i, j]
        dt, gt = d[t], g[t]
        for b in range(B):
            for j in range(H):
                dt[b, j] *= gt[b, j]
        if t == 0:
            break
        _product(dt, w, buf, mkl)
        gp = g[t - 1]
        for b in range(B):
            for j in range(H):
                gp[b, j] += buf[b, j]
            if masked and mask[t, b] == 0.0:  # padded: the gradient passes unchanged
                for j in range(H):
                    gp[b, j] += gt[b, j]
            elif leaky:
                for j in range(H):
                    gp[b, j] += gt[b, j] * alpha[j]
