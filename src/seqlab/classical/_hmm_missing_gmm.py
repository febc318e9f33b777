"""Missing observations (NaN) in the Gaussian-mixture HMM, marginalised out exactly.

With ``covariance_type`` ``"diag"`` or ``"spherical"`` the coordinates of a component are
independent, so a component's density over a frame is the product over its observed
coordinates (a missing coordinate integrates to 1):

    b_k(x_t) = sum_m w_km prod_{d observed at t} N(x_td; mu_kmd, var_kmd),

and a frame with every coordinate missing has ``b_k = sum_m w_km = 1``. With ``"full"`` and
``"tied"`` only whole missing frames are marginalised (density 1 in every component).

EM: the responsibilities ``r_tkm = gamma_tk w_km N_obs(x_t) / b_k(x_t)`` of a missing frame
are the prior weights, so the weights use every frame; the means and covariances use each
coordinate where it is observed: ``mu_kmd = (lambda m + sum_t r_tkm [obs_td] x_td) /
(lambda + sum_t r_tkm [obs_td])`` and the scatter of coordinate d over the frames observing
it (a spherical variance divides by the number of observed coordinates,
``sum_d sum_t r_tkm [obs_td]``). Without NaN every formula is the one of ``hmm_gmm``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqlab.classical._hmm_missing import diag_logpdf

__all__ = ["component_logpdf", "mixture_stats"]


def component_logpdf(model: Any, X: np.ndarray) -> np.ndarray:
    """``log w_km + log N(observed part of x_t; mu_km, Sigma_km)``, shape (T, K, M)."""
    k, m, d = model.means_.shape
    with np.errstate(divide="ignore"):
        out = np.repeat(np.log(model.weights_)[None], len(X), axis=0)  # (T, K, M)
    if model.covariance_type in ("spherical", "diag"):
        var = np.broadcast_to(model.covars_.reshape(k, m, -1), (k, m, d))
        for i in range(k):
            out[:, i, :] += diag_logpdf(X, model.means_[i], var[i])
        return out
    rows = ~np.isnan(X).any(axis=1)  # whole missing rows keep log w_km (density 1)
    out[rows] = model._component_logpdf(X[rows])
    return out


def mixture_stats(model: Any, X: np.ndarray, posteriors: np.ndarray, post_mix: np.ndarray,
                  learn: set[str]) -> dict:
    """The statistics of ``GMMHMM._emission_stats`` over the observed coordinates, plus
    ``post_mix_obs`` (K, M, D) = ``sum_t r_tkm [obs_td]`` and ``post_sum_obs`` (K,) =
    ``sum_t gamma_tk [row t complete]`` (the tied covariance's count)."""
    k, m, d = model.means_.shape
    kind = model.covariance_type
    observed = ~np.isnan(X)
    if kind in ("full", "tied"):  # whole rows: the statistics of the complete rows only
        observed = np.broadcast_to(observed.all(axis=1, keepdims=True), X.shape)
    x0 = np.where(observed, X, 0.0)
    obs = observed.astype(np.float64)
    complete = observed.all(axis=1)
    stats = {"post_mix_sum": post_mix.sum(axis=0), "post_sum": posteriors.sum(axis=0),
             "post_mix_obs": np.einsum("tkm,td->kmd", post_mix, obs),
             "post_sum_obs": posteriors[complete].sum(axis=0),
             "m_n": np.einsum("tkm,td->kmd", post_mix, x0)}
    if "covars" not in learn:
        return stats
    if kind in ("diag", "spherical"):
        c_n = np.zeros((k, m, d))
        for i in range(k):
            for j in range(m):
                diff = np.where(observed, X - model.means_[i, j], 0.0)
                c_n[i, j] = post_mix[:, i, j] @ (diff * diff)
        stats["c_n"] = c_n.sum(axis=2) if kind == "spherical" else c_n
        return stats
    Xc, pm = X[complete], post_mix[complete]
    c_full = np.zeros((k, m, d, d))
    for i in range(k):
        for j in range(m):
            diff = Xc - model.means_[i, j]
            c_full[i, j] = (diff * pm[:, i, j, None]).T @ diff
    stats["c_n"] = c_full.sum(axis=1) if kind == "tied" else c_full
    return stats
