"""Explicit BPTT (seqlab.recurrent.bptt) against autograd reference loops and torch.nn.

The references are plain Python loops of torch ops written from the contract equations
(autograd differentiates them); the hand-written backward must match them to 1e-10 in
float64, and pass torch.autograd.gradcheck. Forward passes are also compared with
torch.nn.RNN / LSTM / GRU with copied weights.
"""

from __future__ import annotations

import pytest
import torch

from seqlab.recurrent import _bptt_torchloop, bptt

DT = torch.float64
ACTS = {"tanh": torch.tanh, "relu": torch.relu, "identity": lambda v: v, "sigmoid": torch.sigmoid}


def _p(*shape, scale=0.5, gen=None):
    return (scale * torch.randn(*shape, dtype=DT, generator=gen)).requires_grad_()


def _mask(B, T):
    m = torch.ones(B, T, dtype=DT)
    m[0, T - 2 :] = 0  # a shorter sequence (right padding)
    if B > 2:
        m[2, 1] = 0  # an interior gap: the state is carried over it
    return m


# ------------------------------------------------------------------- reference loops
def ref_simple(x, h0, w_ih, w_hh, b_ih, b_hh, act, mask, alpha=None, w_skip=None, k=0):
    B, T, _ = x.shape
    mask = torch.ones(B, T, dtype=x.dtype) if mask is None else mask
    h, states, outs = h0, [], []
    for t, xt in enumerate(x.unbind(1)):
        z = xt @ w_ih.T + h @ w_hh.T
        z = z + (b_ih if b_ih is not None else 0) + (b_hh if b_hh is not None else 0)
        if w_skip is not None and t >= k:
            z = z + states[t - k] @ w_skip.T
        u = ACTS[act](z)
        hn = alpha * h + (1 - alpha) * u if alpha is not None else u
        m = mask[:, t : t + 1]
        h = m * hn + (1 - m) * h
        states.append(h)
        outs.append(m * h)
    return torch.stack(outs, 1), h


def ref_jordan(x, y0, w_ih, w_yh, b_ih, b_hh, w_hy, b_hy, act, out_act, mask):
    B, T, _ = x.shape
    mask = torch.ones(B, T, dtype=x.dtype) if mask is None else mask
    y, hs, ys = y0, [], []
    for t, xt in enumerate(x.unbind(1)):
        h = ACTS[act](xt @ w_ih.T + b_ih + y @ w_yh.T + b_hh)
        yn = ACTS[out_act](h @ w_hy.T + b_hy)
        m = mask[:, t : t + 1]
        y = m * yn + (1 - m) * y
        hs.append(m * h)
        ys.append(m * y)
    return torch.stack(hs, 1), torch.stack(ys, 1), y


def ref_lstm(x, h0, c0, w_ih, w_hh, b_ih, b_hh, mask):
    B, T, _ = x.shape
    mask = torch.ones(B, T, dtype=x.dtype) if mask is None else mask
    h, c, hs, cs = h0, c0, [], []
    for t, xt in enumerate(x.unbind(1)):
        i, f, g, o = (xt @ w_ih.T + b_ih + h @ w_hh.T + b_hh).chunk(4, 1)
        cn = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        hn = torch.sigmoid(o) * torch.tanh(cn)
        m = mask[:, t : t + 1]
        h, c = m * hn + (1 - m) * h, m * cn + (1 - m) * c
        hs.append(m * h)
        cs.append(m * c)
    return torch.stack(hs, 1), torch.stack(cs, 1), h, c


def ref_gru(x, h0, w_ih, w_hh, b_ih, b_hh, mask):
    B, T, _ = x.shape
    mask = torch.ones(B, T, dtype=x.dtype) if mask is None else mask
    h, hs = h0, []
    for t, xt in enumerate(x.unbind(1)):
        xr, xz, xn = (xt @ w_ih.T + b_ih).chunk(3, 1)
        hr, hz, hn = (h @ w_hh.T + b_hh).chunk(3, 1)
        r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        m = mask[:, t : t + 1]
        h = m * ((1 - z) * n + z * h) + (1 - m) * h
        hs.append(m * h)
    return torch.stack(hs, 1), h


# ------------------------------------------------------------------- cases
B, T, I, H, O = 3, 6, 2, 4, 2


def _case(cell, act="tanh", masked=False, seed=0):
    """(hand function, reference function, inputs) for one cell."""
    g = torch.Generator().manual_seed(seed)
    x = _p(B, T, I, scale=1.0, gen=g)
    mask = _mask(B, T) if masked else None
    if cell in ("elman", "leaky", "skip"):
        args = [x, _p(B, H, gen=g), _p(H, I, gen=g), _p(H, H, gen=g), _p(H, gen=g), _p(H, gen=g)]
        if cell == "elman":
            return (
                lambda *a: bptt.elman_sequence(*a, nonlinearity=act, mask=mask),
                lambda *a: ref_simple(*a, act, mask),
                args,
            )
        if cell == "leaky":
            alpha = (0.2 + 0.6 * torch.rand(H, dtype=DT, generator=g)).requires_grad_()
            return (
                lambda *a: bptt.leaky_sequence(*a, nonlinearity=act, mask=mask),
                lambda *a: ref_simple(*a[:6], act, mask, alpha=a[6]),
                [*args, alpha],
            )
        return (
            lambda *a: bptt.skip_sequence(*a, skip=2, nonlinearity=act, mask=mask),
            lambda *a: ref_simple(*a[:6], act, mask, w_skip=a[6], k=2),
            [*args, _p(H, H, gen=g)],
        )
    if cell == "jordan":
        args = [
            x,
            _p(B, O, gen=g),
            _p(H, I, gen=g),
            _p(H, O, gen=g),
            _p(H, gen=g),
            _p(H, gen=g),
            _p(O, H, gen=g),
            _p(O, gen=g),
        ]
        out_act = "sigmoid" if act == "relu" else "tanh" if act == "identity" else "identity"
        return (
            lambda *a: bptt.jordan_sequence(
                *a, nonlinearity=act, output_activation=out_act, mask=mask
            ),
            lambda *a: ref_jordan(*a, act, out_act, mask),
            args,
        )
    if cell == "lstm":
        args = [
            x,
            _p(B, H, gen=g),
            _p(B, H, gen=g),
            _p(4 * H, I, gen=g),
            _p(4 * H, H, gen=g),
            _p(4 * H, gen=g),
            _p(4 * H, gen=g),
        ]
        return (lambda *a: bptt.lstm_sequence(*a, mask=mask), lambda *a: ref_lstm(*a, mask), args)
    args = [
        x,
        _p(B, H, gen=g),
        _p(3 * H, I, gen=g),
        _p(3 * H, H, gen=g),
        _p(3 * H, gen=g),
        _p(3 * H, gen=g),
    ]
    return (lambda *a: bptt.gru_sequence(*a, mask=mask), lambda *a: ref_gru(*a, mask), args)


CASES = [
    ("elman", "tanh"),
    ("elman", "relu"),
    ("elman", "identity"),
    ("leaky", "tanh"),
    ("leaky", "relu"),
    ("skip", "tanh"),
    ("skip", "identity"),
    ("jordan", "tanh"),
    ("jordan", "relu"),
    ("jordan", "identity"),
    ("lstm", "-"),
    ("gru", "-"),
]


def _weighted_sum(outs, seed=1):
    g = torch.Generator().manual_seed(seed)
    return sum((o * torch.randn(o.shape, dtype=DT, generator=g).to(o.dtype)).sum() for o in outs)


def _with_paths(cases):
    """Each case on the numba kernels, and the gated cells also on their torch-op loops.

    (Elman, leaky, skip and Jordan have no torch-op loop: bptt hands their large steps to the
    one-GEMM-per-step Functions, tested in test_bptt_fast.py.)
    """
    return [(*case, p) for case in cases
            for p in (("numba", "torch") if case[0] in ("lstm", "gru") else ("numba",))]


@pytest.fixture
def path(request, monkeypatch):
    """Run a test on one implementation: numba kernels or torch-op loops (fwd and bwd)."""
    big = 0 if request.param == "torch" else 10**9
    for name in ("TORCH_LOOP_MIN_BH", "TORCH_BACKWARD_MIN_BH"):
        table = getattr(_bptt_torchloop, name)
        monkeypatch.setattr(_bptt_torchloop, name, dict.fromkeys(table, big))
    return request.param


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize(("cell", "act", "path"), _with_paths(CASES), indirect=["path"])
def test_hand_bptt_equals_autograd(cell, act, masked, path):
    """Forward and every input's gradient equal the autograd reference loop to 1e-10."""
    hand, ref, args = _case(cell, act, masked)
    outs_h, outs_r = hand(*args), ref(*args)
    assert len(outs_h) == len(outs_r)
    for a, b in zip(outs_h, outs_r):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)
    grads_h = torch.autograd.grad(_weighted_sum(outs_h), args)
    grads_r = torch.autograd.grad(_weighted_sum(outs_r), args)
    for gh, gr in zip(grads_h, grads_r):
        assert (gh - gr).abs().max().item() < 1e-10


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize(("cell", "act", "path"),
                         _with_paths([c for c in CASES if c[1] in ("tanh", "-")]),
                         indirect=["path"])
def test_gradcheck(cell, act, masked, path):
    hand, _, args = _case(cell, act, masked)
    assert torch.autograd.gradcheck(hand, tuple(args), eps=1e-6, atol=1e-8, rtol=1e-6)


def test_bias_none_and_partial_requires_grad():
    _, _, args = _case("lstm")
    x, h0, c0, w_ih, w_hh, _, _ = args
    w_ih = w_ih.detach()  # not a leaf that needs a gradient
    out_h = bptt.lstm_sequence(x, h0, c0, w_ih, w_hh, None, None)
    out_r = ref_lstm(x, h0, c0, w_ih, w_hh, 0.0, 0.0, None)
    gh = torch.autograd.grad(_weighted_sum(out_h), (x, h0, c0, w_hh))
    gr = torch.autograd.grad(_weighted_sum(out_r), (x, h0, c0, w_hh))
    for a, b in zip(gh, gr):
        assert (a - b).abs().max().item() < 1e-10


# ------------------------------------------------------------------- torch.nn references
def test_matches_torch_nn_modules_float32():
    torch.manual_seed(0)
    x = torch.randn(5, 9, 3)
    for nonlin in ("tanh", "relu"):
        rnn = torch.nn.RNN(3, 6, batch_first=True, nonlinearity=nonlin)
        h, hl = bptt.elman_sequence(
            x,
            None,
            rnn.weight_ih_l0,
            rnn.weight_hh_l0,
            rnn.bias_ih_l0,
            rnn.bias_hh_l0,
            nonlinearity=nonlin,
        )
        ref, ref_n = rnn(x)
        torch.testing.assert_close(h, ref, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(hl, ref_n[0], rtol=1e-5, atol=1e-6)
    lstm = torch.nn.LSTM(3, 6, batch_first=True)
    h, _, _, cl = bptt.lstm_sequence(
        x, None, None, lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0
    )
    ref, (_, cn) = lstm(x)
    torch.testing.assert_close(h, ref, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(cl, cn[0], rtol=1e-5, atol=1e-6)
    gru = torch.nn.GRU(3, 6, batch_first=True)
    h, hl = bptt.gru_sequence(
        x, None, gru.weight_ih_l0, gru.weight_hh_l0, gru.bias_ih_l0, gru.bias_hh_l0
    )
    torch.testing.assert_close(h, gru(x)[0], rtol=1e-5, atol=1e-6)


def test_mask_matches_packed_sequence():
    """Right-padded batch: outputs and final states equal torch's packed-sequence LSTM."""
    torch.manual_seed(1)
    lengths = torch.tensor([7, 3, 5])
    x = torch.randn(3, 7, 2, dtype=DT, requires_grad=True)
    mask = torch.arange(7)[None, :] < lengths[:, None]
    lstm = torch.nn.LSTM(2, 4, batch_first=True).double()
    packed = torch.nn.utils.rnn.pack_padded_sequence(
        x.detach(), lengths, batch_first=True, enforce_sorted=False
    )
    out, (hn, cn) = lstm(packed)
    ref, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=7)
    h, _, hl, cl = bptt.lstm_sequence(
        x,
        None,
        None,
        lstm.weight_ih_l0,
        lstm.weight_hh_l0,
        lstm.bias_ih_l0,
        lstm.bias_hh_l0,
        mask=mask,
    )
    torch.testing.assert_close(h, ref, rtol=0, atol=1e-12)
    torch.testing.assert_close(hl, hn[0], rtol=0, atol=1e-12)
    torch.testing.assert_close(cl, cn[0], rtol=0, atol=1e-12)
    # no gradient reaches padded inputs
    gx = torch.autograd.grad(h.sum() + hl.sum(), x)[0]
    assert gx[1, 3:].abs().max() == 0


@pytest.mark.parametrize(("cell", "path"), _with_paths(
    [(c,) for c in ("elman", "leaky", "skip", "jordan", "lstm", "gru")]), indirect=["path"])
def test_float32_gradients_close_to_float64(cell, path):
    hand, _, args = _case(cell, masked=True)
    g64 = torch.autograd.grad(_weighted_sum(hand(*args)), args)
    args32 = [a.detach().float().requires_grad_() for a in args]
    g32 = torch.autograd.grad(_weighted_sum(hand(*args32)), args32)
    for a, b in zip(g64, g32):
        assert b.dtype == torch.float32
        torch.testing.assert_close(b.double(), a, rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------- bad input
def test_bad_input_errors():
    x = torch.randn(2, 3, 1)
    w_ih, w_hh = torch.randn(4, 1), torch.randn(4, 4)
    with pytest.raises(ValueError, match="nonlinearity"):
        bptt.elman_sequence(x, None, w_ih, w_hh, nonlinearity="softplus")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"x must be batch-first"):
        bptt.elman_sequence(x[0], None, w_ih, w_hh)
    with pytest.raises(ValueError, match="weight_ih must have shape"):
        bptt.elman_sequence(x, None, torch.randn(4, 2), w_hh)
    with pytest.raises(TypeError, match="dtype"):
        bptt.elman_sequence(x, None, w_ih.double(), w_hh)
    with pytest.raises(ValueError, match="h0 must have shape"):
        bptt.elman_sequence(x, torch.zeros(3, 4), w_ih, w_hh)
    with pytest.raises(ValueError, match="mask must have shape"):
        bptt.elman_sequence(x, None, w_ih, w_hh, mask=torch.ones(3, 2))
    with pytest.raises(ValueError, match="skip must be >= 2"):
        bptt.skip_sequence(x, None, w_ih, w_hh, None, None, w_hh, skip=1)
    with pytest.raises(TypeError, match="float32 or float64"):
        bptt.gru_sequence(x.int(), None, torch.randn(12, 1), torch.randn(12, 4))
    with pytest.raises(ValueError, match="alpha must have shape"):
        bptt.leaky_sequence(x, None, w_ih, w_hh, None, None, torch.ones(3))
    with pytest.raises(ValueError, match="output_activation"):
        bptt.jordan_sequence(
            x,
            None,
            w_ih,
            torch.randn(4, 2),
            None,
            None,
            torch.randn(2, 4),
            None,
            output_activation="relu",
        )  # type: ignore[arg-type]


# ------------------------------------------------------------------- truncated BPTT
def _elman_forward(params):
    w_ih, w_hh, b = params

    def fwd(xc, state):
        h_all, _ = bptt.elman_sequence(xc, state[0], w_ih, w_hh, b, None)
        return h_all, (h_all,)

    return fwd


def _params(seed=0):
    g = torch.Generator().manual_seed(seed)
    return [_p(5, 2, gen=g), _p(5, 5, gen=g), _p(5, gen=g)]


def test_tbptt_full_window_equals_full_bptt():
    params = _params()
    x = torch.randn(3, 12, 2, dtype=DT)
    y = torch.randn(3, 12, 5, dtype=DT)
    h0 = torch.zeros(3, 5, dtype=DT)
    chunks = list(bptt.truncated_bptt(_elman_forward(params), x, (h0,), 12, 12))
    assert len(chunks) == 1
    g_tb = torch.autograd.grad(((chunks[0].output - y) ** 2).sum(), params)
    h_all, _ = bptt.elman_sequence(x, h0, params[0], params[1], params[2], None)
    g_full = torch.autograd.grad(((h_all - y) ** 2).sum(), params)
    for a, b in zip(g_tb, g_full):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


@pytest.mark.parametrize(("k1", "k2"), [(4, 4), (3, 5), (5, 12)])
def test_tbptt_carried_state_and_truncated_gradient(k1, k2):
    params = _params(1)
    T = 13
    x = torch.randn(2, T, 2, dtype=DT)
    h0 = torch.randn(2, 5, dtype=DT)
    full, _ = ref_simple(x, h0, params[0], params[1], params[2], None, "tanh", None)
    for c in bptt.truncated_bptt(_elman_forward(params), x, (h0,), k1, k2):
        # the carried state equals the full forward's state at every chunk boundary
        torch.testing.assert_close(c.state[0], full[:, c.stop - 1].detach(), rtol=0, atol=1e-12)
        torch.testing.assert_close(c.output, full[:, c.start : c.stop], rtol=0, atol=1e-12)
        assert c.graph_start == max(0, c.start + k1 - k2)
        # gradient: autograd through a reference loop restarted (detached) at graph_start
        start_state = h0 if c.graph_start == 0 else full[:, c.graph_start - 1].detach()
        ref, _ = ref_simple(
            x[:, c.graph_start : c.stop],
            start_state,
            params[0],
            params[1],
            params[2],
            None,
            "tanh",
            None,
        )
        ref = ref[:, c.start - c.graph_start :]
        ga = torch.autograd.grad(c.output.sum(), params)
        gb = torch.autograd.grad(ref.sum(), params)
        for a, b in zip(ga, gb):
            torch.testing.assert_close(a, b, rtol=0, atol=1e-10)


def test_tbptt_bad_window():
    with pytest.raises(ValueError, match="k2"):
        next(
            bptt.truncated_bptt(
                _elman_forward(_params()), torch.randn(1, 4, 2), (torch.zeros(1, 5),), 4, 2
            )
        )


def test_tbptt_with_lstm_state_tuple():
    """(h, c) states are carried; boundaries match the full forward's h and c."""
    g = torch.Generator().manual_seed(3)
    w_ih, w_hh = _p(12, 2, gen=g), _p(12, 3, gen=g)
    x = torch.randn(2, 10, 2, dtype=DT, generator=g)
    h0, c0 = torch.zeros(2, 3, dtype=DT), torch.zeros(2, 3, dtype=DT)

    def fwd(xc, state):
        h_all, c_all, _, _ = bptt.lstm_sequence(xc, state[0], state[1], w_ih, w_hh)
        return h_all, (h_all, c_all)

    h_full, c_full, _, _ = bptt.lstm_sequence(x, h0, c0, w_ih, w_hh)
    chunks = list(bptt.truncated_bptt(fwd, x, (h0, c0), 3, 3))
    assert [(c.start, c.stop) for c in chunks] == [(0, 3), (3, 6), (6, 9), (9, 10)]
    for c in chunks:
        torch.testing.assert_close(c.state[0], h_full[:, c.stop - 1].detach(), rtol=0, atol=1e-12)
        torch.testing.assert_close(c.state[1], c_full[:, c.stop - 1].detach(), rtol=0, atol=1e-12)


def test_float_mask_equals_bool_mask():
    _, _, args = _case("gru")
    mask_bool = _mask(B, T) != 0
    a = bptt.gru_sequence(*args, mask=mask_bool)
    b = bptt.gru_sequence(*args, mask=mask_bool.to(DT) * 3.0)  # any nonzero value is "valid"
    for u, v in zip(a, b):
        torch.testing.assert_close(u, v, rtol=0, atol=0)
