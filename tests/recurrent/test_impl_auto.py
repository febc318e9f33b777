"""impl="auto" computes the same function as torch.nn and as the other impls, in every
region of its selection rule (small / large steps, with / without padding)."""

from __future__ import annotations

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seqlab.recurrent.interop import to_torch
from seqlab.recurrent.layers import RNNLayer, _bptt_function

SIZES = [(1, 5), (3, 8), (40, 140)]  # (batch, hidden): small step, small, large step


def _lengths(batch: int, steps: int, padded: bool) -> torch.Tensor | None:
    if not padded or batch == 1:
        return None
    lens = torch.randint(1, steps + 1, (batch,))
    lens[0] = steps - 1  # at least one padded sequence, the longest shorter than T too
    return lens


@pytest.mark.parametrize("cell", ["lstm", "gru", "elman"])
@pytest.mark.parametrize(("batch", "hidden"), SIZES)
@pytest.mark.parametrize("padded", [False, True])
def test_auto_equals_torch_nn_and_loop(cell, batch, hidden, padded):
    torch.manual_seed(batch + hidden)
    steps = 6
    layer = RNNLayer(3, hidden, cell=cell).double()
    x = torch.randn(batch, steps, 3, dtype=torch.float64, requires_grad=True)
    lens = _lengths(batch, steps, padded)
    # torch.nn reference for the outputs
    ref = to_torch(layer).double()
    if lens is None:
        out_ref = ref(x)[0]
    else:
        packed = pack_padded_sequence(x, lens, batch_first=True, enforce_sorted=False)
        out_ref = pad_packed_sequence(ref(packed)[0], batch_first=True, total_length=steps)[0]
    weights = torch.linspace(-1, 1, out_ref.numel(), dtype=torch.float64).view_as(out_ref)
    grads_ref = torch.autograd.grad((out_ref * weights).sum(), [x, *ref.parameters()])
    results = {}
    for impl in ("auto", "loop"):
        layer.impl = impl
        out, _ = layer(x, lengths=lens)
        results[impl] = (out, torch.autograd.grad((out * weights).sum(),
                                                  [x, *layer.parameters()]))
    out, grads = results["auto"]
    torch.testing.assert_close(out, out_ref, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(grads[0], grads_ref[0], rtol=1e-10, atol=1e-12)
    # per-parameter gradients: same parameter order as torch.nn (w_ih, w_hh, b_ih, b_hh)
    for a, b in zip(grads[1:], grads_ref[1:]):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
    for a, b in zip(grads, results["loop"][1]):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cell", ["lstm", "gru", "elman", "leaky", "jordan"])
@pytest.mark.parametrize("padded", [False, True])
def test_auto_resolution_is_available(cell, padded):
    for batch in (1, 32, 1000):
        for record in (False, True):
            layer = RNNLayer(3, 64, cell=cell)
            impl = layer.resolve_impl(record, batch, torch.device("cpu"), padded=padded)
            assert impl in ("torch", "bptt", "loop")
            assert impl != "torch" or layer._torch_supported()
            assert impl != "bptt" or _bptt_function(cell) is not None
            meta = layer.resolve_impl(record, batch, torch.device("meta"), padded=padded)
            assert meta != "bptt"  # the hand-written BPTT is CPU-only
