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
        monkeypatch.setattr(F, "use_compiled", lambda ar, c=compiled: c)
        m = ARIMA(**kwargs).fit(y, exog=X if exog else None)
        fits[compiled] = m
    a, b = fits[False], fits[True]
    np.testing.assert_array_equal(a.params_, b.params_)
    assert a.llf_ == b.llf_
    assert (a.n_iter_, a.converged_) == (b.n_iter_, b.converged_)


def test_compiled_path_starts_after_the_interpreted_fits(monkeypatch):
    monkeypatch.setattr(F, "_interpreted_fits", 0)
    monkeypatch.setattr("seqlab._jit.compiled_or_cached", lambda d: False)
    assert not F.use_compiled(False)
    monkeypatch.setattr(F, "_interpreted_fits", F.COMPILED_MIN_FITS)
    assert F.use_compiled(False)
