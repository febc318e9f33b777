"""``n_init`` restarts keep the run with the best final log-likelihood, reproducibly."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.classical import GaussianHMM, PoissonHMM
from seqlab.exceptions import SeqlabValueError


def _data():
    rng = np.random.default_rng(0)
    return np.concatenate([rng.normal(m, 1.0, (60, 2)) for m in (-4, 0, 4, 0, -4)])


def test_keeps_the_best_of_the_separate_runs():
    X = _data()
    best = GaussianHMM(3, "diag", n_init=4, n_iter=8, random_state=5).fit(X)
    rng = np.random.default_rng(5)  # the restarts' seeds, drawn as fit draws them
    runs = [GaussianHMM(3, "diag", n_iter=8, seed=np.random.default_rng(rng.integers(2**63)))
            .fit(X) for _ in range(4)]
    finals = [r.monitor_.history[-1] for r in runs]
    assert best.monitor_.history == runs[int(np.argmax(finals))].monitor_.history
    np.testing.assert_array_equal(best.means_, runs[int(np.argmax(finals))].means_)
    assert len(set(np.round(finals, 6))) > 1  # the restarts did differ


def _given(n_init):
    m = PoissonHMM(2, init_params="", n_init=n_init, n_iter=5, tol=0.0)
    m.startprob_ = np.array([0.5, 0.5])
    m.transmat_ = np.array([[0.9, 0.1], [0.1, 0.9]])
    m.lambdas_ = np.array([[2.0, 5.0], [1.0, 9.0]])
    return m


def test_given_parameters_are_the_start_of_every_restart():
    # every parameter given: each restart starts from them again, so all equal one run
    X = np.random.default_rng(1).poisson([1.0, 8.0], (200, 2)).astype(float)
    many, one = _given(3).fit(X), _given(1).fit(X)
    np.testing.assert_array_equal(many.lambdas_, one.lambdas_)
    assert many.monitor_.history == one.monitor_.history
    assert "_restart_rng" not in many.__dict__


def test_bad_n_init():
    with pytest.raises(SeqlabValueError, match="n_init must be >= 1"):
        GaussianHMM(2, n_init=0).fit(_data())
