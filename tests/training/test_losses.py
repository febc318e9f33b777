"""The sequence losses refuse bad targets and ignore whatever sits in padded steps (issue 17).

References are torch.nn.functional's losses on the valid entries only (boolean indexing), so
each test fails if a padded step leaks into the value or the gradient.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from seqlab.exceptions import SeqlabTypeError, SeqlabValueError
from seqlab.recurrent import bptt
from seqlab.recurrent.layers import RNNLayer
from seqlab.recurrent.sequences import check_sequence_tensor
from seqlab.training import masked_cross_entropy, masked_mse

NAN = float("nan")
MASK = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]])  # (B, T): lengths 3 and 2


def _pred(*shape: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, dtype=torch.float64, generator=g).requires_grad_()


@pytest.mark.parametrize("bad", [NAN, float("inf"), -float("inf")])
def test_mse_refuses_nonfinite_targets_at_real_steps(bad: float) -> None:
    pred = _pred(2, 4, 1)
    y = torch.zeros(2, 4, 1, dtype=torch.float64)
    y[1, 1, 0] = bad  # a real step (length 2)
    with pytest.raises(SeqlabValueError, match=r"NaN or infinite .* index \(1, 1, 0\)"):
        masked_mse(pred, y, MASK)
    with pytest.raises(SeqlabValueError, match="NaN or infinite"):
        masked_mse(pred, y)  # no mask: every step is real


def test_mse_ignores_nan_in_padded_steps_value_and_gradient() -> None:
    pred = _pred(2, 4, 1)
    y = torch.randn(2, 4, 1, dtype=torch.float64)
    y_nan = torch.where(MASK.bool()[..., None], y, torch.tensor(NAN, dtype=torch.float64))
    pred_nan = pred.detach().clone()
    pred_nan[~MASK.bool()] = NAN  # a model may leave garbage in padded outputs, too
    pred_nan.requires_grad_()
    loss = masked_mse(pred_nan, y_nan, MASK)
    loss.backward()
    keep = MASK.bool()
    ref_pred = pred.detach().clone().requires_grad_()
    ref = F.mse_loss(ref_pred[keep], y[keep])
    ref.backward()
    torch.testing.assert_close(loss, ref, rtol=1e-14, atol=0)
    assert pred_nan.grad is not None and ref_pred.grad is not None
    assert bool(torch.isfinite(pred_nan.grad).all())
    torch.testing.assert_close(pred_nan.grad, ref_pred.grad, rtol=1e-14, atol=0)


def test_cross_entropy_integral_float_labels_equal_integer_labels() -> None:
    logits = _pred(2, 4, 5)
    labels = torch.tensor([[0, 4, 2, 1], [3, 3, 0, 2]])
    keep = MASK.bool()
    ref = F.cross_entropy(logits[keep], labels[keep])
    got_int = masked_cross_entropy(logits, labels, MASK)
    got_float = masked_cross_entropy(logits, labels.to(torch.float64), MASK)
    torch.testing.assert_close(got_int, ref, rtol=1e-14, atol=0)
    torch.testing.assert_close(got_float, ref, rtol=1e-14, atol=0)


def test_cross_entropy_refuses_non_integral_labels() -> None:
    logits = _pred(3, 4)
    with pytest.raises(SeqlabValueError, match=r"non-integral .*2\.5 at index \(1,\)"):
        masked_cross_entropy(logits, torch.tensor([0.0, 2.5, 1.0]))


@pytest.mark.parametrize("label", [4, -1, -100, 1e20])
def test_cross_entropy_refuses_out_of_range_labels_at_real_steps(label: float) -> None:
    logits = _pred(2, 4, 4)
    labels = torch.zeros(2, 4)
    labels[0, 1] = label
    with pytest.raises(SeqlabValueError, match=r"in 0\.\.3"):
        masked_cross_entropy(logits, labels, MASK)
    if float(label).is_integer() and abs(label) < 1e9:
        with pytest.raises(SeqlabValueError, match=r"in 0\.\.3"):
            masked_cross_entropy(logits, labels.long(), MASK)


def test_cross_entropy_padded_steps_may_hold_any_label() -> None:
    logits = _pred(2, 4, 3)
    labels = torch.tensor([[0.0, 2.0, 1.0, NAN], [1.0, 0.0, -100.0, 7.0]])
    keep = MASK.bool()
    ref = F.cross_entropy(logits[keep], labels[keep].long())
    got = masked_cross_entropy(logits, labels, MASK)
    torch.testing.assert_close(got, ref, rtol=1e-14, atol=0)
    got.backward()
    assert logits.grad is not None and bool(torch.isfinite(logits.grad).all())
    assert bool((logits.grad[~keep] == 0).all())


def test_cross_entropy_soft_labels_when_the_shape_says_so() -> None:
    logits = _pred(2, 4, 3)
    probs = torch.softmax(torch.randn(2, 4, 3, dtype=torch.float64), -1)
    keep = MASK.bool()
    ref = F.cross_entropy(logits[keep], probs[keep])
    probs_nan = probs.clone()
    probs_nan[~keep] = NAN
    torch.testing.assert_close(masked_cross_entropy(logits, probs_nan, MASK), ref)
    with pytest.raises(SeqlabValueError, match="sum to 1"):
        masked_cross_entropy(logits, 2 * probs, MASK)


def test_complex_targets_are_refused() -> None:
    with pytest.raises(SeqlabTypeError, match="complex"):
        masked_mse(_pred(2, 3), torch.zeros(2, 3, dtype=torch.complex128))
    with pytest.raises(SeqlabTypeError, match="complex"):
        masked_cross_entropy(_pred(2, 3), torch.zeros(2, dtype=torch.complex64))


def test_complex_sequences_are_refused() -> None:
    xc = torch.randn(2, 3, 4, dtype=torch.complex64)
    with pytest.raises(SeqlabTypeError, match="is complex"):
        check_sequence_tensor(xc, "x", 4, torch.float32)
    with pytest.raises(SeqlabTypeError, match="is complex"):
        RNNLayer(4, 5, cell="elman")(xc)
    w = torch.zeros(5, 4), torch.zeros(5, 5)
    with pytest.raises(SeqlabTypeError, match="is complex"):
        bptt.elman_sequence(xc, None, *w)
