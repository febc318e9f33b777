"""Temporal order 6a (HS97 Exp. 6a): the keeping-gate starts, the gradient reach, the rows."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from seqlab.exceptions import SeqlabValueError
from seqlab.reproduce import temporal_order as to
from seqlab.reproduce._train import GATE_BIAS


def _torch_gru(model: nn.Module) -> nn.GRU:
    cell = model.rnn.cells[0]  # type: ignore[index, union-attr]
    ref = nn.GRU(8, cell.hidden_size, batch_first=True)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(ref, f"{name}_l0").copy_(getattr(cell, name))
    return ref


@pytest.mark.parametrize("recurrent_init", ["uniform", "orthogonal"])
def test_gru_gate_bias_is_torchs_update_gate_and_keeps_the_state(recurrent_init):
    """The +b of the reproduction sits on the row block torch.nn.GRU calls z (h_t = (1-z) n +
    z h_(t-1)): with a large b, torch's GRU carries h_0 through 100 steps unchanged."""
    x = torch.from_numpy(to.generate(4, 0)[0][:, :100])
    h0 = torch.full((1, 4, 16), 0.5)
    for bias in (0.0, 20.0):
        model = to._model("gru", 16, 0, bias, False, recurrent_init)
        ref = _torch_gru(model)
        out_ref, _ = ref(x, h0)
        drift = (out_ref[:, -1] - h0[0]).abs().max().item()
        assert (drift < 1e-5) if bias else (drift > 0.1), (bias, drift)
    # the default adds GATE_BIAS["gru"] to the same rows, on the same seed's weights
    base, plus = (to._model("gru", 16, 0, b, False, "uniform") for b in (0.0, None))
    d = (plus.rnn.cells[0].bias_ih - base.rnn.cells[0].bias_ih).detach()  # type: ignore[index]
    assert torch.allclose(d[16:32], torch.full((16,), GATE_BIAS["gru"]))
    assert d[:16].abs().max() == 0 and d[32:].abs().max() == 0


def test_orthogonal_blocks_and_chrono_conflict():
    model = to._model("gru", 12, 3, None, False, "orthogonal")
    w = model.rnn.cells[0].weight_hh.detach()  # type: ignore[index]
    for k in range(3):
        block = w[12 * k: 12 * (k + 1)]
        torch.testing.assert_close(block @ block.T, torch.eye(12), atol=1e-5, rtol=0)
    with pytest.raises(SeqlabValueError, match="chrono"):
        to._model("gru", 12, 3, None, True, "orthogonal")


def test_keeping_gate_bias_lets_the_error_reach_the_relevant_symbols():
    """The lecture's argument, as an order: more keeping-gate bias, more error at step 1."""
    test = to.generate(64, 1)
    reach = {b: to.gradient_reach(to._model("gru", 32, 0, b, False, "uniform"), test)
             for b in (0.0, 1.0, 3.0)}
    assert reach[0.0] < reach[1.0] < reach[3.0], reach
    chrono = to.gradient_reach(to._model("gru", 32, 0, None, True, "uniform"), test)
    assert chrono > reach[1.0]


def test_run_cell_records_reach_and_settings_name_the_start():
    r = to.run_cell("gru", max_sequences=160, hidden=8, n_test=64, eval_every=160)
    assert r.sequences == 160 and r.n_test == 64
    assert 0 < r.extra["reach_init"] and 0 < r.extra["gradient_reach"]
    assert to._setting("gru", None) == "gru update bias +1"
    assert to._setting("lstm", None) == "lstm forget bias +3"
    assert to._setting("gru", 0.0) == "gru default init"
    assert to._setting("elman", None) == "elman"
    with pytest.raises(SeqlabValueError, match="recurrent_init"):
        to.run_cell("gru", max_sequences=16, recurrent_init="eye")
