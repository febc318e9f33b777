"""Small long-format panels shared by the tests of seqlab.scale."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def panel(n_series: int = 12, seed: int = 0, bad: bool = True) -> pd.DataFrame:
    """Monthly random-walk-plus-AR series of lengths 40..62 starting in different months;
    with ``bad``, series "bad-const" is constant, "bad-short" has 3 values and "bad-nan"
    has a missing value."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n_series):
        n = 40 + 2 * (i % 12)
        e = rng.normal(size=n)
        w = np.zeros(n)
        for t in range(1, n):
            w[t] = 0.5 * w[t - 1] + e[t]
        start = pd.Timestamp("2001-01-01") + pd.DateOffset(months=i)
        frames.append(pd.DataFrame({
            "unique_id": f"s{i:03d}",
            "ds": pd.date_range(start, periods=n, freq="MS"),
            "y": np.cumsum(w) + 10.0,
        }))
    if bad:
        frames.append(pd.DataFrame({"unique_id": "bad-const", "y": 5.0,
                                    "ds": pd.date_range("2003-01-01", periods=30, freq="MS")}))
        frames.append(pd.DataFrame({"unique_id": "bad-short", "y": [1.0, 2.0, 0.5],
                                    "ds": pd.date_range("2003-01-01", periods=3, freq="MS")}))
        y = rng.normal(size=30).cumsum()
        y[7] = np.nan
        frames.append(pd.DataFrame({"unique_id": "bad-nan", "y": y,
                                    "ds": pd.date_range("2003-01-01", periods=30, freq="MS")}))
    df = pd.concat(frames, ignore_index=True)
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # any row order


@pytest.fixture(scope="session")
def make_panel():
    """The panel builder above (a fixture: test modules here are not a package)."""
    return panel
