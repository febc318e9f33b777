"""One direction of one layer of :class:`seqlab.recurrent.layers.RNNLayer`.

:func:`unroll` is the readable implementation (``impl="loop"``): the cell's ``step`` in a
Python loop over ``u.unbind(1)``, autograd for the gradient. :func:`bptt_run` hands the same
direction to the hand-written forward/backward of :mod:`seqlab.recurrent.bptt`
(``impl="bptt"``).
"""

from __future__ import annotations

import torch
from torch import Tensor

from seqlab.recurrent._impl_rules import _bptt_function
from seqlab.recurrent.cells import (
    ElmanCell,
    GRUCell,
    JordanCell,
    LeakyCell,
    LSTMCell,
    RecurrentCell,
    SkipCell,
)


def unroll(cell: RecurrentCell, x: Tensor, carry: tuple[Tensor, ...] | None,
            mask: Tensor | None, n_full: int, record: bool):
    """The explicit loop: ``state = cell.step(u_t, state)`` for t = 1..T.

    ``mask`` (B, T) bool marks valid steps; the first ``n_full`` steps are valid for every
    sequence (no masking needed there). Returns (outputs (B, T, O), final carry, records).
    """
    batch = x.shape[0]
    state = cell.initial_state(carry, batch, x)
    u = cell.input_term(x)  # (B, T, G*H): the input part of every step at once
    outs: list[Tensor] = []
    recs: list[dict[str, Tensor]] = []
    keep = None if mask is None else mask[:, :, None].unbind(1)  # T x (B, 1)
    for t, u_t in enumerate(u.unbind(1)):
        new = cell.step(u_t, state)
        if keep is not None and t >= n_full:  # padded rows keep their state
            new = tuple(torch.where(keep[t], n, s) for n, s in zip(new, state))
        state = new
        outs.append(state[0])
        if record:
            recs.append(cell.recorded(state))
    out = torch.stack(outs, 1)
    records = {k: torch.stack([r[k] for r in recs], 1) for k in recs[0]} if record else {}
    if mask is not None:
        out = out.masked_fill(~mask[:, :, None], 0.0)
        records = {k: v.masked_fill(~mask[:, :, None], 0.0) for k, v in records.items()}
    return out, cell.final_carry(state), records


def bptt_run(cell: RecurrentCell, cell_type: str, x: Tensor,
              carry: tuple[Tensor, ...] | None, mask: Tensor | None):
    """One direction through engineer B's hand-written function (contract of issue 5)."""
    fn = _bptt_function(cell_type)
    batch = x.shape[0]
    c0 = cell.final_carry(cell.initial_state(carry, batch, x))
    m = None if mask is None else mask.to(x.dtype)
    w = {"weight_ih": cell.weight_ih, "bias_ih": cell.bias_ih, "bias_hh": cell.bias_hh}
    if isinstance(cell, JordanCell):
        h_all, y_all, y_last = fn(x, c0[0], weight_yh=cell.weight_yh, weight_hy=cell.weight_hy,
                                  bias_hy=cell.bias_hy, nonlinearity=cell.nonlinearity,
                                  output_activation=cell.output_activation, mask=m, **w)
        return y_all, (y_last,), {"y": y_all, "h": h_all}
    w["weight_hh"] = cell.weight_hh
    if isinstance(cell, LSTMCell):
        h_all, c_all, h_last, c_last = fn(x, c0[0], c0[1], mask=m, **w)
        return h_all, (h_last, c_last), {"h": h_all, "c": c_all}
    if isinstance(cell, GRUCell):
        h_all, h_last = fn(x, c0[0], mask=m, **w)
    elif isinstance(cell, LeakyCell):
        h_all, h_last = fn(x, c0[0], alpha=cell.alpha, nonlinearity=cell.nonlinearity,
                           mask=m, **w)
    elif isinstance(cell, SkipCell):
        h_all, h_last = fn(x, c0[0], weight_skip=cell.weight_skip, skip=cell.skip,
                           nonlinearity=cell.nonlinearity, mask=m, **w)
    else:
        assert isinstance(cell, ElmanCell)
        h_all, h_last = fn(x, c0[0], nonlinearity=cell.nonlinearity, mask=m, **w)
    return h_all, (h_last,), {"h": h_all}
