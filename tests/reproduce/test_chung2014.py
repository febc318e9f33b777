"""The pieces of the chung2014 reproduction: frame NLL, batches, model sizes (fast)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from seqlab.data import SequenceSet
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError
from seqlab.reproduce import chung2014
from seqlab.reproduce._music import (
    ChoraleBatches,
    WeightNoise,
    build_model,
    frame_nll,
    padded,
    train_model,
)


def _rolls(lengths, seed=0):
    rng = np.random.default_rng(seed)
    return SequenceSet([(rng.random((n, 88)) < 0.05).astype(float) for n in lengths],
                       np.zeros(len(lengths), dtype=np.int64))


def test_frame_nll_by_hand():
    # one frame, two keys on: logits 0 everywhere -> 88 * log 2; one key at logit 2
    z = torch.zeros(1, 1, 88)
    y = torch.zeros(1, 1, 88)
    y[0, 0, :2] = 1.0
    z[0, 0, 0] = 2.0
    by_hand = 87 * math.log(2) + math.log(1 + math.exp(-2.0))
    assert float(frame_nll(z, y)) == pytest.approx(by_hand, rel=1e-6)


def test_frame_nll_equals_torch_bce_summed_over_keys_and_averaged_over_real_frames():
    torch.manual_seed(0)
    z = torch.randn(3, 5, 88)
    y = (torch.rand(3, 5, 88) < 0.1).float()
    lengths = torch.tensor([5, 2, 4])
    mask = torch.arange(5)[None, :] < lengths[:, None]
    total = sum(F.binary_cross_entropy(torch.sigmoid(z[i, :n]), y[i, :n], reduction="sum")
                for i, n in enumerate(lengths.tolist()))
    assert float(frame_nll(z, y, mask)) == pytest.approx(float(total) / 11, rel=1e-5)
    assert float(frame_nll(z, y)) == pytest.approx(
        float(F.binary_cross_entropy_with_logits(z, y, reduction="sum")) / 15, rel=1e-5)


def test_frame_nll_bad_input():
    with pytest.raises(SeqlabValueError, match=r"must both be \(B, T, K\); got \(2, 88\)"):
        frame_nll(torch.zeros(2, 88), torch.zeros(2, 88))
    with pytest.raises(SeqlabTypeError, match="needs torch tensors"):
        frame_nll(np.zeros((1, 2, 88)), torch.zeros(1, 2, 88))


def test_padded_inputs_are_the_rolls_shifted_by_one_frame():
    data = _rolls([4, 2])
    x, y, lengths = padded(data)
    assert x.shape == y.shape == (2, 4, 88) and lengths.tolist() == [4, 2]
    assert torch.equal(y[0], torch.from_numpy(data.sequences[0]).float())
    assert torch.all(x[:, 0] == 0)
    assert torch.equal(x[0, 1:], y[0, :-1])
    assert torch.all(y[1, 2:] == 0)


def test_batches_cover_every_chorale_once_per_pass_trimmed_to_their_longest():
    data = _rolls([3, 9, 4, 7, 5])
    b = ChoraleBatches(data, batch_size=2, seed=0)
    for _ in range(2):
        seen = []
        for x, _y, lengths in b:
            assert x.shape[1] == int(lengths.max())
            seen += lengths.tolist()
        assert sorted(seen) == [3, 4, 5, 7, 9]


def test_parameter_counts_are_within_ten_percent():
    counts = {c: sum(p.numel() for p in build_model(c, h).parameters())
              for c, h in chung2014.HIDDEN.items()}
    # by hand: tanh 88*84 + 84*84 + 2*84 + 84*88 + 88; GRU 3 gates; LSTM 4 gates
    assert counts["elman"] == 88 * 84 + 84 * 84 + 2 * 84 + 84 * 88 + 88 == 22_096
    assert counts["gru"] == 3 * (88 * 46 + 46 * 46 + 2 * 46) + 46 * 88 + 88
    assert counts["lstm"] == 4 * (88 * 36 + 36 * 36 + 2 * 36) + 36 * 88 + 88
    assert max(counts.values()) / min(counts.values()) < 1.10, counts


def test_marginal_nll_by_hand():
    train = [np.array([[1.0, 0.0], [1.0, 1.0]])]  # p = (1, 0.5) -> clipped to 1 - 1e-6
    test = [np.array([[1.0, 0.0]])]
    expected = -np.log(1 - 1e-6) - np.log(0.5)
    assert chung2014.marginal_nll(train, test) == pytest.approx(expected)


def test_a_short_run_records_a_learning_curve():
    torch.set_num_threads(1)
    train, valid, test = _rolls([6, 8, 5, 7]), _rolls([6, 4], 1), _rolls([5], 2)
    r = train_model("gru", 8, train, valid, test, updates=6, batch_size=2, lr=1e-2,
                    eval_every=3)
    assert [c[0] for c in r.curve] == [0, 3, 6]
    assert r.curve[-1][3] < r.curve[0][3]  # training lowered the test NLL from ~61
    assert r.curve[0][2] == pytest.approx(88 * math.log(2), rel=0.1)
    d = r.as_dict()
    assert d["n_params"] == r.n_params and len(d["nll_curve"]) == 3


def test_weight_noise_steps_the_clean_weights_by_the_noisy_gradient():
    torch.manual_seed(0)
    model = build_model("gru", 4)
    x, y, lengths = padded(_rolls([5, 3]))
    clean = [p.detach().clone() for p in model.parameters()]
    noise = WeightNoise(0.1, seed=3)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    frame_nll(noise.forward(model, x, y, lengths), y, None).backward()
    noisy = [p.detach().clone() for p in model.parameters()]
    grads = [p.grad.clone() for p in model.parameters()]
    opt.step()
    noise.remove(1, model)
    for w, wn, g, p in zip(clean, noisy, grads, model.parameters()):
        assert not torch.allclose(wn, w)  # the gradient was taken at w + n ...
        assert torch.allclose(p, w - 0.5 * g, atol=1e-6)  # ... and applied to w
    # the gradient at w + n, computed by hand on a copy
    ref = build_model("gru", 4)
    with torch.no_grad():
        for q, wn in zip(ref.parameters(), noisy):
            q.copy_(wn)
    frame_nll(ref(x, lengths=lengths), y, None).backward()
    for q, g in zip(ref.parameters(), grads):
        assert torch.allclose(q.grad, g, atol=1e-6)
    with pytest.raises(SeqlabValueError, match="weight_noise must be >= 0"):
        WeightNoise(-0.1)
