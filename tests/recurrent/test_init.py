"""Orthogonal (Saxe et al. 2014) and identity (Le, Jaitly & Hinton 2015) initialisation."""

from __future__ import annotations

import pytest
import torch

from seqlab.recurrent.cells import ElmanCell, JordanCell, LSTMCell, SkipCell, make_cell
from seqlab.recurrent.init import init_cell_, init_recurrent_, recurrent_blocks
from seqlab.recurrent.layers import RNNLayer
from seqlab.recurrent.patterns import SequenceTagger


@pytest.mark.parametrize("kind", ["elman", "leaky", "skip", "lstm", "gru"])
@pytest.mark.parametrize("gain", [1.0, 0.5])
def test_orthogonal_blocks(kind, gain):
    cell = init_cell_(make_cell(kind, 3, 6, skip=2), "orthogonal", gain=gain,
                      generator=torch.Generator().manual_seed(0))
    blocks = recurrent_blocks(cell)
    assert len(blocks) == cell.gates + (1 if kind == "skip" else 0)
    for w in blocks:
        torch.testing.assert_close(w @ w.T, gain**2 * torch.eye(6), atol=1e-5, rtol=0)
        # every singular value equals the gain: powers of W neither vanish nor explode
        torch.testing.assert_close(torch.linalg.svdvals(w), torch.full((6,), gain), atol=1e-5,
                                   rtol=0)


def test_identity_is_irnn():
    """IRNN: W_hh = I, zero biases; with zero input a relu unit keeps a non-negative state."""
    cell = init_cell_(ElmanCell(2, 4, "relu"), "identity")
    torch.testing.assert_close(cell.weight_hh.detach(), torch.eye(4))
    assert not cell.bias_ih.any() and not cell.bias_hh.any()
    h = torch.rand(3, 4)
    state = (h,)
    for _ in range(50):
        state = cell(torch.zeros(3, 2), state)
    torch.testing.assert_close(state[0], h)


def test_identity_rectangular_jordan_and_skip():
    j = init_cell_(JordanCell(2, 4, output_size=3), "identity", gain=0.9)
    torch.testing.assert_close(j.weight_yh.detach(), 0.9 * torch.eye(4, 3))
    s = init_cell_(SkipCell(2, 3, skip=3), "identity")
    torch.testing.assert_close(s.weight_skip.detach(), torch.eye(3))


def test_forget_bias():
    cell = init_cell_(LSTMCell(2, 3), "uniform", forget_bias=1.0)
    torch.testing.assert_close((cell.bias_ih + cell.bias_hh)[3:6].detach(), torch.ones(3))
    with pytest.raises(ValueError, match="LSTM"):
        init_cell_(ElmanCell(2, 3), forget_bias=1.0)


def test_seed_reproducible_and_layer_option():
    a = init_recurrent_(RNNLayer(3, 5, cell="gru", num_layers=2), "orthogonal", seed=3)
    b = init_recurrent_(RNNLayer(3, 5, cell="gru", num_layers=2), "orthogonal", seed=3)
    c = init_recurrent_(RNNLayer(3, 5, cell="gru", num_layers=2), "orthogonal", seed=4)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.cells[0].weight_hh, c.cells[0].weight_hh)
    layer = RNNLayer(3, 5, cell="elman", nonlinearity="relu", init="identity", seed=0)
    torch.testing.assert_close(layer.cells[0].weight_hh.detach(), torch.eye(5))
    tagger = init_recurrent_(SequenceTagger(3, 5, 2, cell="lstm"), "orthogonal", seed=0)
    w = tagger.rnn.cells[0].weight_hh[:5]
    torch.testing.assert_close(w @ w.T, torch.eye(5), atol=1e-5, rtol=0)


def test_bad_options():
    with pytest.raises(ValueError, match="scheme"):
        init_cell_(ElmanCell(2, 3), "xavier")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no seqlab recurrent cell"):
        init_recurrent_(torch.nn.Linear(2, 3))
