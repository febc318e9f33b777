"""The float32 sigmoid of the fused GRU step (:func:`seqlab.recurrent._bptt_kernels._sigmoid32`):
within 2 ulp of the correctly rounded value for v >= -88 (torch's float32 sigmoid is within
2 as well), every special value right, and used by :func:`_step_forward32`, whose float32
outputs equal torch's ops on the same inputs to a few ulp."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numba import njit

from seqlab.recurrent import _bptt_gru_fast as F
from seqlab.recurrent import _bptt_kernels as K


@njit(error_model="numpy")
def _apply(x, out):  # type: ignore[no-untyped-def]
    for i in range(x.size):
        out[i] = K._sigmoid32(x[i])


def _sigmoid32(x: np.ndarray) -> np.ndarray:
    out = np.empty_like(x)
    _apply(x, out)
    assert out.dtype == np.float32
    return out


def _ulps(got: np.ndarray, x: np.ndarray) -> np.ndarray:
    ref = (1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(np.float32)
    return np.abs(got.astype(np.float64) - ref) / np.spacing(ref)


@settings(max_examples=200, deadline=None)
@given(arrays(np.float32, st.integers(1, 64), elements=st.floats(
    min_value=-88.0, width=32, allow_nan=False, allow_infinity=False, allow_subnormal=True)))
def test_within_two_ulp(x: np.ndarray) -> None:
    assert _ulps(_sigmoid32(x), x).max() <= 2.0


def test_dense_sweep_tail_and_special_values() -> None:
    # every magnitude from 1e-45 to 88, both signs (results from 6e-39 to 1)
    mag = np.logspace(-45, np.log10(88.0), 400_001).astype(np.float32)
    x = np.concatenate([mag, -mag])
    assert _ulps(_sigmoid32(x), x).max() <= 2.0
    # below -88 the true value is a subnormal under sigmoid(-88) = 6.05e-39: returned as that
    tail = -np.linspace(88.0, 1e4, 1000, dtype=np.float32)
    floor = _sigmoid32(np.array([-88.0], np.float32))[0]
    assert 6.0e-39 < floor < 6.1e-39
    np.testing.assert_array_equal(_sigmoid32(tail), floor)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 3.4e38, -3.4e38, 20.0], np.float32)
    got = _sigmoid32(special)
    np.testing.assert_array_equal(got[[0, 1, 2, 5, 7]], [0.5, 0.5, 1.0, 1.0, 1.0])
    np.testing.assert_array_equal(got[[3, 6]], floor)
    assert np.isnan(got[4])


def test_fused_step_equals_torch_ops() -> None:
    # one step of the float32 forward pass: the fused kernel against the same formulas in
    # torch ops (sigmoid, addcmul, add, lerp), on values that reach both branches of lerp
    B, H, T = 5, 33, 3
    gen = torch.Generator().manual_seed(0)
    p = 3 * torch.randn(B, 3 * H, generator=gen)
    pn2 = 3 * torch.randn(2, B, H, generator=gen)
    hs = torch.randn(T + 1, B, H, generator=gen)
    ns, acts = torch.zeros(T, B, H), torch.zeros(T, B, 3 * H)
    t, k = 1, 1
    F._step_forward32(p.numpy(), pn2.numpy(), k, hs.numpy(), ns.numpy(), acts.numpy(), t)
    r, z = torch.sigmoid(p[:, :H]), torch.sigmoid(p[:, H : 2 * H])
    a_n = p[:, 2 * H :]
    n = 2 * torch.sigmoid(torch.addcmul(pn2[k], r, a_n, value=2.0)) - 1
    h = torch.lerp(n, hs[t], z)
    assert (z < 0.5).any() and (z >= 0.5).any()
    torch.testing.assert_close(acts[t], torch.cat([r, z, a_n], 1), rtol=3e-7, atol=1e-7)
    torch.testing.assert_close(ns[t], n, rtol=1e-6, atol=3e-7)
    torch.testing.assert_close(hs[t + 1], h, rtol=1e-6, atol=3e-7)
    assert acts[[0, 2]].abs().sum() == 0 and ns[[0, 2]].abs().sum() == 0  # only step t


def test_fused_forward_equals_torch_ops_path(monkeypatch) -> None:
    # a whole float32 layer pass, padded, fused against FUSED32 = False (torch's ops)
    B, T, I, H = 4, 9, 3, 24
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(B, T, I, generator=gen)
    h0 = 0.5 * torch.randn(B, H, generator=gen)
    ps = [0.6 * torch.randn(*s, generator=gen) for s in [(3 * H, I), (3 * H, H), (3 * H,),
                                                         (3 * H,)]]
    mask_tm = torch.ones(T, B)
    mask_tm[T - 2 :, 0] = 0
    mask_tm[1, 1] = 0

    def run():
        xs = x.clone().requires_grad_()
        qs = [q.clone().requires_grad_() for q in ps]
        out, last = F.GRUFastFn.apply(xs, h0, *qs, mask_tm)
        grads = torch.autograd.grad(out.pow(2).sum() + last.sum(), [xs, *qs])
        return [out, last, *grads]

    fused = run()
    monkeypatch.setattr(F, "FUSED32", False)
    ops = run()
    for a, b in zip(fused, ops):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_fused_only_float32_up_to_the_size_rule(monkeypatch) -> None:
    calls = []
    real = F._step_forward32

    def spy(*args):  # type: ignore[no-untyped-def]
        calls.append(args[-1])
        return real(*args)

    monkeypatch.setattr(F, "_step_forward32", spy)
    B, T, I, H = 3, 4, 2, 8  # B*3H = 72 gate values a step

    def run(dtype):  # type: ignore[no-untyped-def]
        gen = torch.Generator().manual_seed(2)
        ps = [torch.randn(*s, generator=gen, dtype=dtype)
              for s in [(3 * H, I), (3 * H, H), (3 * H,), (3 * H,)]]
        return F.GRUFastFn.apply(torch.randn(B, T, I, generator=gen, dtype=dtype), None, *ps,
                                 None)

    run(torch.float32)
    assert calls == list(range(T))
    calls.clear()
    run(torch.float64)  # float64: torch's ops
    assert calls == []
    monkeypatch.setattr(F, "FUSED32_MAX", B * 3 * H - 1)  # one value over: torch's ops
    run(torch.float32)
    assert calls == []
