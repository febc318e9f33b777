"""SARIMAX specification: orders, parameter layout, constraints and the state-space system.

Mirrors statsmodels' ``SARIMAX`` (Harvey representation, ``simple_differencing=False``):
the state is ``[d regular differencing states, D*s seasonal differencing states, ARMA
block of size k = max(p + sP, q + sQ + 1)]``; the differencing states get an approximate
diffuse prior (variance 1e6) and are burnt from the log-likelihood, the ARMA block its
stationary covariance; the trend enters the state intercept of the first ARMA state and
exogenous regressors the observation intercept. Parameters are ordered ``trend, exog, ar,
ma, seasonal ar, seasonal ma, sigma2`` and constrained as statsmodels does (Monahan's
transform for stationarity/invertibility, a square for the variance).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqlab._validation import check_choice, check_int
from seqlab.classical._arma_cov import stationary_cov_from_python
from seqlab.classical.statespace import StateSpace
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError

__all__ = ["Spec", "constrain_stationary", "make_spec", "unconstrain_stationary"]

DIFFUSE_VARIANCE = 1e6  # statsmodels' ssm.initial_variance default
_TRENDS = {"n": [], "c": [0], "t": [1], "ct": [0, 1]}


def constrain_stationary(u: np.ndarray) -> np.ndarray:
    """Monahan (1984): any real vector -> coefficients of a stationary AR polynomial.

    Same map as statsmodels' ``constrain_stationary_univariate``: the AR polynomial
    ``1 - phi_1 L - ... - phi_n L^n`` of the result has all roots outside the unit circle.
    """
    n = u.shape[0]
    y = np.zeros((n, n))
    r = u / np.sqrt(1.0 + u**2)
    for k in range(n):
        for i in range(k):
            y[k, i] = y[k - 1, i] + r[k] * y[k - 1, k - i - 1]
        y[k, k] = r[k]
    return np.asarray(-y[n - 1, :]) if n else np.zeros(0)


def unconstrain_stationary(phi: np.ndarray) -> np.ndarray:
    """Inverse of :func:`constrain_stationary` (for a stationary ``phi``)."""
    n = phi.shape[0]
    if n == 0:
        return np.zeros(0)
    y = np.zeros((n, n))
    y[n - 1 :] = -phi
    for k in range(n - 1, 0, -1):
        for i in range(k):
            y[k - 1, i] = (y[k, i] - y[k, k] * y[k, k - i - 1]) / (1 - y[k, k] ** 2)
    r = np.clip(y.diagonal(), -1 + 1e-15, 1 - 1e-15)
    return np.asarray(r / np.sqrt(1 - r**2))


def _check_tuple(value: object, name: str, size: int) -> tuple[int, ...]:
    if not isinstance(value, tuple | list) or len(value) != size:
        raise SeqlabTypeError(
            f"{name} must be a tuple of {size} integers, e.g. "
            f"{'(1, 1, 1)' if size == 3 else '(0, 1, 1, 12)'}; got {value!r}"
        )
    return tuple(check_int(v, f"{name}[{i}]", minimum=0) for i, v in enumerate(value))


@dataclass(frozen=True)
class Spec:
    """Validated SARIMAX orders and the parameter layout."""

    p: int
    d: int
    q: int
    P: int
    D: int
    Q: int
    s: int
    trend_powers: tuple[int, ...]
    k_exog: int

    @property
    def k_trend(self) -> int:
        return len(self.trend_powers)

    @property
    def k_diff_states(self) -> int:
        return self.d + self.D * self.s

    @property
    def k_order(self) -> int:
        return max(self.p + self.P * self.s, self.q + self.Q * self.s + 1)

    @property
    def k_states(self) -> int:
        return self.k_diff_states + self.k_order

    @property
    def k_params(self) -> int:
        return self.k_trend + self.k_exog + self.p + self.q + self.P + self.Q + 1

    def names(self, exog_names: list[str]) -> list[str]:
        """statsmodels' parameter names."""
        trend = ["intercept" if k == 0 else "drift" if k == 1 else f"trend.{k}"
                 for k in self.trend_powers]
        s = self.s
        return (trend + list(exog_names) + [f"ar.L{i}" for i in range(1, self.p + 1)]
                + [f"ma.L{i}" for i in range(1, self.q + 1)]
                + [f"ar.S.L{s * i}" for i in range(1, self.P + 1)]
                + [f"ma.S.L{s * i}" for i in range(1, self.Q + 1)] + ["sigma2"])

    def split(self, params: np.ndarray) -> list[np.ndarray]:
        """``params`` -> [trend, exog, ar, ma, sar, sma, sigma2] blocks (views)."""
        x = np.asarray(params, dtype=np.float64)
        out, start = [], 0
        for size in (self.k_trend, self.k_exog, self.p, self.q, self.P, self.Q, 1):
            out.append(x[start:start + size])
            start += size
        return out

    def constrain(self, u: np.ndarray) -> np.ndarray:
        """Unconstrained optimiser vector -> model parameters (statsmodels' transform)."""
        tr, ex, ar, ma, sar, sma, s2 = self.split(u)
        return np.concatenate([tr, ex, constrain_stationary(ar), -constrain_stationary(ma),
                               constrain_stationary(sar), -constrain_stationary(sma), s2**2])

    def unconstrain(self, params: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`constrain`."""
        tr, ex, ar, ma, sar, sma, s2 = self.split(params)
        return np.concatenate([tr, ex, unconstrain_stationary(ar), unconstrain_stationary(-ma),
                               unconstrain_stationary(sar), unconstrain_stationary(-sma),
                               np.sqrt(s2)])

    def difference(self, x: np.ndarray) -> np.ndarray:
        """``x`` (n, ...) differenced ``d`` times at lag 1 and ``D`` times at lag ``s``."""
        for _ in range(self.d):
            x = x[1:] - x[:-1]
        for _ in range(self.D):
            x = x[self.s:] - x[:-self.s]
        return x

    def trend_data(self, start: int, stop: int) -> np.ndarray:
        """Trend regressors for periods ``start .. stop - 1`` (time = period + 1)."""
        t = np.arange(start + 1, stop + 1, dtype=np.float64)
        return np.column_stack([t**k for k in self.trend_powers]) if self.k_trend else (
            np.zeros((stop - start, 0)))

    def lag_polynomials(self, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Reduced-form AR ``phi*(L)`` coefficients and MA ``theta*(L)`` (lags >= 1)."""
        _, _, ar, ma, sar, sma, _ = self.split(params)
        s = self.s
        ar_poly = np.r_[1.0, -ar]
        sar_poly = np.zeros(self.P * s + 1)
        sar_poly[0] = 1.0
        if self.P:
            sar_poly[s::s] = -sar
        ma_poly = np.r_[1.0, ma]
        sma_poly = np.zeros(self.Q * s + 1)
        sma_poly[0] = 1.0
        if self.Q:
            sma_poly[s::s] = sma
        return -np.convolve(ar_poly, sar_poly)[1:], np.convolve(ma_poly, sma_poly)[1:]

    def system(self, params: np.ndarray) -> StateSpace:
        """The state-space model at ``params`` (intercepts excluded; see :meth:`intercepts`).

        As statsmodels' stationary initialisation, the ARMA block starts at its mean given the
        first period's trend intercept, ``(I - T_arma)^{-1} c_0``."""
        kd, k, m, s, d, D = self.k_diff_states, self.k_order, self.k_states, self.s, self.d, \
            self.D
        phi, theta = self.lag_polynomials(params)
        sigma2 = float(self.split(params)[-1][0])
        Z = np.zeros(m)
        Z[:d] = 1.0
        for j in range(D):
            Z[d + (j + 1) * s - 1] = 1.0
        Z[kd] = 1.0
        T = np.zeros((m, m))
        T[kd:, kd:][np.arange(k - 1), np.arange(1, k)] = 1.0  # companion superdiagonal
        T[kd:kd + phi.shape[0], kd] = phi
        if D:
            block = np.zeros((s, s))
            block[1:, :-1] = np.eye(s - 1)
            block[0, -1] = 1.0
            for j in range(D):
                a, b = d + j * s, d + (j + 1) * s
                T[a:b, a:b] = block
                if j < D - 1:
                    T[a, b + s - 1] = 1.0
                T[a, kd] = 1.0
        if d:
            T[:d, :d] = np.triu(np.ones((d, d)))
            if s > 0 and D:
                T[:d, d:kd] = np.tile(np.r_[np.zeros(s - 1), 1.0], D)
            T[:d, kd] = 1.0
        R = np.zeros((m, 1))
        R[kd, 0] = 1.0
        R[kd + 1:kd + 1 + theta.shape[0], 0] = theta
        Q = np.array([[sigma2]])
        P0 = np.zeros((m, m))
        P0[:kd, :kd] = DIFFUSE_VARIANCE * np.eye(kd)
        Pk = np.empty((k, k))
        tphi = np.zeros(k)
        tphi[: phi.shape[0]] = phi
        if not stationary_cov_from_python(tphi, np.ascontiguousarray(R[kd:, 0]), phi.shape[0],
                                          Pk):
            raise SeqlabValueError(
                "the AR polynomial is not stationary, so the ARMA state has no stationary "
                "distribution; give stationary AR coefficients")
        P0[kd:, kd:] = sigma2 * Pk
        a0 = np.zeros(m)
        if self.k_trend:
            c0 = float(self.trend_data(0, 1)[0] @ self.split(params)[0])
            a0[kd:] = np.linalg.solve(np.eye(k) - T[kd:, kd:], np.eye(k)[:, 0] * c0)
        return StateSpace(Z=Z, T=T, R=R, Q=Q, H=0.0, a0=a0, P0=P0, burn=kd)

    def intercepts(
        self, params: np.ndarray, exog: np.ndarray, start: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Observation (n,) and state (n, m) intercepts of periods ``start .. start + n - 1``.

        ``exog`` is (n, k_exog).
        """
        tr, ex = self.split(params)[:2]
        n = exog.shape[0]
        d = exog @ ex if self.k_exog else np.zeros(n)
        c = np.zeros((n, self.k_states))
        if self.k_trend:
            c[:, self.k_diff_states] = self.trend_data(start, start + n) @ tr
        return d, c


def make_spec(order: object, seasonal_order: object, trend: object, k_exog: int) -> Spec:
    """Validate the orders (statsmodels' rules) and return a :class:`Spec`."""
    p, d, q = _check_tuple(order, "order", 3)
    P, D, Q, s = _check_tuple(seasonal_order, "seasonal_order", 4)
    if isinstance(trend, str):
        powers = tuple(_TRENDS[check_choice(trend, "trend", list(_TRENDS))])
    else:
        raise SeqlabTypeError(f"trend must be one of 'n', 'c', 't', 'ct'; got {trend!r}")
    if (P or D or Q) and s < 2:
        raise SeqlabValueError(
            f"seasonal_order={(P, D, Q, s)!r} has seasonal terms but period s={s}; "
            "the seasonal period must be >= 2 (e.g. 12 for monthly data)"
        )
    if s == 1:
        raise SeqlabValueError("seasonal period s=1 is not seasonal; use s=0 or s >= 2")
    for name, a, b in (("autoregressive", p, P), ("moving average", q, Q)):
        overlap = sorted({*range(1, a + 1)} & {s * i for i in range(1, b + 1)})
        if overlap:
            raise SeqlabValueError(
                f"invalid model: {name} lag(s) {overlap} are in both the seasonal and the "
                f"non-seasonal part; lower the non-seasonal order below s={s}"
            )
    return Spec(p, d, q, P, D, Q, s, powers, k_exog)
