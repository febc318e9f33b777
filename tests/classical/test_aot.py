"""The kernels compiled ahead of time at install (``seqlab._aot``, issue 17): built where a C
compiler exists, used by the Kalman filter, switched off by ``SEQLAB_AOT=0``; their numbers
equal the jitted kernels' bit for bit (tests/classical/test_statespace_numpy.py runs every
filter case through them)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from seqlab import _aot
from seqlab.classical import SARIMAX, _statespace_kernels

SRC = str(Path(__file__).resolve().parents[2] / "src")


def test_built_where_a_c_compiler_exists() -> None:
    # the build step is optional (no compiler: the jitted kernels); with one it must not fail
    if os.environ.get("SEQLAB_AOT") == "0":
        pytest.skip("SEQLAB_AOT=0 in this environment")
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        assert _aot.kernels() is None or _aot.available()
        return
    assert _aot.available(), "a C compiler exists but `pip install` built no seqlab._aot"
    assert set(_aot.EXPORTS) <= set(dir(_aot.kernels()))


def test_switched_off_by_the_environment() -> None:
    code = "import seqlab._aot as a; print(a.available())"
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = {v: subprocess.run([sys.executable, "-c", code], env={**env, "SEQLAB_AOT": v},
                             capture_output=True, text=True, check=True).stdout.strip()
           for v in ("0", "1")}
    assert out["0"] == "False"
    assert out["1"] == str(_aot.available())


def test_the_filter_runs_on_it_and_gives_the_jitted_numbers(monkeypatch) -> None:
    # every StateSpace filter goes through the module when there is one; a fit and a
    # forecast give the jitted kernel's numbers to the bit either way
    if not _aot.available():
        pytest.skip("no seqlab._aot in this install (no C compiler at install time)")
    calls = []
    real = _aot.kernels()

    class Spy:
        @staticmethod
        def kalman_filter(*args):  # type: ignore[no-untyped-def]
            calls.append(args[0].shape)
            return real.kalman_filter(*args)

    rng = np.random.default_rng(3)
    y = np.cumsum(rng.normal(size=120)) + 0.5 * np.sin(np.arange(120) * np.pi / 6)
    monkeypatch.setattr(_aot, "kernels", lambda: Spy)
    got = SARIMAX(order=(1, 1, 1), seasonal_order=(0, 1, 1, 12)).fit(y)
    fc = got.forecast(12)
    assert calls, "the filter did not use the ahead-of-time kernels"
    jitted = _statespace_kernels
    monkeypatch.setattr(_aot, "kernels", lambda: jitted)
    ref = SARIMAX(order=(1, 1, 1), seasonal_order=(0, 1, 1, 12)).fit(y)
    np.testing.assert_array_equal(got.params, ref.params)
    assert got.llf == ref.llf
    np.testing.assert_array_equal(fc, ref.forecast(12))
