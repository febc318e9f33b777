"""The engines give the in-process numbers exactly: a real Dask LocalCluster (2 worker
processes), a local Ray (2 CPUs), a process pool; a Dask DataFrame is processed per
partition. The cluster and Ray are started once for this module."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from seqlab.classical import ARIMA, GaussianHMM
from seqlab.scale import ManySeries, SharedHMM

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::DeprecationWarning")
# every number equal, not pandas' default rtol=1e-5
same = functools.partial(pd.testing.assert_frame_equal, check_exact=True)
MODELS = {"ARIMA": ARIMA(order=(1, 1, 1)), "HMM": GaussianHMM(2, seed=0, n_iter=5)}


@pytest.fixture(scope="module")
def df(make_panel):
    return make_panel(n_series=16, seed=1)


@pytest.fixture(scope="module")
def expected(df):
    ms = ManySeries(MODELS, freq="MS")
    return ms.forecast(df, h=3, level=[80]), ms.cross_validation(df, h=2, n_windows=2)


@pytest.fixture(scope="module")
def dask_client():
    import distributed  # the scale extra: a dev dependency, so its absence fails
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def ray_local():
    import ray
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             _node_ip_address="127.0.0.1")
    yield ray
    ray.shutdown()


def test_dask_client_equals_inprocess(df, expected, dask_client):
    seen = []
    ms = ManySeries(MODELS, freq="MS", engine="dask", client=dask_client, chunk_size=3,
                    progress=lambda done, total: seen.append(done))
    same(ms.forecast(df, h=3, level=[80]), expected[0])
    assert seen[-1] == 19 and len(seen) == 7  # 19 series in chunks of 3
    same(ms.cross_validation(df, h=2, n_windows=2), expected[1])
    # the work ran on both worker processes
    assert len(dask_client.scheduler_info()["workers"]) == 2


def test_dask_dataframe_per_partition(df, expected, dask_client):
    import dask.dataframe as dd

    ddf = dd.from_pandas(df, npartitions=3)  # rows of a series spread over partitions
    # dask stores the string ids as pyarrow strings; the output keeps the input's dtype
    ids = {"unique_id": object}
    ms = ManySeries(MODELS, freq="MS", engine="dask", client=dask_client, chunk_size=2)
    lazy = ms.forecast(ddf, h=3, level=[80])
    assert isinstance(lazy, dd.DataFrame)
    # partitions come back in their own order; within a series, rows keep theirs
    got = lazy.compute().sort_values("unique_id", kind="stable", ignore_index=True)
    same(got.astype(ids), expected[0])
    # indexed by series: no shuffle, the partitions are used as they are
    indexed = ddf.set_index("unique_id", npartitions=3)
    got = ms.forecast(indexed, h=3, level=[80]).compute()
    got = got.sort_values("unique_id", kind="stable", ignore_index=True)
    same(got.astype(ids), expected[0])
    cv = ms.cross_validation(ddf, h=2, n_windows=2).compute()
    cv = cv.sort_values("unique_id", kind="stable", ignore_index=True)
    same(cv.astype(ids), expected[1])


def test_dask_dataframe_needs_a_fitted_shared_model(df, dask_client):
    import dask.dataframe as dd

    from seqlab.exceptions import SeqlabValueError

    ddf = dd.from_pandas(df, npartitions=2)
    shared = SharedHMM(GaussianHMM(2, seed=0, n_iter=5))
    with pytest.raises(SeqlabValueError, match="fit it on a pandas sample first"):
        ManySeries([shared], freq="MS", engine="dask", client=dask_client).forecast(ddf, h=2)


def test_ray_equals_inprocess(df, expected, ray_local):
    ms = ManySeries(MODELS, freq="MS", engine="ray", chunk_size=5)
    same(ms.forecast(df, h=3, level=[80]), expected[0])
    same(ms.cross_validation(df, h=2, n_windows=2), expected[1])


def test_processes_equal_inprocess(df, expected):
    ms = ManySeries(MODELS, freq="MS", engine="processes", n_jobs=2, chunk_size=6)
    same(ms.forecast(df, h=3, level=[80]), expected[0])


def test_each_engine_matches_a_lone_fit(df, expected):
    """The engines agree with in-process; in-process agrees with one series alone."""
    fc = expected[0]
    y = df[df.unique_id == "s007"].sort_values("ds").y.to_numpy()
    m = ARIMA(order=(1, 1, 1)).fit(y)
    alone = m.get_forecast(3).predicted_mean if hasattr(m, "fit_many") else m.forecast(3).mean
    # batch and one-series forecasts may sum in different orders: the last bit
    np.testing.assert_allclose(fc[fc.unique_id == "s007"].ARIMA, alone, rtol=1e-12, atol=0)
