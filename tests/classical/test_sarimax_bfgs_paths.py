"""SARIMAX's profile fit runs its BFGS interpreted (a process's first fits) or compiled (from
then on, or when numba's cache has it): both must give the same numbers, bit for bit, so
that what ran before in a process changes only the speed."""

from __future__ import annotations

import numpy as np
import pytest

import seqlab.classical._sarimax_fit as F
from seqlab.classical import ARIMA


def _series(n: int = 150, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    e = rng.normal(size=n + 12)
    y = np.empty(n + 12)
    y[:13] = e[:13]
    for t in range(13, n + 12):
        y[t] = 0.5 * y[t - 1] + 0.3 * y[t - 12] + e[t] + 0.4 * e[t - 1]
    X = rng.normal(size=(n, 2))
    return y[12:] + X @ np.array([1.5, -0.7]), X


CASES = {
    "arma-seasonal": ({"order": (1, 0, 1), "seasonal_order": (1, 0, 0, 12), "trend": "c"}, False),
    "airline": ({"order": (0, 1, 1), "seasonal_order": (0, 1, 1, 12)}, False),
    "pure-ar-exog": ({"order": (2, 0, 0), "seasonal_order": (1, 0, 0, 12)}, True),
    "ar-differenced": ({"order": (2, 1, 0), "seasonal_order": (1, 0, 0, 12)}, False),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_compiled_and_interpreted_bfgs_give_identical_fits(name, monkeypatch):
    kwargs, exog = CASES[name]
    y, X = _series()
    fits = {}
    for compiled in (False, True):
        monkeypatch.setattr(F, "use_compiled", lambda kind, c=compiled: c)
        m = ARIMA(**kwargs).fit(y, exog=X if exog else None)
        fits[compiled] = m
    a, b = fits[False], fits[True]
    np.testing.assert_array_equal(a.params_, b.params_)
    assert a.llf_ == b.llf_
    assert (a.n_iter_, a.converged_) == (b.n_iter_, b.converged_)


def test_compiled_path_starts_once_the_interpreted_budget_is_spent(monkeypatch):
    gate = F._gate("ma")
    monkeypatch.setattr(gate, "spent_s", 0.0)
    monkeypatch.setattr(gate, "_earlier", 0.0)
    monkeypatch.setattr(gate, "compiled_or_cached", lambda: False)
    assert not F.use_compiled("ma")
    monkeypatch.setattr(gate, "_earlier", F.INTERPRETED_BUDGET_S)  # spent by earlier processes
    assert F.use_compiled("ma")
    monkeypatch.setattr(gate, "_earlier", 0.0)
    monkeypatch.setattr(gate, "compiled_or_cached", lambda: True)
    assert F.use_compiled("ma")
