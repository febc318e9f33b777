"""diagnose(): its numbers equal independent computations, and show the lecture's claims."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from seqlab.data.synthetic import adding_problem
from seqlab.diagnostics.diagnose import diagnose
from seqlab.exceptions import SeqlabValueError
from seqlab.recurrent.patterns import SequenceClassifier

pytestmark = pytest.mark.usefixtures("one_thread")

SMALL = dict(length=20, hidden_size=6, batch_size=5)


def test_numbers_equal_an_independent_computation():
    rep = diagnose(["elman"], ["default"], train_steps=0, seed=3, **SMALL)
    (row,) = rep.rows
    # the same model and probe batch, built here from the public pieces
    model = SequenceClassifier(2, 6, 1, cell="elman", seed=3)
    X, lengths, y = adding_problem(5, 20, seed=3)
    W = model.rnn.cells[0].weight_hh.detach().double()
    assert row.w_radius == pytest.approx(float(torch.linalg.eigvals(W).abs().max()), rel=1e-12)
    # total derivatives dL/dh_t by autograd through an explicit unroll of the tanh cell
    cell = model.rnn.cells[0]
    xt = torch.as_tensor(X)
    h = torch.zeros(5, 6)
    hs = []
    for t in range(xt.shape[1]):
        h = torch.tanh(xt[:, t] @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T
                       + cell.bias_hh)
        h.retain_grad()
        hs.append(h)
    last = torch.stack([hs[int(n) - 1][b] for b, n in enumerate(lengths)])
    pred = model.head(last)
    loss = torch.nn.functional.mse_loss(pred, torch.as_tensor(y)[:, None])
    loss.backward()
    assert row.loss == pytest.approx(float(loss.detach()), rel=1e-6)
    norms = np.array([[float(hs[t].grad[b].norm()) if t < lengths[b] else np.nan
                       for t in range(len(hs))] for b in range(5)])
    mean = np.nanmean(norms, axis=0)
    assert row.reach == pytest.approx(mean[0] / mean[int(lengths.min()) - 1], rel=1e-4)


def test_gain_is_bounded_by_the_weight_norm_for_tanh():
    """Pascanu et al. 2013 eq. 7: ||J_T...J_2|| <= sigma_max(W_hh)^(T-1) since |tanh'| <= 1."""
    rep = diagnose(["elman"], ["default", "orthogonal"], train_steps=0, **SMALL)
    for row, key in zip(rep.rows, ["elman/default/init", "elman/orthogonal/init"]):
        steps = rep.jacobians[key].product_norm.size
        sigma = rep.spectra[key].max_singular_value
        assert row.log10_gain <= (steps - 1) * math.log10(sigma) + 1e-9
        assert row.decay < 1.0  # tanh units: the error reaching back shrinks


def test_forget_bias_and_chrono_keep_the_error_flowing():
    """The lecture's claim measured: gates (opened by their bias) stop the vanishing."""
    rep = diagnose(["elman", "lstm", "gru"], ["default", "forget3", "chrono"],
                   train_steps=0, length=60, hidden_size=16, batch_size=8)
    by = {(r.cell, r.init): r for r in rep.rows}
    # default gates are half open (sigmoid(0)): an LSTM/GRU forgets as fast as Elman does
    assert abs(by["lstm", "default"].decay - by["elman", "default"].decay) < 0.1
    assert by["lstm", "forget3"].decay > by["lstm", "default"].decay + 0.15
    assert by["gru", "chrono"].decay > by["gru", "default"].decay + 0.15
    assert by["lstm", "forget3"].reach > 1e6 * by["elman", "default"].reach
    assert rep.skipped == [
        "elman/forget3: forget_bias applies to LSTM cells only",
        "elman/chrono: chrono initialisation is for the gated cells 'lstm' and 'gru'",
        "gru/forget3: forget_bias applies to LSTM cells only",
    ]


def test_training_adds_a_second_row_and_changes_the_weights():
    rep = diagnose(["gru"], ["default"], train_steps=3, lr=0.05, **SMALL)
    init, trained = rep.rows
    assert (init.phase, init.steps, trained.phase, trained.steps) == ("init", 0, "trained", 3)
    assert trained.w_radius != init.w_radius
    d = rep.to_dict()
    assert [r["phase"] for r in d["rows"]] == ["init", "trained"]
    assert len(d["grad_norms"]["gru/default/init"]) == rep.grads["gru/default/init"].h.shape[-1]


def test_temporal_order_with_leaky_and_skip_units():
    rep = diagnose(["leaky", "skip"], ["default"], task="temporal-order", train_steps=0,
                   hidden_size=4, batch_size=3)
    assert rep.length == 100 and [r.cell for r in rep.rows] == ["leaky", "skip"]
    assert all(math.isfinite(r.decay) and r.loss > 0 for r in rep.rows)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"cells": ["elmann"]}, "unknown cell 'elmann'"),
    ({"cells": ["jordan"]}, "unknown cell 'jordan'"),
    ({"inits": ["xavier"]}, "unknown init 'xavier'"),
    ({"cells": "lstm"}, "got a single string"),
    ({"cells": []}, "at least one cell"),
    ({"task": "temporal-order", "length": 50}, "fixed length"),
    ({"length": 2}, "length"),
    ({"train_steps": -1}, "train_steps"),
])
def test_bad_input(kwargs, message):
    with pytest.raises(SeqlabValueError, match=message):
        diagnose(**{"train_steps": 0, **kwargs})
