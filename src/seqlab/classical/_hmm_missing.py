"""Missing observations (NaN) in the Gaussian HMM, marginalised out exactly.

With diagonal covariances the D coordinates are independent given the state, so a frame's
density over its observed coordinates is the product over those coordinates only (a missing
coordinate integrates to 1; a frame with every coordinate missing has density 1 in every
state and only the transitions carry information). The EM step then maximises the expected
log-density of the observed coordinates: per state and coordinate, weighted means and
variances over the frames where that coordinate is observed (a spherical variance pools
the observed coordinates: scatter summed over them divided by their posterior count). For
full and tied covariances only whole missing frames are marginalised (a frame with some
coordinates missing would need the conditional Gaussian; it is refused with a clear error).
"""

from __future__ import annotations

import numpy as np

from seqlab.exceptions import SeqlabValueError

__all__ = ["check_missing", "diag_logpdf", "diag_stats"]

MISSING = ("raise", "marginalize")
_LOG_2PI = np.log(2.0 * np.pi)


def check_missing(arr: np.ndarray, covariance_type: str,
                  partial_ok: tuple[str, ...] = ("diag",)) -> None:
    """Refuse infinities, and partly missing frames where only whole frames are supported
    (``covariance_type`` not in ``partial_ok``)."""
    if np.isinf(arr).any():
        raise SeqlabValueError(
            "X contains infinite values; only NaN marks a missing value. Remove or clip them."
        )
    if covariance_type not in partial_ok:
        miss = np.isnan(arr)
        partial = miss.any(axis=1) & ~miss.all(axis=1)
        if partial.any():
            raise SeqlabValueError(
                f"row {int(np.argmax(partial))} of X is partly missing (NaN); with "
                f"covariance_type={covariance_type!r} only whole missing rows are "
                "marginalised. Use covariance_type="
                f"{' or '.join(repr(c) for c in partial_ok)}, or mark the whole row NaN."
            )


def diag_logpdf(X: np.ndarray, means: np.ndarray, var: np.ndarray) -> np.ndarray:
    """``sum over observed d of log N(x_td; mu_kd, var_kd)``, shape (T, K); NaN = missing."""
    obs = ~np.isnan(X)
    x0 = np.where(obs, X, 0.0)
    inv = 1.0 / var  # (K, D)
    quad = (x0 * x0) @ inv.T - 2.0 * (x0 @ (means * inv).T) + obs @ (means * means * inv).T
    return -0.5 * (obs @ (_LOG_2PI + np.log(var)).T + quad)


def diag_stats(
    X: np.ndarray, posteriors: np.ndarray, centre: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``(post (K, D), obs (K, D), scatter (K, D) or None)`` over observed coordinates:
    ``post_kd = sum_t gamma_tk [x_td observed]``, ``obs_kd = sum_t gamma_tk x_td`` and, with
    ``centre`` (K, D), ``scatter_kd = sum_t gamma_tk (x_td - centre_kd)^2`` (observed t)."""
    observed = ~np.isnan(X)
    x0 = np.where(observed, X, 0.0)
    post = posteriors.T @ observed.astype(np.float64)
    obs = posteriors.T @ x0
    if centre is None:
        return post, obs, None
    scatter = np.empty_like(obs)
    for k in range(len(centre)):
        diff = np.where(observed, X - centre[k], 0.0)
        scatter[k] = posteriors[:, k] @ (diff * diff)
    return post, obs, scatter
