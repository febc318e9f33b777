"""The one-GEMM-per-step BPTT Functions (Elman, leaky, skip, Jordan) against the readable cells.

``seqlab.recurrent.bptt`` switches to :mod:`seqlab.recurrent._bptt_elman_fast` and
:mod:`seqlab.recurrent._bptt_jordan_fast` from ``FAST_MIN_BH``; these tests lower that threshold
to 0 so that small float64 problems run them, and compare outputs and every gradient (input,
initial state, weights, learnable leak) with ``RNNLayer(impl="loop")`` -- the cells' ``step``
differentiated by autograd -- to 1e-12, with and without lengths and initial states. The
Functions also pass gradcheck (float64), gradgradcheck (their ``create_graph`` path) and, in
float32, agree with torch.nn.RNN (the tanh is computed as 2 sigmoid(2z) - 1 there).
"""

from __future__ import annotations

import pytest
import torch
from torch.autograd import gradcheck, gradgradcheck

from seqlab.recurrent import _bptt_elman_fast, _bptt_jordan_fast, _matmul, bptt
from seqlab.recurrent.interop import copy_from_torch
from seqlab.recurrent.layers import RNNLayer

DT = torch.float64


@pytest.fixture(params=["torch", "blas", "mkl"], ids=["torch-loop", "blas-loop", "mkl-loop"])
def fast(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> dict[str, int]:
    """Force the fast Functions at every size, with the Elman/leaky/skip recursion as a loop
    of torch calls or as the numba loop (:mod:`._blas_loop`) with ``np.dot`` products or
    (float32, where torch's MKL is found; else ``np.dot``) MKL products; count how often
    each Function runs."""
    monkeypatch.setattr(_bptt_elman_fast, "FAST_MIN_BH", {"simple": 0, "jordan": 0})
    monkeypatch.setattr(_bptt_elman_fast, "LOOP", request.param)
    calls = {"simple": 0, "jordan": 0}
    for name, cls in (("simple", _bptt_elman_fast.SimpleFastFn),
                      ("jordan", _bptt_jordan_fast.JordanFastFn)):
        original = cls.apply

        def spy(*args, _name=name, _original=original):
            calls[_name] += 1
            return _original(*args)

        monkeypatch.setattr(cls, "apply", spy)
    return calls


LAYER_CASES = [
    ("elman", {"nonlinearity": "tanh"}),
    ("elman", {"nonlinearity": "relu"}),
    ("elman", {"nonlinearity": "identity"}),
    ("leaky", {"learn_alpha": True}),
    ("leaky", {"alpha": 0.6, "nonlinearity": "relu"}),
    ("skip", {"skip": 2}),
    ("skip", {"skip": 3, "nonlinearity": "identity"}),
    ("skip", {"skip": 12}),  # longer than the sequence: no skip term at all
    ("jordan", {}),  # identity output, O = H: folded into one GEMM per step when unpadded
    ("jordan", {"output_size": 2}),  # 2 * O < H: two GEMMs per step
    ("jordan", {"output_size": 4, "nonlinearity": "relu"}),
    ("jordan", {"output_size": 3, "output_activation": "tanh"}),
    ("jordan", {"output_size": 7, "output_activation": "sigmoid", "nonlinearity": "relu"}),
]


@pytest.mark.parametrize("with_state", [False, True], ids=["zero-state", "h0"])
@pytest.mark.parametrize("lengths", [None, [9, 4, 1, 7, 9]], ids=["full", "padded"])
@pytest.mark.parametrize(("cell", "opts"), LAYER_CASES)
def test_fast_bptt_equals_the_readable_cells(fast, cell, opts, lengths, with_state):
    """Outputs, final states and all gradients equal impl='loop' to 1e-12 (2 layers, 2 dirs)."""
    layer = RNNLayer(3, 5, cell=cell, num_layers=2, bidirectional=True, seed=0, **opts).to(DT)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(5, 9, 3, dtype=DT, generator=gen, requires_grad=True)
    width = layer.cells[0].carry_shapes()[0]
    state = None
    if with_state:
        state = (0.5 * torch.randn(4, 5, width, dtype=DT, generator=gen)).requires_grad_()
    results = []
    for impl in ("loop", "bptt"):
        layer.impl = impl
        out, final = layer(x, state, lengths=lengths)
        w = torch.randn(out.shape, dtype=DT, generator=torch.Generator().manual_seed(2))
        loss = (out * w).sum() + (final * final).sum()
        wrt = [x, *layer.parameters()] + ([state] if with_state else [])
        results.append((out, final, torch.autograd.grad(loss, wrt)))
    assert fast["jordan" if cell == "jordan" else "simple"] == 4  # 2 layers x 2 directions
    (out_l, fin_l, g_l), (out_b, fin_b, g_b) = results
    torch.testing.assert_close(out_b, out_l, rtol=0, atol=1e-12)
    torch.testing.assert_close(fin_b, fin_l, rtol=0, atol=1e-12)
    for a, b in zip(g_l, g_b, strict=True):
        torch.testing.assert_close(b, a, rtol=0, atol=1e-12)


def _p(*shape: int, gen: torch.Generator, scale: float = 0.5) -> torch.Tensor:
    return (scale * torch.randn(*shape, dtype=DT, generator=gen)).requires_grad_()


def _mask(B: int, T: int) -> torch.Tensor:
    m = torch.ones(B, T, dtype=DT)
    m[0, -2:] = 0  # a shorter sequence
    m[1, 1] = 0  # an interior gap: the state is carried over it
    return m


def _simple_cases(gen: torch.Generator, B: int = 3, T: int = 6, I: int = 2, H: int = 4):
    x, h0 = _p(B, T, I, gen=gen), _p(B, H, gen=gen)
    w = (_p(H, I, gen=gen), _p(H, H, gen=gen), _p(H, gen=gen), _p(H, gen=gen))
    alpha = (0.2 + 0.6 * torch.rand(H, dtype=DT, generator=gen)).requires_grad_()
    w_skip = _p(H, H, gen=gen)
    return [
        ("elman", lambda *a, **k: bptt.elman_sequence(*a, **k), (x, h0, *w)),
        ("leaky", lambda *a, **k: bptt.leaky_sequence(*a, **k), (x, h0, *w, alpha)),
        ("skip", lambda *a, **k: bptt.skip_sequence(*a[:6], a[6], 2, **k), (x, h0, *w, w_skip)),
    ]


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("act", ["tanh", "relu", "identity"])
def test_simple_gradcheck_and_gradgradcheck(fast, act, masked):
    gen = torch.Generator().manual_seed(3)
    for _, f, args in _simple_cases(gen):
        m = _mask(3, 6) if masked else None

        def g(*a, f=f, m=m):
            return f(*a, nonlinearity=act, mask=m)

        assert gradcheck(g, args, eps=1e-6, atol=1e-8, rtol=1e-6)
        assert gradgradcheck(g, args, fast_mode=True)
    assert fast["simple"] > 0


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize(("act", "out_act"), [("tanh", "identity"), ("relu", "tanh"),
                                              ("identity", "sigmoid")])
def test_jordan_gradcheck_and_gradgradcheck(fast, act, out_act, masked):
    gen = torch.Generator().manual_seed(4)
    B, T, I, H, O = 3, 6, 2, 4, 3
    args = (_p(B, T, I, gen=gen), _p(B, O, gen=gen), _p(H, I, gen=gen), _p(H, O, gen=gen),
            _p(H, gen=gen), _p(H, gen=gen), _p(O, H, gen=gen), _p(O, gen=gen))  # fmt: skip
    m = _mask(B, T) if masked else None

    def f(*a):
        return bptt.jordan_sequence(*a, nonlinearity=act, output_activation=out_act, mask=m)

    assert gradcheck(f, args, eps=1e-6, atol=1e-8, rtol=1e-6)
    assert gradgradcheck(f, args, fast_mode=True)
    assert fast["jordan"] > 0


def test_optional_arguments_and_edge_shapes(fast):
    """h0/y0/biases None, B = 1 and T = 1 (layouts where transposes are no-ops), T <= skip."""
    gen = torch.Generator().manual_seed(5)
    for B, T in ((1, 5), (3, 1), (1, 1), (2, 2)):
        x = _p(B, T, 2, gen=gen)
        w_ih, w_hh, w_skip = _p(4, 2, gen=gen), _p(4, 4, gen=gen), _p(4, 4, gen=gen)
        alpha = torch.full((4,), 0.3, dtype=DT, requires_grad=True)
        w_yh, w_hy = _p(4, 3, gen=gen), _p(3, 4, gen=gen)
        fns = [
            (lambda *a: bptt.elman_sequence(a[0], None, *a[1:]), (x, w_ih, w_hh)),
            (lambda *a: bptt.leaky_sequence(a[0], None, a[1], a[2], None, None, a[3]),
             (x, w_ih, w_hh, alpha)),
            (lambda *a: bptt.skip_sequence(a[0], None, a[1], a[2], None, None, a[3], 2),
             (x, w_ih, w_hh, w_skip)),
            (lambda *a: bptt.jordan_sequence(a[0], None, a[1], a[2], None, None, a[3], None),
             (x, w_ih, w_yh, w_hy)),
        ]  # fmt: skip
        for f, args in fns:
            assert gradcheck(f, args, eps=1e-6, atol=1e-8, rtol=1e-6)


def test_float32_matches_torch_rnn(fast):
    """float32 (tanh as 2 sigmoid(2z) - 1) against torch.nn.RNN's kernel, relative to scale."""
    torch.manual_seed(6)
    rnn = torch.nn.RNN(8, 32, batch_first=True)
    layer = RNNLayer(8, 32, cell="elman", impl="bptt")
    copy_from_torch(layer, rnn)
    x = torch.randn(4, 50, 8, requires_grad=True)
    out, h = layer(x)
    out_r, h_r = rnn(x)
    torch.testing.assert_close(out, out_r, rtol=1e-5, atol=2e-6)
    torch.testing.assert_close(h, h_r, rtol=1e-5, atol=2e-6)
    w = torch.randn(out.shape)
    grads = torch.autograd.grad((out * w).sum(), [x, *layer.parameters()])
    grads_r = torch.autograd.grad((out_r * w).sum(), [x, *rnn.parameters()])
    for a, b in zip(grads, grads_r, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4 * float(b.abs().max()))
    assert fast["simple"] == 1


@pytest.mark.parametrize("backend", [
    pytest.param("onednn", marks=pytest.mark.skipif(not _matmul.onednn(),
                                                    reason="torch build without oneDNN")),
    "mkl"])
@pytest.mark.parametrize("lengths", [None, [9, 4, 1, 7, 9]], ids=["full", "padded"])
@pytest.mark.parametrize(("cell", "opts"), LAYER_CASES)
def test_float32_products_match_float64(fast, monkeypatch, cell, opts, lengths, backend):
    """Float32 with every product through oneDNN, or every one through MKL (SEQLAB_MATMUL
    pins them: per-step products, skip blocks, projection, dX and weight gradients)
    against the readable float64 cells (impl='loop'), relative to scale; 2 layers, 2
    directions, initial state."""
    monkeypatch.setenv(_matmul.ENV, backend)
    layer = RNNLayer(3, 16, cell=cell, num_layers=2, bidirectional=True, seed=0, **opts).to(DT)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(5, 9, 3, dtype=DT, generator=gen)
    width = layer.cells[0].carry_shapes()[0]
    state = 0.5 * torch.randn(4, 5, width, dtype=DT, generator=gen)
    results = []
    for impl, dt in (("loop", DT), ("bptt", torch.float32)):
        layer.impl = impl
        layer.to(dt)
        xi, si = x.to(dt).requires_grad_(), state.to(dt).requires_grad_()
        out, final = layer(xi, si, lengths=lengths)
        w = torch.randn(out.shape, dtype=DT, generator=torch.Generator().manual_seed(2))
        loss = (out * w.to(dt)).sum() + (final * final).sum()
        grads = torch.autograd.grad(loss, [xi, si, *layer.parameters()])
        results.append([t.detach().double() for t in (out, final, *grads)])
    assert fast["jordan" if cell == "jordan" else "simple"] == 4
    for a, b in zip(*results, strict=True):
        torch.testing.assert_close(b, a, rtol=0, atol=2e-5 * max(1.0, float(a.abs().max())))


def test_outputs_changed_in_place_before_backward_raise(fast):
    """h_all is a view of the saved states: changing it in place is caught, not silently wrong."""
    gen = torch.Generator().manual_seed(7)
    for _, f, args in _simple_cases(gen):
        h_all, _ = f(*args)
        loss = h_all.sum()
        with torch.no_grad():
            h_all.mul_(2.0)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            loss.backward()


@pytest.mark.parametrize(("batch", "hidden", "kind"), [(32, 128, "simple"), (1, 64, "old"),
                                                      (8, 64, "simple"), (4, 64, "old")])
def test_dispatch_by_size(monkeypatch, batch, hidden, kind):
    """Large steps (B*H >= FAST_MIN_BH) take the fast Function, small ones the numba kernels."""
    used = []
    for name, cls in (("simple", _bptt_elman_fast.SimpleFastFn),
                      ("old", bptt.SimpleSequenceFn)):
        original = cls.apply

        def spy(*args, _name=name, _original=original):
            used.append(_name)
            return _original(*args)

        monkeypatch.setattr(cls, "apply", spy)
    x = torch.randn(batch, 3, 2)
    bptt.elman_sequence(x, None, torch.randn(hidden, 2), torch.randn(hidden, hidden))
    assert used == [kind]


def test_each_output_alone(fast):
    """Unused outputs get no materialised gradient (None reaches the backward): still exact."""
    gen = torch.Generator().manual_seed(8)
    B, T, I, H, O = 3, 5, 2, 4, 4
    jargs = (_p(B, T, I, gen=gen), _p(B, O, gen=gen), _p(H, I, gen=gen), _p(H, O, gen=gen),
             _p(H, gen=gen), _p(H, gen=gen), _p(O, H, gen=gen), _p(O, gen=gen))  # fmt: skip
    cases = [(f, args, 2) for _, f, args in _simple_cases(gen)]
    cases.append((lambda *a: bptt.jordan_sequence(*a), jargs, 3))
    for f, args, n_out in cases:
        for k in range(n_out):
            for create_graph in (False, True):
                got = torch.autograd.grad(f(*args)[k].pow(2).sum(), args,
                                          create_graph=create_graph)
                monkey = _bptt_elman_fast.FAST_MIN_BH
                _bptt_elman_fast.FAST_MIN_BH = {"simple": 10**9, "jordan": 10**9}
                try:
                    want = torch.autograd.grad(f(*args)[k].pow(2).sum(), args)
                finally:
                    _bptt_elman_fast.FAST_MIN_BH = monkey
                for a, b in zip(got, want, strict=True):
                    torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


@pytest.mark.parametrize(("dtype", "answer", "expected"), [
    (torch.float32, "blas", "blas"), (torch.float32, "mkl", "mkl"),
    (torch.float32, "torch", "torch"),
    (torch.float64, "blas", "torch")])  # float64 keeps torch's products (not measured)
def test_auto_runs_the_loop_measured_fastest(monkeypatch, dtype, answer, expected):
    """LOOP "auto": the recursion (forward and backward) runs as the numba loop of
    :mod:`._blas_loop`, with np.dot or MKL products, exactly where ``loop_choice`` says so
    for float32."""
    from seqlab.recurrent import _blas_loop, _mkl

    if answer == "mkl" and not _mkl.available():
        pytest.skip("torch build without MKL")
    monkeypatch.setattr(_bptt_elman_fast, "LOOP", "auto")
    monkeypatch.setattr(_bptt_elman_fast, "_warmup", {"s": 0.0})
    _bptt_elman_fast.warm()
    asked = []
    monkeypatch.setattr(_bptt_elman_fast, "loop_choice",
                        lambda m, k, n: asked.append((m, k, n)) or answer)
    ran = []
    for name in ("simple_forward", "simple_backward"):
        original = getattr(_blas_loop, name)
        monkeypatch.setattr(_blas_loop, name,
                            lambda *a, _n=name, _o=original: ran.append((_n, a[-1])) or _o(*a))
    layer = RNNLayer(3, 32, cell="leaky", seed=0).to(dtype)
    x = torch.randn(16, 5, 3, dtype=dtype, requires_grad=True)
    layer(x)[0].sum().backward()
    mkl = expected == "mkl"
    assert ran == ([] if expected == "torch" else
                   [("simple_forward", mkl), ("simple_backward", mkl)])
    assert asked == ([(16, 32, 32)] if dtype == torch.float32 else [])
    assert x.grad is not None and bool(torch.isfinite(x.grad).all())


def test_auto_runs_the_torch_loop_until_warmed_up(monkeypatch):
    """A process's first float32 calls run the torch loop (no numba load, no measurement)
    until their estimated recursion time reaches WARMUP_S; then the measured choice."""
    from seqlab.recurrent import _blas_loop

    B, T, H = 16, 5, 32
    per_call = 4.0 * T * B * H * H / (_bptt_elman_fast.WARMUP_GFLOPS * 1e9)
    monkeypatch.setattr(_bptt_elman_fast, "LOOP", "auto")
    monkeypatch.setattr(_bptt_elman_fast, "_warmup", {"s": 0.0})
    monkeypatch.setattr(_bptt_elman_fast, "WARMUP_S", 2.5 * per_call)
    asked = []
    monkeypatch.setattr(_bptt_elman_fast, "loop_choice",
                        lambda m, k, n: asked.append((m, k, n)) or "blas")
    ran = []
    original = _blas_loop.simple_forward
    monkeypatch.setattr(_blas_loop, "simple_forward", lambda *a: ran.append(1) or original(*a))
    layer = RNNLayer(3, H, cell="elman", seed=0)
    x = torch.randn(B, T, 3)
    counts = []
    for _ in range(5):
        layer(x)
        counts.append((len(asked), len(ran)))
    assert counts == [(0, 0), (0, 0), (0, 0), (1, 1), (2, 2)]
