"""Tests of seqlab.diagnostics.spectra and .plots: closed forms, autograd vs closed form, FD."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seqlab.diagnostics import (
    elman_jacobians,
    jacobian_spectra,
    plot_diagnostics,
    spectrum,
    state_gradients,
    state_jacobians,
    weight_spectra,
)
from seqlab.recurrent.cells import ElmanCell, GRUCell, LeakyCell, LSTMCell, SkipCell
from seqlab.recurrent.patterns import SequenceClassifier


def test_spectrum_of_a_rotation_and_a_shear() -> None:
    """A rotation by theta scaled by r has eigenvalues r e^{+-i theta}, all singular values r."""
    r, th = 0.9, 0.3
    w = r * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    s = spectrum(w)
    np.testing.assert_allclose(np.sort(s.eigenvalues.imag), [-r * np.sin(th), r * np.sin(th)])
    assert s.spectral_radius == pytest.approx(r) and s.max_singular_value == pytest.approx(r)
    # a shear: spectral radius 1 but norm > 1 (transient growth despite rho = 1)
    shear = spectrum([[1.0, 3.0], [0.0, 1.0]])
    assert shear.spectral_radius == pytest.approx(1.0)
    assert shear.max_singular_value == pytest.approx((3 + np.sqrt(13)) / 2)


def test_spectrum_matches_numpy() -> None:
    w = np.random.default_rng(0).normal(size=(20, 20)) / np.sqrt(20)
    s = spectrum(w)
    ref = np.linalg.eigvals(w)
    assert s.spectral_radius == pytest.approx(np.abs(ref).max(), rel=1e-12)
    assert s.max_singular_value == pytest.approx(np.linalg.norm(w, 2), rel=1e-12)
    np.testing.assert_allclose(np.sort_complex(s.eigenvalues), np.sort_complex(ref), atol=1e-12)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu", "identity"])
def test_elman_closed_form_equals_autograd(nonlinearity: str) -> None:
    cell = ElmanCell(3, 6, nonlinearity).double()
    x = torch.randn(10, 3, dtype=torch.float64)
    J, states = state_jacobians(cell, x)
    closed = elman_jacobians(states, cell.weight_hh, nonlinearity)
    torch.testing.assert_close(J, closed, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("make", [lambda: LSTMCell(2, 3), lambda: GRUCell(2, 3),
                                  lambda: LeakyCell(2, 3, alpha=0.7),
                                  lambda: SkipCell(2, 3, skip=3)])
def test_state_jacobians_match_finite_differences(make) -> None:
    cell = make().double()
    x = torch.randn(4, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    J, states = state_jacobians(cell, x)
    sizes = [s.numel() for s in cell.initial_state(None, 1, x)]
    shapes = [s.shape for s in cell.initial_state(None, 1, x)]
    u = cell.input_term(x).detach()
    eps = 1e-6
    t = 2
    prev = states[t - 1]

    def f(v: torch.Tensor) -> torch.Tensor:
        st = tuple(p.reshape(sh) for p, sh in zip(v.split(sizes), shapes))
        return torch.cat([s.reshape(-1) for s in cell.step(u[t:t + 1], st)])

    with torch.no_grad():
        fd = torch.stack([(f(prev + eps * e) - f(prev - eps * e)) / (2 * eps)
                          for e in torch.eye(prev.numel(), dtype=torch.float64)], 1)
    torch.testing.assert_close(J[t], fd, rtol=1e-6, atol=1e-8)


def test_lstm_jacobian_cell_block_is_the_forget_gate() -> None:
    """d c_t / d c_{t-1} = diag(f_t): the constant error carousel (HS97; Gers et al. 2000)."""
    cell = LSTMCell(1, 4).double()
    x = torch.randn(3, 1, dtype=torch.float64)
    J, states = state_jacobians(cell, x)
    h_prev = states[0, :4][None]
    with torch.no_grad():
        gates = cell.input_term(x[1:2]) + h_prev @ cell.weight_hh.T
        f = torch.sigmoid(gates[0, 4:8])
    torch.testing.assert_close(J[1, 4:, 4:], torch.diag(f), rtol=1e-12, atol=1e-14)


def test_product_norm_equals_matrix_power_and_gradient_ratio() -> None:
    """Linear Elman: ||J_T...J_{t+1}|| = ||W^(T-1-t)||, and it bounds the gradient ratio."""
    model = SequenceClassifier(1, 5, 1, cell="elman", nonlinearity="identity", seed=3).double()
    w = model.rnn.cells[0].weight_hh.detach()
    T = 30
    js = jacobian_spectra(w.expand(T, 5, 5))
    for t in (0, 10, 29):
        ref = float(torch.linalg.matrix_norm(torch.linalg.matrix_power(w, T - 1 - t), 2))
        assert js.product_norm[t] == pytest.approx(ref, rel=1e-10)
    np.testing.assert_allclose(js.spectral_radius, spectrum(w).spectral_radius, rtol=1e-12)
    g = state_gradients(model, torch.randn(2, T, 1, dtype=torch.float64), lambda p: p.sum())
    ratio = g.h[0, 0] / g.h[0, 0, -1]
    assert (ratio <= js.product_norm * (1 + 1e-9)).all()


def test_product_norm_survives_underflow() -> None:
    """Gains far below float range stay finite on a log scale (0.01^400 = 1e-800)."""
    js = jacobian_spectra(0.01 * torch.eye(2, dtype=torch.float64).expand(401, 2, 2))
    assert js.product_norm[-1] == 1.0 and js.product_norm[0] == 0.0  # 1e-800 -> 0 in float
    assert js.product_norm[-2] == pytest.approx(0.01)


def test_weight_spectra_keys_and_blocks() -> None:
    model = SequenceClassifier(2, 3, 1, cell="lstm", num_layers=2, seed=0)
    ws = weight_spectra(model)
    assert len(ws) == 8 and "rnn.cells.1.weight_hh[f]" in ws
    w_f = model.rnn.cells[1].weight_hh.detach()[3:6]
    assert ws["rnn.cells.1.weight_hh[f]"].spectral_radius == pytest.approx(
        float(np.abs(np.linalg.eigvals(w_f.double().numpy())).max()), rel=1e-10)
    skip = SequenceClassifier(2, 3, 1, cell="skip", seed=0)
    assert set(weight_spectra(skip)) == {"rnn.cells.0.weight_hh", "rnn.cells.0.weight_skip"}


def test_plot_diagnostics_writes_a_file(tmp_path) -> None:
    model = SequenceClassifier(1, 4, 1, cell="elman", seed=0)
    g = state_gradients(model, torch.randn(2, 8, 1), lambda p: p.sum())
    J, _ = state_jacobians(model.rnn.cells[0], torch.randn(8, 1))
    path = tmp_path / "diag.png"
    fig = plot_diagnostics({"elman": g}, weight_spectra(model), str(path),
                           jacobians={"elman": jacobian_spectra(J)})
    assert len(fig.axes) == 3 and path.stat().st_size > 1000


def test_bad_input_errors() -> None:
    with pytest.raises(ValueError, match="square"):
        spectrum(np.ones((2, 3)))
    with pytest.raises(ValueError, match="NaN"):
        spectrum([[np.nan]])
    with pytest.raises(ValueError, match=r"\(T, S, S\)"):
        jacobian_spectra(torch.ones(3, 2, 3))
    with pytest.raises(ValueError, match="nonlinearity"):
        elman_jacobians(torch.zeros(2, 2), torch.eye(2), "sigmoid")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"h must be \(T, H\)"):
        elman_jacobians(torch.zeros(2, 3), torch.eye(2))
    with pytest.raises(ValueError, match="one sequence"):
        state_jacobians(ElmanCell(2, 3), torch.zeros(1, 4, 2))
    with pytest.raises(TypeError, match="RecurrentCell"):
        state_jacobians(torch.nn.RNNCell(2, 3), torch.zeros(4, 2))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no recurrent cell"):
        weight_spectra(torch.nn.Linear(2, 2))
