"""Trust checks for echo state networks and Hopfield networks (issue 17): divergent states
are reported instead of fitted, a reservoir that likely lost the echo state property is
flagged, complex and NaN input or hyperparameters are refused, and the fast kernels stay
equal to reservoirpy."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse
from reservoirpy.nodes import Reservoir as RpyReservoir
from threadpoolctl import threadpool_limits

from seqlab.exceptions import (
    DivergenceError,
    NotFittedError,
    SeqlabError,
    SeqlabTypeError,
    SeqlabValueError,
)
from seqlab.reservoir import (
    EchoStateNetwork,
    EchoStateWarning,
    ESNClassifier,
    HopfieldNetwork,
    Reservoir,
    overlaps,
    ridge_regression,
    spectral_radius,
)
from seqlab.reservoir._stability import STATE_BOUND, effective_radius

U = np.sin(np.arange(400) * 0.3)


def _diag_reservoir(n: int, lam: float, activation: str, leak: float = 1.0) -> Reservoir:
    """``W = lam I``, one input with weight 1: the state is a geometric sum, by hand."""
    return Reservoir(scipy.sparse.csr_array(lam * np.eye(n)), np.ones((n, 1)), np.zeros(n),
                     np.zeros((n, 0)), leak, activation)


# ------------------------------------------------------------------ 1. divergence
def test_linear_reservoir_spectral_radius_1_5_raises_instead_of_nan_fit():
    """The issue's case: it used to "fit" with W_out = 0, a NaN intercept, NaN predictions."""
    esn = EchoStateNetwork(100, spectral_radius=1.5, activation="identity", washout=10, seed=0)
    with pytest.warns(EchoStateWarning), pytest.raises(DivergenceError) as err:
        esn.fit(U[:-1], U[1:])
    msg = str(err.value)
    assert "step" in msg and "spectral_radius" in msg and "leak_rate" in msg
    assert not hasattr(esn, "W_out_")


@pytest.mark.parametrize("activation", ["identity", "relu"])
def test_divergence_step_is_the_first_step_over_the_bound(activation):
    """x_t = sum_{k<=t} 2^(t-k) = 2^(t+1) - 1 per unit for u = 1, W = 2 I: the run stops at
    the first t with N (2^(t+1) - 1) > STATE_BOUND N (drive scale 1)."""
    n = 5
    res = _diag_reservoir(n, 2.0, activation)
    expected = next(t for t in range(200) if 2.0 ** (t + 1) - 1 > STATE_BOUND)
    for kwargs in ({}, {"noise": np.zeros((200, n))}):  # low-rank and full-drive kernels
        with pytest.raises(DivergenceError, match=f"at step {expected} of 200"):
            res.run(np.ones((200, 1)), **kwargs)
    dense = Reservoir(2.0 * np.eye(n), np.ones((n, 1)), np.zeros(n), np.zeros((n, 0)), 1.0,
                      activation)
    with pytest.raises(DivergenceError, match=f"at step {expected} of 200"):
        dense.run(np.ones((200, 1)))
    # one step fewer: no error, and the states are the exact geometric sums
    S = res.run(np.ones((expected, 1)))
    np.testing.assert_array_equal(S[:, 0], 2.0 ** (np.arange(expected) + 1) - 1)


def test_divergence_check_is_scale_free_for_a_stable_linear_reservoir():
    """A stable linear reservoir driven by data scaled by 2^60 gives exactly 2^60 times the
    states (powers of two scale exactly): huge but legitimate values are not "divergent"."""
    res = Reservoir.initialize(60, 1, spectral_radius=0.95, activation="identity", seed=3)
    u = np.random.default_rng(0).normal(size=(300, 1))
    np.testing.assert_array_equal(res.run(u * 2.0**60), res.run(u) * 2.0**60)


def test_relu_reservoir_that_explodes_raises():
    """relu with spectral radius 1.5 (the issue saw states of 1e54)."""
    esn = EchoStateNetwork(500, spectral_radius=1.5, activation="relu", washout=10, seed=0)
    with pytest.warns(EchoStateWarning), pytest.raises(DivergenceError, match="relu"):
        esn.fit(U[:-1], U[1:])


def test_closed_loop_generation_divergence_raises():
    """A linear autoregressive ESN whose closed loop is unstable: y_t = 1.01... y_{t-1}."""
    t = np.arange(300)
    y = 1.02**t  # exponential growth, learned exactly by a linear reservoir
    esn = EchoStateNetwork(20, spectral_radius=0.5, activation="identity", washout=20,
                           ridge=0.0, seed=1).fit(y[:-1], y[1:])
    with pytest.raises(DivergenceError, match="closed-loop"):
        esn.generate(100_000)


def test_ridge_regression_raises_on_non_finite_input_and_overflow():
    rng = np.random.default_rng(0)
    Z, Y = rng.normal(size=(50, 4)), rng.normal(size=(50, 1))
    bad = Z.copy()
    bad[3, 1] = np.nan
    with pytest.raises(SeqlabValueError, match="NaN"):
        ridge_regression(bad, Y)
    with pytest.raises(SeqlabValueError, match="NaN"):
        ridge_regression(Z, np.full((50, 1), np.inf))
    with pytest.raises(DivergenceError, match="Rescale"):  # Z^T Z overflows to inf
        ridge_regression(Z * 1e200, Y, 1.0)
    W, c = ridge_regression(Z, Y, 1e-3)
    assert np.all(np.isfinite(W)) and np.all(np.isfinite(c))


# ------------------------------------------------------------------ 2. echo state warning
def test_no_warning_at_default_settings():
    X = [np.random.default_rng(i).normal(size=(30, 1)) for i in range(6)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", EchoStateWarning)
        EchoStateNetwork(50, washout=10, seed=0).fit(U[:-1], U[1:])
        ESNClassifier(30, seed=0).fit(X, [0, 1] * 3)
        Reservoir.initialize(40, 1, seed=0)
        Reservoir.initialize(40, 1, spectral_radius=1.0, seed=0)  # the edge, reservoirpy's


@pytest.mark.parametrize("leak", [1.0, 0.1])
def test_warns_when_effective_radius_exceeds_one_and_says_what_to_change(leak):
    with pytest.warns(EchoStateWarning) as rec:
        Reservoir.initialize(50, 1, spectral_radius=1.2, leak_rate=leak, seed=0)
    msg = str(rec[0].message)
    assert "spectral_radius" in msg and f"{1 - leak + leak * 1.2:.4g}" in msg
    assert rec[0].filename == __file__  # points at the caller's line
    with pytest.warns(EchoStateWarning) as rec:
        EchoStateNetwork(50, spectral_radius=1.2, leak_rate=leak, washout=10, seed=0).fit(
            U[:-1], U[1:])
    assert rec[0].filename == __file__


def test_sigmoid_gain_quarter_does_not_warn_below_four():
    with warnings.catch_warnings():
        warnings.simplefilter("error", EchoStateWarning)
        Reservoir.initialize(30, 1, spectral_radius=3.9, activation="sigmoid", seed=0)
    with pytest.warns(EchoStateWarning):
        Reservoir.initialize(30, 1, spectral_radius=4.1, activation="sigmoid", seed=0)


@pytest.mark.parametrize("leak", [1.0, 0.5, 0.1])
def test_effective_radius_bounds_the_linearised_jacobian(leak):
    """|1 - a + a lambda| <= 1 - a + a |lambda| (triangle inequality), and a random
    reservoir has eigenvalues near +rho, so the bound is nearly attained."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EchoStateWarning)
        res = Reservoir.initialize(400, 1, spectral_radius=1.1, connectivity=0.05,
                                   leak_rate=leak, seed=2)
    J = (1 - leak) * np.eye(400) + leak * res.W.toarray()
    with threadpool_limits(1):  # spinning BLAS threads make eigvals 50x slower when loaded
        exact = np.max(np.abs(np.linalg.eigvals(J)))
    bound = effective_radius(1.1, leak, "identity")
    assert exact <= bound + 1e-12
    assert exact >= 1 + 0.8 * (bound - 1)  # most of the excess over 1 is really there


# ------------------------------------------------------------------ 3. refused input
def _fitted_esn():
    return EchoStateNetwork(30, washout=10, seed=0).fit(U[:-1], U[1:])


def _fitted_clf():
    X = [np.random.default_rng(i).normal(size=(20, 1)) for i in range(6)]
    return ESNClassifier(20, seed=0).fit(X, [0, 1] * 3)


COMPLEX_CALLS = {
    "Reservoir.run U": lambda: Reservoir.initialize(20, 1, seed=0).run(np.ones((5, 1)) + 1j),
    "Reservoir.run x0": lambda: Reservoir.initialize(20, 1, seed=0).run(
        np.ones((5, 1)), x0=np.zeros(20) + 0j),
    "Reservoir.run noise": lambda: Reservoir.initialize(20, 1, seed=0).run(
        np.ones((5, 1)), noise=np.zeros((5, 20)) * 1j),
    "Reservoir complex W": lambda: Reservoir(np.eye(3) * 0.5j, np.ones((3, 1)), np.zeros(3),
                                             np.zeros((3, 0))).run(np.ones((2, 1))),
    "ridge Z": lambda: ridge_regression(np.ones((5, 2)) + 1j, np.ones((5, 1))),
    "ridge Y": lambda: ridge_regression(np.ones((5, 2)), np.ones((5, 1)) * 1j),
    "ridge ridge": lambda: ridge_regression(np.ones((5, 2)), np.ones((5, 1)), 1e-3j),
    "spectral_radius dense": lambda: spectral_radius(np.eye(3) * 1j),
    "spectral_radius sparse": lambda: spectral_radius(scipy.sparse.csr_array(np.eye(3) * 1j)),
    "overlaps states": lambda: overlaps([[1j, 1]], [[1, 1]]),
    "overlaps patterns": lambda: overlaps([[1, 1]], [[1, 1j]]),
    "Hopfield fit": lambda: HopfieldNetwork().fit(np.array([[1, -1, 1 + 0j]])),
    "Hopfield recall": lambda: HopfieldNetwork().fit([[1, -1, 1]]).recall([[1 + 0j, 1, 1]]),
    "Hopfield energy": lambda: HopfieldNetwork().fit([[1, -1, 1]]).energy([[1j, 1, 1]]),
    "ESN fit X": lambda: EchoStateNetwork(20, washout=10).fit(U[:-1] + 0j, U[1:]),
    "ESN fit y": lambda: EchoStateNetwork(20, washout=10).fit(U[:-1], U[1:] * 1j),
    "ESN predict": lambda: _fitted_esn().predict(U + 1j),
    "ESN generate warmup": lambda: _fitted_esn().generate(3, warmup=U + 0j),
    "ESNClassifier fit": lambda: ESNClassifier(10).fit([np.zeros((5, 1)) + 1j] * 4, [0, 1] * 2),
    "ESNClassifier predict": lambda: _fitted_clf().predict([np.zeros((5, 1)) + 1j]),
}


@pytest.mark.parametrize("name", list(COMPLEX_CALLS))
def test_complex_input_refused(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning-and-carry-on
        with pytest.raises(SeqlabTypeError, match="complex"):
            COMPLEX_CALLS[name]()


BAD_HYPERPARAMETERS = [
    ("input_scaling", np.nan, SeqlabValueError),
    ("input_scaling", np.inf, SeqlabValueError),
    ("input_scaling", 1 + 1j, SeqlabTypeError),
    ("input_scaling", "big", SeqlabTypeError),
    ("leak_rate", np.nan, SeqlabValueError),
    ("leak_rate", 0.5 + 0.1j, SeqlabTypeError),
    ("leak_rate", 0.0, SeqlabValueError),
    ("spectral_radius", np.nan, SeqlabValueError),
    ("spectral_radius", 0.9 + 0j, SeqlabTypeError),
    ("connectivity", np.nan, SeqlabValueError),
    ("bias_scaling", np.nan, SeqlabValueError),
    ("bias_scaling", 1j, SeqlabTypeError),
    ("ridge", np.nan, SeqlabValueError),
    ("ridge", 1e-6j, SeqlabTypeError),
    ("noise", np.nan, SeqlabValueError),
    ("feedback_scaling", np.inf, SeqlabValueError),
    ("washout", 1.5, SeqlabTypeError),
    ("n_units", np.nan, SeqlabTypeError),
]


@pytest.mark.parametrize(("name", "value", "error"), BAD_HYPERPARAMETERS)
def test_bad_hyperparameters_refused_at_fit(name, value, error):
    esn = EchoStateNetwork(20, washout=10, seed=0).set_params(**{name: value})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(error, match=name) as err:
            esn.fit(U[:-1], U[1:])
    if isinstance(value, complex):
        assert "complex" in str(err.value)
    if name not in ("noise", "feedback_scaling", "washout"):  # regressor-only settings
        clf = ESNClassifier(20, seed=0).set_params(**{name: value})
        with pytest.raises(error, match=name):
            clf.fit([np.zeros((5, 1))] * 4, [0, 1] * 2)


def test_not_fitted_errors_are_sklearn_compatible():
    for call in (lambda: ESNClassifier(10).predict([np.zeros((5, 1))]),
                 lambda: ESNClassifier(10).decision_function([np.zeros((5, 1))]),
                 lambda: EchoStateNetwork(10).predict(U),
                 lambda: EchoStateNetwork(10).generate(3),
                 lambda: HopfieldNetwork().recall([[1, -1]])):
        with pytest.raises(NotFittedError, match="fit") as err:
            call()
        # scikit-learn's NotFittedError derives from both; code catching either works
        assert isinstance(err.value, ValueError) and isinstance(err.value, AttributeError)
        assert isinstance(err.value, SeqlabError)


def test_hopfield_bad_settings_refused():
    with pytest.raises(SeqlabValueError, match="max_sweeps"):
        HopfieldNetwork(max_sweeps=0).fit([[1, -1, 1]])
    with pytest.raises(SeqlabTypeError, match="max_sweeps"):
        HopfieldNetwork(max_sweeps=2.5).fit([[1, -1, 1]])
    with pytest.raises(SeqlabValueError, match="update"):
        HopfieldNetwork(update="parallel").fit([[1, -1, 1]])
    net = HopfieldNetwork().fit([[1, -1, 1]])
    with pytest.raises(SeqlabValueError, match="max_sweeps"):
        net.recall([[1, 1, 1]], max_sweeps=0)
    with pytest.raises(SeqlabValueError, match="NaN"):
        overlaps([[np.nan, 1.0]], [[1.0, 1.0]])


def test_run_refuses_wrong_shapes_and_non_finite_state():
    res = Reservoir.initialize(20, 2, 1, seed=0)
    with pytest.raises(SeqlabValueError, match="2 column"):
        res.run(np.ones((5, 1)))
    with pytest.raises(SeqlabValueError, match="x0"):
        res.run(np.ones((5, 2)), x0=np.zeros(19))
    with pytest.raises(SeqlabValueError, match="NaN"):
        res.run(np.ones((5, 2)), x0=np.full(20, np.nan))
    with pytest.raises(SeqlabValueError, match="y_feedback"):
        res.run(np.ones((5, 2)), y_feedback=np.ones((4, 1)))


# ------------------------------------------------------------------ 4. fast kernels
@pytest.mark.parametrize(("n", "conn", "leak"), [(300, 0.1, 1.0), (200, 0.5, 0.3),
                                                 (150, 1.0, 1.0)])
def test_states_equal_reservoirpy_at_its_default_density(n, conn, leak):
    """The kernel path chosen for each density gives reservoirpy's states."""
    res = Reservoir.initialize(n, 1, 1, spectral_radius=0.95, connectivity=conn,
                               bias_scaling=0.2, leak_rate=leak, seed=4)
    rng = np.random.default_rng(5)
    u, yfb = rng.normal(size=(400, 1)), rng.normal(size=(400, 1))
    ref = RpyReservoir(W=res.W, Win=np.hstack([res.W_in, res.W_fb]), bias=res.bias,
                       lr=leak).run(np.hstack([u, yfb]))
    np.testing.assert_allclose(res.run(u, y_feedback=yfb), ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.uint16, np.uint32])
def test_vectorised_ell_product_both_index_widths(dtype):
    """The gather-FMA kernel reads uint16 indices four per word and uint32 two per word;
    both give W^k x (uneven rows, overflow entries, N not a multiple of 4)."""
    from seqlab.reservoir._kernels import csr_to_ell, ell_power_matvec

    rng = np.random.default_rng(7)
    n = 203
    dense = rng.normal(size=(n, n)) * (rng.random((n, n)) < rng.random((n, 1)) * 0.3)
    W = scipy.sparse.csr_array(dense)
    ell = csr_to_ell(W.indptr, W.indices, W.data, True, np.empty(0, dtype))
    assert ell[1].dtype == dtype and ell[0].shape[0] % 4 == 0 and len(ell[4]) > 0
    x = rng.normal(size=n)
    np.testing.assert_allclose(ell_power_matvec(ell, x, 3), dense @ (dense @ (dense @ x)),
                               rtol=1e-12, atol=1e-12)
