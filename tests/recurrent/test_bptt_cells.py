"""Cross-check: the explicit-BPTT functions against engineer A's cells run by the unroll loop.

``RNNLayer(impl="loop")`` runs the readable cells step by step (autograd differentiates
them); ``impl="bptt"`` calls seqlab.recurrent.bptt. Both must agree on outputs and on every
gradient, for every cell, with padding (lengths), two layers and both directions.
"""

from __future__ import annotations

import pytest
import torch

from seqlab.recurrent import bptt
from seqlab.recurrent.layers import RNNLayer


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", ["elman", "jordan", "leaky", "skip", "lstm", "gru"])
def test_bptt_equals_cell_loop(cell, bidirectional, monkeypatch):
    calls = []
    name = f"{cell}_sequence"
    original = getattr(bptt, name)

    def spy(*args, **kwargs):
        calls.append(name)
        return original(*args, **kwargs)

    monkeypatch.setattr(bptt, name, spy)
    layer = RNNLayer(3, 5, cell=cell, num_layers=2, bidirectional=bidirectional, seed=0).double()
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(4, 9, 3, dtype=torch.float64, generator=gen, requires_grad=True)
    lengths = torch.tensor([9, 4, 2, 7])
    results = []
    for impl in ("loop", "bptt"):
        layer.impl = impl
        out, final = layer(x, lengths=lengths)
        h = final[0] if isinstance(final, tuple) else final
        w = torch.randn(out.shape, dtype=out.dtype, generator=torch.Generator().manual_seed(2))
        loss = (out * w).sum() + h.sum()
        params = [x, *layer.parameters()]
        grads = torch.autograd.grad(loss, params, allow_unused=True)
        results.append((out, grads))
    assert calls, "impl='bptt' did not call the explicit-BPTT function"
    (out_l, g_l), (out_b, g_b) = results
    torch.testing.assert_close(out_b, out_l, rtol=0, atol=1e-12)
    for a, b in zip(g_l, g_b):
        if a is None or b is None:
            assert a is None and b is None
        else:
            torch.testing.assert_close(b, a, rtol=0, atol=1e-10)
