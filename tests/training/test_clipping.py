"""Gradient clipping: the post-clip norm never exceeds the bound (hypothesis), and the
results agree with torch.nn.utils.clip_grad_norm_ / clip_grad_value_."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab.training import clip_grad_norm, clip_grad_value, grad_norm


def _params(shapes, scale, dtype, seed):
    g = torch.Generator().manual_seed(seed)
    ps = []
    for s in shapes:
        p = torch.zeros(s, dtype=dtype, requires_grad=True)
        p.grad = scale * torch.randn(s, dtype=torch.float64, generator=g).to(dtype)
        ps.append(p)
    return ps


shapes = st.lists(
    st.lists(st.integers(1, 7), min_size=1, max_size=3).map(tuple), min_size=1, max_size=4
)
common = dict(
    shapes=shapes,
    scale=st.floats(1e-4, 1e6),
    bound=st.floats(1e-3, 1e3),
    dtype=st.sampled_from([torch.float32, torch.float64]),
    seed=st.integers(0, 10_000),
)


@settings(max_examples=60, deadline=None)
@given(**common)
def test_clip_norm_never_exceeds_bound(shapes, scale, bound, dtype, seed):
    ps = _params(shapes, scale, dtype, seed)
    before = [p.grad.clone() for p in ps]
    ref = math.sqrt(sum(float((b.double() ** 2).sum()) for b in before))
    pre = clip_grad_norm(ps, bound)
    assert pre == pytest.approx(ref, rel=1e-12)
    post = grad_norm(ps)
    assert post <= bound
    if ref <= bound:  # untouched
        assert all(torch.equal(p.grad, b) for p, b in zip(ps, before))
    else:  # same direction, norm ~ bound
        assert post == pytest.approx(bound, rel=1e-5)
        for p, b in zip(ps, before):
            torch.testing.assert_close(p.grad, b * (post / ref), rtol=1e-4, atol=0)


@settings(max_examples=60, deadline=None)
@given(**common)
def test_clip_value_bounds_components(shapes, scale, bound, dtype, seed):
    ps = _params(shapes, scale, dtype, seed)
    twins = _params(shapes, scale, dtype, seed)
    ref = math.sqrt(sum(float((p.grad.double() ** 2).sum()) for p in ps))
    assert clip_grad_value(ps, bound) == pytest.approx(ref, rel=1e-12)
    torch.nn.utils.clip_grad_value_(twins, bound)
    for p, t in zip(ps, twins):
        assert p.grad.abs().max() <= bound
        assert torch.equal(p.grad, t.grad)


def test_matches_torch_clip_grad_norm():
    ps, twins = (
        _params([(3, 4), (5,)], 10.0, torch.float64, 0),
        _params([(3, 4), (5,)], 10.0, torch.float64, 0),
    )
    pre = clip_grad_norm(ps, 1.0)
    torch_pre = torch.nn.utils.clip_grad_norm_(twins, 1.0)
    assert pre == pytest.approx(float(torch_pre), rel=1e-12)
    for p, t in zip(ps, twins):
        torch.testing.assert_close(p.grad, t.grad, rtol=2e-6, atol=0)


def test_nonfinite_gradient_is_reported_and_left_alone():
    (p,) = _params([(3,)], 1.0, torch.float32, 0)
    p.grad[1] = float("inf")
    before = p.grad.clone()
    assert math.isinf(clip_grad_norm([p], 1.0))
    assert torch.equal(p.grad, before)


def test_params_without_grad_and_single_tensor():
    a = torch.zeros(2, requires_grad=True)
    b = torch.zeros(2, requires_grad=True)
    a.grad = torch.tensor([3.0, 4.0])
    assert clip_grad_norm([a, b], 10.0) == 5.0
    assert clip_grad_norm(a, 1.0) == 5.0
    np.testing.assert_allclose(a.grad.numpy(), [0.6, 0.8], rtol=1e-5)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_bounds(bad):
    (p,) = _params([(2,)], 1.0, torch.float32, 0)
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm([p], bad)
    with pytest.raises(ValueError, match="clip_value"):
        clip_grad_value([p], bad)
