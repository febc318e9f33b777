"""The Mackey–Glass delay differential equation, integrated accurately.

Mackey & Glass (1977), "Oscillation and chaos in physiological control systems", Science
197; the tau = 17 chaotic series is the one Jaeger & Haas (2004, Science 304) predict with
an echo state network (they integrate the delay equation with a small step and subsample
it at unit time steps; we do the same with RK4, see :func:`mackey_glass`). Deterministic:
its history sets the series. Re-exported by :mod:`seqlab.data.synthetic`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from seqlab._jit import njit
from seqlab._validation import check_int, check_positive, check_real
from seqlab.exceptions import SeqlabValueError

__all__ = ["mackey_glass"]


@njit(cache=True, inline="always")
def _mg_rhs(x: float, x_tau: float, beta: float, gamma: float, exponent: float) -> float:
    return beta * x_tau / (1.0 + x_tau**exponent) - gamma * x


@njit(cache=True)
def _mg_delayed(  # pragma: no cover - compiled
    xs: np.ndarray, ds: np.ndarray, p: float, origin: int, d0_left: float, dt: float
) -> float:
    """x at fractional grid index ``p`` by cubic Hermite interpolation (values + slopes)."""
    j = math.floor(p)
    th = p - j
    if th < 1e-12:
        return xs[j]
    d_left = ds[j]
    d_right = d0_left if j + 1 == origin else ds[j + 1]
    th2 = th * th
    th3 = th2 * th
    return (
        (2.0 * th3 - 3.0 * th2 + 1.0) * xs[j]
        + (th3 - 2.0 * th2 + th) * dt * d_left
        + (-2.0 * th3 + 3.0 * th2) * xs[j + 1]
        + (th3 - th2) * dt * d_right
    )


@njit(cache=True)
def _mg_rk4(  # pragma: no cover - compiled
    xs: np.ndarray,
    ds: np.ndarray,
    origin: int,
    d0_left: float,
    dt: float,
    beta: float,
    gamma: float,
    exponent: float,
) -> None:
    """Integrate in place with RK4 on the grid ``t_j = (j - origin) dt``, ``tau = origin dt``.

    ``xs[:origin + 1]`` holds the history on [-tau, 0] with slopes ``ds[:origin]``;
    ``d0_left`` is the history's slope at t = 0 (the solution's slope jumps there). The
    delayed value is a grid value at the first and last RK stage and the Hermite midpoint
    of a stored interval at the two middle stages. ``ds[j]`` receives the slope at t_j.
    """
    for j in range(origin, xs.shape[0] - 1):
        jd = j - origin  # grid index of t_j - tau
        x = xs[j]
        k1 = _mg_rhs(x, xs[jd], beta, gamma, exponent)
        ds[j] = k1  # needed by the Hermite interpolant of [t_{j-1}, t_j]
        x_half = _mg_delayed(xs, ds, jd + 0.5, origin, d0_left, dt)
        k2 = _mg_rhs(x + 0.5 * dt * k1, x_half, beta, gamma, exponent)
        k3 = _mg_rhs(x + 0.5 * dt * k2, x_half, beta, gamma, exponent)
        k4 = _mg_rhs(x + dt * k3, xs[jd + 1], beta, gamma, exponent)
        xs[j + 1] = x + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    last = xs.shape[0] - 1
    ds[last] = _mg_rhs(xs[last], xs[last - origin], beta, gamma, exponent)


def mackey_glass(
    n_steps: int,
    *,
    tau: float = 17.0,
    beta: float = 0.2,
    gamma: float = 0.1,
    exponent: float = 10.0,
    x0: float = 1.2,
    sample_step: float = 1.0,
    discard: float = 0.0,
    dt: float = 0.1,
    history: float | np.ndarray | Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """Sample the Mackey–Glass delay differential equation (Mackey & Glass 1977).

    .. math:: \\frac{dx}{dt} = \\beta \\frac{x(t-\\tau)}{1 + x(t-\\tau)^n} - \\gamma x(t)

    with ``n = exponent``. Method: classical fourth-order Runge–Kutta on a grid whose step
    ``h = tau / ceil(tau / dt)`` (``= dt`` when tau is a multiple of dt) divides tau, so the
    delayed value ``x(t - tau)`` is a stored grid value at the first and last RK stage and
    the cubic Hermite midpoint (stored values and slopes) of a stored interval at the two
    middle stages; the points where the solution is less smooth (t = 0, tau, 2 tau, ...)
    are grid points, and the slope jump at t = 0 (history to solution) is handled with
    one-sided slopes. This keeps the scheme fourth-order accurate. The returned samples
    ``x(discard + i * sample_step)``, ``i = 0 .. n_steps - 1``, are grid values or, between
    grid points, cubic Hermite interpolants of the solution (also fourth order).

    Defaults: tau = 17 (chaotic), beta = 0.2, gamma = 0.1, n = 10: the series Jaeger & Haas
    (2004) predict with an echo state network; they integrated the equation with a small
    step and subsampled it at unit time steps, as ``sample_step=1.0`` does here. With
    ``dt = 0.1`` the samples agree with scipy's DOP853 (method of steps, rtol 1e-12) to
    about 1e-8 over the first 300 time units (chaos amplifies errors slowly, ~e^(0.007 t)).

    Parameters
    ----------
    n_steps : number of samples returned.
    tau, beta, gamma, exponent : parameters of the equation (tau > 0).
    x0 : the constant history ``x(t) = x0`` for ``t`` in [-tau, 0] (when ``history`` is
        None).
    sample_step : time between returned samples (> 0).
    discard : initial time span dropped (a transient), >= 0.
    dt : largest internal RK4 step (the step used divides tau, see above).
    history : instead of the constant ``x0``: a number (constant history), a callable
        ``f(t)`` (vectorised) evaluated on the grid over [-tau, 0], or an array of values
        equally spaced over [-tau, 0] (first at -tau, last at 0; linearly interpolated);
        x(0) is then the history's value at 0. The slopes the Hermite interpolant needs
        come from central differences of the callable, or of the array on the grid.

    Returns
    -------
    ndarray of shape (n_steps,), float64.

    >>> x = mackey_glass(1000, discard=300.0)
    >>> x.shape, x.dtype
    ((1000,), dtype('float64'))
    >>> bool((x > 0.2).all() and (x < 1.4).all())
    True
    >>> # tau = 2 is stable: x settles on the fixed point (beta / gamma - 1)^(1 / n) = 1
    >>> round(float(mackey_glass(1, tau=2.0, discard=500.0)[0]), 9)
    1.0
    """
    n = check_int(n_steps, "n_steps", minimum=1)
    tau = check_positive(tau, "tau")
    beta = check_positive(beta, "beta", strict=False)
    gamma = check_positive(gamma, "gamma", strict=False)
    exponent = check_positive(exponent, "exponent")
    dt = check_positive(dt, "dt")
    sample_step = check_positive(sample_step, "sample_step")
    discard = check_positive(discard, "discard", strict=False)
    origin = max(1, math.ceil(tau / dt - 1e-9))  # steps per delay
    h = tau / origin

    t_hist = (np.arange(origin + 1) - origin) * h  # the history grid over [-tau, 0]
    if history is None:
        history = check_real(x0, "x0")
    if callable(history):
        values = np.asarray(history(t_hist), dtype=np.float64)
        if values.shape != t_hist.shape:
            raise SeqlabValueError(
                f"history(t) must return one value per time (vectorised); got shape "
                f"{values.shape} for {t_hist.shape[0]} times."
            )
    elif np.ndim(history) == 0:
        values = np.full(origin + 1, check_real(history, "history"))
    else:
        given = np.asarray(history, dtype=np.float64)
        if given.ndim != 1 or given.size < 2:
            raise SeqlabValueError(
                "history must be a number, a callable f(t) or a 1-D array of at least 2 "
                f"values equally spaced over [-tau, 0]; got shape {given.shape}."
            )
        values = np.interp(t_hist, np.linspace(-tau, 0.0, given.size), given)
    if not np.isfinite(values).all() or (values < 0).any():
        raise SeqlabValueError("history must be finite and non-negative (x is a concentration).")
    if np.ptp(values) == 0:
        slopes = np.zeros_like(values)
    elif callable(history):  # central difference of the function itself, error ~1e-10
        eps = 1e-5 * max(1.0, tau)
        up = np.asarray(history(t_hist + eps), dtype=np.float64)
        down = np.asarray(history(t_hist - eps), dtype=np.float64)
        slopes = (up - down) / (2 * eps)
    else:
        slopes = np.gradient(values, h)

    # sample positions in grid units (from t = 0), snapped onto the grid when they are on it
    pos = (discard + np.arange(n) * sample_step) / h
    on_grid = np.abs(pos - np.round(pos)) < 1e-9 * np.maximum(1.0, pos)
    pos = np.where(on_grid, np.round(pos), pos)
    total = origin + math.floor(pos[-1]) + 2
    xs = np.empty(total)
    ds = np.zeros(total)
    xs[: origin + 1] = values
    ds[:origin] = slopes[:origin]
    _mg_rk4(xs, ds, origin, float(slopes[origin]), h, beta, gamma, exponent)

    j = np.floor(pos).astype(np.int64) + origin
    th = pos - np.floor(pos)
    th2, th3 = th * th, th * th * th
    return (
        (2 * th3 - 3 * th2 + 1) * xs[j]
        + (th3 - 2 * th2 + th) * h * ds[j]
        + (-2 * th3 + 3 * th2) * xs[j + 1]
        + (th3 - th2) * h * ds[j + 1]
    )
