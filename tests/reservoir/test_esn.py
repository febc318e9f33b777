"""Echo state network tests: agreement with reservoirpy 0.4 (same weights -> same states,
same ridge readout, same teacher-forced feedback training and closed-loop generation),
spectral-radius property, qualitative Mackey–Glass result, and documented errors."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import scipy.sparse
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from reservoirpy.nodes import Reservoir as RpyReservoir
from reservoirpy.nodes import Ridge as RpyRidge
from threadpoolctl import threadpool_limits

from seqlab.exceptions import NotFittedError
from seqlab.reservoir import (
    EchoStateNetwork,
    ESNClassifier,
    Reservoir,
    nrmse,
    ridge_regression,
    spectral_radius,
)


def _dense_rho(W):
    """Reference spectral radius by dense eigvals (one BLAS thread: on a loaded 2-core
    machine OpenBLAS threads spin and make this 50x slower)."""
    with threadpool_limits(1):
        return np.max(np.abs(np.linalg.eigvals(W.toarray() if scipy.sparse.issparse(W) else W)))


def _res(n=80, d=2, m=0, leak=0.3, seed=0, bias=0.4, act="tanh"):
    return Reservoir.initialize(n, d, m, spectral_radius=0.9, connectivity=0.2,
                                input_scaling=0.7, bias_scaling=bias, leak_rate=leak,
                                activation=act, seed=seed)


# ------------------------------------------------------------------ reservoirpy reference
@pytest.mark.parametrize("leak", [1.0, 0.3])
def test_states_equal_reservoirpy(leak):
    res = _res(leak=leak)
    U = np.random.default_rng(1).normal(size=(300, 2))
    ref = RpyReservoir(W=res.W, Win=res.W_in, bias=res.bias, lr=leak).run(U)
    ours = res.run(U)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12)
    # the readable step function gives the same trajectory
    x = np.zeros(res.n_units)
    for t in range(5):
        x = res._step(x, U[t])
        np.testing.assert_allclose(x, ours[t], atol=1e-13)
    # the full-drive kernel (used with training noise) agrees with the low-rank one
    np.testing.assert_allclose(res.run(U, noise=np.zeros((300, res.n_units))), ours, atol=1e-13)
    # dense W takes the dense kernel; same states
    dense = Reservoir(res.W.toarray(), res.W_in, res.bias, res.W_fb, leak)
    np.testing.assert_allclose(dense.run(U), ref, atol=1e-12)


def test_ridge_equals_reservoirpy():
    rng = np.random.default_rng(2)
    S = np.tanh(rng.normal(size=(400, 60)))
    Y = S[:, :3] @ rng.normal(size=(3, 2)) + 0.1 * rng.normal(size=(400, 2)) + 5.0
    node = RpyRidge(ridge=1e-3)
    node.fit(S, Y)
    W, c = ridge_regression(S, Y, 1e-3)
    np.testing.assert_allclose(W, node.Wout, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(c, np.ravel(node.bias), rtol=1e-9, atol=1e-12)


def test_ridge_overwrite_z_same_answer():
    rng = np.random.default_rng(22)
    Z = np.tanh(rng.normal(size=(200, 30)) + 2.0)  # far-from-zero means: centring matters
    Y = rng.normal(size=(200, 2))
    W, c = ridge_regression(Z, Y, 1e-6)
    Z2 = Z.copy()
    W2, c2 = ridge_regression(Z2, Y, 1e-6, overwrite_z=True)
    np.testing.assert_array_equal(W2, W)
    np.testing.assert_array_equal(c2, c)
    np.testing.assert_allclose(Z2, Z - Z.mean(axis=0), atol=1e-15)  # centred in place
    Z3 = Z.copy()
    ridge_regression(Z3, Y, 1e-6)
    np.testing.assert_array_equal(Z3, Z)  # untouched by default
    # strided and Fortran-ordered inputs give the same solution (BLAS gets a copy)
    wide = np.repeat(Z, 2, axis=1)
    np.testing.assert_allclose(ridge_regression(wide[:, ::2], Y, 1e-6)[0], W, atol=1e-12)
    np.testing.assert_allclose(ridge_regression(np.asfortranarray(Z), Y, 1e-6)[0], W,
                               atol=1e-12)
    # the Cholesky path and the eigen path (ridge below rounding level) agree on a
    # well-conditioned problem
    Wc, _ = ridge_regression(Z, Y, 1e-300)
    Wl, _ = ridge_regression(Z, Y, 1e-3)
    Wl_ref = np.linalg.solve((Z - Z.mean(0)).T @ (Z - Z.mean(0)) + 1e-3 * np.eye(30),
                             (Z - Z.mean(0)).T @ (Y - Y.mean(0)))
    np.testing.assert_allclose(Wl, Wl_ref, rtol=1e-8)
    Zc, Yc = Z - Z.mean(0), Y - Y.mean(0)
    np.testing.assert_allclose(Wc, np.linalg.lstsq(Zc, Yc, rcond=None)[0], rtol=1e-7)


def test_ridge_zero_collinear_gives_min_norm():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(50, 3))
    Z = np.hstack([A, A[:, :1]])  # duplicated column: singular gram
    y = A @ [1.0, 2.0, -1.0]
    W, _c = ridge_regression(Z, y[:, None], 0.0, fit_intercept=False)
    np.testing.assert_allclose(W[:, 0], np.linalg.pinv(Z) @ y, atol=1e-9)


def test_esn_pipeline_equals_reservoirpy():
    rng = np.random.default_rng(4)
    U = np.cumsum(rng.normal(size=(600, 1)), axis=0) / 20
    Y = np.hstack([np.sin(U), U**2])
    esn = EchoStateNetwork(100, spectral_radius=0.8, leak_rate=0.5, bias_scaling=0.2,
                           ridge=1e-4, washout=50, seed=0).fit(U[:400], Y[:400])
    r = esn.reservoir_
    rpy_res = RpyReservoir(W=r.W, Win=r.W_in, bias=r.bias, lr=0.5)
    rpy_out = RpyRidge(ridge=1e-4)
    model = rpy_res >> rpy_out
    model.fit(U[:400], Y[:400], warmup=50)
    np.testing.assert_allclose(esn.W_out_, rpy_out.Wout, rtol=1e-6, atol=1e-9)
    rpy_res.reset()
    np.testing.assert_allclose(esn.predict(U[400:]), model.run(U[400:]), atol=1e-9)


def test_feedback_teacher_forcing_and_generation_equal_reservoirpy():
    """Jaeger & Haas style generator (no input, output feedback): reservoirpy feeds the
    delayed teacher during fit and its own output during run, as we do."""
    from reservoirpy import ESN as RpyESN

    t = np.arange(700)
    y = (np.sin(0.2 * t) * np.cos(0.031 * t))[:, None] * 0.5
    esn = EchoStateNetwork(120, spectral_radius=0.9, connectivity=0.1, bias_scaling=0.2,
                           feedback=True, feedback_scaling=0.5, ridge=1e-6, washout=100,
                           seed=1).fit(None, y[:500])
    r = esn.reservoir_
    rpy = RpyESN(reservoir=RpyReservoir(W=r.W, Win=r.W_fb, bias=r.bias, lr=1.0),
                 readout=RpyRidge(ridge=1e-6), feedback=True)
    rpy.fit(np.zeros((500, 0)), y[:500], warmup=100)
    np.testing.assert_allclose(esn.W_out_, rpy.readout.Wout, rtol=1e-5, atol=1e-7)
    ours = esn.generate(100)
    ref = rpy.run(np.zeros((100, 0)))
    np.testing.assert_allclose(ours, ref, atol=1e-8)
    assert nrmse(y[500:600], ours) < 0.05  # and it actually continues the signal


# ------------------------------------------------------------------ properties
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(10, 240), conn=st.floats(0.02, 1.0), rho=st.floats(0.05, 3.0),
       seed=st.integers(0, 2**31), dist=st.sampled_from(["uniform", "normal"]))
def test_reservoir_has_requested_spectral_radius(n, conn, rho, seed, dist):
    assume(conn * n >= 2)
    try:
        with threadpool_limits(1):
            res = Reservoir.initialize(n, 1, spectral_radius=rho, connectivity=conn,
                                       distribution=dist, seed=seed)
    except ValueError as err:  # a nilpotent draw is reported, never silently rescaled
        assert "nilpotent" in str(err)
        return
    dense_rho = _dense_rho(res.W)
    assert dense_rho == pytest.approx(rho, rel=1e-7)
    assert scipy.sparse.issparse(res.W)
    assert res.W.nnz == max(1, round(conn * n * n))


def test_spectral_radius_sparse_large_matches_dense():
    """ARPACK path; the dense 230 x 230 case is one where a single Ritz value (k=1, as in
    reservoirpy) stops 0.26% inside the spectral circle."""
    rng = np.random.default_rng(5)
    W = scipy.sparse.random_array((400, 400), density=0.02, random_state=rng, format="csr")
    assert spectral_radius(W) == pytest.approx(_dense_rho(W), rel=1e-12)
    res = Reservoir.initialize(230, 1, spectral_radius=1.0, connectivity=1.0, seed=1038752)
    assert _dense_rho(res.W) == pytest.approx(1.0, rel=1e-12)


def test_spectral_radius_power_operator_and_bad_values():
    """The ARPACK operator is (W / ||W||_inf)^16 x, computed in the ELL layout; a dense
    input gives the same radius as its sparse form; NaN is refused."""
    from seqlab.reservoir._kernels import csr_to_ell, ell_power_matvec

    rng = np.random.default_rng(21)
    W = scipy.sparse.random_array((300, 300), density=0.03, random_state=rng, format="csr")
    x = rng.normal(size=300)
    ell = csr_to_ell(W.indptr, W.indices, W.data, True)
    ref = x.copy()
    for _ in range(5):
        ref = W @ ref
    np.testing.assert_allclose(ell_power_matvec(ell, x, 5), ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(ell_power_matvec(ell, x, 0), x)
    rho = _dense_rho(W)
    assert spectral_radius(W) == pytest.approx(rho, rel=1e-12)
    assert spectral_radius(W.toarray()) == pytest.approx(rho, rel=1e-12)
    assert spectral_radius(1e200 * W) == pytest.approx(1e200 * rho, rel=1e-12)  # no overflow
    assert spectral_radius(1e-200 * W) == pytest.approx(1e-200 * rho, rel=1e-12)
    # triangular (incl. a defective Jordan block, where ARPACK sees the pseudospectrum)
    jordan = scipy.sparse.diags([np.full(300, 0.5), np.ones(299)], [0, 1], format="csr")
    assert spectral_radius(jordan) == 0.5
    assert spectral_radius(jordan.T.tocsr()) == 0.5
    bad = W.toarray()
    bad[3, 4] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        spectral_radius(bad)
    with pytest.raises(ValueError, match="NaN"):
        spectral_radius(scipy.sparse.csr_array(bad))


# ------------------------------------------------------------------ behaviour
def test_multiple_sequences_forms_agree():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(3, 120, 2))
    Y = np.cumsum(X, axis=1)[..., :1] / 10
    a = EchoStateNetwork(40, washout=10, seed=3).fit(X, Y)
    b = EchoStateNetwork(40, washout=10, seed=3).fit(list(X), list(Y))
    np.testing.assert_array_equal(a.W_out_, b.W_out_)
    pa = a.predict(X)
    assert isinstance(pa, list) and len(pa) == 3 and pa[0].shape == (120, 1)
    np.testing.assert_allclose(pa[1], a.predict(X[1]), atol=1e-12)


def test_seed_determinism_params_and_pickle():
    u = np.sin(np.arange(300) * 0.3)
    a = EchoStateNetwork(50, washout=20, seed=7).fit(u[:-1], u[1:])
    b = EchoStateNetwork(50, washout=20, seed=7).fit(u[:-1], u[1:])
    np.testing.assert_array_equal(a.generate(30), b.generate(30))
    assert a.get_params()["n_units"] == 50
    assert a.set_params(ridge=1.0).ridge == 1.0
    c = pickle.loads(pickle.dumps(b))
    np.testing.assert_array_equal(c.predict(u[:50]), b.predict(u[:50]))


def test_generate_with_warmup_matches_continuation():
    """generate(warmup=training targets) == generate() continuing after fit (AR mode)."""
    u = np.sin(np.arange(500) * 0.25) + 0.5 * np.sin(np.arange(500) * 0.071)
    esn = EchoStateNetwork(80, washout=50, seed=0).fit(u[:-1], u[1:])
    np.testing.assert_allclose(esn.generate(40, warmup=u), esn.generate(40), atol=1e-9)
    assert nrmse(np.sin(np.arange(500, 540) * 0.25) + 0.5 * np.sin(np.arange(500, 540) * 0.071),
                 esn.generate(40)) < 0.1


def test_classifier_separates_drifts():
    """Random walks drifting up vs down (noise sd 1, drift +-0.3, lengths 15-30)."""
    rng = np.random.default_rng(8)
    X, y = [], []
    for i in range(80):
        drift = 0.3 if i % 2 else -0.3
        T = rng.integers(15, 30)
        X.append(np.cumsum(rng.normal(drift, 1.0, size=(T, 1)), axis=0) / 5)
        y.append("up" if i % 2 else "down")
    clf = ESNClassifier(60, leak_rate=0.5, ridge=1e-2, seed=0).fit(X[:50], y[:50])
    assert clf.score(X[50:], y[50:]) >= 0.9
    assert set(clf.predict(X[50:])) <= {"up", "down"}
    assert clf.decision_function(X[50:]).shape == (30,)  # binary: one score, as in sklearn


# ------------------------------------------------------------------ errors
def test_bad_input_errors():
    u = np.sin(np.arange(200) * 0.3)
    with pytest.raises(ValueError, match="spectral_radius"):
        EchoStateNetwork(20, spectral_radius=0.0).fit(u[:-1], u[1:])
    with pytest.raises(ValueError, match="spectral_radius"):
        EchoStateNetwork(20, spectral_radius=-1.0).fit(u[:-1], u[1:])
    bad = u.copy()
    bad[5] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        EchoStateNetwork(20).fit(bad[:-1], u[1:])
    with pytest.raises(ValueError, match="steps"):
        EchoStateNetwork(20, washout=10).fit(u[:-2], u[1:])
    with pytest.raises(ValueError, match="leak_rate"):
        EchoStateNetwork(20, leak_rate=1.5, washout=10).fit(u[:-1], u[1:])
    with pytest.raises(ValueError, match="activation"):
        EchoStateNetwork(20, activation="softsign", washout=10).fit(u[:-1], u[1:])
    with pytest.raises(ValueError, match="washout"):
        EchoStateNetwork(20, washout=500).fit(u[:-1], u[1:])
    with pytest.raises(ValueError, match="feedback"):
        EchoStateNetwork(20).fit(None, u)
    with pytest.raises(NotFittedError):
        EchoStateNetwork(20).predict(u)
    esn = EchoStateNetwork(20, washout=10, seed=0).fit(np.c_[u, u][:-1], u[1:])
    with pytest.raises(ValueError, match="feature"):
        esn.predict(u)
    with pytest.raises(ValueError, match="predict"):
        esn.generate(5)
    with pytest.raises(ValueError, match="label"):
        ESNClassifier(10).fit([np.zeros((5, 1))] * 3, [0, 1])


# ------------------------------------------------------------------ compiled kernels (speed work)
def test_kernel_tanh_within_3_ulp_of_numpy():
    """The branch-free, vectorizable tanh of the kernels against np.tanh: normal, wide,
    near the 0.625 switch, tiny/huge magnitudes, and the special values."""
    from seqlab.reservoir._kernels import tanh_array

    rng = np.random.default_rng(11)
    v = np.concatenate([
        rng.normal(0, 1, 200_000), rng.normal(0, 8, 200_000), rng.uniform(0.6, 0.65, 50_000),
        10.0 ** rng.uniform(-320, 3, 200_000) * rng.choice([-1, 1], 200_000),
        [0.0, 0.625, -0.625, np.nextafter(0.625, 0), 18.0, 19.06, 19.07, 22.0, 23.0, 710.0,
         1e300, -1e300, 5e-324, -5e-324, np.inf, -np.inf],
    ])
    ours, ref = tanh_array(v), np.tanh(v)
    ulp = np.abs(ours - ref) / np.spacing(np.abs(ref))
    assert ulp.max() <= 3.0
    assert np.mean(ulp) < 0.6
    special = tanh_array(np.array([np.nan, -0.0, np.inf, -np.inf]))
    assert np.isnan(special[0]) and np.signbit(special[1]) and special[1] == 0.0
    np.testing.assert_array_equal(special[2:], [1.0, -1.0])


@pytest.mark.parametrize("bounded", [True, False])
def test_csr_to_ell_holds_every_entry_once(bounded):
    """ELL part + COO overflow rebuild the CSR matrix exactly (uneven rows, empty rows)."""
    from seqlab.reservoir._kernels import csr_to_ell

    rng = np.random.default_rng(12)
    dense = rng.normal(size=(60, 60)) * (rng.random((60, 60)) < rng.random((60, 1)) * 0.4)
    dense[[3, 17]] = 0.0
    W = scipy.sparse.csr_array(dense)
    ell_data, ell_cols, row, col, val = csr_to_ell(W.indptr, W.indices, W.data, bounded)
    rebuilt = np.zeros_like(dense)
    K = ell_data.shape[0]
    for j in range(K):
        np.add.at(rebuilt, (np.arange(60), ell_cols[j]), ell_data[j])
    np.add.at(rebuilt, (row, col), val)
    np.testing.assert_array_equal(rebuilt, dense)
    assert (K > 0) == bounded
    assert ell_data.size + len(val) <= 2 * W.nnz + 60  # no wasteful padding


@pytest.mark.parametrize("act", ["tanh", "identity", "sigmoid", "relu"])
def test_kernels_match_step_function_all_activations(act):
    """run (low-rank and full-drive) and closed-loop generation with TWO fed-back outputs
    (checks the transposed readout) against the readable step function."""
    from seqlab.reservoir import _kernels

    res = _res(n=70, d=1, m=2, leak=0.6, act=act)
    res.W = res.W * 0.5  # keep identity/relu states bounded
    rng = np.random.default_rng(13)
    U, Yfb = rng.normal(size=(40, 1)), rng.normal(size=(40, 2))
    x, ref = np.zeros(70), []
    for t in range(40):
        x = res._step(x, U[t], Yfb[t])
        ref.append(x)
    np.testing.assert_allclose(res.run(U, y_feedback=Yfb), ref, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(res.run(U, y_feedback=Yfb, noise=np.zeros((40, 70))), ref,
                               rtol=1e-13, atol=1e-14)
    Wout, c = rng.normal(size=(70, 2)) * 0.1, np.array([0.1, -0.2])
    W = res._csr()
    drive = res._drive(U, None, None)
    S, Y = _kernels.generate_csr(W.indptr, W.indices, W.data, drive, res.W_fb.T.copy(),
                                 np.zeros(70), np.zeros(2), res._leak_vector(),
                                 _kernels.ACTIVATIONS[act],
                                 np.ascontiguousarray(Wout.T), np.tile(c, (40, 1)),
                                 np.zeros((2, 2)))
    x, y = np.zeros(70), np.zeros(2)
    for t in range(40):
        x = res._step(x, U[t], y)
        y = x @ Wout + c
        np.testing.assert_allclose(S[t], x, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(Y[t], y, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("seed", range(4))
def test_spectral_radius_matches_dense_on_nonnormal_and_complex(seed):
    """Random sparse reservoirs (complex dominant pairs are the rule), an upper-triangular
    (very non-normal) one and a rotation-block one with a complex dominant pair."""
    rng = np.random.default_rng(seed)
    n = 300
    W = scipy.sparse.random_array((n, n), density=10 / n, random_state=rng, format="csr",
                                  data_sampler=lambda size: rng.uniform(-1, 1, size))
    assert spectral_radius(W) == pytest.approx(_dense_rho(W), rel=1e-12)
    T = scipy.sparse.csr_array(np.triu(W.toarray()) + np.diag(rng.uniform(-1, 1, n)))
    assert spectral_radius(T) == pytest.approx(_dense_rho(T), rel=1e-12)
    blocks = [np.array([[a, -b], [b, a]]) for a, b in rng.uniform(-0.5, 0.5, (n // 2, 2))]
    blocks[7] = np.array([[0.3, -1.5], [1.5, 0.3]])
    R = scipy.sparse.block_diag(blocks, format="csr") + 0.01 * W
    assert spectral_radius(R) == pytest.approx(_dense_rho(R), rel=1e-12)


def test_run_discard_and_short_last_sequence():
    """discard= drops leading states without changing the rest, on every kernel path; a
    last training sequence shorter than the washout still sets the state generate() uses."""
    res = _res(n=50, d=1, m=1, leak=0.5)
    rng = np.random.default_rng(14)
    U, Yfb = rng.normal(size=(30, 1)), rng.normal(size=(30, 1))
    full = res.run(U, y_feedback=Yfb)
    np.testing.assert_array_equal(res.run(U, y_feedback=Yfb, discard=29), full[29:])
    assert res.run(U, y_feedback=Yfb, discard=30).shape == (0, 50)
    np.testing.assert_allclose(res.run(U, y_feedback=Yfb, noise=np.zeros((30, 50)), discard=7),
                               full[7:], atol=1e-14)
    with pytest.raises(ValueError, match="discard"):
        res.run(U, discard=31)
    u = np.sin(np.arange(200) * 0.3)
    esn = EchoStateNetwork(40, washout=20, seed=2)
    esn.fit([u[:150], u[150:160]], [u[1:151], u[151:161]])
    x = np.zeros(40)
    for t in range(10):
        x = esn.reservoir_._step(x, u[150 + t : 151 + t])
    np.testing.assert_allclose(esn.state_, x, atol=1e-13)
