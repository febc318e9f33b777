"""Hypothesis profiles of the fuzz suite and the import path of its shared ``fuzzkit``.

Two profiles, chosen with the environment variable ``SEQLAB_FUZZ_PROFILE``:

- ``ci`` (default): a modest number of examples, derandomized so every CI run tries the same
  inputs (a red run is reproducible by re-running it), no deadline (numba compiles on first
  use), no example database.
- ``deep``: many examples, random, with hypothesis' example database so a failure found once
  is replayed first next time. For local bug hunts: ``SEQLAB_FUZZ_PROFILE=deep pytest
  tests/fuzz``.

The profiles are applied by the tests themselves (``@fuzzkit.FUZZ``), not loaded globally, so
running this folder never changes the hypothesis settings of the rest of the suite.
"""

from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

# slow targets are expected (a model fit per example); the CLI tests reuse capsys/monkeypatch
# across examples on purpose (each example reads and resets the captured output)
_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
            HealthCheck.function_scoped_fixture]

settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=_SLOW_OK,
)
settings.register_profile(
    "deep",
    max_examples=1000,
    deadline=None,
    print_blob=True,
    suppress_health_check=_SLOW_OK,
)

# pytest runs with --import-mode=importlib, which does not put test folders on sys.path
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
