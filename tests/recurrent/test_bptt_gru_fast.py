"""The matrix-product-bound GRU BPTT (``_bptt_gru_fast.GRUFastFn``, issue 19).

Checked against the readable cell (``RNNLayer(impl="loop")``: autograd through
``GRUCell.step``), against torch.nn.GRU, against the other hand-written GRU Function and by
finite differences (gradcheck / gradgradcheck, float64): outputs and every gradient equal to
1e-12 in float64, with and without ``h0``, with padding (``lengths`` and interior gaps of
the mask), multi-layer and bidirectional through ``RNNLayer``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.autograd import gradcheck, gradgradcheck

from seqlab.recurrent import _bptt_gru_fast as F
from seqlab.recurrent import _matmul, _mkl, bptt
from seqlab.recurrent._bptt_gated import GRUSequenceFn
from seqlab.recurrent._bptt_reference import gru_forward
from seqlab.recurrent.interop import copy_from_torch
from seqlab.recurrent.layers import RNNLayer

DT = torch.float64


def _params(I: int, H: int, seed: int, dtype=DT, biases: bool = True):
    gen = torch.Generator().manual_seed(seed)
    shapes = [(3 * H, I), (3 * H, H)] + ([(3 * H,), (3 * H,)] if biases else [])
    ps = [(0.6 * torch.randn(*s, dtype=dtype, generator=gen)).requires_grad_() for s in shapes]
    return ps if biases else [*ps, None, None]


def _mask(B: int, T: int) -> torch.Tensor:
    m = torch.ones(B, T, dtype=DT)
    m[0, T - 2 :] = 0  # a shorter sequence
    m[1, 1] = 0  # an interior gap: the state is carried over it
    if B > 2:
        m[2, 1:] = 0  # a sequence of one step
    return m


def _grads(outs, inputs, seed: int):
    gen = torch.Generator().manual_seed(seed)
    gs = [torch.randn(o.shape, dtype=DT, generator=gen).to(o.dtype) for o in outs]
    wrt = [t for t in inputs if t is not None and t.requires_grad]
    return list(outs) + list(torch.autograd.grad(outs, wrt, gs))


@pytest.mark.parametrize("masked", [False, True], ids=["full", "masked"])
@pytest.mark.parametrize("with_h0", [False, True], ids=["zero_h0", "h0"])
@pytest.mark.parametrize("biases", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("chunk_rows", [2048, 8], ids=["one_chunk", "chunks_of_2"])
def test_equals_reference_recurrence_float64(masked, with_h0, biases, chunk_rows, monkeypatch):
    monkeypatch.setattr(F, "_CHUNK_ROWS", chunk_rows)
    monkeypatch.setattr(F, "_PROJ_ROWS", chunk_rows)
    B, T, I, H = 4, 9, 3, 5
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(B, T, I, dtype=DT, generator=gen).requires_grad_()
    h0 = (0.5 * torch.randn(B, H, dtype=DT, generator=gen)).requires_grad_() if with_h0 else None
    ps = _params(I, H, 2, biases=biases)
    mask_tm = _mask(B, T).t().contiguous() if masked else None
    inputs = [x, h0, *ps]
    got = _grads(F.GRUFastFn.apply(x, h0, *ps, mask_tm), inputs, 3)
    ref = _grads(gru_forward(x, h0, *ps, mask_tm), inputs, 3)
    old = _grads(GRUSequenceFn.apply(x, h0, *ps, mask_tm), inputs, 3)
    assert len(got) == len(ref) == len(old)
    for a, b, c in zip(got, ref, old):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)
        torch.testing.assert_close(a, c, rtol=0, atol=1e-12)


@pytest.mark.parametrize("masked", [False, True], ids=["full", "masked"])
def test_gradcheck_and_gradgradcheck(masked):
    B, T, I, H = 3, 4, 2, 3
    gen = torch.Generator().manual_seed(4)
    x = torch.randn(B, T, I, dtype=DT, generator=gen).requires_grad_()
    h0 = (0.5 * torch.randn(B, H, dtype=DT, generator=gen)).requires_grad_()
    ps = _params(I, H, 5)
    mask_tm = _mask(B, T).t().contiguous() if masked else None

    def f(x, h0, *ps):
        return F.GRUFastFn.apply(x, h0, *ps, mask_tm)

    assert gradcheck(f, (x, h0, *ps))
    assert gradgradcheck(f, (x, h0, *ps))  # create_graph: the reference recurrence


def test_float32_matches_torch_gru():
    torch.manual_seed(0)
    gru = torch.nn.GRU(7, 64, batch_first=True)
    x = torch.randn(8, 12, 7, requires_grad=True)
    h0 = torch.randn(1, 8, 64, requires_grad=True)
    out, hn = gru(x, h0)
    ref = [out, hn[0], *torch.autograd.grad((out.sum() + hn.pow(2).sum()),
                                            [x, h0, *gru.parameters()])]
    h_all, h_last = F.GRUFastFn.apply(x, h0[0], gru.weight_ih_l0, gru.weight_hh_l0,
                                      gru.bias_ih_l0, gru.bias_hh_l0, None)
    got = [h_all, h_last, *torch.autograd.grad((h_all.sum() + h_last.pow(2).sum()),
                                               [x, h0, *gru.parameters()])]
    for a, b in zip(got, ref):
        torch.testing.assert_close(a, b.reshape(a.shape), rtol=1e-4, atol=2e-5)


def test_dispatch_rule():
    assert not F.use_gru_fast(1, 1024)  # one sequence: the numba kernels
    assert not F.use_gru_fast(64, 32) and not F.use_gru_fast(2, 256)  # small products
    assert F.use_gru_fast(32, 128) and F.use_gru_fast(64, 512) and F.use_gru_fast(4, 256)


def test_gru_sequence_uses_fast_path_on_large_steps(monkeypatch):
    calls = []
    real = F.GRUFastFn.apply

    def spy(*args):
        calls.append(args[0].shape)
        return real(*args)

    monkeypatch.setattr(F.GRUFastFn, "apply", spy)
    gru = torch.nn.GRU(3, 128, batch_first=True).double()
    x = torch.randn(16, 5, 3, dtype=DT)
    h, _ = bptt.gru_sequence(x, None, gru.weight_ih_l0, gru.weight_hh_l0,
                             gru.bias_ih_l0, gru.bias_hh_l0)
    assert calls == [x.shape]
    torch.testing.assert_close(h, gru(x)[0], rtol=0, atol=1e-12)


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("padded", [False, True], ids=["full", "lengths"])
@pytest.mark.parametrize("with_state", [False, True], ids=["zero_h0", "h0"])
def test_layer_bptt_equals_loop_float64(bidirectional, padded, with_state, monkeypatch):
    # the fast path for every size, so that a small (quick) layer exercises it
    monkeypatch.setattr(F, "use_gru_fast", lambda batch, hidden: True)
    monkeypatch.setattr(bptt, "use_gru_fast", lambda batch, hidden: True)
    B, T, I, H, L = 5, 8, 3, 6, 2
    D = 2 if bidirectional else 1
    layers = {impl: RNNLayer(I, H, cell="gru", num_layers=L, bidirectional=bidirectional,
                             impl=impl, seed=7).to(DT) for impl in ("bptt", "loop")}
    ref_gru = torch.nn.GRU(I, H, num_layers=L, bidirectional=bidirectional,
                           batch_first=True).to(DT)
    for layer in layers.values():
        copy_from_torch(layer, ref_gru)
    gen = torch.Generator().manual_seed(8)
    x = torch.randn(B, T, I, dtype=DT, generator=gen)
    state = 0.5 * torch.randn(L * D, B, H, dtype=DT, generator=gen) if with_state else None
    lengths = torch.tensor([8, 3, 8, 1, 6]) if padded else None
    results = {}
    for impl, layer in layers.items():
        xi = x.clone().requires_grad_()
        si = None if state is None else state.clone().requires_grad_()
        out, h_n = layer(xi, si, lengths=lengths)
        loss = (out * torch.linspace(-1, 1, out.shape[-1], dtype=DT)).sum() + h_n.pow(2).sum()
        wrt = [xi, *layer.parameters()] + ([si] if si is not None else [])
        results[impl] = [out, h_n, *torch.autograd.grad(loss, wrt)]
    for a, b in zip(results["bptt"], results["loop"], strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


def test_no_grad_forward_and_float32_layer_auto():
    layer = RNNLayer(4, 256, cell="gru")
    assert layer.resolve_impl(batch=8) == "bptt"
    gru = torch.nn.GRU(4, 256, batch_first=True)
    copy_from_torch(layer, gru)
    x = torch.randn(8, 6, 4)
    with torch.no_grad():
        out, h_n = layer(x)
        ref, ref_n = gru(x)
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=2e-5)
    torch.testing.assert_close(h_n, ref_n, rtol=1e-4, atol=2e-5)


@pytest.mark.parametrize("backend", [
    pytest.param("onednn", marks=pytest.mark.skipif(not _matmul.onednn(),
                                                    reason="torch build without oneDNN")),
    "mkl"])
@pytest.mark.parametrize("fused", [True, False], ids=["fused_step", "torch_ops"])
@pytest.mark.parametrize("chunked", [True, False], ids=["chunks_of_2", "one_chunk"])
@pytest.mark.parametrize("loop", [
    "off", pytest.param("on", marks=pytest.mark.skipif(not _mkl.available(),
                                                       reason="torch build without MKL"))],
    ids=["torch_loop", "mkl_loop"])
def test_float32_backends_and_chunks_agree_with_float64(backend, fused, chunked, loop,
                                                        monkeypatch):
    # the products through oneDNN or MKL (torch's addmm, which writes the step's product into
    # the fused kernel's own buffer), the step's elementwise part fused or as torch ops, the
    # projections and weight gradients in chunks of 2 steps (the last one shorter) or all at
    # once, the steps as a Python loop of torch calls or (fused) as numba loops calling
    # torch's MKL (_forward_steps, _backward_steps): the float64 result to float32 accuracy
    monkeypatch.setenv(_matmul.ENV, backend)
    monkeypatch.setattr(F, "FUSED32", fused)
    monkeypatch.setattr(F, "MKL_LOOP", loop)
    ran = []
    for name in ("_forward_steps", "_backward_steps"):
        original = getattr(F, name)
        monkeypatch.setattr(F, name, lambda *a, _n=name, _o=original: ran.append(_n) or _o(*a))
    monkeypatch.setattr(F, "_CHUNK_ROWS", 12 if chunked else 1 << 20)
    monkeypatch.setattr(F, "_PROJ_ROWS", 12 if chunked else 1 << 20)
    B, T, I, H = 6, 11, 4, 16
    gen = torch.Generator().manual_seed(9)
    x64 = torch.randn(B, T, I, dtype=DT, generator=gen)
    h064 = 0.5 * torch.randn(B, H, dtype=DT, generator=gen)
    ps64 = [p.detach() for p in _params(I, H, 10)]
    mask_tm = _mask(B, T).t().contiguous()
    results = []
    for dtype in (DT, torch.float32):
        x = x64.to(dtype).requires_grad_()
        h0 = h064.to(dtype).requires_grad_()
        ps = [p.to(dtype).requires_grad_() for p in ps64]
        outs = F.GRUFastFn.apply(x, h0, *ps, mask_tm.to(dtype))
        results.append([o.double() for o in _grads(outs, [x, h0, *ps], 11)])
    for a, b in zip(*results):
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-4)
    chunks = -(-T // 2) if chunked else 1
    expected = {"_forward_steps": chunks if fused else 0, "_backward_steps": chunks}
    assert {n: ran.count(n) for n in expected} == (
        expected if loop == "on" else dict.fromkeys(expected, 0))


@pytest.mark.parametrize(("dnn", "expected"), [(False, True), (True, False)])
def test_mkl_loop_where_torch_would_use_mkl(monkeypatch, dnn, expected):
    """"auto": the numba loops call MKL exactly where torch's step product would be MKL's
    (oneDNN not measured faster for the step's shape); "on" / "off" force it."""
    monkeypatch.setattr(F, "MKL_LOOP", "auto")
    asked = []
    monkeypatch.setattr(F, "onednn_faster", lambda kind, m, k, n: asked.append(
        (kind, m, k, n)) or dnn)
    assert F.mkl_loop(32, 128, 384) is (expected and _mkl.available())
    assert asked == ([("step", 32, 128, 384)] if _mkl.available() else [])
    for forced, value in (("on", _mkl.available()), ("off", False)):
        monkeypatch.setattr(F, "MKL_LOOP", forced)
        assert F.mkl_loop(32, 128, 384) is value


@pytest.mark.skipif(not _mkl.available(), reason="torch build without MKL")
@pytest.mark.parametrize("beta", [0.0, 1.0])
def test_mkl_gemm_row_major_views(beta):
    """:func:`_mkl.gemm` on row-major views with row strides past their widths (the GRU's
    dG_t block is the first 3H columns of 4H): C = A @ B + beta C, untouched around C."""
    rng = np.random.default_rng(3)
    big_a = rng.standard_normal((9, 11)).astype(np.float32)
    big_b = rng.standard_normal((7, 6)).astype(np.float32)
    big_c = rng.standard_normal((5, 8)).astype(np.float32)
    a, b, c = big_a[2:7, :7], big_b[:, :5], big_c[:, 1:6]  # (5, 7) @ (7, 5) -> (5, 5)
    expected = a.astype(np.float64) @ b + beta * c
    before = big_c.copy()
    _mkl.gemm(5, 5, 7, a, 11, b, 6, c, 8, beta)
    np.testing.assert_allclose(c, expected, rtol=1e-5, atol=1e-5)
    outside = np.ones(big_c.shape, bool)
    outside[:, 1:6] = False
    np.testing.assert_array_equal(big_c[outside], before[outside])


def test_onednn_probe_is_a_bool():
    assert isinstance(_matmul.onednn(), bool)


@pytest.mark.parametrize("dtype", [DT, torch.float32])
def test_pooled_buffers_two_graphs_retain_graph_and_no_aliasing(dtype):
    # the buffers saved for the backward pass come from a per-thread pool and go back to it
    # when the graph is freed (_workspace): two graphs alive at once, a graph differentiated
    # twice (retain_graph) with another call in between, and an output kept after its graph
    # is gone must all be unaffected by later calls; B=1 and B=3 (at B=1 a transposed view
    # of the states is already contiguous: the output must still be a copy)
    for B in (1, 3):
        T, I, H = 7, 3, 4
        gen = torch.Generator().manual_seed(B)
        ps = [p.detach().to(dtype).requires_grad_() for p in _params(I, H, 5)]
        xs = [torch.randn(B, T, I, dtype=dtype, generator=gen).requires_grad_()
              for _ in range(3)]
        refs = [[t.detach() for t in _grads(gru_forward(x, None, *ps, None), [x, *ps], 2)]
                for x in xs]
        tol = 1e-12 if dtype == DT else 1e-5

        def check(got, ref, tol=tol):
            for a, b in zip(got, ref):
                torch.testing.assert_close(a, b, rtol=tol, atol=tol)

        outs = [F.GRUFastFn.apply(x, None, *ps, None) for x in xs[:2]]  # two graphs alive
        check([t.detach() for t in _grads(outs[1], [xs[1], *ps], 2)], refs[1])
        check([t.detach() for t in _grads(outs[0], [xs[0], *ps], 2)], refs[0])
        del outs
        out = F.GRUFastFn.apply(xs[0], None, *ps, None)
        kept = out[0].detach()
        del out  # its graph is freed: the buffers go back to the pool
        check([t.detach() for t in _grads(F.GRUFastFn.apply(xs[2], None, *ps, None),
                                          [xs[2], *ps], 2)], refs[2])
        torch.testing.assert_close(kept, refs[0][0], rtol=tol, atol=tol)  # not overwritten
        out = F.GRUFastFn.apply(xs[0], None, *ps, None)
        g = torch.randn(out[0].shape, dtype=dtype, generator=gen)
        once = torch.autograd.grad(out[0], [xs[0]], g, retain_graph=True)[0]
        F.GRUFastFn.apply(xs[1], None, *ps, None)[0].sum().backward()  # another call between
        twice = torch.autograd.grad(out[0], [xs[0]], g)[0]
        torch.testing.assert_close(twice, once, rtol=0, atol=0)


def test_unpooled_buffers_equal_reference(monkeypatch):
    # buffers over the pool's size cap are allocated fresh (and the projections run in the
    # larger blocks): the same numbers as the readable recurrence
    from seqlab.recurrent import _workspace

    monkeypatch.setattr(_workspace, "WORKSPACE_MAX_BYTES", 0)
    monkeypatch.setattr(F, "_CHUNK_ROWS", 8)
    B, T, I, H = 4, 9, 3, 5
    gen = torch.Generator().manual_seed(4)
    x = torch.randn(B, T, I, dtype=DT, generator=gen).requires_grad_()
    ps = _params(I, H, 6)
    mask_tm = _mask(B, T).t().contiguous()
    got = _grads(F.GRUFastFn.apply(x, None, *ps, mask_tm), [x, *ps], 3)
    ref = _grads(gru_forward(x, None, *ps, mask_tm), [x, *ps], 3)
    for a, b in zip(got, ref):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)
