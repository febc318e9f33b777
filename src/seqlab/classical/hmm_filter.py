"""Filtering and prediction for every hidden Markov model: no look-ahead, one frame at a time.

- :func:`filter_proba`: the filtered state probabilities ``p(z_t | x_1..t)`` (the normalised
  forward variables ``alpha_t``), from the same scaled forward kernel the fit uses;
- :class:`StreamingFilter`: the same recursion one observation at a time, ``O(K^2)`` per step
  and O(K) memory (online use: a sensor, a market feed),
  ``alpha_t(j) ∝ sum_i alpha_{t-1}(i) A_ij b_j(x_t)``; with ``lag=L`` it also keeps the
  last ``L + 1`` frames and :meth:`StreamingFilter.smoothed` gives the fixed-lag smoothed
  ``p(z_{t-L} | x_1..t)`` (``hmm_smoothing``) at ``O(L K^2)``;
- :func:`predict_next`: the predictive distribution of the next ``h`` frames given
  ``x_1..T``: state probabilities ``p(z_{T+s}) = alpha_T A^s`` and the expected observation
  ``E[x_{T+s}] = sum_k p(z_{T+s} = k) E[x | z = k]`` (for a categorical model, the symbol
  probabilities ``p(z_{T+s}) B``).

Source: Rabiner (1989), sec. III-A (forward variable); Murphy, "Machine Learning: a
Probabilistic Perspective" (2012), sec. 17.4.2 (filtering) and 17.4.4 (prediction).
"""

from __future__ import annotations

from collections import deque
from itertools import pairwise
from typing import Any, NamedTuple

import numpy as np

from seqlab._validation import check_int, check_is_fitted
from seqlab.classical import _hmm_kernels as kernels
from seqlab.exceptions import SeqlabValueError

__all__ = ["Prediction", "StreamingFilter", "filter_proba", "predict_next"]


def filter_proba(model: Any, X: Any, lengths: Any = None) -> np.ndarray:
    """Filtered state probabilities ``p(z_t = k | x_1..t)`` of a fitted HMM, shape (T, K).

    Each sequence (``lengths``) starts again from ``startprob_``. Row t uses frames up to t
    only, so ``filter_proba(X[:t+1])[t] == filter_proba(X)[t]``.

    >>> import numpy as np
    >>> from seqlab.classical import CategoricalHMM
    >>> m = CategoricalHMM(2, init_params="")
    >>> m.startprob_, m.transmat_ = np.array([0.6, 0.4]), np.array([[0.7, 0.3], [0.4, 0.6]])
    >>> m.emissionprob_ = np.array([[0.1, 0.4, 0.5], [0.6, 0.3, 0.1]])
    >>> filter_proba(m, np.array([0, 1, 2])).round(3)  # by hand: [.06, .24] / .3, ...
    array([[0.2  , 0.8  ],
           [0.532, 0.468],
           [0.864, 0.136]])
    """
    X, bounds = model._prepare(X, lengths)
    frameprob, _ = model._frameprob(X)
    out = np.empty_like(frameprob)
    for lo, hi in pairwise(bounds):
        fwd = np.empty((hi - lo, frameprob.shape[1]))
        scale = np.empty(hi - lo)
        kernels._forward_seq(model.startprob_, model.transmat_,
                             np.ascontiguousarray(frameprob[lo:hi]), fwd, scale)
        sums = fwd.sum(axis=1, keepdims=True)
        if not (sums > 0).all():
            raise SeqlabValueError(
                f"frame {lo + int(np.argmin(sums[:, 0] > 0))} has probability 0 under the "
                "model (impossible in every reachable state); the filter is undefined there."
            )
        out[lo:hi] = fwd / sums
    return out


class Prediction(NamedTuple):
    """The predictive distribution of the next ``h`` frames (row s-1: frame T+s)."""

    state_proba: np.ndarray  # (h, K): p(z_{T+s} = k | x_1..T)
    mean: np.ndarray  # (h, D) expected observation; categorical: (h, M) symbol probabilities


def _step_ahead(alpha: np.ndarray, transmat: np.ndarray, horizon: int) -> np.ndarray:
    out = np.empty((horizon, len(alpha)))
    p = alpha
    for s in range(horizon):
        p = p @ transmat
        out[s] = p
    return out


def predict_next(model: Any, X: Any, horizon: int = 1, lengths: Any = None) -> Prediction:
    """Predictive distribution of the ``horizon`` frames after the last one of ``X``.

    With ``lengths``, the prediction continues the last sequence. ``mean`` is the expected
    observation (for CategoricalHMM: the probability of each symbol).

    >>> import numpy as np
    >>> from seqlab.classical import CategoricalHMM
    >>> m = CategoricalHMM(2, init_params="")
    >>> m.startprob_, m.transmat_ = np.array([0.6, 0.4]), np.array([[0.7, 0.3], [0.4, 0.6]])
    >>> m.emissionprob_ = np.array([[0.1, 0.4, 0.5], [0.6, 0.3, 0.1]])
    >>> predict_next(m, np.array([0, 1, 2]), horizon=2).state_proba.round(3)
    array([[0.659, 0.341],
           [0.598, 0.402]])
    """
    h = check_int(horizon, "horizon", minimum=1)
    alpha = filter_proba(model, X, lengths)[-1]
    proba = _step_ahead(alpha, model.transmat_, h)
    return Prediction(proba, proba @ model._state_means())


class StreamingFilter:
    """The forward filter one observation at a time (``O(K^2)`` work per step).

    ``update(x)`` takes one frame (a symbol, or a (D,) vector) and returns
    ``p(z_t | x_1..t)``; ``log_likelihood`` is ``log p(x_1..t)``; ``predict(h)`` the
    predictive distribution of the next h frames; ``reset()`` starts a new sequence. The
    model's parameters are read at each step (refit the model, and the filter follows).
    ``lag=L`` keeps the last ``L + 1`` frames for :meth:`smoothed` (fixed-lag smoothing).

    >>> import numpy as np
    >>> from seqlab.classical import CategoricalHMM
    >>> m = CategoricalHMM(2, init_params="")
    >>> m.startprob_, m.transmat_ = np.array([0.6, 0.4]), np.array([[0.7, 0.3], [0.4, 0.6]])
    >>> m.emissionprob_ = np.array([[0.1, 0.4, 0.5], [0.6, 0.3, 0.1]])
    >>> f = StreamingFilter(m)
    >>> [f.update(x).round(3).tolist() for x in (0, 1, 2)][-1]
    [0.864, 0.136]
    """

    def __init__(self, model: Any, lag: int = 0) -> None:
        check_is_fitted(model, ["startprob_", "transmat_"])
        model._check_params()
        self.model = model
        self.lag = check_int(lag, "lag", minimum=0)
        self.reset()

    def reset(self) -> None:
        """Forget the observations: the next ``update`` is the first frame of a sequence."""
        self.alpha: np.ndarray | None = None
        self.log_likelihood = 0.0
        self.n_seen = 0
        self._window: deque[tuple[np.ndarray, np.ndarray]] = deque(maxlen=self.lag + 1)

    def update(self, x: Any) -> np.ndarray:
        """Take one frame; return the filtered state probabilities ``p(z_t | x_1..t)``."""
        m = self.model
        frame = np.asarray(x)[None] if np.ndim(x) <= 1 else np.asarray(x)
        if len(frame) != 1:
            raise SeqlabValueError(f"update takes one frame; got {len(frame)} rows.")
        frame, _ = m._prepare(frame, None)
        log_b = m._log_frameprob(frame)[0]  # (K,)
        shift = float(np.max(log_b))
        if not np.isfinite(shift):
            raise SeqlabValueError(
                f"observation {self.n_seen} has probability 0 in every state; the filter "
                "cannot continue (reset() to start again)."
            )
        b = np.exp(log_b - shift)
        prior = m.startprob_ if self.alpha is None else self.alpha @ m.transmat_
        a = prior * b
        c = float(a.sum())
        if c <= 0:
            raise SeqlabValueError(
                f"observation {self.n_seen} is impossible given the previous ones; reset()."
            )
        self.alpha = a / c
        self.log_likelihood += np.log(c) + shift
        self.n_seen += 1
        self._window.append((self.alpha, b))
        return self.alpha.copy()

    def smoothed(self) -> np.ndarray:
        """Smoothed ``p(z_s | x_1..t)`` of the last ``min(t, lag + 1)`` frames ``s`` seen,
        shape (n, K), oldest first: row 0 is the fixed-lag estimate ``p(z_{t-L} | x_1..t)``
        (once ``t > L``), the last row the filter (``O(lag K^2)``; see ``hmm_smoothing``).

        >>> import numpy as np
        >>> from seqlab.classical import CategoricalHMM
        >>> m = CategoricalHMM(2, init_params="")
        >>> m.startprob_, m.transmat_ = np.array([0.6, 0.4]), np.array([[0.7, 0.3], [0.4, 0.6]])
        >>> m.emissionprob_ = np.array([[0.1, 0.4, 0.5], [0.6, 0.3, 0.1]])
        >>> f = StreamingFilter(m, lag=2)
        >>> for x in (0, 1, 2):
        ...     _ = f.update(x)
        >>> bool(np.allclose(f.smoothed(), m.predict_proba(np.array([0, 1, 2]))))
        True
        """
        if not self._window:
            raise SeqlabValueError("no observation yet: call update(x) before smoothed().")
        A = self.model.transmat_
        frames = list(self._window)
        out = np.empty((len(frames), len(frames[0][0])))
        beta = np.full(out.shape[1], 1.0 / out.shape[1])
        for s in range(len(frames) - 1, -1, -1):
            if s < len(frames) - 1:  # beta_s = A (b_{s+1} * beta_{s+1})
                beta = A @ (frames[s + 1][1] * beta)
                beta /= beta.sum()
            post = frames[s][0] * beta
            out[s] = post / post.sum()
        return out

    def predict(self, horizon: int = 1) -> Prediction:
        """Predictive distribution of the next ``horizon`` frames (see :func:`predict_next`)."""
        h = check_int(horizon, "horizon", minimum=1)
        start = self.alpha
        if start is None:  # nothing seen: the first frame's distribution is startprob_
            proba = _step_ahead(self.model.startprob_, self.model.transmat_, h - 1)
            proba = np.vstack([self.model.startprob_, proba])
        else:
            proba = _step_ahead(start, self.model.transmat_, h)
        return Prediction(proba, proba @ self.model._state_means())
