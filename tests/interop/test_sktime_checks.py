"""sktime's conformance suite, ``check_estimator``, on every seqlab forecaster.

Each adapter's ``get_test_params`` keeps the instances small (short AR/ARIMA models, AutoARIMA
searches of a few candidates, 10-20 unit reservoirs, 3-4 unit networks trained for a couple
of steps), so the suite runs in about a minute of CPU per adapter.
"""

from __future__ import annotations

import pytest
from sktime.utils.estimator_checks import check_estimator

import seqlab.interop

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny networks: one torch thread


@pytest.mark.parametrize("name", sorted(seqlab.interop.__all__))
def test_check_estimator(name):
    check_estimator(getattr(seqlab.interop, name), raise_exceptions=True, verbose=False)
