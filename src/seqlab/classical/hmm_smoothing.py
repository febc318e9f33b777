"""Fixed-lag smoothing for every hidden Markov model: ``p(z_t | x_1..t+L)``.

The filter (``hmm_filter``) uses no future frame, the full smoother (``predict_proba``) all of
them; the fixed-lag smoother waits ``L`` frames before it commits to frame t, the usual
compromise of online decoding (a decision ``L`` frames late, most of the smoother's
accuracy). With the normalised forward variable ``alpha_t`` and a backward pass over the
``L`` frames after t only,

    beta^L_{t+L}(i) = 1,    beta^L_s(i) = sum_j A_ij b_j(x_{s+1}) beta^L_{s+1}(j),
    p(z_t = i | x_1..t+L) ∝ alpha_t(i) beta^L_t(i),

at ``O(L K^2)`` per frame. Near the end of a sequence the window is cut at its last frame, so
for ``L >= T - 1 - t`` the result is the full smoother's posterior. ``L = 0`` is the filter.

Source: Murphy, "Machine Learning: a Probabilistic Perspective" (2012), sec. 17.4.1
(fixed-lag smoothing); Rabiner (1989), sec. III-A (forward and backward variables).
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np

from seqlab._validation import check_int
from seqlab.classical.hmm_filter import filter_proba

__all__ = ["fixed_lag_proba", "lagged_backward"]


def lagged_backward(transmat: np.ndarray, frameprob: np.ndarray, lag: int) -> np.ndarray:
    """``beta^L_t`` (normalised per row) of one sequence, shape (T, K): row t sums over
    the frames ``t+1 .. min(t+L, T-1)``; ``frameprob`` (T, K) holds the emission
    probabilities up to one factor per frame (which the normalisation removes).

    >>> A = np.array([[0.9, 0.1], [0.2, 0.8]])
    >>> lagged_backward(A, np.array([[0.5, 0.5], [1.0, 0.0]]), 1).round(3).tolist()
    [[0.818, 0.182], [0.5, 0.5]]
    """
    T, K = frameprob.shape
    beta = np.full((T, K), 1.0 / K)
    t = np.arange(T)
    for j in range(lag, 0, -1):  # beta_s = A (b_{s+1} * beta_{s+1}), s = t+j-1 .. t
        live = t + j < T  # windows that reach frame t + j
        if not live.any():
            continue
        rows = t[live]
        beta[live] = (frameprob[rows + j] * beta[live]) @ transmat.T
        beta[live] /= beta[live].sum(axis=1, keepdims=True)
    return beta


def fixed_lag_proba(model: Any, X: Any, lag: int, lengths: Any = None) -> np.ndarray:
    """Fixed-lag smoothed state probabilities ``p(z_t = k | x_1..t+lag)``, shape (T, K).

    Each sequence (``lengths``) is smoothed on its own and its windows end at its last
    frame; ``lag=0`` gives :func:`~seqlab.classical.hmm_filter.filter_proba`, a lag of at
    least ``T - 1`` the full smoother ``predict_proba``.

    >>> from seqlab.classical import CategoricalHMM
    >>> m = CategoricalHMM(2, init_params="")
    >>> m.startprob_, m.transmat_ = np.array([0.6, 0.4]), np.array([[0.7, 0.3], [0.4, 0.6]])
    >>> m.emissionprob_ = np.array([[0.1, 0.4, 0.5], [0.6, 0.3, 0.1]])
    >>> x = np.array([0, 1, 2, 2])
    >>> bool(np.allclose(fixed_lag_proba(m, x, 3), m.predict_proba(x)))
    True
    >>> fixed_lag_proba(m, x, 1)[0].round(3)  # by hand: [.06, .24] * A @ b(x_1) = [.37, .34]
    array([0.214, 0.786])
    """
    L = check_int(lag, "lag", minimum=0)
    alpha = filter_proba(model, X, lengths)
    if L == 0:
        return alpha
    Xv, bounds = model._prepare(X, lengths)
    frameprob, _ = model._frameprob(Xv)
    out = np.empty_like(alpha)
    for lo, hi in pairwise(bounds):
        beta = lagged_backward(model.transmat_, frameprob[lo:hi], L)
        post = alpha[lo:hi] * beta
        out[lo:hi] = post / post.sum(axis=1, keepdims=True)
    return out
