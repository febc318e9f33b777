"""Higher-order gradients through every cell and every implementation of RNNLayer (issue 17).

The hand-written BPTT Functions used to return a correct first derivative but a wrong second
one (their backward was not differentiable and ``once_differentiable`` did not fire): for the
penalty ``sum(out^2) + ||dL/dx||^2`` the gradient with impl "auto"/"bptt" differed from
autograd's ("loop") and PyTorch's fused kernels ("torch"). Checked here three ways: finite
differences (``gradcheck``/``gradgradcheck``, float64), agreement with the autograd loop and
torch's kernels to 1e-10, and directly on the public ``*_sequence`` functions with masks,
initial states and every activation.
"""

from __future__ import annotations

import pytest
import torch
from torch.autograd import gradcheck, gradgradcheck
from torch.func import functional_call

from seqlab.recurrent import _bptt_reference, bptt
from seqlab.recurrent.cells import CELL_TYPES
from seqlab.recurrent.layers import RNNLayer

DT = torch.float64
B, T, I, H = 2, 3, 2, 2


def _layer(cell: str, impl: str, seed: int = 0) -> RNNLayer:
    # learn_alpha: the leaky unit's alpha = sigmoid(alpha_logit) is a non-leaf input of bptt
    return RNNLayer(I, H, cell=cell, impl=impl, learn_alpha=True, seed=seed).to(DT)


def _impls(cell: str) -> list[str]:
    torch_ok = _layer(cell, "loop")._torch_supported()
    return ["auto", "bptt", "loop"] + (["torch"] if torch_ok else [])


CASES = [(c, i) for c in CELL_TYPES for i in _impls(c)]


def _inputs(cell: str, seed: int = 1) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(B, T, I, dtype=DT, generator=gen).requires_grad_()
    n_states = 2 if cell == "lstm" else 1
    states = tuple(
        (0.5 * torch.randn(1, B, H, dtype=DT, generator=gen)).requires_grad_()
        for _ in range(n_states)
    )
    return x, states


def _as_function(layer: RNNLayer, cell: str, lengths: torch.Tensor | None):
    names = [n for n, _ in layer.named_parameters()]

    def f(x, *rest):
        n_states = 2 if cell == "lstm" else 1
        states, params = rest[:n_states], rest[n_states:]
        state = states if cell == "lstm" else states[0]
        out, final = functional_call(layer, dict(zip(names, params)), (x, state, lengths))
        finals = final if isinstance(final, tuple) else (final,)
        return (out, *finals)

    return f


@pytest.mark.parametrize("padded", [False, True], ids=["full", "padded"])
@pytest.mark.parametrize(("cell", "impl"), CASES)
def test_gradcheck_and_gradgradcheck(cell: str, impl: str, padded: bool) -> None:
    layer = _layer(cell, impl)
    x, states = _inputs(cell)
    params = tuple(p.detach().clone().requires_grad_() for p in layer.parameters())
    lengths = torch.tensor([T, T - 1]) if padded else None
    f = _as_function(layer, cell, lengths)
    args = (x, *states, *params)
    assert gradcheck(f, args, fast_mode=True)
    assert gradgradcheck(f, args, fast_mode=True)


def _penalty_grads(cell: str, impl: str, lengths: torch.Tensor | None) -> list[torch.Tensor]:
    """d/d(x, parameters) of P = sum(out^2) + ||dL/dx||^2 (the issue's penalty)."""
    layer = RNNLayer(3, 5, cell=cell, impl=impl, learn_alpha=True, seed=0).to(DT)
    x = torch.randn(4, 7, 3, dtype=DT, generator=torch.Generator().manual_seed(2))
    x.requires_grad_()
    out, _ = layer(x, lengths=lengths)
    loss = out.pow(2).sum()
    (gx,) = torch.autograd.grad(loss, x, create_graph=True)
    penalty = loss + gx.pow(2).sum()
    return list(torch.autograd.grad(penalty, [x, *layer.parameters()]))


@pytest.mark.parametrize("padded", [False, True], ids=["full", "padded"])
@pytest.mark.parametrize("cell", CELL_TYPES)
def test_penalty_gradient_matches_autograd_and_torch(cell: str, padded: bool) -> None:
    lengths = torch.tensor([7, 4, 7, 2]) if padded else None
    impls = _impls(cell)
    refs = [_penalty_grads(cell, "loop", lengths)]
    if "torch" in impls:
        refs.append(_penalty_grads(cell, "torch", lengths))
    for impl in ("auto", "bptt"):
        got = _penalty_grads(cell, impl, lengths)
        for ref in refs:
            for g, r in zip(got, ref, strict=True):
                torch.testing.assert_close(g, r, rtol=0, atol=1e-10)
    w = 3 if cell == "jordan" else 1  # weight_hh (weight_yh for Jordan) is the 2nd parameter
    assert float(refs[0][w + 1].norm()) > 1e-3  # the second-order term is not trivially 0


def _p(*shape: int, gen: torch.Generator) -> torch.Tensor:
    return (0.5 * torch.randn(*shape, dtype=DT, generator=gen)).requires_grad_()


def _mask() -> torch.Tensor:
    m = torch.ones(B, T + 1, dtype=DT)
    m[0, -2:] = 0  # a shorter sequence
    m[1, 1] = 0  # an interior gap: the state is carried over it
    return m


@pytest.mark.parametrize("act", ["tanh", "relu", "identity"])
def test_simple_functions_double_backward_with_mask(act: str) -> None:
    gen = torch.Generator().manual_seed(3)
    x, h0 = _p(B, T + 1, I, gen=gen), _p(B, H, gen=gen)
    w = (_p(H, I, gen=gen), _p(H, H, gen=gen), _p(H, gen=gen), _p(H, gen=gen))
    alpha = torch.full((H,), 0.7, dtype=DT).requires_grad_()
    w_skip, m = _p(H, H, gen=gen), _mask()
    cases = [
        (lambda *a: bptt.elman_sequence(*a, nonlinearity=act, mask=m), (x, h0, *w)),
        (lambda *a: bptt.leaky_sequence(*a, nonlinearity=act, mask=m), (x, h0, *w, alpha)),
        (lambda *a: bptt.skip_sequence(*a[:6], a[6], 2, nonlinearity=act, mask=m),
         (x, h0, *w, w_skip)),
    ]  # fmt: skip
    for f, args in cases:
        assert gradcheck(f, args, fast_mode=True)
        assert gradgradcheck(f, args, fast_mode=True)


@pytest.mark.parametrize("out_act", ["identity", "tanh", "sigmoid"])
def test_jordan_function_double_backward_with_mask(out_act: str) -> None:
    gen = torch.Generator().manual_seed(4)
    O = 3
    args = (_p(B, T + 1, I, gen=gen), _p(B, O, gen=gen), _p(H, I, gen=gen), _p(H, O, gen=gen),
            _p(H, gen=gen), _p(H, gen=gen), _p(O, H, gen=gen), _p(O, gen=gen))  # fmt: skip
    m = _mask()

    def f(*a):
        return bptt.jordan_sequence(*a, output_activation=out_act, mask=m)

    assert gradcheck(f, args, fast_mode=True)
    assert gradgradcheck(f, args, fast_mode=True)


def test_gated_functions_double_backward_with_mask() -> None:
    gen = torch.Generator().manual_seed(5)
    x, h0, c0, m = _p(B, T + 1, I, gen=gen), _p(B, H, gen=gen), _p(B, H, gen=gen), _mask()
    lstm = (_p(4 * H, I, gen=gen), _p(4 * H, H, gen=gen), _p(4 * H, gen=gen), _p(4 * H, gen=gen))
    gru = (_p(3 * H, I, gen=gen), _p(3 * H, H, gen=gen), _p(3 * H, gen=gen), _p(3 * H, gen=gen))

    def f_lstm(*a):
        return bptt.lstm_sequence(*a, mask=m)

    def f_gru(*a):
        return bptt.gru_sequence(*a, mask=m)

    for f, args in ((f_lstm, (x, h0, c0, *lstm)), (f_gru, (x, h0, *gru))):
        assert gradcheck(f, args, fast_mode=True)
        assert gradgradcheck(f, args, fast_mode=True)


def test_plain_backward_keeps_the_hand_written_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only create_graph=True takes the autograd path; .backward() stays hand-written."""

    def refuse(*_a, **_k):
        raise AssertionError("the autograd re-run was used for a first-order backward")

    monkeypatch.setattr(_bptt_reference, "differentiable_backward", refuse)
    for cell in CELL_TYPES:
        layer = _layer(cell, "bptt")
        x, _ = _inputs(cell)
        layer(x)[0].pow(2).sum().backward()
        assert x.grad is not None and all(p.grad is not None for p in layer.parameters())


def test_weight_changed_in_place_before_backward_raises() -> None:
    """Saved with save_for_backward: an optimiser step between forward and backward is caught
    (the numba backward used to read the new weights through shared memory, silently)."""
    layer = _layer("elman", "bptt")
    x, _ = _inputs("elman")
    out, _ = layer(x)
    with torch.no_grad():
        layer.cells[0].weight_hh.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()
