"""The three RNN patterns: shapes, references (torch.nn with copied weights), teacher forcing
versus free running, lengths and bad input."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from seqlab.recurrent.interop import copy_from_torch
from seqlab.recurrent.patterns import OutputFeedbackRNN, SequenceClassifier, SequenceTagger


def test_tagger_equals_layer_plus_linear_and_masks_padding():
    torch.manual_seed(0)
    model = SequenceTagger(3, 6, 4, cell="gru", num_layers=2, bidirectional=True, seed=1).double()
    ref = nn.GRU(3, 6, num_layers=2, bidirectional=True, batch_first=True).double()
    copy_from_torch(model.rnn, ref)
    x = torch.randn(3, 7, 3, dtype=torch.float64)
    want = model.head(ref(x)[0])
    torch.testing.assert_close(model(x), want, atol=1e-12, rtol=0)
    y, final = model(x, lengths=[7, 3, 1], return_state=True)
    assert y.shape == (3, 7, 4) and final.shape == (4, 3, 6)
    assert bool((y[1, 3:] == 0).all()) and bool((y[2, 1:] == 0).all())


@pytest.mark.parametrize("bidirectional", [False, True])
def test_classifier_last_step_equals_nn_lstm_final_state(bidirectional):
    """pooling='last' reads the state at each sequence's last valid step = h_n of nn.LSTM
    on the packed batch (both directions when bidirectional)."""
    torch.manual_seed(2)
    model = SequenceClassifier(3, 5, 2, cell="lstm", bidirectional=bidirectional).double()
    ref = nn.LSTM(3, 5, bidirectional=bidirectional, batch_first=True).double()
    copy_from_torch(model.rnn, ref)
    x = torch.randn(4, 6, 3, dtype=torch.float64)
    lengths = torch.tensor([6, 2, 4, 1])
    _, (h_n, _) = ref(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
    s_ref = torch.cat([h_n[0], h_n[1]], -1) if bidirectional else h_n[0]
    torch.testing.assert_close(model.summary(x, lengths), s_ref, atol=1e-12, rtol=0)
    torch.testing.assert_close(model(x, lengths), model.head(s_ref), atol=1e-12, rtol=0)


def test_classifier_ignores_padding_and_mean_pooling():
    torch.manual_seed(3)
    model = SequenceClassifier(2, 4, 3, cell="elman", pooling="mean", seed=0).double()
    x = torch.randn(2, 5, 2, dtype=torch.float64)
    x_pad = torch.cat([x, 50 * torch.randn(2, 3, 2, dtype=torch.float64)], 1)
    a = model(x, lengths=[5, 2])
    b = model(x_pad, lengths=[5, 2])
    torch.testing.assert_close(a, b, atol=1e-12, rtol=0)
    out, _ = model.rnn(x[1:, :2])
    torch.testing.assert_close(model.summary(x, [5, 2])[1], out[0].mean(0), atol=1e-12, rtol=0)


def test_feedback_teacher_forcing_equals_free_run_when_fed_its_own_outputs():
    torch.manual_seed(4)
    model = OutputFeedbackRNN(3, 6, 2, output_activation="tanh", seed=0).double()
    x = torch.randn(4, 9, 3, dtype=torch.float64)
    y0 = torch.randn(4, 2, dtype=torch.float64)
    y_free = model.generate(x, y0=y0)
    y_tf = model(x, OutputFeedbackRNN.shift_targets(y_free, y0))
    torch.testing.assert_close(y_tf, y_free, atol=1e-12, rtol=0)
    # other teacher outputs give other predictions (teacher forcing really uses y_prev)
    assert not torch.allclose(model(x, torch.zeros_like(y_free)), y_free)


def test_feedback_matches_reference_and_jordan_layer():
    """Teacher forcing: h_t = f(W_ih x_t + b_ih + W_yh y_{t-1} + b_hh), y_t = W_hy h_t + b_hy."""
    torch.manual_seed(5)
    model = OutputFeedbackRNN(2, 5, 3, seed=0).double()
    c = model.cell
    x = torch.randn(2, 4, 2, dtype=torch.float64)
    y_prev = torch.randn(2, 4, 3, dtype=torch.float64)
    h = torch.tanh(x @ c.weight_ih.T + c.bias_ih + y_prev @ c.weight_yh.T + c.bias_hh)
    torch.testing.assert_close(model(x, y_prev), h @ c.weight_hy.T + c.bias_hy, atol=1e-12,
                               rtol=0)
    y = model(x, y_prev, lengths=[4, 2])
    assert bool((y[1, 2:] == 0).all())


def test_feedback_without_inputs_generates_from_prefix():
    torch.manual_seed(6)
    model = OutputFeedbackRNN(0, 8, 1, seed=0).double()
    prefix = torch.randn(2, 5, 1, dtype=torch.float64)
    y = model.generate(steps=7, y0=prefix[:, -1])
    assert y.shape == (2, 7, 1)
    # continuing after the prefix == free-running the whole stream from its first value
    y_prev = OutputFeedbackRNN.shift_targets(y, prefix[:, -1])
    torch.testing.assert_close(model(None, y_prev), y, atol=1e-12, rtol=0)


def test_leaky_and_skip_options_reach_the_cells():
    m = SequenceClassifier(2, 3, 1, cell="leaky", alpha=0.6, learn_alpha=True)
    torch.testing.assert_close(m.rnn.cells[0].alpha.detach(), torch.full((3,), 0.6))
    assert SequenceTagger(2, 3, 1, cell="skip", skip=5).rnn.cells[0].skip == 5


def test_seed_makes_models_reproducible():
    a = SequenceTagger(3, 4, 2, seed=3)
    b = SequenceTagger(3, 4, 2, seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    c = OutputFeedbackRNN(3, 4, 2, seed=4)
    assert not torch.equal(c.cell.weight_ih, OutputFeedbackRNN(3, 4, 2, seed=5).cell.weight_ih)


@pytest.mark.parametrize(
    ("call", "err", "match"),
    [
        (lambda: SequenceTagger(3, 4, 2)(torch.randn(2, 5, 2)), ValueError, "features"),
        (lambda: SequenceTagger(3, 4, 2, cell="jordan"), ValueError, "cell"),  # type: ignore[arg-type]
        (lambda: SequenceClassifier(3, 4, 2)(torch.randn(2, 5, 3), lengths=[6, 1]), ValueError,
         "lengths"),
        (lambda: SequenceClassifier(3, 4, 2)(torch.randn(2, 5, 3), lengths=[0, 1]), ValueError,
         "lengths"),
        (lambda: SequenceClassifier(3, 4, 2, pooling="max"), ValueError, "pooling"),  # type: ignore[arg-type]
        (lambda: OutputFeedbackRNN(3, 4, 2)(torch.randn(2, 5, 3), torch.randn(2, 4, 2)),
         ValueError, "share"),
        (lambda: OutputFeedbackRNN(3, 4, 2)(torch.randn(2, 5, 3),
                                            torch.full((2, 5, 2), float("nan"))),
         ValueError, "NaN"),
        (lambda: OutputFeedbackRNN(3, 4, 2).generate(), ValueError, "steps"),
        (lambda: OutputFeedbackRNN(3, 4, 2).generate(steps=3), ValueError, "x is required"),
        (lambda: OutputFeedbackRNN(3, 4, 2).generate(torch.randn(2, 5, 3), y0=torch.zeros(3, 2)),
         ValueError, "y0"),
    ],
)
def test_bad_input_raises(call, err, match):
    with pytest.raises(err, match=match):
        call()


def test_state_dict_and_pickle_roundtrip():
    import io

    x = torch.randn(2, 5, 3)
    for make in (lambda s: SequenceTagger(3, 4, 2, cell="leaky", seed=s),
                 lambda s: SequenceClassifier(3, 4, 2, cell="skip", seed=s),
                 lambda s: OutputFeedbackRNN(3, 4, 2, seed=s)):
        a, b = make(0), make(1)
        b.load_state_dict(a.state_dict())
        if isinstance(a, OutputFeedbackRNN):
            torch.testing.assert_close(a.generate(x), b.generate(x))
        else:
            torch.testing.assert_close(a(x), b(x))
        buf = io.BytesIO()
        torch.save(a, buf)
        buf.seek(0)
        c = torch.load(buf, weights_only=False)
        assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(),
                                                     c.state_dict().values()))
