"""RNNLayer (the one unroll engine) against torch.nn.RNN/LSTM/GRU with copied weights.

Tolerances: float64 1e-12, float32 1e-6, both relative to max(1, max|reference|) (weight
gradients are sums over B*T terms, so an absolute float32 bound would be meaningless for
large ones). PyTorch's float32 LSTM on CPU runs oneDNN's fused kernel, which orders the
sums differently from the explicit loop: the difference is rounding, ~1e-7 relative.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seqlab.recurrent.cells import LSTMCell
from seqlab.recurrent.interop import copy_from_torch, to_torch
from seqlab.recurrent.layers import RNNLayer, _bptt_function, reverse_padded

TOL = {torch.float32: 1e-6, torch.float64: 1e-12}
STANDARD = [("lstm", "tanh"), ("gru", "tanh"), ("elman", "tanh"), ("elman", "relu")]


def close(a: torch.Tensor, b: torch.Tensor, tol: float) -> None:
    err = (a - b).abs().max().item()
    scale = max(1.0, b.abs().max().item())
    assert err <= tol * scale, f"max abs diff {err:.3g} > {tol:.0e} * {scale:.3g}"


def _states(s):
    return s if isinstance(s, tuple) else (s,)


def _run_torch(ref, x, lengths, state):
    if lengths is None:
        return ref(x, state)
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, fin = ref(packed, state)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    return out, fin


def _available(impl: str, cell: str) -> bool:
    return impl != "bptt" or _bptt_function(cell) is not None


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("impl", ["loop", "torch", "bptt"])
@pytest.mark.parametrize(("cell", "nonlin"), STANDARD)
@pytest.mark.parametrize(("num_layers", "bidirectional"), [(1, False), (2, True)])
def test_matches_torch_nn(dtype, impl, cell, nonlin, num_layers, bidirectional):
    """Outputs, final states and all gradients equal torch.nn's (lengths + initial state)."""
    if not _available(impl, cell):
        pytest.skip("seqlab.recurrent.bptt has no function for this cell yet")
    torch.manual_seed(0)
    layer = RNNLayer(3, 5, cell=cell, num_layers=num_layers, bidirectional=bidirectional,
                     nonlinearity=nonlin, impl=impl).to(dtype)
    ref = to_torch(layer)
    n = num_layers * (2 if bidirectional else 1)
    x = torch.randn(4, 7, 3, dtype=dtype, requires_grad=True)
    lengths = torch.tensor([7, 2, 5, 1])
    state = tuple(torch.randn(n, 4, 5, dtype=dtype, requires_grad=True)
                  for _ in range(2 if cell == "lstm" else 1))
    st_arg = state if cell == "lstm" else state[0]
    out, fin = layer(x, st_arg, lengths=lengths)
    out_r, fin_r = _run_torch(ref, x, lengths, st_arg)
    tol = TOL[dtype]
    close(out, out_r, tol)
    for a, b in zip(_states(fin), _states(fin_r)):
        close(a, b, tol)
    g = torch.randn_like(out)
    w = [torch.randn_like(s) for s in _states(fin)]

    def loss(o, f):
        return (o * g).sum() + sum((s * v).sum() for s, v in zip(_states(f), w))

    grads = torch.autograd.grad(loss(out, fin), [x, *state, *layer.parameters()])
    grads_r = torch.autograd.grad(loss(out_r, fin_r), [x, *state, *ref.parameters()])
    for a, b in zip(grads, grads_r):
        close(a, b, tol)


@pytest.mark.parametrize("cell", ["elman", "leaky", "skip", "jordan", "lstm", "gru"])
def test_all_impls_agree(cell):
    """Loop, bptt (and torch where it exists) give the same outputs and gradients (float64)."""
    torch.manual_seed(1)
    layer = RNNLayer(3, 4, cell=cell, num_layers=2, bidirectional=True, skip=3,
                     learn_alpha=True, output_size=2).double()
    x = torch.randn(3, 8, 3, dtype=torch.float64, requires_grad=True)
    lengths = [8, 4, 1]
    impls = ["loop"] + (["bptt"] if _bptt_function(cell) else []) + (
        ["torch"] if layer._torch_supported() else [])
    results = {}
    for impl in impls:
        layer.impl = impl
        out, fin = layer(x, lengths=lengths)
        loss = (out**2).sum() + sum(s.sum() for s in _states(fin))
        results[impl] = (out, _states(fin), torch.autograd.grad(loss, [x, *layer.parameters()]))
    base = results["loop"]
    for impl in impls[1:]:
        out, fin, grads = results[impl]
        close(out, base[0], 1e-12)
        for a, b in zip(fin, base[1]):
            close(a, b, 1e-12)
        for a, b in zip(grads, base[2]):
            close(a, b, 1e-12)


@pytest.mark.parametrize("impl", ["loop", "bptt"])
def test_lstm_cell_states_every_step(impl):
    """c_t of every step (which torch.nn.LSTM cannot return) equals nn.LSTMCell's."""
    if not _available(impl, "lstm"):
        pytest.skip("seqlab.recurrent.bptt has no lstm_sequence yet")
    torch.manual_seed(2)
    layer = RNNLayer(3, 4, cell="lstm", num_layers=2, impl=impl).double()
    x = torch.randn(2, 6, 3, dtype=torch.float64)
    _, _, states = layer(x, return_all_states=True)
    inp = x
    for layer_idx in range(2):
        ref = nn.LSTMCell(3 if layer_idx == 0 else 4, 4).double()
        cell = layer.cells[layer_idx]
        assert isinstance(cell, LSTMCell)
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(ref, name).copy_(getattr(cell, name))
        h = c = torch.zeros(2, 4, dtype=torch.float64)
        hs, cs = [], []
        for x_t in inp.unbind(1):
            h, c = ref(x_t, (h, c))
            hs.append(h)
            cs.append(c)
        close(states["c"][layer_idx], torch.stack(cs, 1), 1e-12)
        close(states["h"][layer_idx], torch.stack(hs, 1), 1e-12)
        inp = torch.stack(hs, 1)


def test_all_states_shapes_and_top_layer_is_output():
    layer = RNNLayer(3, 4, cell="jordan", output_size=2, num_layers=2, bidirectional=True)
    out, fin, states = layer(torch.randn(5, 6, 3), lengths=[6, 5, 4, 3, 1],
                             return_all_states=True)
    assert out.shape == (5, 6, 4) and fin.shape == (4, 5, 2)
    assert states["h"].shape == (2, 5, 6, 8) and states["y"].shape == (2, 5, 6, 4)
    torch.testing.assert_close(states["y"][-1], out)


CELLS = ["elman", "leaky", "skip", "jordan", "lstm", "gru"]


@settings(max_examples=12, deadline=None)
@given(
    cell=st.sampled_from(CELLS),
    impl=st.sampled_from(["loop", "bptt", "torch"]),
    bidirectional=st.booleans(),
    lengths=st.lists(st.integers(1, 6), min_size=1, max_size=4),
    extra=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_padding_changes_nothing(cell, impl, bidirectional, lengths, extra, seed):
    """Appending arbitrary padding beyond each length changes no valid output, no final
    state and no gradient."""
    layer = RNNLayer(2, 3, cell=cell, bidirectional=bidirectional, skip=2, seed=seed,
                     impl="loop").double()
    if (impl == "torch" and not layer._torch_supported()) or not _available(impl, cell):
        impl = "loop"
    layer.impl = impl
    gen = torch.Generator().manual_seed(seed)
    t_max = max(lengths)
    x = torch.randn(len(lengths), t_max, 2, generator=gen, dtype=torch.float64)
    pad = 100 * torch.randn(len(lengths), t_max + extra, 2, generator=gen, dtype=torch.float64)
    valid = torch.arange(t_max + extra)[None, :] < torch.tensor(lengths)[:, None]
    x_long = torch.where(valid[..., None], torch.cat([x, pad[:, t_max:]], 1), pad)
    x_short = x_long[:, :t_max].clone().requires_grad_(True)
    x_long = x_long.clone().requires_grad_(True)
    out_s, fin_s = layer(x_short, lengths=lengths)
    out_l, fin_l = layer(x_long, lengths=lengths)
    close(out_l[:, :t_max], out_s, 1e-12)
    assert bool((out_l[:, t_max:] == 0).all()) and bool((out_l[~valid] == 0).all())
    for a, b in zip(_states(fin_l), _states(fin_s)):
        close(a, b, 1e-12)
    weights = torch.randn(out_s.shape, generator=gen, dtype=torch.float64)

    def grads(out, fin, x):
        loss = (out[:, :t_max] * weights).sum() + sum(s.sum() for s in _states(fin))
        return torch.autograd.grad(loss, [x, *layer.parameters()])

    g_s, g_l = grads(out_s, fin_s, x_short), grads(out_l, fin_l, x_long)
    close(g_l[0][:, :t_max], g_s[0], 1e-12)
    assert bool((g_l[0][~valid] == 0).all())
    for a, b in zip(g_l[1:], g_s[1:]):
        close(a, b, 1e-12)


def test_reverse_padded_is_its_own_inverse():
    x = torch.randn(3, 5, 2)
    lengths = torch.tensor([5, 3, 1])
    torch.testing.assert_close(reverse_padded(reverse_padded(x, lengths), lengths), x)
    torch.testing.assert_close(reverse_padded(x, None), x.flip(1))


def test_batch_first_false_is_a_transpose():
    torch.manual_seed(3)
    a = RNNLayer(3, 4, cell="gru", bidirectional=True, seed=5)
    b = RNNLayer(3, 4, cell="gru", bidirectional=True, seed=5, batch_first=False)
    x = torch.randn(2, 6, 3)
    torch.testing.assert_close(b(x.transpose(0, 1), lengths=[6, 3])[0].transpose(0, 1),
                               a(x, lengths=[6, 3])[0])


def test_dropout_between_layers_only_in_training():
    torch.manual_seed(4)
    layer = RNNLayer(3, 4, cell="elman", num_layers=2, dropout=0.5, impl="loop", seed=1)
    plain = RNNLayer(3, 4, cell="elman", num_layers=2, dropout=0.0, impl="loop", seed=1)
    x = torch.randn(2, 5, 3)
    layer.eval()
    torch.testing.assert_close(layer(x)[0], plain(x)[0])
    layer.train()
    assert not torch.allclose(layer(x)[0], plain(x)[0])


def test_copy_roundtrip_and_seed():
    ref = nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True)
    layer = copy_from_torch(RNNLayer(3, 4, cell="lstm", num_layers=2, bidirectional=True), ref)
    back = to_torch(layer)
    for (n1, p1), (n2, p2) in zip(ref.named_parameters(), back.named_parameters()):
        assert n1 == n2 and torch.equal(p1, p2)
    a, b = RNNLayer(3, 4, seed=7), RNNLayer(3, 4, seed=7)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_copy_mismatch_raises():
    with pytest.raises(TypeError, match="pairs with LSTM"):
        copy_from_torch(RNNLayer(3, 4, cell="lstm"), nn.GRU(3, 4))
    with pytest.raises(ValueError, match="sizes differ"):
        copy_from_torch(RNNLayer(3, 4, cell="gru"), nn.GRU(3, 5))
    with pytest.raises(ValueError, match="nonlinearity"):
        copy_from_torch(RNNLayer(3, 4, cell="elman"), nn.RNN(3, 4, nonlinearity="relu"))
    with pytest.raises(ValueError, match=r"no torch\.nn equivalent"):
        to_torch(RNNLayer(3, 4, cell="leaky"))


def test_auto_picks_an_available_impl():
    for cell in CELLS:
        for batch in (1, 1000):
            impl = RNNLayer(3, 8, cell=cell).resolve_impl(batch=batch)
            assert impl in ("torch", "bptt", "loop")
            assert impl != "torch" or cell in ("lstm", "gru", "elman")
            assert impl != "bptt" or _bptt_function(cell) is not None
    assert RNNLayer(3, 8, cell="lstm").resolve_impl(return_all_states=True) == "torch"
    assert RNNLayer(3, 8, cell="lstm").resolve_impl(True, batch=1) != "torch"


@pytest.mark.parametrize(
    ("call", "err", "match"),
    [
        (lambda m: m(torch.randn(2, 5, 4)), ValueError, "4 features"),
        (lambda m: m(torch.randn(5, 3)), ValueError, "3-D"),
        (lambda m: m([[1.0]]), TypeError, "torch.Tensor"),
        (lambda m: m(torch.randn(2, 5, 3).double()), TypeError, "dtype"),
        (lambda m: m(torch.full((2, 5, 3), float("nan"))), ValueError, "NaN"),
        (lambda m: m(torch.randn(2, 5, 3), lengths=[6, 2]), ValueError, "<= the padded"),
        (lambda m: m(torch.randn(2, 5, 3), lengths=[0, 2]), ValueError, ">= 1"),
        (lambda m: m(torch.randn(2, 5, 3), lengths=[-1, 2]), ValueError, ">= 1"),
        (lambda m: m(torch.randn(2, 5, 3), lengths=[5]), ValueError, r"shape \(2,\)"),
        (lambda m: m(torch.randn(2, 5, 3), lengths=[2.5, 2.0]), TypeError, "integers"),
        (lambda m: m(torch.randn(2, 5, 3), torch.zeros(1, 2, 4)), TypeError, r"\(h0, c0\)"),
        (lambda m: m(torch.randn(2, 5, 3), (torch.zeros(1, 3, 4),) * 2), ValueError, "shape"),
    ],
)
def test_bad_input_raises(call, err, match):
    with pytest.raises(err, match=match):
        call(RNNLayer(3, 4, cell="lstm"))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_one_non_finite_value_raises_and_overflowing_sum_does_not(bad):
    """The finiteness check sums x first (a finite sum proves every value finite): one bad
    value among many must still raise, and finite values whose float32 sum overflows to
    inf must not."""
    layer = RNNLayer(3, 4, cell="elman")
    x = torch.randn(2, 5, 3)
    x[1, 3, 2] = bad
    with pytest.raises(ValueError, match="NaN or infinite"):
        layer(x)
    big = torch.full((2, 5, 3), 3e38)
    assert torch.isinf(big.sum())
    assert torch.isfinite(layer(big)[0]).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cell": "jordan", "impl": "torch"}, "impl='torch'"),
        ({"cell": "elman", "nonlinearity": "identity", "impl": "torch"}, "impl='torch'"),
        ({"impl": "fast"}, "impl"),
        ({"cell": "lstn"}, "cell"),
        ({"dropout": 1.0}, "dropout"),
        ({"init": "xavier"}, "init"),
        ({"num_layers": 0}, "num_layers"),
    ],
)
def test_bad_options_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RNNLayer(3, 4, **kwargs)


@pytest.mark.parametrize("cell", ["lstm", "gru", "elman"])
def test_torch_impl_all_states_equal_loop(cell):
    """impl='torch' runs layer by layer and recomputes LSTM c_t: same states and gradients."""
    torch.manual_seed(6)
    layer = RNNLayer(3, 4, cell=cell, num_layers=2, bidirectional=True).double()
    x = torch.randn(3, 6, 3, dtype=torch.float64, requires_grad=True)
    state = tuple(torch.randn(4, 3, 4, dtype=torch.float64) for _ in range(2 if cell == "lstm"
                                                                            else 1))
    st_arg = state if cell == "lstm" else state[0]
    res = {}
    for impl in ("loop", "torch"):
        layer.impl = impl
        out, fin, states = layer(x, st_arg, lengths=[6, 4, 1], return_all_states=True)
        loss = sum((v * torch.linspace(-1, 1, v.numel(), dtype=v.dtype).view_as(v)).sum()
                   for v in states.values()) + sum(f.sum() for f in _states(fin))
        res[impl] = (out, _states(fin), states,
                     torch.autograd.grad(loss, [x, *layer.parameters()]))
    (o1, f1, s1, g1), (o2, f2, s2, g2) = res["loop"], res["torch"]
    close(o2, o1, 1e-12)
    assert s1.keys() == s2.keys()
    for a, b in [*zip(f2, f1), *((s2[k], s1[k]) for k in s1), *zip(g2, g1)]:
        close(a, b, 1e-12)


def test_cli_rnn_check_and_info(capsys):
    from seqlab.cli import main

    assert main(["rnn", "check", "--cell", "gru", "--hidden-size", "4"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[2:]]
    assert {r[0] for r in rows} >= {"loop", "torch"}
    assert all(float(v) < 1e-12 for r in rows for v in r[1:])
    assert main(["rnn", "info", "--batch", "1"]) == 0
    out = capsys.readouterr().out
    assert all(cell in out for cell in ("elman", "jordan", "leaky", "skip", "lstm", "gru"))
