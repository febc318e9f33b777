"""The fast ARIMA(p, d, q) engine: the compiled BFGS over one series or a batch.

Used by :class:`seqlab.classical.ARIMA` for nonseasonal models without regressors on
complete series (``fit``) and for batches of independent series (``fit_many``). The model
for ``w_t = (1 - B)^d y_t`` (Box & Jenkins; Brockwell & Davis 2016 §6.1) is

    w_t - mu = phi_1 (w_{t-1} - mu) + ... + phi_p (w_{t-p} - mu)
               + e_t + theta_1 e_{t-1} + ... + theta_q e_{t-q},   e_t ~ N(0, sigma2),

with ``mu`` the mean (``trend="c"``, ``d = 0``), the drift (``trend="t"``, ``d = 1``,
``y_t = beta t + ARIMA``), or 0. Estimation:

- exact MLE: the likelihood by the Kalman filter with the stationary initialisation of the
  differenced series (Hamilton 1994 §13.2–13.4; Durbin & Koopman 2012 §4.3, §5.6), which
  equals statsmodels' (whose ``d`` integrated states have a diffuse prior, excluded from its
  likelihood), maximised with ``sigma2`` concentrated out over the Jones (1980) / Monahan
  (1984) partial-autocorrelation parametrisation (AR stationary, MA invertible), from
  Hannan–Rissanen starts (B&D §5.1.4);
- ``css``: the conditional sum of squares (B&D §5.2.2, R's ``"CSS"``).

A batch (S series) runs series-parallel on ``numba.get_num_threads()`` threads (at most the
core count; the kernel releases the GIL). Its standard errors (:meth:`BatchARIMA._batch_bse`)
are the observed information (numerical Hessian in the natural parameters), i.e.
statsmodels' ``cov_type="approx"``.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from seqlab.classical import _ar_numpy as _ARN
from seqlab.classical import _arima_fit as _F
from seqlab.classical import _arima_kernels as _K
from seqlab.classical import _arma_numpy as _N
from seqlab.classical._units import variance_from_units
from seqlab.classical.arima_estimation import (
    _check_length,
    _css_loglik,
    _full_loglik,
    _numeric_hessian,
    _split,
    _standardise,
    _start_to_x,
)

__all__ = ["BatchARIMA"]


class BatchARIMA:
    """Mixin: the fast fit, forecasts, simulation and standard errors (module docstring)."""

    _fast_spec: tuple[Any, ...] | None
    _bse: np.ndarray | None

    def _fit_fast(self, Y2: np.ndarray, single: bool, start_params: Any, p: int, d: int,
                  q: int, tr: str, css: bool, maxiter: int, tol: float) -> None:
        """Fit the columns of ``Y2`` (n, S); set the learned attributes (squeezed when
        ``single``)."""
        kt = int(tr != "n")
        n, S = Y2.shape
        _check_length(n, p, d, q, kt)
        # the optimiser sees (w / unit - loc) / scale; everything after it works on w / unit
        W = np.ascontiguousarray(np.diff(Y2, n=d, axis=0).T)  # (S, n - d)
        Wc, unit, loc, scale = _standardise(W, kt, d, single)
        Ws = np.ascontiguousarray((Wc - loc[:, None]) / scale[:, None])
        compiled = _F.use_compiled(S)
        if start_params is not None:
            X0 = _start_to_x(start_params, S, p, q, kt, loc, scale, unit)
        else:
            K = _K if compiled else _F.INTERPRETED
            X0 = np.array([_F.start_values(w, p, q, kt, css, K) for w in Ws])
            X0 = X0.reshape(S, p + q + kt)
        X, n_iter, conv = _F.fit_many(Ws, X0, p, q, kt, css, maxiter, tol, compiled)
        self._finish(Y2, Wc, unit, X, loc, scale, (p, d, q, kt, tr, css, single), n_iter, conv)

    def _finish(self, Y2, W, unit, X, loc, scale, spec, n_iter, conv):
        """Set the learned attributes; ``W`` is the differenced series in units of ``unit``
        (S,), so are the filter's states; ``params_`` etc. are converted to y's units."""
        p, d, q, kt, tr, css, single = spec
        n, S = Y2.shape
        nw = W.shape[1]
        k = p + q + kt + 1
        params = np.empty((S, k))
        llf = np.empty(S)
        resid = np.full((n, S), np.nan)
        m = max(p, q + 1)
        a_end = np.empty((S, m))
        P_end = np.empty((S, m, m))
        for s in range(S):
            phi, theta, mu_s = _F.INTERPRETED.unpack(X[s], p, q, kt)
            mu = loc[s] + scale[s] * mu_s if kt else 0.0
            w = W[s]
            v = np.empty(nw)
            F = np.empty(nw)
            sumlog, ssq, _ = _F.INTERPRETED.kalman_loglik(
                w, phi, theta, mu, v, F, a_end[s], P_end[s]
            )
            if css:
                e = np.empty(nw)
                ssq_c = _K.css_arma(w, phi, theta, mu, e)
                sigma2 = ssq_c / (nw - p)
                llf[s] = _css_loglik(w, phi, theta, mu, sigma2)
                resid[d + p :, s] = e[p:]
            else:
                sigma2 = ssq / nw
                llf[s] = -0.5 * (nw * math.log(2 * math.pi * sigma2) + sumlog + nw)
                resid[d:, s] = v
            params[s] = np.concatenate([[mu] if kt else [], phi, theta, [sigma2]])
        names = (
            (["x1" if tr == "t" else "const"] if kt else [])
            + [f"ar.L{i}" for i in range(1, p + 1)]
            + [f"ma.L{j}" for j in range(1, q + 1)]
            + ["sigma2"]
        )
        nobs_eff = nw - p if css else nw
        llf -= nobs_eff * np.log(unit)  # the density of y = unit * w
        resid *= unit
        user = params.copy()
        if kt:
            user[:, 0] *= unit
        user[:, -1] = variance_from_units(params[:, -1], unit, "sigma2_")
        sq = (lambda a: a[0]) if single else (lambda a: a)
        self.param_names_ = names
        self.params_ = sq(user)
        self.arparams_ = sq(user[:, kt : kt + p])
        self.maparams_ = sq(user[:, kt + p : kt + p + q])
        self.sigma2_ = sq(user[:, -1])
        self.loglik_ = sq(llf)
        self.aic_ = sq(-2 * llf + 2 * k)
        self.bic_ = sq(-2 * llf + k * math.log(nobs_eff))
        self.nobs_ = n
        fitted = Y2 - resid
        self.resid_ = resid[:, 0] if single else resid
        self.fittedvalues_ = fitted[:, 0] if single else fitted
        self.converged_ = sq(conv.copy())
        self.n_iter_ = sq(n_iter.copy())
        if not np.all(conv):
            warnings.warn(
                f"the optimiser did not converge for {int((~conv).sum())} of {S} series; "
                "raise maxiter or check the model order.",
                RuntimeWarning,
                stacklevel=3,
            )
        # state kept for forecasting, simulation and standard errors, in units of `unit`
        self._fast_spec = (p, d, q, kt, css)
        self._W = W
        self._unit = unit
        self._params2 = params
        self._a_end = a_end
        self._P_end = P_end
        # last value of each difference Delta^j y, j = 0..d-1: integrates forecasts back
        self._last_levels = np.array([np.diff(Y2, n=j, axis=0)[-1] for j in range(d)]).reshape(
            d, S
        )
        self._single = single
        self._bse: np.ndarray | None = None

    def _batch_bse(self) -> Any:
        """Standard errors from the observed information (numerical Hessian of the
        log-likelihood in the natural parameters; statsmodels' ``cov_type="approx"``)."""
        if self._bse is None:
            p, _, q, kt, css = self._fast_spec or ()
            out = np.empty_like(self._params2)
            loglik = _css_loglik if css else _full_loglik
            for s in range(self._params2.shape[0]):
                w = self._W[s]

                def f(x: np.ndarray, w: np.ndarray = w) -> float:
                    mu, phi, theta = _split(x, p, q, kt)
                    if not _ARN.ar_to_pacf(phi)[1] or not x[-1] > 0:
                        return float("nan")
                    return loglik(w, phi, theta, mu, float(x[-1]))

                H = _numeric_hessian(f, self._params2[s].copy(), kt)
                with np.errstate(invalid="ignore"):
                    try:
                        cov = np.linalg.inv(-H)
                        out[s] = np.sqrt(np.diag(cov))
                    except np.linalg.LinAlgError:
                        out[s] = np.nan
            unit = self._unit
            if kt:
                out[:, 0] *= unit
            with np.errstate(over="ignore"):
                out[:, -1] = (out[:, -1] * unit) * unit
            self._bse = out
        return self._bse[0] if self._single else self._bse

    def _batch_forecast(self, steps: int) -> tuple[np.ndarray, np.ndarray]:
        """Means and standard errors (steps, S) of the next ``steps`` values of every series.

        The Kalman filter's predicted state ``a_{n+1}, P_{n+1}`` gives the mean and joint
        covariance of ``w_{n+1..n+h}``; summing ``d`` times gives the levels (the same
        exact finite-sample intervals as statsmodels' state-space ARIMA).
        """
        p, d, q, kt, _ = self._fast_spec or ()
        S = self._params2.shape[0]
        mean = np.empty((steps, S))
        se = np.empty((steps, S))
        for s in range(S):
            mu, phi, theta = _split(self._params2[s], p, q, kt)
            sigma2 = self._params2[s, -1]
            tphi, rvec, _ = _N.system(phi, theta)
            m_dev, cov = _N.arma_forecast(tphi, rvec, self._a_end[s], self._P_end[s], steps)
            mw = (mu + m_dev) * self._unit[s]
            cw = sigma2 * cov  # in units of unit^2 until se
            for j in range(d - 1, -1, -1):
                mw = self._last_levels[j, s] + np.cumsum(mw)
                cw = np.cumsum(np.cumsum(cw, axis=0), axis=1)
            mean[:, s] = mw
            se[:, s] = np.sqrt(np.maximum(np.diag(cw), 0.0)) * self._unit[s]
        return mean, se
