"""MA(q), ARMA(p, q) and ARIMA(p, d, q) by exact Gaussian likelihood or conditional sum of
squares, for one series or many at once.

The model for ``w_t = (1 - B)^d y_t`` (Box & Jenkins; Brockwell & Davis 2016 §6.1) is

    w_t - mu = phi_1 (w_{t-1} - mu) + ... + phi_p (w_{t-p} - mu)
               + e_t + theta_1 e_{t-1} + ... + theta_q e_{t-q},   e_t ~ N(0, sigma2),

with ``mu`` the mean (``trend="c"``, only for ``d = 0``), the drift (``trend="t"``, only for
``d = 1``, i.e. ``y_t = beta t + ARIMA``), or 0 (``trend="n"``). statsmodels' conventions:
the default trend is ``"c"`` when ``d = 0`` and ``"n"`` otherwise, ``params`` are ordered
``[const|drift, ar.L1.., ma.L1.., sigma2]``.

Estimation (one function per method, as in ``statsmodels.tsa.arima.estimators``):

- :func:`arima_loglike` — the exact likelihood by the Kalman filter with the stationary
  initialisation (Hamilton 1994 §13.2–13.4; Durbin & Koopman 2012 §4.3, §5.6). statsmodels'
  default ``ARIMA`` puts the ``d`` integrated states in the state vector with an exact
  diffuse prior; the diffuse periods are excluded from its likelihood, which then equals the
  likelihood of the differenced series computed here (checked to 1e-6 relative in tests);
- ``method="mle"`` maximises it (``sigma2`` concentrated out) over the Jones (1980) /
  Monahan (1984) partial-autocorrelation parametrisation, so the AR part is always
  stationary and the MA part invertible, starting from Hannan–Rissanen (B&D §5.1.4);
- ``method="css"`` minimises the conditional sum of squares (B&D §5.2.2, R's ``"CSS"``).

The optimiser is a compiled BFGS; a 2-D input (n_obs, n_series) is fitted series-parallel:
the GIL-free kernel runs on ``numba.get_num_threads()`` threads (at most the core count; set
it with ``numba.set_num_threads`` or ``NUMBA_NUM_THREADS``).
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Literal

import numpy as np
from scipy.stats import norm

from seqlab._validation import (
    SeedLike,
    as_float_array,
    check_choice,
    check_int,
    check_is_fitted,
    check_min_features,
    check_positive,
    check_random_state,
)
from seqlab.base import BaseEstimator
from seqlab.classical import _ar_kernels as _ARK
from seqlab.classical import _arima_kernels as _K
from seqlab.classical._units import variance_from_units
from seqlab.classical.ar import Forecast, _check_alpha
from seqlab.classical.arima_estimation import (
    Trend,
    _check_length,
    _check_order,
    _css_loglik,
    _fit_many,
    _full_loglik,
    _numeric_hessian,
    _resolve_trend,
    _split,
    _standardise,
    _start_to_x,
    arima_loglike,
)
from seqlab.exceptions import SeqlabValueError

__all__ = ["ARIMA", "arima_loglike"]

class ARIMA(BaseEstimator):
    """ARIMA(p, d, q) (MA(q): ``(0, 0, q)``, ARMA: ``(p, 0, q)``) fitted by exact MLE or CSS.

    ``phi(B) (1 - B)^d (y_t - trend_t) = theta(B) e_t``, ``e_t ~ N(0, sigma2)``.

    Parameters
    ----------
    order : (p, d, q)
        AR order, differencing order (``d <= 2``), MA order.
    trend : {"n", "c", "t"} or None
        ``"c"`` mean (``d = 0``), ``"t"`` drift (``d = 1``), ``"n"`` none; ``None`` picks
        ``"c"`` when ``d = 0`` else ``"n"`` (statsmodels' default).
    method : {"mle", "css"}
        Exact Gaussian maximum likelihood or conditional sum of squares.
    maxiter, tol : int, float
        BFGS iteration cap and gradient tolerance on ``-loglik / n``.

    Shapes (``y`` is (n,) for one series or (n, S) for ``S`` independent series):

    ====================== ================= ===========================================
    ``params_``            (k,) / (S, k)     ``[const|drift, ar.L1.., ma.L1.., sigma2]``
    ``bse_``               (k,) / (S, k)     standard errors (observed information)
    ``arparams_``          (p,) / (S, p)     ``phi``;  ``maparams_``: ``theta``
    ``sigma2_, loglik_``   () / (S,)         also ``aic_``, ``bic_``, ``converged_``
    ``resid_``             (n,) / (n, S)     one-step innovations, NaN for the first d
    ``fittedvalues_``      (n,) / (n, S)     ``y - resid``
    ====================== ================= ===========================================

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> e = rng.normal(size=301)
    >>> w = np.zeros(301)
    >>> for t in range(1, 301):
    ...     w[t] = 0.5 * w[t - 1] + e[t] + 0.3 * e[t - 1]
    >>> model = ARIMA(order=(1, 1, 1)).fit(np.cumsum(w))
    >>> model.param_names_
    ['ar.L1', 'ma.L1', 'sigma2']
    >>> fc = model.forecast(5)
    >>> bool(np.all(fc.lower < fc.mean)) and bool(np.all(fc.mean < fc.upper))
    True
    """

    def __init__(
        self,
        order: tuple[int, int, int] = (1, 0, 0),
        trend: Trend | None = None,
        method: Literal["mle", "css"] = "mle",
        maxiter: int = 200,
        tol: float = 1e-7,
    ) -> None:
        self.order = order
        self.trend = trend
        self.method = method
        self.maxiter = maxiter
        self.tol = tol

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Any, y: Any = None, *, start_params: Any = None) -> ARIMA:
        """Fit to the series ``X`` (statsmodels' ``y``; the shapes table calls it ``y``):
        (n,) for one, (n, S) for ``S`` independent series; optional ``start_params`` in
        ``params_`` order (``sigma2`` may be omitted), (k,) or (S, k). Returns ``self``.

        ``y`` is ignored: it is there because scikit-learn passes ``fit(X, y)``.
        """
        p, d, q = _check_order(self.order)
        check_choice(self.method, "method", ("mle", "css"))
        tr = _resolve_trend(self.trend, d)
        maxiter = check_int(self.maxiter, "maxiter", minimum=1, maximum=2**31 - 1)
        tol = check_positive(self.tol, "tol", strict=False)
        kt = int(tr != "n")
        Y = check_min_features(as_float_array(X, "y", ndim=(1, 2)), "y")
        self._reset_features(X, 1 if Y.ndim == 1 else Y.shape[1])
        single = Y.ndim == 1
        Y2 = Y[:, None] if single else Y
        n, S = Y2.shape
        _check_length(n, p, d, q, kt)
        # the optimiser sees (w / unit - loc) / scale; everything after it works on w / unit
        W = np.ascontiguousarray(np.diff(Y2, n=d, axis=0).T)  # (S, n - d)
        Wc, unit, loc, scale = _standardise(W, kt, d, single)
        Ws = np.ascontiguousarray((Wc - loc[:, None]) / scale[:, None])
        k = p + q + kt
        X0 = np.zeros((S, k))
        use_x0 = start_params is not None
        if use_x0:
            X0 = _start_to_x(start_params, S, p, q, kt, loc, scale, unit)
        css = self.method == "css"
        X, n_iter, conv = _fit_many(Ws, X0, use_x0, p, q, kt, css, maxiter, tol)
        self._finish(Y2, Wc, unit, X, loc, scale, (p, d, q, kt, tr, css, single), n_iter, conv)
        return self

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
            phi, theta, mu_s = _K.unpack(X[s], p, q, kt)
            mu = loc[s] + scale[s] * mu_s if kt else 0.0
            w = W[s]
            v = np.empty(nw)
            F = np.empty(nw)
            sumlog, ssq, _ = _K.kalman_arma(w, phi, theta, mu, True, v, F, a_end[s], P_end[s])
            if css:
                e = np.empty(nw)
                ssq_c = _K.css_arma(w, phi, theta, mu, True, e)
                sigma2 = ssq_c / (nw - p)
                llf[s] = _css_loglik(w, phi, theta, mu, sigma2)
                resid[d + p :, s] = e[p:]
            else:
                sigma2 = ssq / nw
                llf[s] = -0.5 * (nw * math.log(2 * math.pi * sigma2) + sumlog + nw)
                resid[d:, s] = v
            params[s] = np.concatenate([[mu] if kt else [], phi, theta, [sigma2]])
        names = (
            (["drift" if tr == "t" else "const"] if kt else [])
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
        self._spec = (p, d, q, kt, css)
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

    # ------------------------------------------------------------------ results
    @property
    def llf_(self) -> Any:
        """Alias of ``loglik_`` (statsmodels' name)."""
        check_is_fitted(self, "params_")
        return self.loglik_

    @property
    def bse_(self) -> Any:
        """Standard errors from the observed information (numerical Hessian of the
        log-likelihood in the natural parameters; statsmodels' ``cov_type="approx"``)."""
        check_is_fitted(self, "params_")
        if self._bse is None:
            p, _, q, kt, css = self._spec
            out = np.empty_like(self._params2)
            loglik = _css_loglik if css else _full_loglik
            for s in range(self._params2.shape[0]):
                w = self._W[s]

                def f(x: np.ndarray, w: np.ndarray = w) -> float:
                    mu, phi, theta = _split(x, p, q, kt)
                    if not _ARK.ar_to_pacf(phi)[1] or not x[-1] > 0:
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

    @property
    def arroots_(self) -> Any:
        """Roots of ``1 - phi_1 z - ... - phi_p z^p`` (all outside the unit circle: the fit
        is stationary); a list of arrays for many series."""
        check_is_fitted(self, "params_")
        roots = [np.roots(np.r_[-row[::-1], 1.0]) for row in np.atleast_2d(self.arparams_)]
        return roots[0] if self._single else roots

    @property
    def maroots_(self) -> Any:
        """Roots of ``1 + theta_1 z + ... + theta_q z^q`` (outside the unit circle:
        invertible); a list of arrays for many series."""
        check_is_fitted(self, "params_")
        roots = [np.roots(np.r_[row[::-1], 1.0]) for row in np.atleast_2d(self.maparams_)]
        return roots[0] if self._single else roots

    def predict(self) -> np.ndarray:
        """In-sample one-step-ahead predictions ``E[y_t | y_1..y_{t-1}]``, shape of ``y``;
        NaN for the first ``d`` observations (consumed by the differencing)."""
        check_is_fitted(self, "params_")
        return np.array(self.fittedvalues_, copy=True)

    def forecast(self, steps: int = 1, alpha: float = 0.05) -> Forecast:
        """Forecast ``steps`` ahead with ``1 - alpha`` prediction intervals.

        The Kalman filter's predicted state ``a_{n+1}, P_{n+1}`` gives the mean and joint
        covariance of ``w_{n+1..n+h}``; summing ``d`` times gives the levels (the same
        exact finite-sample intervals as statsmodels' state-space ARIMA).
        """
        check_is_fitted(self, "params_")
        steps = check_int(steps, "steps", minimum=1)
        alpha = _check_alpha(alpha)
        p, d, q, kt, _ = self._spec
        S = self._params2.shape[0]
        mean = np.empty((steps, S))
        se = np.empty((steps, S))
        for s in range(S):
            mu, phi, theta = _split(self._params2[s], p, q, kt)
            sigma2 = self._params2[s, -1]
            tphi, rvec, _ = _K._system(phi, theta)
            m_dev, cov = _K.arma_forecast(tphi, rvec, self._a_end[s], self._P_end[s], steps)
            mw = (mu + m_dev) * self._unit[s]
            cw = sigma2 * cov  # in units of unit^2 until se
            for j in range(d - 1, -1, -1):
                mw = self._last_levels[j, s] + np.cumsum(mw)
                cw = np.cumsum(np.cumsum(cw, axis=0), axis=1)
            mean[:, s] = mw
            se[:, s] = np.sqrt(np.maximum(np.diag(cw), 0.0)) * self._unit[s]
        z = float(norm.ppf(1.0 - alpha / 2.0))
        if self._single:
            mean, se = mean[:, 0], se[:, 0]
        return Forecast(mean, mean - z * se, mean + z * se, se, alpha)

    def simulate(
        self,
        steps: int,
        n_paths: int = 1,
        seed: SeedLike = None,
        anchor: Literal["end", "start"] = "end",
    ) -> np.ndarray:
        """Sample paths (steps, n_paths) of the fitted model (one fitted series only).

        ``anchor="end"``: future paths continuing the data (the state at ``n + 1`` is drawn
        from its filtered distribution, so path means and variances match
        :meth:`forecast`). ``anchor="start"``: a fresh series from the stationary
        distribution of ``w``, integrated ``d`` times from 0.
        """
        check_is_fitted(self, "params_")
        if not self._single:
            raise SeqlabValueError("simulate needs a model fitted to one series (1-D y).")
        steps = check_int(steps, "steps", minimum=1)
        n_paths = check_int(n_paths, "n_paths", minimum=1)
        check_choice(anchor, "anchor", ("end", "start"))
        rng = check_random_state(seed)
        p, d, q, kt, _ = self._spec
        mu, phi, theta = _split(self._params2[0], p, q, kt)
        sigma2 = float(self._params2[0, -1])
        tphi, rvec, m = _K._system(phi, theta)
        if anchor == "end":
            a, P = self._a_end[0], self._P_end[0]
            last = self._last_levels[:, 0]
        else:
            a, P = np.zeros(m), _K.stationary_cov(tphi, rvec)[0]
            last = np.zeros(d)
        vals, vecs = np.linalg.eigh(sigma2 * P)
        root = vecs * np.sqrt(np.maximum(vals, 0.0))
        alpha_t = a[:, None] + root @ rng.standard_normal((m, n_paths))  # (m, n_paths)
        eps = rng.normal(0.0, math.sqrt(sigma2), size=(steps, n_paths))
        out = np.empty((steps, n_paths))
        for h in range(steps):
            out[h] = mu + alpha_t[0]
            shifted = np.vstack([alpha_t[1:], np.zeros((1, n_paths))])
            alpha_t = tphi[:, None] * alpha_t[0] + shifted + rvec[:, None] * eps[h]
        out *= self._unit[0]
        for j in range(d - 1, -1, -1):
            out = last[j] + np.cumsum(out, axis=0)
        return out

    def summary(self) -> str:
        """A plain-text table: coefficients, standard errors, loglik, AIC, BIC."""
        check_is_fitted(self, "params_")
        p, d, q = _check_order(self.order)
        params = np.atleast_2d(self.params_)[0]
        bse = np.atleast_2d(self.bse_)[0]
        lines = [f"ARIMA({p},{d},{q}) by {self.method}, n = {self.nobs_}"]
        lines.append(f"{'':>10} {'coef':>12} {'std err':>12} {'z':>8}")
        for name, c, s in zip(self.param_names_, params, bse):
            lines.append(f"{name:>10} {c:>12.6g} {s:>12.4g} {c / s:>8.2f}")
        llf, aic, bic = (float(np.atleast_1d(v)[0]) for v in (self.loglik_, self.aic_, self.bic_))
        lines.append(f"loglik {llf:.4f}  aic {aic:.4f}  bic {bic:.4f}")
        return "\n".join(lines)
