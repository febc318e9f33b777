"""Numba Viterbi kernels for hidden Markov models (max-plus in log space).

    delta_0(j) = log pi_j + log b_0(j),
    delta_t(j) = max_i [delta_{t-1}(i) + (log A_ij + log b_t(j))],
    psi_t(j)   = the maximising i (ties: the highest i, hmmlearn's traceback),

then the path is traced back from the best last state (ties: the lowest index).

Speed notes (one core; benchmarks/hmm.py's categorical row, K=2 and 1,000,000 frames: the
kernel went from 5.6 to 2.2 ms CPU, ``decode`` from 0.40 to 0.18 of hmmlearn's CPU time):

- The running maximum is ``max(best, v)`` (numba's ``select(v > best, v, best)``, one
  ``maxsd``) and the back-pointer a separate compare; written as ``v if v >= best else
  best``, LLVM emitted a conditional branch, often mispredicted on real data (the K=2
  loop ran ~10x slower that way). The value is the same (for equal candidates both are
  that value; a NaN candidate is skipped by both); only a tie between ``+0.0`` and
  ``-0.0`` could keep the other zero, and ``np.log`` of probabilities never gives ``-0.0``.
- Two states (the commonest HMM) get their own kernel with ``delta`` in two scalars:
  the generic loop keeps ``delta`` in an array, and its store-to-load round trip and the
  loops over 1-2 states cost more than the arithmetic. Its two back-pointer bits of a
  frame share one byte (half the memory of a (T, 2) table). It computes the same sums in
  the same order as the generic kernel, so the results are identical.
- Frame indices are cast to ``np.uint64`` where they index the back-pointers and the path
  (they are never negative): numba then skips its negative-index wraparound arithmetic,
  which was most of the traceback's work.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from seqlab._jit import njit
from seqlab.classical._hmm_kernels import _parallel

__all__ = ["viterbi"]


@njit(cache=True)
def _viterbi_seq(log_startprob, log_transmat_t, log_frames, rows, lo, hi, path, back):
    """Frames ``lo:hi`` (one sequence); ``log_transmat_t[j, i] = log A_ij`` (transposed for
    contiguous reads). The log emission of frame t is ``log_frames[t]``, or, when ``rows``
    is given (a categorical HMM), ``log_frames[rows[t]]``: the (T, K) table is never built.
    ``back`` (T, K) receives the back-pointers (uint8 when K <= 256: less memory traffic).
    ``rows is None`` is resolved when numba compiles: each variant has no test in its loop."""
    n_states = log_transmat_t.shape[0]
    # delta_{t-1} and delta_t in the rows of one buffer, swapped by index: swapping two
    # array variables would cost numba reference counting on every step
    delta = np.empty((2, n_states))
    first = lo if rows is None else rows[lo]
    for j in range(n_states):
        delta[0, j] = log_startprob[j] + log_frames[first, j]
    cur = 0
    for t in range(lo + 1, hi):
        r = t if rows is None else rows[t]
        prev, cur = cur, 1 - cur
        for j in range(n_states):
            # log b_t(j) is added to each candidate before the max: max(d_i + (a_ij + l_j))
            # equals max(d_i + a_ij) + l_j but the chain from delta_{t-1} to delta_t is one
            # addition shorter (the sums a_ij + l_j do not wait for delta)
            l_j = log_frames[r, j]
            best = delta[prev, 0] + (log_transmat_t[j, 0] + l_j)
            arg = 0
            for i in range(1, n_states):
                v = delta[prev, i] + (log_transmat_t[j, i] + l_j)
                arg = i if v >= best else arg  # ties: the highest predecessor
                best = max(best, v)  # maxsd, no branch (module docstring)
            delta[cur, j] = best
            back[t, j] = arg
    best = -np.inf
    arg = 0
    for j in range(n_states):
        if delta[cur, j] > best:
            best = delta[cur, j]
            arg = j
    path[hi - 1] = arg
    for u in range(hi - 1 - lo):  # unsigned indices (module docstring)
        ut = np.uint64(hi - 1 - u)
        arg = back[ut, arg]
        path[ut - np.uint64(1)] = arg
    return best


@njit(cache=True)
def _viterbi_seq2(log_startprob, log_transmat_t, log_frames, rows, lo, hi, path, back):
    """:func:`_viterbi_seq` for two states, ``delta`` in scalars; ``back`` (T, 1) holds
    frame t's back-pointers as bits: bit j is the predecessor of state j."""
    a00, a01 = log_transmat_t[0, 0], log_transmat_t[0, 1]  # into state 0 from 0, from 1
    a10, a11 = log_transmat_t[1, 0], log_transmat_t[1, 1]  # into state 1 from 0, from 1
    first = lo if rows is None else rows[lo]
    d0 = log_startprob[0] + log_frames[first, 0]
    d1 = log_startprob[1] + log_frames[first, 1]
    for t in range(lo + 1, hi):
        r = t if rows is None else rows[np.uint64(t)]
        l0 = log_frames[r, 0]
        l1 = log_frames[r, 1]
        v00 = d0 + (a00 + l0)  # the generic kernel's sums, in the same order
        v01 = d1 + (a01 + l0)
        v10 = d0 + (a10 + l1)
        v11 = d1 + (a11 + l1)
        back[np.uint64(t), 0] = np.uint8(v01 >= v00) | (np.uint8(v11 >= v10) << np.uint8(1))
        d0 = max(v00, v01)
        d1 = max(v10, v11)
    best = -np.inf
    arg = 0
    if d0 > best:
        best = d0
    if d1 > best:
        best = d1
        arg = 1
    path[hi - 1] = arg
    for u in range(hi - 1 - lo):
        ut = np.uint64(hi - 1 - u)
        arg = (back[ut, 0] >> arg) & 1
        path[ut - np.uint64(1)] = arg
    return best


@njit(cache=True)
def _viterbi_serial(log_startprob, log_transmat_t, log_frames, rows, bounds, log_prob, path,
                    back):  # pragma: no cover
    for s in range(bounds.shape[0] - 1):
        log_prob[s] = _viterbi_seq(log_startprob, log_transmat_t, log_frames, rows, bounds[s],
                                   bounds[s + 1], path, back)


@njit(cache=True, parallel=True)
def _viterbi_parallel(log_startprob, log_transmat_t, log_frames, rows, bounds, log_prob, path,
                      back):  # pragma: no cover
    for s in prange(bounds.shape[0] - 1):
        log_prob[s] = _viterbi_seq(log_startprob, log_transmat_t, log_frames, rows, bounds[s],
                                   bounds[s + 1], path, back)


@njit(cache=True)
def _viterbi2_serial(log_startprob, log_transmat_t, log_frames, rows, bounds, log_prob, path,
                     back):  # pragma: no cover
    for s in range(bounds.shape[0] - 1):
        log_prob[s] = _viterbi_seq2(log_startprob, log_transmat_t, log_frames, rows,
                                    bounds[s], bounds[s + 1], path, back)


@njit(cache=True, parallel=True)
def _viterbi2_parallel(log_startprob, log_transmat_t, log_frames, rows, bounds, log_prob, path,
                       back):  # pragma: no cover
    for s in prange(bounds.shape[0] - 1):
        log_prob[s] = _viterbi_seq2(log_startprob, log_transmat_t, log_frames, rows,
                                    bounds[s], bounds[s + 1], path, back)


def viterbi(
    log_startprob: np.ndarray,
    log_transmat: np.ndarray,
    log_frameprob: np.ndarray,
    bounds: np.ndarray,
    rows: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Most likely state path of every sequence: ``(log_prob (S,), path (T,) int64)``.

    delta_t(j) = max_i [delta_{t-1}(i) + log A_ij] + log b_t(j). Ties are broken as in
    hmmlearn: the last state by the lowest index, each predecessor by the highest.
    ``log_frameprob`` is (T, K), or with ``rows`` (T,) a table whose row ``rows[t]`` holds
    frame t's log emissions (a categorical HMM's (M, K) ``log(emissionprob_).T``).

    >>> pi, A = np.array([0.6, 0.4]), np.array([[0.7, 0.3], [0.4, 0.6]])
    >>> b = np.array([[0.1, 0.6], [0.4, 0.3], [0.5, 0.1]])
    >>> log_prob, path = viterbi(np.log(pi), np.log(A), np.log(b), np.array([0, 3]))
    >>> path.tolist(), round(float(np.exp(log_prob[0])), 5)
    ([1, 0, 0], 0.01344)
    >>> log_prob2, path2 = viterbi(np.log(pi), np.log(A), np.log(b[[0, 1, 2]]),
    ...                            np.array([0, 3]), rows=np.array([0, 1, 2]))
    >>> path2.tolist() == path.tolist() and bool(log_prob2[0] == log_prob[0])
    True
    """
    n_frames = bounds[-1]
    n_states = log_transmat.shape[0]
    path = np.empty(n_frames, dtype=np.int64)
    log_prob = np.empty(bounds.shape[0] - 1)
    log_transmat_t = np.ascontiguousarray(log_transmat.T)
    parallel = _parallel(bounds, n_states * n_states)
    if n_states == 2:
        back = np.empty((n_frames, 1), dtype=np.uint8)
        run = _viterbi2_parallel if parallel else _viterbi2_serial
    else:
        back = np.empty((n_frames, n_states), dtype=np.uint8 if n_states <= 256 else np.int32)
        run = _viterbi_parallel if parallel else _viterbi_serial
    run(log_startprob, log_transmat_t, log_frameprob, rows, bounds, log_prob, path, back)
    return log_prob, path
