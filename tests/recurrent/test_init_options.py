"""Public initialisation options of RNNLayer and the patterns: recurrent_init, forget_bias,
chrono (Tallec & Ollivier 2018). Values are checked directly (orthogonality, identity, bias
values, the chrono distribution by a KS test) and through the gates' behaviour: with zero
weights a unit's state decays by the keeping gate each step, so its memory time is
``1 / (1 - sigm(b)) = 1 + e^b``, which chrono spreads over [2, T_max]."""

from __future__ import annotations

import math

import pytest
import torch
from scipy import stats

import seqlab
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError
from seqlab.recurrent import (
    OutputFeedbackRNN,
    RNNLayer,
    SequenceClassifier,
    SequenceTagger,
)
from seqlab.recurrent.init import recurrent_blocks

H = 6


@pytest.mark.parametrize("cell", ["lstm", "gru", "elman", "leaky", "skip"])
def test_orthogonal_in_layer_and_patterns(cell):
    for owner in (RNNLayer(3, H, cell=cell, num_layers=2, bidirectional=True,
                           recurrent_init="orthogonal", seed=0),
                  SequenceTagger(3, H, 2, cell=cell, recurrent_init="orthogonal", seed=0).rnn,
                  SequenceClassifier(3, H, 2, cell=cell, recurrent_init="orthogonal").rnn):
        for c in owner.cells:
            for w in recurrent_blocks(c):
                torch.testing.assert_close(w @ w.T, torch.eye(H), atol=1e-5, rtol=0)


def test_identity_in_layer_and_pattern():
    for layer in (RNNLayer(3, H, cell="elman", nonlinearity="relu", recurrent_init="identity"),
                  SequenceTagger(3, H, 2, cell="elman", recurrent_init="identity").rnn):
        for c in layer.cells:
            assert torch.equal(c.weight_hh.detach(), torch.eye(H))
            assert not bool(c.bias_ih.any()) and not bool(c.bias_hh.any())


def test_old_init_name_still_works_and_must_agree():
    a = RNNLayer(3, H, cell="gru", init="orthogonal", seed=1)
    b = RNNLayer(3, H, cell="gru", recurrent_init="orthogonal", seed=1)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(),
                                                 b.state_dict().values()))
    with pytest.raises(SeqlabValueError, match="disagree"):
        RNNLayer(3, H, init="orthogonal", recurrent_init="identity")


def test_output_feedback_orthogonal_feedback_matrix():
    model = OutputFeedbackRNN(2, 8, 3, recurrent_init="orthogonal", seed=0)
    w = model.cell.weight_yh.detach()  # (H, O) = (8, 3): orthonormal columns
    torch.testing.assert_close(w.T @ w, torch.eye(3), atol=1e-5, rtol=0)
    with pytest.raises(SeqlabValueError, match="LSTM"):
        OutputFeedbackRNN(2, 8, 3, forget_bias=1.0)
    with pytest.raises(SeqlabValueError, match="chrono"):
        OutputFeedbackRNN(2, 8, 3, chrono=10)


@pytest.mark.parametrize("owner", ["layer", "tagger", "classifier"])
def test_forget_bias_sets_total_forget_bias_only(owner):
    kw = {"cell": "lstm", "num_layers": 2, "bidirectional": True, "forget_bias": 1.5}
    layer = {"layer": lambda: RNNLayer(3, H, seed=0, **kw),
             "tagger": lambda: SequenceTagger(3, H, 2, seed=0, **kw).rnn,
             "classifier": lambda: SequenceClassifier(3, H, 2, **kw).rnn}[owner]()
    bound = 1 / math.sqrt(H)
    for c in layer.cells:
        total = (c.bias_ih + c.bias_hh).detach()
        assert torch.equal(total[H : 2 * H], torch.full((H,), 1.5))
        others = torch.cat([c.bias_ih[:H], c.bias_ih[2 * H :]]).detach()
        assert bool((others.abs() <= bound).all()) and bool(others.std() > 0)  # uniform kept


def _memory_times(cell, t_max: int) -> torch.Tensor:
    """Run ``cell`` (all weights and the candidate's biases zeroed) one step on zero input
    from a unit state; return each unit's time constant 1 / (1 - per-step decay)."""
    n = cell.hidden_size
    with torch.no_grad():
        for p in (cell.weight_ih, cell.weight_hh):
            p.zero_()
        for b in (cell.bias_ih, cell.bias_hh):  # LSTM g, GRU n: candidate tanh(0) = 0
            b[2 * n : 3 * n] = 0.0
    x = torch.zeros(1, cell.input_size, dtype=torch.float64)
    cell = cell.double()
    one = torch.ones(1, n, dtype=torch.float64)
    if cell.gates == 4:  # LSTM: g = tanh(0) = 0, so c_t = f * c_{t-1}
        _, c1 = cell(x, (one * 0, one))
        decay = c1[0]
    else:  # GRU: n = tanh(0 + r * 0) = 0, so h_t = z * h_{t-1}
        (h1,) = cell(x, (one,))
        decay = h1[0]
    return (1.0 / (1.0 - decay)).detach()


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_chrono_spreads_memory_times_over_2_to_t_max(cell):
    """Tallec & Ollivier (2018) Sect. 4: b ~ log(U[1, T_max - 1]), so the keeping gate's
    time constant 1 + e^b ~ U[2, T_max]. For our GRU the keeping gate is z (PyTorch's
    h_t = (1-z) n + z h_{t-1}; the paper's z is our 1 - z, hence +b here and -b there):
    a wrong sign would give time constants near 1, which this test refuses."""
    t_max = 200
    layer = RNNLayer(2, H * 50, cell=cell, chrono=t_max, seed=0)
    times = _memory_times(layer.cells[0], t_max)
    # float32 biases: 1 + e^b is exact to ~1e-5 relative
    assert bool((times >= 2 * (1 - 1e-5)).all()) and bool((times <= t_max * (1 + 1e-5)).all())
    ks = stats.kstest(times.numpy(), stats.uniform(loc=2, scale=t_max - 2).cdf)
    assert ks.pvalue > 1e-3
    c = layer.cells[0]
    assert not bool(c.bias_hh[H * 50 : H * 100].any())
    if cell == "lstm":  # input gate = - forget gate
        torch.testing.assert_close(c.bias_ih[: H * 50], -c.bias_ih[H * 50 : H * 100])


def test_chrono_seed_reproducible_and_in_patterns():
    a = RNNLayer(2, H, cell="gru", chrono=30, seed=4).cells[0].bias_ih
    b = RNNLayer(2, H, cell="gru", chrono=30, seed=4).cells[0].bias_ih
    assert torch.equal(a, b)
    t = SequenceTagger(2, H, 1, cell="lstm", chrono=30, seed=1).rnn.cells[0]
    f = t.bias_ih[H : 2 * H]
    assert bool((f >= 0).all()) and bool((f <= math.log(29)).all())


@pytest.mark.parametrize(("kw", "err", "match"), [
    ({"cell": "gru", "forget_bias": 1.0}, SeqlabValueError, "LSTM"),
    ({"cell": "elman", "forget_bias": 1.0}, SeqlabValueError, "LSTM"),
    ({"cell": "elman", "chrono": 10}, SeqlabValueError, "chrono"),
    ({"cell": "leaky", "chrono": 10}, SeqlabValueError, "chrono"),
    ({"cell": "lstm", "forget_bias": 1.0, "chrono": 10}, SeqlabValueError, "not both"),
    ({"cell": "lstm", "chrono": 2}, SeqlabValueError, "chrono"),
    ({"cell": "lstm", "chrono": 10.5}, SeqlabTypeError, "chrono"),
    ({"cell": "lstm", "forget_bias": "1"}, SeqlabTypeError, "forget_bias"),
    ({"cell": "lstm", "forget_bias": float("nan")}, SeqlabValueError, "forget_bias"),
    ({"cell": "lstm", "recurrent_init": "xavier"}, SeqlabValueError, "recurrent_init"),
])
@pytest.mark.parametrize("owner", [RNNLayer, SequenceTagger, SequenceClassifier])
def test_bad_options(owner, kw, err, match):
    args = (3, H) if owner is RNNLayer else (3, H, 2)
    with pytest.raises(err, match=match):
        owner(*args, **kw)


@pytest.mark.parametrize("kw", [{"cell": "lstm", "forget_bias": 2.0},
                                {"cell": "gru", "chrono": 40, "recurrent_init": "orthogonal"},
                                {"cell": "elman", "recurrent_init": "identity"}])
@pytest.mark.parametrize("cls", [SequenceTagger, SequenceClassifier])
def test_save_load_round_trip(cls, kw, tmp_path):
    model = cls(3, H, 2, seed=0, **kw)
    seqlab.save(model, tmp_path / "m.seqlab")
    back = seqlab.load(tmp_path / "m.seqlab")
    for k, v in kw.items():
        assert back._seqlab_init_args[k] == v
    x = torch.randn(2, 5, 3)
    assert torch.equal(back(x), model(x))
    layer = RNNLayer(3, H, **kw, seed=0)
    seqlab.save(layer, tmp_path / "l.seqlab")
    assert torch.equal(seqlab.load(tmp_path / "l.seqlab")(x)[0], layer(x)[0])
