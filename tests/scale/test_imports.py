"""A worker running an ARIMA chunk must not import torch (seconds per spawned worker)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[2] / "src")

CODE = """
import sys
import numpy as np, pandas as pd
from seqlab.classical import ARIMA
from seqlab.scale import ManySeries
from seqlab.scale._work import run_chunk
df = pd.DataFrame({"unique_id": np.repeat([1, 2], 40), "ds": np.tile(np.arange(40), 2),
                   "y": np.random.default_rng(0).normal(size=80).cumsum()})
fc = ManySeries([ARIMA(order=(1, 0, 0))]).forecast(df, h=2)
assert len(fc) == 4, fc
print(sorted(m for m in ("torch", "seqlab.pipelines") if m in sys.modules))
from seqlab.scale import ESNForecaster
print(ESNForecaster.__module__, "torch" in sys.modules)
"""


def test_arima_chunk_does_not_import_torch():
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", CODE], env=env, check=True,
                         capture_output=True, text=True).stdout.splitlines()
    assert out[0] == "[]"  # neither torch nor seqlab.pipelines was loaded
    # the lazy attribute still gives the one ESNForecaster (and loads its module then)
    assert out[1] == "seqlab.pipelines.esn_forecast True"
