"""Scaling out on existing engines: many series in long format on one core, local processes,
Dask or Ray, and data-parallel training on torch.distributed (:mod:`seqlab.scale.distributed`:
``seqlab train --nproc N``, ``torchrun -m seqlab train``).

:class:`ManySeries` fits, forecasts (with intervals) and cross-validates every series of a
statsforecast-style long frame (``unique_id``, ``ds``, ``y``, regressors), a pandas or a Dask
DataFrame, with seqlab's ARIMA (batch kernel), SARIMAX, AutoARIMA, Gaussian HMMs (one per
series, or :class:`SharedHMM`) and the :class:`ESNForecaster` of ``seqlab compare``.

``engine="processes"`` keeps its spawned workers between calls (the next call with the same
``n_jobs`` starts no interpreter); :func:`close_pool` shuts them down (so does exit).

Dask (``distributed``) and Ray are imported only inside this package, only when an engine
asks for them; without them the error says ``pip install 'seqlab[scale]'``.

>>> from seqlab.scale import ManySeries, SharedHMM, ESNForecaster
>>> ManySeries([ESNForecaster()], engine="spark").forecast(None, 1)
Traceback (most recent call last):
...
seqlab.exceptions.SeqlabValueError: engine must be one of inprocess, processes, dask, ray;...
"""

from typing import Any

from seqlab.scale._engines import close_pool
from seqlab.scale._models import SharedHMM
from seqlab.scale.many import ManySeries

__all__ = ["ESNForecaster", "ManySeries", "SharedHMM", "close_pool"]


def __getattr__(name: str) -> Any:
    # ESNForecaster lives in seqlab.pipelines (which loads torch): imported on first use, so
    # that a worker process running an ARIMA/HMM chunk never pays torch's import (seconds)
    if name == "ESNForecaster":
        from seqlab.pipelines.esn_forecast import ESNForecaster

        return ESNForecaster
    raise AttributeError(f"module 'seqlab.scale' has no attribute {name!r}")
