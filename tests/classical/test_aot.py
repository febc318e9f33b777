"""The kernels compiled ahead of time at install (``seqlab._aot``, issue 17): built where a C
compiler exists, used by the Kalman filter, switched off by ``SEQLAB_AOT=0``; their numbers
equal the jitted kernels' bit for bit (tests/classical/test_statespace_numpy.py runs every
filter case through them)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from seqlab import _aot
from seqlab.classical import SARIMAX

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _needs_module() -> None:
    if not _aot.available():
        pytest.skip("no seqlab._aot in this install (no C compiler at install time)")


def test_built_where_a_c_compiler_exists() -> None:
    # the build step is optional (no compiler: the jitted kernels); with one it must not fail
    if os.environ.get("SEQLAB_AOT") == "0":
        pytest.skip("SEQLAB_AOT=0 in this environment")
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("no C compiler here: the install could not build seqlab._aot")
    assert _aot.available(), "a C compiler exists but `pip install` built no seqlab._aot"
    assert set(_aot.EXPORTS) <= set(dir(_aot.kernels()))


def test_switched_off_by_the_environment() -> None:
    code = "import seqlab._aot as a; print(a.available())"
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = {v: subprocess.run([sys.executable, "-c", code], env={**env, "SEQLAB_AOT": v},
                             capture_output=True, text=True, check=True).stdout.strip()
           for v in ("0", "1")}
    assert out["0"] == "False"
    built = importlib.util.find_spec("seqlab._aot._kernels") is not None
    assert out["1"] == str(built)


def test_the_filter_runs_on_it_and_gives_the_jitted_numbers(monkeypatch) -> None:
    # every StateSpace filter goes through the module when there is one; a fit and a
    # forecast give numba's numbers to the bit either way
    _needs_module()
    calls = []
    real = _aot.kernels()

    class Spy:
        def __getattr__(self, name):  # type: ignore[no-untyped-def]
            return getattr(real, name)

        @staticmethod
        def kalman_filter(*args):  # type: ignore[no-untyped-def]
            calls.append(args[0].shape)
            return real.kalman_filter(*args)

    rng = np.random.default_rng(3)
    y = np.cumsum(rng.normal(size=120)) + 0.5 * np.sin(np.arange(120) * np.pi / 6)
    monkeypatch.setattr(_aot, "kernels", lambda: Spy())
    got = SARIMAX(order=(1, 1, 1), seasonal_order=(0, 1, 1, 12)).fit(y)
    fc = got.forecast(12)
    assert calls, "the filter did not use the ahead-of-time kernels"
    monkeypatch.setattr(_aot, "kernels", lambda: None)  # numba's kernels and twins
    ref = SARIMAX(order=(1, 1, 1), seasonal_order=(0, 1, 1, 12)).fit(y)
    np.testing.assert_array_equal(got.params, ref.params)
    assert got.llf == ref.llf
    np.testing.assert_array_equal(fc, ref.forecast(12))


@pytest.mark.parametrize(("order", "seasonal", "trend", "k_exog", "gaps"), [
    ((2, 0, 1), (1, 0, 1, 4), "c", 1, False),  # arma
    ((2, 0, 1), (0, 0, 0, 0), "n", 0, True),   # arma with missing values
    ((3, 0, 0), (1, 0, 0, 4), "c", 1, False),  # pure AR, complete: the AR likelihood
    ((0, 0, 2), (0, 0, 1, 12), "n", 0, False),  # pure MA
])
def test_profile_likelihoods_equal_the_jitted_ones(order, seasonal, trend, k_exog, gaps):
    _needs_module()
    from seqlab.classical import _sarimax_fit, _sarimax_kernels
    from seqlab.classical._sarimax_system import make_spec

    spec = make_spec(order, seasonal, trend, k_exog)
    rng = np.random.default_rng(sum(order) + seasonal[3] + k_exog)
    y = np.cumsum(rng.normal(size=150)) * 0.1 + rng.normal(size=150)
    if gaps:
        y[rng.choice(150, 9, replace=False)] = np.nan
    data = _sarimax_fit.optimiser_data(spec, y, rng.normal(size=(150, k_exog)))
    assert data is not None
    kind = _sarimax_kernels.nll_kernel(data[2])
    name = _sarimax_fit._AOT_NAMES[kind]
    jitted, aot = _sarimax_kernels.KERNELS[kind], getattr(_aot.kernels(), name)
    k = spec.k_params - 1
    for scale in (0.1, 1.0, 3.0):
        x, s = rng.normal(size=k) * scale, np.abs(rng.normal(size=k)) + 0.5
        assert np.array_equal(aot(x, s, data), jitted(x, s, data), equal_nan=True)
        dims = data[2].copy()
        dims[10] = 1  # the profiled sigma2
        assert aot(x, s, (data[0], data[1], dims)) == jitted(x, s, (data[0], data[1], dims))


def test_css_equals_the_jitted_one() -> None:
    _needs_module()
    from seqlab.classical import _auto_arima_css as C

    rng = np.random.default_rng(5)
    aot = _aot.kernels().css
    for p, q, ncond in [(0, 1, 0), (2, 13, 2), (14, 0, 14), (3, 3, 3)]:
        w = np.cumsum(rng.normal(size=130))
        w[[5, 77]] = np.nan if p == 3 else w[[5, 77]]
        phi, theta = rng.normal(size=p) * 0.2, rng.normal(size=q) * 0.2
        assert np.array_equal(aot(w, phi, theta, ncond), C._css(w, phi, theta, ncond),
                              equal_nan=True)


def test_auto_arima_is_the_same_with_and_without_the_module(monkeypatch) -> None:
    _needs_module()
    from seqlab.classical import AutoARIMA

    rng = np.random.default_rng(8)
    t = np.arange(96)
    y = 10 + 0.05 * t + np.sin(2 * np.pi * t / 12) + np.cumsum(rng.normal(0, 0.3, 96))
    with_module = AutoARIMA(season_length=12).fit(y)
    monkeypatch.setattr(_aot, "kernels", lambda: None)  # numba's kernels (twins, gates)
    without = AutoARIMA(season_length=12).fit(y)
    assert with_module.order_ == without.order_
    assert with_module.seasonal_order_ == without.seasonal_order_
    assert [c["ic"] for c in with_module.candidates_] == [c["ic"] for c in without.candidates_]
    np.testing.assert_array_equal(with_module.model_.params, without.model_.params)
    np.testing.assert_array_equal(with_module.forecast(12), without.forecast(12))


def test_a_module_built_from_other_sources_is_not_used(monkeypatch) -> None:
    _needs_module()
    real = _aot.source_hash()
    monkeypatch.setattr(_aot, "source_hash", lambda: real + 1)  # the kernels changed since
    _aot.kernels.cache_clear()
    try:
        with pytest.warns(RuntimeWarning, match="reinstall seqlab"):
            assert _aot.kernels() is None
    finally:
        _aot.kernels.cache_clear()


def test_the_source_hash_covers_every_seqlab_module_the_kernels_import() -> None:
    # an edit to a helper a kernel calls must make a built module stale, as one to the kernel
    import ast

    hashed = {m for m, _, _ in _aot.EXPORTS.values()} | set(_aot.DEPENDS)
    for module in {m for m, _, _ in _aot.EXPORTS.values()}:
        spec = importlib.util.find_spec(module)
        assert spec is not None and spec.origin is not None
        tree = ast.parse(Path(spec.origin).read_text())
        imported = {node.module for node in ast.walk(tree)
                    if isinstance(node, ast.ImportFrom) and node.module
                    and node.module.startswith("seqlab")}
        assert imported <= hashed, (module, imported - hashed)
