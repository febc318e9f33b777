"""Numba kernels for hidden Markov models: scaled forward–backward, sampling, emissions.

Pure functions on arrays (no classes, no I/O, no global random state). Every kernel takes the
concatenated frames of several sequences plus ``bounds`` (``bounds[s]:bounds[s+1]`` are the
rows of sequence ``s``); the sequences run in parallel (``prange``) when there are several
and enough work to pay for waking the worker threads, else serially (same per-sequence code).

Forward–backward is written once, in the scaled form of Rabiner (1989), section V.A:

    alpha_hat_0(j) = pi_j b_0(j) / c_0,
    alpha_hat_t(j) = [sum_i alpha_hat_{t-1}(i) A_ij] b_t(j) / c_t,      c_t = the sum over j,
    beta_hat_{T-1}(i) = 1,
    beta_hat_t(i)  = sum_j A_ij b_{t+1}(j) beta_hat_{t+1}(j) / c_{t+1},
    log p(x_{0:T}) = sum_t log c_t,
    gamma_t(i) = alpha_hat_t(i) beta_hat_t(i),
    xi_t(i, j) = alpha_hat_t(i) A_ij b_{t+1}(j) beta_hat_{t+1}(j) / c_{t+1}.

The inner loops are multiplications and additions only. The scale is lazy: ``c_t = 1``
while the row sum stays inside [1e-100, 1e100] and the last row is always normalised, so
the division and the ``log`` run only on the rare steps that rescale (any positive ``c_t``
give the same gamma and xi, as long as the backward pass uses the same ones) and a sequence
of 10 million frames needs only a handful of ``log`` calls. The backward pass keeps one
``beta_hat`` vector and overwrites ``alpha_hat_t`` with ``gamma_t`` in place (normalised per
row), so the whole E-step needs one (T, K) buffer besides the emission probabilities.

Viterbi (max-plus in log space) is in :mod:`seqlab.classical._hmm_viterbi`.

=================  ================  =========================================
argument           shape             meaning
=================  ================  =========================================
``startprob``      (K,)              pi, initial state distribution
``transmat``       (K, K)            A, A[i, j] = p(z_{t+1}=j | z_t=i)
``frameprob``      (T, K)            b_t(j) = p(x_t | z_t=j), up to a per-row factor
``bounds``         (S + 1,)          sequence s is rows bounds[s]:bounds[s+1]
=================  ================  =========================================
"""

from __future__ import annotations

import numpy as np
from numba import get_num_threads, prange

from seqlab._jit import njit

__all__ = [
    "categorical_counts",
    "forward_backward",
    "forward_score",
    "gather_rows",
    "gaussian_logpdf_diag",
    "sample_states",
    "shift_rows",
    "weighted_scatter",
]

_BIG = 1e100
_SMALL = 1e-100


@njit(cache=True, fastmath={"contract"})  # contract: a*b + c as one fused multiply-add
def _forward_seq(startprob, transmat, frameprob, fwd, scale):  # pragma: no cover
    """Scaled forward pass of one sequence; returns ``sum_t log c_t`` = log p(x).

    ``fwd`` has T rows (kept for the backward pass) or 2 rows (a rolling buffer when only the
    log-likelihood is wanted); ``scale[t] = 1 / c_t`` is written when ``scale`` has T rows.
    The scale is lazy: ``c_t = 1`` while the row sum stays inside [1e-100, 1e100], so the
    division and the ``log`` happen only on the rare steps that rescale (any choice of
    ``c_t`` gives the same gamma and xi as long as the backward pass uses the same ones);
    the last row is always normalised, so ``sum_t log c_t`` is the log-likelihood.
    """
    n_frames, n_states = frameprob.shape
    full = fwd.shape[0] == n_frames
    keep_scale = scale.shape[0] == n_frames
    logsum = 0.0
    cur = 0
    for t in range(n_frames):
        c = 0.0
        if t == 0:
            for j in range(n_states):
                v = startprob[j] * frameprob[0, j]
                fwd[0, j] = v
                c += v
        else:
            prev = cur
            cur = t if full else t & 1
            for j in range(n_states):
                b_tj = frameprob[t, j]
                acc = 0.0
                for i in range(n_states):  # A_ij b_t(j) does not wait for alpha_{t-1}
                    acc += fwd[prev, i] * (transmat[i, j] * b_tj)
                fwd[cur, j] = acc
                c += acc
        inv = 1.0
        if c < _SMALL or c > _BIG or t == n_frames - 1:
            if c > 0.0:
                inv = 1.0 / c
                logsum += np.log(c)
            else:  # the data are impossible under these parameters
                inv = 0.0
                logsum = -np.inf
            for j in range(n_states):
                fwd[cur, j] *= inv
        if keep_scale:
            scale[t] = inv
    return logsum


@njit(cache=True, fastmath={"contract"})
def _backward_seq(transmat, frameprob, fwd, scale, xi_sum):  # pragma: no cover
    """Scaled backward pass; turns ``fwd`` (alpha_hat) into gamma in place, adds xi to xi_sum."""
    n_frames, n_states = frameprob.shape
    beta = np.ones(n_states)
    tmp = np.empty(n_states)
    for t in range(n_frames - 2, -1, -1):
        inv = scale[t + 1]
        for j in range(n_states):
            tmp[j] = beta[j] * (frameprob[t + 1, j] * inv)  # one multiply on the beta chain
        total = 0.0
        for i in range(n_states):
            a_i = fwd[t, i]
            acc = 0.0
            for j in range(n_states):
                w = transmat[i, j] * tmp[j]
                acc += w
                xi_sum[i, j] += a_i * w
            beta[i] = acc
            g = a_i * acc
            fwd[t, i] = g
            total += g
        inv_total = 1.0 / total if total > 0.0 else 0.0
        for i in range(n_states):
            fwd[t, i] *= inv_total


@njit(cache=True)
def _fb_one(s, startprob, transmat, frameprob, bounds, post, scale, log_prob, xi_sum):
    lo, hi = bounds[s], bounds[s + 1]
    log_prob[s] = _forward_seq(startprob, transmat, frameprob[lo:hi], post[lo:hi], scale[lo:hi])
    _backward_seq(transmat, frameprob[lo:hi], post[lo:hi], scale[lo:hi], xi_sum[s])


@njit(cache=True)
def _fb_serial(startprob, transmat, frameprob, bounds, post, scale, log_prob, xi_sum):
    for s in range(bounds.shape[0] - 1):
        _fb_one(s, startprob, transmat, frameprob, bounds, post, scale, log_prob, xi_sum)


@njit(cache=True, parallel=True)
def _fb_parallel(startprob, transmat, frameprob, bounds, post, scale, log_prob, xi_sum):
    for s in prange(bounds.shape[0] - 1):
        _fb_one(s, startprob, transmat, frameprob, bounds, post, scale, log_prob, xi_sum)


def _parallel(bounds: np.ndarray, work_per_frame: int) -> bool:
    """Run sequences on several threads only when there are several and enough work: waking
    worker threads costs tens of microseconds (milliseconds on a loaded machine)."""
    n_seq = bounds.shape[0] - 1
    return n_seq > 1 and get_num_threads() > 1 and bounds[-1] * work_per_frame >= 500_000


def forward_backward(
    startprob: np.ndarray, transmat: np.ndarray, frameprob: np.ndarray, bounds: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """E-step of every sequence: log-likelihoods, posteriors gamma and summed xi.

    Returns ``(log_prob, posteriors, xi_sum)`` with shapes (S,), (T, K), (S, K, K);
    ``log_prob[s]`` is ``sum_t log c_t`` of sequence ``s`` (add the emission offsets).

    >>> pi, A = np.array([0.6, 0.4]), np.array([[0.7, 0.3], [0.4, 0.6]])
    >>> b = np.array([[0.1, 0.6], [0.4, 0.3], [0.5, 0.1]])  # Wikipedia: walk, shop, clean
    >>> log_prob, post, xi = forward_backward(pi, A, b, np.array([0, 3]))
    >>> round(float(np.exp(log_prob[0])), 6), post.sum(axis=1).round(12).tolist()
    (0.033612, [1.0, 1.0, 1.0])
    """
    n_frames, n_states = frameprob.shape
    n_seq = bounds.shape[0] - 1
    post = np.empty((n_frames, n_states))
    scale = np.empty(n_frames)
    log_prob = np.empty(n_seq)
    xi_sum = np.zeros((n_seq, n_states, n_states))
    run = _fb_parallel if _parallel(bounds, n_states * n_states) else _fb_serial
    run(startprob, transmat, frameprob, bounds, post, scale, log_prob, xi_sum)
    return log_prob, post, xi_sum


@njit(cache=True)
def _score_one(s, startprob, transmat, frameprob, bounds, log_prob):  # pragma: no cover
    buf = np.empty((2, frameprob.shape[1]))
    no_scale = np.empty(0)
    lo, hi = bounds[s], bounds[s + 1]
    log_prob[s] = _forward_seq(startprob, transmat, frameprob[lo:hi], buf, no_scale)


@njit(cache=True)
def _score_serial(startprob, transmat, frameprob, bounds, log_prob):  # pragma: no cover
    for s in range(bounds.shape[0] - 1):
        _score_one(s, startprob, transmat, frameprob, bounds, log_prob)


@njit(cache=True, parallel=True)
def _score_parallel(startprob, transmat, frameprob, bounds, log_prob):  # pragma: no cover
    for s in prange(bounds.shape[0] - 1):
        _score_one(s, startprob, transmat, frameprob, bounds, log_prob)


def forward_score(
    startprob: np.ndarray, transmat: np.ndarray, frameprob: np.ndarray, bounds: np.ndarray
) -> np.ndarray:
    """Log-likelihood of every sequence (forward pass only, O(K) memory per sequence)."""
    log_prob = np.empty(bounds.shape[0] - 1)
    n_states = frameprob.shape[1]
    run = _score_parallel if _parallel(bounds, n_states * n_states) else _score_serial
    run(startprob, transmat, frameprob, bounds, log_prob)
    return log_prob


@njit(cache=True)
def sample_states(start_cdf, trans_cdf, uniforms, first_state):  # pragma: no cover
    """Markov chain by inverse-CDF sampling: ``z_0 ~ pi`` (or ``first_state`` >= 0), then
    ``z_t ~ A[z_{t-1}]``, using one uniform number per step."""
    n = uniforms.shape[0]
    n_states = start_cdf.shape[0]
    states = np.empty(n, dtype=np.int64)
    if n == 0:
        return states
    if first_state >= 0:
        z = first_state
    else:
        z = np.searchsorted(start_cdf, uniforms[0], side="right")
        z = min(z, n_states - 1)
    states[0] = z
    for t in range(1, n):
        z = np.searchsorted(trans_cdf[z], uniforms[t], side="right")
        z = min(z, n_states - 1)
        states[t] = z
    return states


@njit(cache=True)
def gaussian_logpdf_diag(X, means, inv_var, log_norm):  # pragma: no cover
    """log N(x_t; mu_k, diag(var_k)) = log_norm[k] - 0.5 sum_d (x_td - mu_kd)^2 / var_kd.

    Shapes: X (T, D), means and inv_var (K, D), log_norm (K,) -> (T, K). Written directly
    (not expanded into x^2 - 2 x mu + mu^2) so large offsets do not cancel.
    """
    n_frames, n_dim = X.shape
    n_states = means.shape[0]
    out = np.empty((n_frames, n_states))
    for t in range(n_frames):
        for k in range(n_states):
            acc = 0.0
            for d in range(n_dim):
                z = X[t, d] - means[k, d]
                acc += z * z * inv_var[k, d]
            out[t, k] = log_norm[k] - 0.5 * acc
    return out


@njit(cache=True)
def categorical_counts(symbols, posteriors, n_symbols):  # pragma: no cover
    """Expected emission counts ``N[k, m] = sum_t gamma_t(k) [x_t = m]``, shape (K, M)."""
    n_states = posteriors.shape[1]
    counts = np.zeros((n_symbols, n_states))
    for t in range(symbols.shape[0]):
        m = symbols[t]
        for k in range(n_states):
            counts[m, k] += posteriors[t, k]
    return counts.T.copy()


@njit(cache=True)
def gather_rows(table, symbols):  # pragma: no cover
    """``out[t] = table[symbols[t]]``: per-frame emission probabilities of a categorical HMM,
    shape (T, K) from a (M, K) table (numpy's fancy indexing is several times slower)."""
    n_states = table.shape[1]
    out = np.empty((symbols.shape[0], n_states))
    for t in range(symbols.shape[0]):
        m = symbols[t]
        for k in range(n_states):
            out[t, k] = table[m, k]
    return out


@njit(cache=True)
def shift_rows(logp):  # pragma: no cover
    """In place ``logp[t] -= max_k logp[t, k]``; returns the sum of the maxima.

    After ``exp`` (numpy's vectorised one: several times faster than a scalar ``exp`` in a
    loop) the largest emission probability of every frame is 1, so no frame underflows; the
    shifts add back to the log-likelihood.
    """
    n_frames, n_states = logp.shape
    total = 0.0
    for t in range(n_frames):
        m = logp[t, 0]
        for k in range(1, n_states):
            if logp[t, k] > m:
                m = logp[t, k]
        if not np.isfinite(m):
            m = 0.0
        total += m
        for k in range(n_states):
            logp[t, k] -= m
    return total


def weighted_scatter(X, posteriors, means, full):
    """``S_k = sum_t gamma_t(k) (x_t - mu_k)(x_t - mu_k)'``: (K, D, D) if ``full``, else only
    the diagonal, as (K, D, 1). Centred, so large offsets in ``X`` do not cancel. Two
    kernels, so a first call compiles only the one it needs."""
    if full:
        return _scatter_full(X, posteriors, means)
    return _scatter_diag(X, posteriors, means)[:, :, None]  # (a reshape in numba: ~0.1 s)


@njit(cache=True)
def _scatter_diag(X, posteriors, means):  # pragma: no cover
    n_frames, n_dim = X.shape
    n_states = means.shape[0]
    diag = np.zeros((n_states, n_dim))
    for t in range(n_frames):
        for k in range(n_states):
            g = posteriors[t, k]
            for d in range(n_dim):
                z = X[t, d] - means[k, d]
                diag[k, d] += g * z * z
    return diag


@njit(cache=True)
def _scatter_full(X, posteriors, means):  # pragma: no cover
    n_frames, n_dim = X.shape
    n_states = means.shape[0]
    out = np.zeros((n_states, n_dim, n_dim))
    diff = np.empty(n_dim)
    for t in range(n_frames):
        for k in range(n_states):
            g = posteriors[t, k]
            for d in range(n_dim):
                diff[d] = X[t, d] - means[k, d]
            for d in range(n_dim):
                gd = g * diff[d]
                for e in range(n_dim):
                    out[k, d, e] += gd * diff[e]
    return out
