"""The fused float32 forward step of the GRU fast path
(:func:`seqlab.recurrent._bptt_gru_fast._step_forward32`, with the vectorisable
``_sigmoid32`` tested in test_kernel_math.py): its outputs equal torch's ops on the same
inputs to a few ulp, a whole padded pass equals the torch-ops path, and it runs exactly where
its size rule says."""

from __future__ import annotations

import torch

from seqlab.recurrent import _bptt_gru_fast as F


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
    monkeypatch.setattr(F, "MKL_LOOP", "off")  # the Python loop calls it (not _forward_steps)
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
