"""Numerical helpers of the Gaussian emissions: a Cholesky factor that survives singular
covariances (hmmlearn's floor), variance checks, the k-means start of the means, and the
full-covariance log-density kernel.

Used by ``hmm_gaussian`` and ``hmm_gmm``.
"""

from __future__ import annotations

import numpy as np

from seqlab._jit import njit
from seqlab.exceptions import SeqlabValueError

__all__ = ["SINGULAR_FLOOR", "gaussian_logpdf_full", "robust_cholesky"]

#: added to the diagonal of a singular full/tied covariance (a state stuck on a few frames, a
#: constant column) before its Cholesky factor is taken again: hmmlearn's floor, so that both
#: give the same numbers on degenerate data
SINGULAR_FLOOR = 1e-7
_NONFINITE = ("a state or mixture component lost all its weight or the data overflow; give "
              "fewer states/components or rescale X.")


def robust_cholesky(cov: np.ndarray, name: str) -> np.ndarray:
    """Lower Cholesky factor of ``cov`` (D, D), retried with ``SINGULAR_FLOOR`` on the
    diagonal when ``cov`` is singular; an indefinite matrix is a SeqlabValueError.

    >>> robust_cholesky(np.zeros((2, 2)), "covars_[0]").round(6).tolist()
    [[0.000316, 0.0], [0.0, 0.000316]]
    """
    if not np.isfinite(cov).all():
        raise SeqlabValueError(f"{name} contains NaN or infinite values; {_NONFINITE}")
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        pass
    try:
        return np.linalg.cholesky(cov + SINGULAR_FLOOR * np.eye(len(cov)))
    except np.linalg.LinAlgError:
        raise SeqlabValueError(
            f"{name} is not positive definite (nor after adding {SINGULAR_FLOOR:g} to its "
            "diagonal); give a symmetric positive-definite matrix."
        ) from None


def _variances(cov: np.ndarray, kind: str) -> np.ndarray:
    """The variances (diagonal entries) of a compact covariance array."""
    return cov if kind in ("spherical", "diag") else np.diagonal(cov, axis1=-2, axis2=-1)


def _representable(cov: np.ndarray, kind: str) -> bool:
    """Finite, with every variance a positive normal float64."""
    tiny = np.finfo(np.float64).tiny
    return bool(np.isfinite(cov).all() and (_variances(cov, kind) >= tiny).all())


def _kmeans(X: np.ndarray, k: int, rng: np.random.Generator, n_iter: int = 25) -> np.ndarray:
    """k-means++ seeding then Lloyd iterations (on at most 20,000 sampled rows)."""
    if len(X) > 20_000:
        X = X[rng.choice(len(X), 20_000, replace=False)]
    centers = [X[rng.integers(len(X))]]
    d2 = ((X - centers[0]) ** 2).sum(axis=1)
    for _ in range(1, k):
        p = d2 / d2.sum() if d2.sum() > 0 else np.full(len(X), 1.0 / len(X))
        centers.append(X[rng.choice(len(X), p=p)])
        d2 = np.minimum(d2, ((X - centers[-1]) ** 2).sum(axis=1))
    c = np.array(centers)
    for _ in range(n_iter):
        label = ((X[:, None, :] - c[None]) ** 2).sum(axis=2).argmin(axis=1)
        new = np.array([X[label == j].mean(axis=0) if (label == j).any() else c[j]
                        for j in range(k)])
        if np.allclose(new, c):
            break
        c = new
    return c


@njit(cache=True)
def gaussian_logpdf_full(X, means, chols, log_norm):  # pragma: no cover
    """``log N(x_t; mu_k, L_k L_k^T) = log_norm[k] - 0.5 |L_k^{-1} (x_t - mu_k)|^2``.

    Shapes: X (T, D), means (K, D), chols (K, D, D) lower Cholesky factors, log_norm (K,)
    -> (T, K). Forward substitution per frame and state, the arithmetic of scipy's
    ``solve_triangular`` without its (D, T) temporaries (several times faster for small D).
    """
    n_frames, n_dim = X.shape
    n_states = means.shape[0]
    out = np.empty((n_frames, n_states))
    y = np.empty(n_dim)
    for t in range(n_frames):
        for k in range(n_states):
            acc = 0.0
            for i in range(n_dim):
                v = X[t, i] - means[k, i]
                for j in range(i):
                    v -= chols[k, i, j] * y[j]
                v /= chols[k, i, i]
                y[i] = v
                acc += v * v
            out[t, k] = log_norm[k] - 0.5 * acc
    return out
