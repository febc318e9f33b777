"""Shared pieces of the application benchmarks: budgets, results, metrics and glue.

Everything here is plumbing between the data loaders and the model families of seqlab:
the :class:`Budget` presets, the :class:`ModelResult` / :class:`TaskResult` records that the
leaderboard and the report read, forecast metrics, the AR(inf) forecaster used to run a
fitted AR/ARIMA on new data with its parameters frozen, and the small helpers that train a
recurrent network with :mod:`seqlab.training` and time each fit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seqlab._validation import check_choice

__all__ = [
    "BUDGETS",
    "Budget",
    "ModelResult",
    "RunContext",
    "TaskResult",
    "ar_inf_forecast",
    "arima_pi_weights",
    "balanced_accuracy",
    "get_budget",
    "interval_coverage",
    "power_series_ratio",
]


@dataclass(frozen=True)
class Budget:
    """How much work each task does (model sizes, training length, data size).

    ``tiny`` is for tests (seconds per task), ``quick`` the default of ``seqlab compare``
    (a few minutes for every task on 2 cores), ``full`` a longer, better-trained run.
    """

    name: str
    hidden: int  # hidden units of the recurrent networks
    epochs: int  # training epochs of the recurrent networks
    esn_units: int  # reservoir size of the echo state networks
    max_windows: int  # cap on training windows of the forecasting tasks
    text_chars: int  # training characters of the language model
    text_test_chars: int  # held-out characters scored
    text_seq: int  # characters per training chunk (truncated BPTT length)
    dna_window: int  # bases per DNA window
    dna_max_windows: int  # cap on training windows of the DNA classifier
    digits_per_class: int  # spoken-digit clips per digit (when espeak-ng is present)
    sp500_days: int  # most recent trading days of the S&P 500 used


BUDGETS: dict[str, Budget] = {
    "tiny": Budget("tiny", hidden=8, epochs=1, esn_units=30, max_windows=100, text_chars=4000,
                   text_test_chars=1000, text_seq=32, dna_window=100, dna_max_windows=100,
                   digits_per_class=2, sp500_days=300),
    "quick": Budget("quick", hidden=32, epochs=12, esn_units=200, max_windows=800,
                    text_chars=150_000, text_test_chars=20_000, text_seq=64, dna_window=100,
                    dna_max_windows=600, digits_per_class=10, sp500_days=2000),
    "full": Budget("full", hidden=64, epochs=40, esn_units=500, max_windows=4000,
                   text_chars=600_000, text_test_chars=60_000, text_seq=100,
                   dna_window=100, dna_max_windows=4000, digits_per_class=30,
                   sp500_days=5031),
}


def get_budget(name: str | Budget) -> Budget:
    """The :class:`Budget` called ``name`` (``"tiny"``, ``"quick"`` or ``"full"``).

    >>> get_budget("quick").hidden
    32
    >>> get_budget("huge")
    Traceback (most recent call last):
    ...
    seqlab.exceptions.SeqlabValueError: unknown budget 'huge'; valid options are: 'tiny', ...
    """
    if isinstance(name, Budget):
        return name
    return BUDGETS[check_choice(name, "budget", tuple(BUDGETS))]


@dataclass
class ModelResult:
    """One leaderboard row: a model's held-out metrics and its training time in seconds."""

    model: str
    metrics: dict[str, float]
    train_seconds: float
    notes: str = ""


@dataclass
class TaskResult:
    """What one task produced: its leaderboard rows, figures and extra text for the report.

    ``metric`` names the primary metric (a key of every row's ``metrics``) and
    ``higher_is_better`` its direction; ``figures`` are ``(title, png path)`` pairs and
    ``extras`` free Markdown sections (e.g. generated text).
    """

    name: str
    title: str
    description: str
    metric: str
    higher_is_better: bool
    rows: list[ModelResult] = field(default_factory=list)
    figures: list[tuple[str, str]] = field(default_factory=list)
    extras: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def ranked(self) -> list[ModelResult]:
        """Rows best first by the primary metric (NaN last)."""
        sign = -1.0 if self.higher_is_better else 1.0

        def key(r: ModelResult) -> float:
            v = r.metrics.get(self.metric, float("nan"))
            return float("inf") if not np.isfinite(v) else sign * v

        return sorted(self.rows, key=key)


@dataclass
class RunContext:
    """What a task needs from the runner: budget, models to run, seed, output folder, an
    optional user data file and a progress callback ``tick(label)``."""

    budget: Budget
    models: tuple[str, ...]
    out_dir: Path
    seed: int = 0
    data_file: Path | None = None
    tick: Callable[[str], None] = lambda label: None

    @contextmanager
    def timed(self, result: dict[str, float]) -> Iterator[None]:
        """Store the elapsed wall time of the block in ``result["seconds"]``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            result["seconds"] = time.perf_counter() - start


# --------------------------------------------------------------------------- metrics
def balanced_accuracy(y_true: Any, y_pred: Any) -> float:
    """Mean over classes of the per-class recall (chance level = 1 / n_classes).

    >>> balanced_accuracy([0, 0, 0, 1], [0, 0, 0, 0])
    0.5
    """
    t, p = np.asarray(y_true), np.asarray(y_pred)
    recalls = [float((p[t == c] == c).mean()) for c in np.unique(t)]
    return float(np.mean(recalls))


def forecast_metrics(pred: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """RMSE and MAE over all horizons, and RMSE of the first step, of (n, h) arrays."""
    err = pred - truth
    return {
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae": float(np.mean(np.abs(err))),
        "rmse_h1": float(np.sqrt(np.mean(err[:, 0] ** 2))),
    }


#: the prediction-interval levels (percent) whose coverage the forecasting tasks report
COVERAGE_LEVELS: tuple[int, ...] = (80, 95)


def interval_coverage(pred: np.ndarray, truth: np.ndarray, se: np.ndarray | None
                      ) -> dict[str, float]:
    """Share of test targets inside the Gaussian ``pred +- z se`` band, per level of
    :data:`COVERAGE_LEVELS` (``cover80``, ``cover95``); NaN ("n/a") without ``se``.

    ``pred``, ``truth`` (n, h) and ``se`` (h,) or (n, h), the forecast standard errors. A
    calibrated model covers about 0.80 and 0.95 of the targets.

    >>> interval_coverage(np.zeros((2, 1)), np.array([[0.5], [3.0]]), np.ones(1))
    {'cover80': 0.5, 'cover95': 0.5}
    """
    from scipy.stats import norm

    out = {}
    for lev in COVERAGE_LEVELS:
        if se is None:
            out[f"cover{lev}"] = float("nan")
            continue
        z = float(norm.ppf(0.5 + lev / 200.0))
        inside = np.abs(truth - pred) <= z * np.broadcast_to(se, truth.shape)
        ok = np.isfinite(pred) & np.isfinite(truth)
        out[f"cover{lev}"] = float(inside[ok].mean()) if ok.any() else float("nan")
    return out


def power_series_ratio(num: Any, den: Any, n: int) -> np.ndarray:
    """The first ``n + 1`` coefficients of ``num(B) / den(B)`` (``den[0] = 1``).

    With ``num`` the MA polynomial and ``den`` the AR polynomial times the differencing,
    these are the psi weights of an ARIMA, and the ``h``-step forecast variance is
    ``sigma2 * sum_{j<h} psi_j^2`` (Brockwell & Davis §9.5); the other way round they are
    the pi weights of :func:`ar_inf_forecast`.

    >>> power_series_ratio([1.0], [1.0, -1.0], 3).tolist()      # random walk: psi_j = 1
    [1.0, 1.0, 1.0, 1.0]
    """
    a = np.zeros(n + 1)
    num = np.asarray(num, dtype=np.float64)[: n + 1]
    a[: num.size] = num
    den = np.asarray(den, dtype=np.float64)
    out = np.zeros(n + 1)
    for j in range(n + 1):
        k = min(j, den.size - 1)
        out[j] = a[j] - float(den[1:k + 1] @ out[j - 1::-1][:k]) if k else a[j]
    return out


# --------------------------------------------------------------------------- AR(inf) glue
def arima_pi_weights(ar: Any, ma: Any, d: int, n_lags: int) -> np.ndarray:
    """Coefficients ``c_0 = 1, c_1, ..., c_K`` of ``pi(B) = phi(B) (1 - B)^d / theta(B)``.

    With ``phi(B) = 1 - sum phi_i B^i`` and ``theta(B) = 1 + sum theta_j B^j`` (statsmodels'
    signs), an invertible ARIMA is ``sum_k c_k x_{t-k} = e_t``, so the one-step forecast is
    ``x_hat_t = -sum_{k>=1} c_k x_{t-k}`` (Brockwell & Davis §5.3, truncated at ``K`` lags).

    >>> arima_pi_weights([0.5], [], 0, 3).tolist()          # AR(1): 1 - 0.5 B
    [1.0, -0.5, 0.0, 0.0]
    >>> np.round(arima_pi_weights([], [0.5], 0, 3), 3).tolist()   # MA(1): 1/(1 + 0.5 B)
    [1.0, -0.5, 0.25, -0.125]
    """
    a = np.r_[1.0, -np.asarray(ar, dtype=np.float64)]
    for _ in range(d):
        a = np.convolve(a, [1.0, -1.0])
    a = np.r_[a, np.zeros(max(0, n_lags + 1 - a.size))][: n_lags + 1]
    theta = np.asarray(ma, dtype=np.float64)
    c = np.zeros(n_lags + 1)
    for k in range(n_lags + 1):
        c[k] = a[k] - sum(theta[j - 1] * c[k - j] for j in range(1, min(k, theta.size) + 1))
    return c


def ar_inf_forecast(x: np.ndarray, origins: np.ndarray, pi: np.ndarray, horizon: int
                    ) -> np.ndarray:
    """Recursive ``horizon``-step forecasts from each origin of a frozen AR(inf) model.

    ``x`` (T,) is the (mean-removed) series, ``origins`` (n,) the last observed index of
    each forecast, ``pi`` the weights of :func:`arima_pi_weights`. Returns (n, horizon):
    forecast ``j`` of row ``i`` predicts ``x[origins[i] + 1 + j]`` from ``x[:origins[i]+1]``
    only (missing history before index 0 counts as 0, the process mean).

    >>> ar_inf_forecast(np.array([1.0, 2.0, 4.0]), np.array([2]), np.array([1.0, -0.5]), 2)
    array([[2., 1.]])
    """
    K = pi.size - 1
    n = origins.size
    buf = np.zeros((n, K + horizon))  # lags then forecasts, oldest first
    for k in range(K):
        idx = origins - (K - 1 - k)
        ok = idx >= 0
        buf[ok, k] = x[idx[ok]]
    coef = -pi[1:][::-1]  # weight of x_{t-K} .. x_{t-1}
    for j in range(horizon):
        buf[:, K + j] = buf[:, j:K + j] @ coef
    return buf[:, K:]
