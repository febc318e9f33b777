"""The echo state network of ``seqlab forecast-many --model esn``: one forecaster per series.

:class:`seqlab.scale.ESNForecaster` is :class:`seqlab.pipelines.ESNForecaster` (the one ESN
forecaster of seqlab, also behind ``seqlab compare`` and the sktime adapter), re-exported
here under its old name. Its intervals come from held-out errors (see that module): a series
with fewer than ``MIN_HOLDOUT`` held-out windows gets NaN interval columns.
"""

from __future__ import annotations

import warnings
from typing import Any

from seqlab.exceptions import SeqlabValueError
from seqlab.pipelines.esn_forecast import ESNForecaster

__all__ = ["ESNForecaster"]


def esn_per_series(model: ESNForecaster, tasks: list, h: int, levels) -> Any:
    """One :class:`ESNForecaster` per task."""
    from seqlab.scale._models import Results, alphas, clone

    res = Results(len(tasks), h, len(levels))
    short = 0  # series with fewer training windows than n_units: one warning for them all
    for i, t in enumerate(tasks):
        try:
            if t.X is not None:
                raise SeqlabValueError("ESNForecaster takes no exogenous regressors.")
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                f = clone(model).fit(t.y, horizon=h)
            short += any("n_units=" in str(w.message) for w in caught)
            res.mean[i] = f.mean_
            for j, a in enumerate(alphas(levels)):
                res.lo[i, j], res.hi[i, j] = f.interval(a)
        except Exception as err:
            res.fail(i, err)
    if short:
        warnings.warn(
            f"n_units={model.n_units} exceeds the training windows of {short} of {len(tasks)} "
            "series: their readouts are underdetermined and set by ridge (n_units is not "
            "lowered for them); give a smaller n_units (--units) for short series.",
            UserWarning, stacklevel=2)
    return res
