"""Cells of seqlab.recurrent.cells against torch.nn cells (copied weights) and hand references."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from seqlab.recurrent.cells import (
    ElmanCell,
    GRUCell,
    JordanCell,
    LeakyCell,
    LSTMCell,
    SkipCell,
    make_cell,
)

TOL = {torch.float32: 1e-6, torch.float64: 1e-12}


def _copy(mine: nn.Module, ref: nn.Module) -> None:
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(mine, name).copy_(getattr(ref, name))


def _grads(loss: torch.Tensor, tensors: list[torch.Tensor]) -> list[torch.Tensor]:
    return list(torch.autograd.grad(loss, tensors))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(
    ("kind", "ref_cls", "kw"),
    [
        ("elman", nn.RNNCell, {"nonlinearity": "tanh"}),
        ("elman", nn.RNNCell, {"nonlinearity": "relu"}),
        ("lstm", nn.LSTMCell, {}),
        ("gru", nn.GRUCell, {}),
    ],
)
def test_standard_cell_matches_torch(dtype, kind, ref_cls, kw):
    torch.manual_seed(0)
    ref = ref_cls(3, 5, **kw).to(dtype)
    mine = make_cell(kind, 3, 5, **kw).to(dtype)
    _copy(mine, ref)
    x = torch.randn(4, 3, dtype=dtype, requires_grad=True)
    h = torch.randn(4, 5, dtype=dtype, requires_grad=True)
    c = torch.randn(4, 5, dtype=dtype, requires_grad=True)
    if kind == "lstm":
        got = mine(x, (h, c))
        want = ref(x, (h, c))
        inputs = [x, h, c]
    else:
        got = mine(x, (h,))
        want = (ref(x, h),)
        inputs = [x, h]
    tol = TOL[dtype]
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, atol=tol, rtol=tol)
    w_out = [torch.randn_like(t) for t in got]
    loss_m = sum((g * o).sum() for g, o in zip(got, w_out))
    loss_r = sum((g * o).sum() for g, o in zip(want, w_out))
    gm = _grads(loss_m, inputs + list(mine.parameters()))
    gr = _grads(loss_r, inputs + list(ref.parameters()))
    for a, b in zip(gm, gr):
        torch.testing.assert_close(a, b, atol=tol, rtol=tol)


@pytest.mark.parametrize("kind", ["elman", "leaky", "skip", "jordan", "lstm", "gru"])
def test_forward_is_step_of_input_term(kind):
    torch.manual_seed(1)
    cell = make_cell(kind, 3, 4, skip=3, output_size=2).double()
    x = torch.randn(2, 3, dtype=torch.float64)
    state = cell.initial_state(None, 2, x)
    state = tuple(torch.randn_like(s) for s in state)
    a = cell(x, state)
    b = cell.step(cell.input_term(x), state)
    for p, q in zip(a, b):
        torch.testing.assert_close(p, q, atol=0, rtol=0)


def test_elman_identity_is_linear():
    cell = ElmanCell(2, 3, "identity").double()
    x, h = torch.randn(4, 2).double(), torch.randn(4, 3).double()
    want = x @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh
    torch.testing.assert_close(cell(x, (h,))[0], want, atol=1e-12, rtol=0)


def _leaky_ref(cell, xs, h0):
    """Reference: the lecture's moving average per unit, written out."""
    a = cell.alpha
    h, out = h0, []
    for x_t in xs.unbind(1):
        v = torch.tanh(x_t @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh)
        h = a * h + (1 - a) * v
        out.append(h)
    return torch.stack(out, 1)


def _skip_ref(cell, xs, h0, k):
    """Reference: h_t reads h_{t-1} and h_{t-k} (0 when t-k < 1; h_0 only via W_hh)."""
    hs = [h0]  # hs[t] = h_t
    for t, x_t in enumerate(xs.unbind(1), start=1):
        back = hs[t - k] if t - k >= 1 else torch.zeros_like(h0)
        pre = (x_t @ cell.weight_ih.T + cell.bias_ih + hs[t - 1] @ cell.weight_hh.T
               + cell.bias_hh + back @ cell.weight_skip.T)
        hs.append(torch.tanh(pre))
    return torch.stack(hs[1:], 1)


def _jordan_ref(cell, xs, y0):
    y, ys, hs = y0, [], []
    for x_t in xs.unbind(1):
        h = torch.tanh(x_t @ cell.weight_ih.T + cell.bias_ih + y @ cell.weight_yh.T + cell.bias_hh)
        y = torch.sigmoid(h @ cell.weight_hy.T + cell.bias_hy)
        ys.append(y)
        hs.append(h)
    return torch.stack(ys, 1), torch.stack(hs, 1)


def _run(cell, xs, state):
    out = []
    for x_t in xs.unbind(1):
        state = cell(x_t, state)
        out.append(state)
    return out


@pytest.mark.parametrize("learn_alpha", [False, True])
def test_leaky_matches_reference(learn_alpha):
    torch.manual_seed(2)
    alpha = torch.rand(4) * 0.8 + 0.1
    cell = LeakyCell(3, 4, alpha=alpha, learn_alpha=learn_alpha).double()
    torch.testing.assert_close(cell.alpha, alpha.double(), atol=1e-7, rtol=0)
    xs, h0 = torch.randn(2, 6, 3).double(), torch.randn(2, 4).double()
    got = torch.stack([s[0] for s in _run(cell, xs, (h0,))], 1)
    torch.testing.assert_close(got, _leaky_ref(cell, xs, h0), atol=1e-12, rtol=0)
    names = {n for n, _ in cell.named_parameters()}
    assert ("alpha_logit" in names) == learn_alpha


@pytest.mark.parametrize("k", [2, 3, 5])
def test_skip_matches_reference(k):
    torch.manual_seed(3)
    cell = SkipCell(3, 4, skip=k).double()
    xs, h0 = torch.randn(2, 9, 3).double(), torch.randn(2, 4).double()
    got = torch.stack([s[0] for s in _run(cell, xs, cell.initial_state((h0,), 2, xs))], 1)
    torch.testing.assert_close(got, _skip_ref(cell, xs, h0, k), atol=1e-12, rtol=0)


def test_jordan_matches_reference():
    torch.manual_seed(4)
    cell = JordanCell(3, 5, output_size=2, output_activation="sigmoid").double()
    xs, y0 = torch.randn(2, 7, 3).double(), torch.randn(2, 2).double()
    states = _run(cell, xs, cell.initial_state((y0,), 2, xs))
    y_ref, h_ref = _jordan_ref(cell, xs, y0)
    torch.testing.assert_close(torch.stack([s[0] for s in states], 1), y_ref, atol=1e-12, rtol=0)
    torch.testing.assert_close(torch.stack([s[1] for s in states], 1), h_ref, atol=1e-12, rtol=0)


def test_leaky_gradcheck_float64():
    torch.manual_seed(5)
    cell = LeakyCell(2, 3, alpha=0.7, learn_alpha=True).double()
    x = torch.randn(2, 2, dtype=torch.float64, requires_grad=True)
    h = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, h, a: _leaky_step(cell, x, h, a),
                                    (x, h, cell.alpha_logit))


def _leaky_step(cell, x, h, alpha_logit):
    with torch.no_grad():
        cell.alpha_logit.copy_(alpha_logit)
    return cell(x, (h,))[0]


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: ElmanCell(2, 3, "sigmoid"), "nonlinearity"),  # type: ignore[arg-type]
        (lambda: LeakyCell(2, 3, alpha=1.0), "alpha"),
        (lambda: LeakyCell(2, 3, alpha=torch.ones(2) * 0.5), "alpha"),
        (lambda: SkipCell(2, 3, skip=1), "skip"),
        (lambda: JordanCell(2, 3, output_activation="relu"), "output_activation"),  # type: ignore[arg-type]
        (lambda: make_cell("rnn", 2, 3), "cell"),
        (lambda: LSTMCell(2, 0), "hidden_size"),
        (lambda: GRUCell(-1, 3), "input_size"),
    ],
)
def test_bad_options_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make()
