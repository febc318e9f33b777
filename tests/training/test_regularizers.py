"""The Pascanu et al. (2013) regularizer against a brute-force autograd computation.

Reference: Pascanu, Mikolov & Bengio (2013), ICML, Sec. 3.3, eq. (9): Omega = sum_k
(||dE/dh_{k+1} dh_{k+1}/dh_k|| / ||dE/dh_{k+1}|| - 1)^2 with dE/dh_{k+1} held constant.
The brute force gets dE/dh_t as autograd's total derivative (retain_grad on every state of
an explicit Elman loop) and the vector-Jacobian product from autograd through the step
function itself, so neither uses the formulas under test.
"""

from __future__ import annotations

import pytest
import torch

from seqlab.training import hidden_deltas, pascanu_regularizer

DT = torch.float64
ACTS = {"tanh": torch.tanh, "relu": torch.relu, "identity": lambda v: v}


def _setup(act, seed=0, B=3, T=7, I=2, H=5):
    g = torch.Generator().manual_seed(seed)
    w_ih = (0.8 * torch.randn(H, I, dtype=DT, generator=g)).requires_grad_()
    w_hh = (0.6 * torch.randn(H, H, dtype=DT, generator=g)).requires_grad_()
    b = (0.1 * torch.randn(H, dtype=DT, generator=g)).requires_grad_()
    w_out = torch.randn(1, H, dtype=DT, generator=g)
    x = torch.randn(B, T, I, dtype=DT, generator=g)
    y = torch.randn(B, T, 1, dtype=DT, generator=g)
    return x, y, w_ih, w_hh, b, w_out


def _unroll(x, w_ih, w_hh, b, act):
    h = torch.zeros(x.shape[0], w_hh.shape[0], dtype=DT)
    hs = []
    for xt in x.unbind(1):
        h = ACTS[act](xt @ w_ih.T + h @ w_hh.T + b)
        h.retain_grad()
        hs.append(h)
    return hs


@pytest.mark.parametrize("act", ["tanh", "relu", "identity"])
def test_hidden_deltas_are_total_derivatives(act):
    x, y, w_ih, w_hh, b, w_out = _setup(act)
    hs = _unroll(x, w_ih, w_hh, b, act)
    h_all = torch.stack(hs, 1)
    loss = ((h_all @ w_out.T - y) ** 2).sum()
    direct = torch.autograd.grad(loss, h_all, retain_graph=True)[0]  # output path only
    loss.backward()
    total = torch.stack([h.grad for h in hs], 1)  # autograd's dE/dh_t through everything
    d = hidden_deltas(direct, h_all.detach(), w_hh.detach(), act)
    torch.testing.assert_close(d, total, rtol=0, atol=1e-12)


@pytest.mark.parametrize("act", ["tanh", "relu", "identity"])
def test_omega_value_and_gradient_match_brute_force(act):
    x, y, w_ih, w_hh, b, w_out = _setup(act, seed=1)
    hs = _unroll(x, w_ih, w_hh, b, act)
    h_all = torch.stack(hs, 1)
    loss = ((h_all @ w_out.T - y) ** 2).sum()
    loss.backward(retain_graph=True)
    totals = [h.grad.detach().clone() for h in hs]
    # brute force: vector-Jacobian products of the step function, with create_graph
    omega_bf = torch.zeros((), dtype=DT)
    for k in range(len(hs) - 1):
        v = totals[k + 1]
        vjp = torch.autograd.grad(hs[k + 1], hs[k], grad_outputs=v, create_graph=True)[0]
        omega_bf = omega_bf + ((vjp.norm(dim=-1) / v.norm(dim=-1) - 1) ** 2).mean()
    params = (w_ih, w_hh, b)
    g_bf = torch.autograd.grad(omega_bf, params, retain_graph=True, allow_unused=True)
    omega = pascanu_regularizer(h_all, w_hh, torch.stack(totals, 1), act)
    g = torch.autograd.grad(omega, params, allow_unused=True)
    torch.testing.assert_close(omega, omega_bf, rtol=1e-12, atol=1e-12)
    for a, r in zip(g, g_bf):
        if a is None:  # identity: Omega does not depend on the input weights
            assert r is None or r.abs().max() == 0
        else:
            torch.testing.assert_close(a, r, rtol=1e-10, atol=1e-12)
    assert float(omega.detach()) > 0


def test_orthogonal_identity_units_preserve_norm():
    """Identity units with orthogonal W_hh: the Jacobian is orthogonal, so Omega = 0 (Sec. 3.3)."""
    q, _ = torch.linalg.qr(torch.randn(6, 6, dtype=DT))
    h = torch.randn(2, 5, 6, dtype=DT)
    deltas = torch.randn(2, 5, 6, dtype=DT)
    assert float(pascanu_regularizer(h, q, deltas, "identity")) == pytest.approx(0.0, abs=1e-20)


def test_mask_drops_padded_terms():
    h = torch.tanh(torch.randn(2, 5, 3, dtype=DT))
    w = torch.randn(3, 3, dtype=DT)
    d = torch.randn(2, 5, 3, dtype=DT)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    full = pascanu_regularizer(h, w, d, "tanh", mask)
    row0 = pascanu_regularizer(h[:1, :3], w, d[:1, :3], "tanh")
    row1 = pascanu_regularizer(h[1:], w, d[1:], "tanh")
    torch.testing.assert_close(full, (row0 + row1) / 2)


def test_bad_input():
    with pytest.raises(ValueError, match="weight_hh"):
        pascanu_regularizer(torch.zeros(1, 3, 4), torch.zeros(3, 3), torch.zeros(1, 3, 4))
    with pytest.raises(ValueError, match="nonlinearity"):
        pascanu_regularizer(torch.zeros(1, 3, 4), torch.zeros(4, 4), torch.zeros(1, 3, 4), "gelu")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="h_all"):
        pascanu_regularizer(torch.zeros(3, 4), torch.zeros(4, 4), torch.zeros(3, 4))


def test_device_follows_the_inputs():
    """Every tensor the two functions create lives on h_all's device (here the shape-only
    ``meta`` device; a CPU-created helper tensor made the Trainer crash on CUDA); a CPU mask
    is accepted with device tensors."""
    B, T, H = 2, 5, 3
    h = torch.tanh(torch.randn(B, T, H)).to("meta")
    w = torch.randn(H, H).to("meta")
    mask = torch.ones(B, T)
    d = hidden_deltas(torch.randn(B, T, H).to("meta"), h, w, "tanh", mask=mask)
    assert d.device.type == "meta" and d.shape == (B, T, H)
    d = hidden_deltas(torch.randn(B, T, H).to("meta"), h, w, "tanh")
    assert d.device.type == "meta"
    omega = pascanu_regularizer(h, w, d, "tanh", mask=mask)
    assert omega.device.type == "meta" and omega.shape == ()
