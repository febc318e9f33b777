"""Tests of seqlab.diagnostics.gradients: closed forms, finite differences, the delta recursion."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seqlab.diagnostics import GradientMonitor, state_gradients
from seqlab.recurrent.patterns import SequenceClassifier
from seqlab.training.regularizers import hidden_deltas


def _double(model: torch.nn.Module) -> torch.nn.Module:
    return model.double()


def test_linear_elman_follows_powers_of_w_transpose() -> None:
    """Linear Elman, loss = sum of the output at T: dL/dh_t = (W_hh^T)^(T-t) W_out^T."""
    model = _double(SequenceClassifier(2, 5, 1, cell="elman", nonlinearity="identity", seed=1))
    w = model.rnn.cells[0].weight_hh.detach()
    w_out = model.head.weight.detach()[0]  # (H,)
    x = torch.randn(3, 12, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    g = state_gradients(model, x, lambda p: p.sum(), keep_grads=True)
    raw = g.grads["h"][0]  # (B, T, H)
    T = x.shape[1]
    for t in range(T):
        expected = torch.linalg.matrix_power(w.T, T - 1 - t) @ w_out  # same for every sequence
        for b in range(3):
            torch.testing.assert_close(raw[b, t], expected, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(g.h[0, 0], raw[0].norm(dim=-1).numpy(), rtol=1e-12)


def test_tanh_elman_matches_the_delta_recursion() -> None:
    """dL/dh_t equals the lecture's delta recursion (training.regularizers.hidden_deltas)."""
    model = _double(SequenceClassifier(3, 6, 1, cell="elman", seed=2))
    x = torch.randn(4, 15, 3, dtype=torch.float64)
    y = torch.randn(4, dtype=torch.float64)
    g = state_gradients(model, x, lambda p: ((p[:, 0] - y) ** 2).mean(), keep_grads=True)
    with torch.no_grad():
        h_all, _ = model.rnn(x)
    h_req = h_all.clone().requires_grad_(True)
    loss = ((model.head(h_req[:, -1])[:, 0] - y) ** 2).mean()
    direct = torch.autograd.grad(loss, h_req)[0]
    deltas = hidden_deltas(direct, h_all, model.rnn.cells[0].weight_hh.detach(), "tanh")
    torch.testing.assert_close(g.grads["h"][0], deltas, rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("cell", ["lstm", "gru", "leaky", "skip"])
def test_input_gradient_matches_finite_differences(cell: str) -> None:
    """||dL/dx_t|| against central differences of the loss (float64)."""
    model = _double(SequenceClassifier(2, 4, 1, cell=cell, seed=3))
    x = torch.randn(2, 6, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))

    def loss_fn(p: torch.Tensor) -> torch.Tensor:
        return (p ** 2).sum()

    g = state_gradients(model, x, loss_fn)
    eps = 1e-6
    fd = np.zeros((2, 6, 2))
    with torch.no_grad():
        for idx in np.ndindex(*fd.shape):
            xp, xm = x.clone(), x.clone()
            xp[idx] += eps
            xm[idx] -= eps
            fd[idx] = (float(loss_fn(model(xp))) - float(loss_fn(model(xm)))) / (2 * eps)
    np.testing.assert_allclose(g.x, np.linalg.norm(fd, axis=-1), rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("cell", ["gru", "elman"])
def test_state_gradient_matches_finite_difference_of_a_state_perturbation(cell: str) -> None:
    """dL/dh_t . v == (L(h_t + eps v) - L(h_t - eps v)) / (2 eps): restart the run at h_t."""
    model = _double(SequenceClassifier(2, 5, 1, cell=cell, seed=4))
    x = torch.randn(1, 9, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    g = state_gradients(model, x, lambda p: p.pow(2).sum(), keep_grads=True)
    v = torch.randn(5, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    eps = 1e-6
    for t in (1, 4, 8):  # h after t steps = index t-1
        with torch.no_grad():
            _, h_t = model.rnn(x[:, :t])

            def loss_from(h: torch.Tensor, t: int = t) -> float:
                if t == x.shape[1]:
                    return float(model.head(h[0]).pow(2).sum())
                out, _ = model.rnn(x[:, t:], state=h)
                return float(model.head(out[:, -1]).pow(2).sum())

            fd = (loss_from(h_t + eps * v) - loss_from(h_t - eps * v)) / (2 * eps)
        assert float(g.grads["h"][0][0, t - 1] @ v) == pytest.approx(fd, rel=1e-6, abs=1e-10)


def test_lengths_padded_batch_equals_separate_runs() -> None:
    """A padded batch gives each sequence's own gradients; padded steps are 0."""
    model = _double(SequenceClassifier(2, 4, 1, cell="lstm", seed=5))
    x = torch.randn(2, 9, 2, dtype=torch.float64)
    lengths = [9, 5]
    g = state_gradients(model, x, lambda p: p.sum(), lengths=lengths)
    for b, n in enumerate(lengths):
        alone = state_gradients(model, x[b:b + 1, :n], lambda p: p.sum())
        np.testing.assert_allclose(g.h[0, b, :n], alone.h[0, 0], rtol=1e-10)
        np.testing.assert_allclose(g.states["c"][0, b, :n], alone.states["c"][0, 0], rtol=1e-10)
        np.testing.assert_allclose(g.x[b, :n], alone.x[0], rtol=1e-10)
        assert (g.h[0, b, n:] == 0).all()


def test_bidirectional_reverse_direction_is_in_sequence_order() -> None:
    """The reverse cell of a bidirectional classifier is read out at step 0 (its last step)."""
    model = _double(SequenceClassifier(1, 4, 1, cell="elman", bidirectional=True, seed=6))
    x = torch.randn(2, 10, 1, dtype=torch.float64)
    g = state_gradients(model, x, lambda p: p.sum(), lengths=[10, 6])
    fwd, bwd = g.mean_norms()
    # forward direction: the output reads h_T (largest gradient last); reverse: h at step 0
    assert np.nanargmax(fwd) in (5, 9) and np.argmax(bwd) == 0
    # the reverse direction of the shorter sequence starts at its own last valid step
    assert g.h[1, 1, 5] > 0 and (g.h[1, 1, 6:] == 0).all()


def test_gated_cell_keeps_the_gradient_better_than_elman() -> None:
    """The lecture's claim: with a forget bias near 1 the LSTM's error reaches further back."""
    torch.manual_seed(0)
    x = torch.randn(8, 60, 1)
    elman = SequenceClassifier(1, 16, 1, cell="elman", seed=0)
    lstm = SequenceClassifier(1, 16, 1, cell="lstm", seed=0)
    with torch.no_grad():  # forget gate bias +3 (Gers et al. 2000): the CEC carries the error
        lstm.rnn.cells[0].bias_ih[16:32] = 3.0
    ge = state_gradients(elman, x, lambda p: p.sum())
    gl = state_gradients(lstm, x, lambda p: p.sum())
    reach_e = ge.mean_norms()[0, 0] / ge.mean_norms()[0, -1]
    reach_l = gl.mean_norms()[0, 0] / gl.mean_norms()[0, -1]
    assert reach_l > 100 * reach_e
    assert ge.decay_rate() < gl.decay_rate()


def test_model_parameters_and_grads_untouched() -> None:
    model = SequenceClassifier(2, 3, 1, cell="gru", seed=0)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    state_gradients(model, torch.randn(2, 5, 2), lambda p: p.sum())
    assert all(p.grad is None for p in model.parameters())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert "forward" not in model.rnn.__dict__  # the probe is removed


def test_monitor_records_every_n_steps_and_reach() -> None:
    model = SequenceClassifier(1, 8, 1, cell="elman", seed=0)
    mon = GradientMonitor(torch.randn(4, 40, 1), lambda p: p.pow(2).mean(), every=3)
    out = [mon(s, model) for s in range(1, 10)]
    assert [r.step for r in mon.records] == [3, 6, 9]
    assert out[0] is None and out[2] is mon.records[0]
    rec = mon.records[0]
    assert rec.reach < 1e-3  # default init, tanh: the error fades over 40 steps
    assert set(rec.spectral_radius) == {"rnn.cells.0.weight_hh"}
    assert rec.as_dict()["grad_norms"] == pytest.approx(rec.grad_norms.tolist())
    assert model.training  # mode restored


def test_bad_input_errors() -> None:
    model = SequenceClassifier(2, 3, 1, cell="gru", seed=0)
    with pytest.raises(ValueError, match="3-D"):
        state_gradients(model, torch.randn(5, 2), lambda p: p.sum())
    with pytest.raises(ValueError, match="scalar"):
        state_gradients(model, torch.randn(2, 5, 2), lambda p: p)
    with pytest.raises(TypeError, match="loss_fn"):
        state_gradients(model, torch.randn(2, 5, 2), "mse")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no seqlab RNNLayer"):
        state_gradients(torch.nn.Linear(2, 1), torch.randn(2, 5, 2), lambda p: p.sum())
    with pytest.raises(ValueError, match="lengths"):
        state_gradients(model, torch.randn(2, 5, 2), lambda p: p.sum(), lengths=[6, 1])
    with pytest.raises(ValueError, match="every must be >= 1"):
        GradientMonitor(torch.randn(1, 2, 1), lambda p: p.sum(), every=0)
