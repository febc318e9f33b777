"""Cross-check: the explicit-BPTT functions against engineer A's cells run by the unroll loop.

``RNNLayer(impl="loop")`` runs the readable cells step by step (autograd differentiates
them); ``impl="bptt"`` calls seqlab.recurrent.bptt. Both must agree on outputs and on every
gradient, for every cell, with padding (lengths), two layers and both directions.
"""

from __future__ import annotations

import pytest
import torch

from seqlab.recurrent import bptt
from seqlab.recurrent.layers import RNNLayer


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", ["elman", "jordan", "leaky", "skip", "lstm", "gru"])
def test_bptt_equals_cell_loop(cell, bidirectional, monkeypatch):
    calls = []
    name = f"{cell}_sequence"
    original = getattr(bptt, name)

    def spy(*args, **kwargs):
        calls.append(name)
        return original(*args, **kwargs)

    monkeypatch.setattr(bptt, name, spy)
    layer = RNNLayer(3, 5, cell=cell, num_layers=2, bidirectional=bidirectional, seed=0).double()
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(4, 9, 3, dtype=torch.float64, generator=gen, requires_grad=True)
    lengths = torch.tensor([9, 4, 2, 7])
    results = []
    for impl in ("loop", "bptt"):
        layer.impl = impl
        out, final = layer(x, lengths=lengths)
        h = final[0] if isinstance(final, tuple) else final
        w = torch.randn(out.shape, dtype=out.dtype, generator=torch.Generator().manual_seed(2))
        loss = (out * w).sum() + h.sum()
        params = [x, *layer.parameters()]
        grads = torch.autograd.grad(loss, params, allow_unused=True)
        results.append((out, grads))
    assert calls, "impl='bptt' did not call the explicit-BPTT function"
    (out_l, g_l), (out_b, g_b) = results
    torch.testing.assert_close(out_b, out_l, rtol=0, atol=1e-12)
    for a, b in zip(g_l, g_b):
        if a is None or b is None:
            assert a is None and b is None
        else:
            torch.testing.assert_close(b, a, rtol=0, atol=1e-10)


@pytest.mark.parametrize("with_state", [False, True], ids=["zero-state", "y0"])
@pytest.mark.parametrize(("opts", "folds"), [
    ({}, True),  # identity output, O = H: the feedback folded into W_yh W_hy
    ({"output_size": 3, "nonlinearity": "relu"}, True),  # 2 O >= H
    ({"output_size": 2}, False),  # 2 O < H: two products per step
    ({"output_size": 5, "output_activation": "tanh"}, False),
])
@pytest.mark.parametrize("lengths", [None, [9, 4, 1, 7, 9]], ids=["full", "padded"])
def test_jordan_numba_kernels_equal_the_readable_cell(opts, folds, lengths, with_state,
                                                      monkeypatch):
    """The numba path (small B*H) with and without the folded feedback: outputs, final
    states and every gradient equal impl='loop' to 1e-12; padding never folds."""
    from seqlab.recurrent import _bptt_elman

    taken = {"fold": 0, "plain": 0}
    fold_fn, plain_fn = _bptt_elman._folded_forward, _bptt_elman.K.jordan_forward

    def spy_fold(*a):
        taken["fold"] += 1
        return fold_fn(*a)

    def spy_plain(*a):
        taken["plain"] += 1
        return plain_fn(*a)

    monkeypatch.setattr(_bptt_elman, "_folded_forward", spy_fold)
    monkeypatch.setattr(_bptt_elman.K, "jordan_forward", spy_plain)
    layer = RNNLayer(3, 5, cell="jordan", num_layers=2, bidirectional=True, seed=0,
                     **opts).double()
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(5, 9, 3, dtype=torch.float64, generator=gen, requires_grad=True)
    state = None
    if with_state:
        width = layer.cells[0].carry_shapes()[0]
        state = (0.5 * torch.randn(4, 5, width, dtype=torch.float64, generator=gen)
                 ).requires_grad_()
    results = []
    for impl in ("loop", "bptt"):
        layer.impl = impl
        out, final = layer(x, state, lengths=lengths)
        w = torch.randn(out.shape, dtype=out.dtype, generator=torch.Generator().manual_seed(2))
        loss = (out * w).sum() + (final * final).sum()
        wrt = [x, *layer.parameters()] + ([state] if with_state else [])
        results.append((out, final, torch.autograd.grad(loss, wrt)))
    expect_fold = folds and lengths is None
    assert taken == ({"fold": 4, "plain": 0} if expect_fold else {"fold": 0, "plain": 4})
    (out_l, fin_l, g_l), (out_b, fin_b, g_b) = results
    torch.testing.assert_close(out_b, out_l, rtol=0, atol=1e-12)
    torch.testing.assert_close(fin_b, fin_l, rtol=0, atol=1e-12)
    for a, b in zip(g_l, g_b, strict=True):
        torch.testing.assert_close(b, a, rtol=0, atol=1e-12)


@pytest.mark.parametrize(("act", "out_size"), [("tanh", 4), ("relu", 3), ("identity", 4)])
def test_jordan_folded_numba_gradcheck(act, out_size):
    """gradcheck and gradgradcheck through the folded numba path (B*H small, no mask)."""
    from torch.autograd import gradcheck, gradgradcheck

    gen = torch.Generator().manual_seed(4)
    B, T, I, H, O = 3, 6, 2, 4, out_size

    def p(*shape):
        return (0.5 * torch.randn(*shape, dtype=torch.float64, generator=gen)).requires_grad_()

    args = (p(B, T, I), p(B, O), p(H, I), p(H, O), p(H), p(H), p(O, H), p(O))

    def f(*a):
        return bptt.jordan_sequence(*a, nonlinearity=act)

    assert gradcheck(f, args, eps=1e-6, atol=1e-8, rtol=1e-6)
    assert gradgradcheck(f, args, fast_mode=True)
