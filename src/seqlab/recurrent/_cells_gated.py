"""The gated cells: LSTM (Hochreiter & Schmidhuber 1997; Gers et al. 2000) and GRU (Cho et al.
2014), in PyTorch's gate order.

See :mod:`seqlab.recurrent.cells` for the cell contract; their explicit BPTT is
:mod:`seqlab.recurrent._bptt_gated`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from seqlab.recurrent._cell_base import RecurrentCell, State


class LSTMCell(RecurrentCell):
    """LSTM cell (Hochreiter & Schmidhuber 1997; forget gate: Gers et al. 2000).

    ``(i, f, g, o) = (sigm, sigm, tanh, sigm)(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``,
    ``c_t = f*c_{t-1} + i*g``, ``h_t = o*tanh(c_t)``. The lecture lists the gates as
    i, f, o, g; the rows of ``weight_ih``/``weight_hh`` follow PyTorch's order i, f, g, o.

    ======== ===================== ====================
    tensor   shape                 meaning
    ======== ===================== ====================
    x_t      (B, I)                input at step t
    state    ((B, H), (B, H))      ``(h_{t-1}, c_{t-1})``
    returns  ((B, H), (B, H))      ``(h_t, c_t)``
    ======== ===================== ====================

    >>> h, c = LSTMCell(3, 4)(torch.zeros(2, 3))
    >>> tuple(h.shape), tuple(c.shape)
    ((2, 4), (2, 4))
    """

    gates = 4
    state_names = ("h", "c")

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__(input_size, hidden_size)
        self._make_standard_parameters(hidden_size)
        self.reset_parameters()

    def carry_shapes(self) -> tuple[int, ...]:
        return (self.hidden_size, self.hidden_size)

    def recorded(self, state: State) -> dict[str, Tensor]:
        return {"h": state[0], "c": state[1]}

    def step(self, u_t: Tensor, state: State) -> State:
        h_prev, c_prev = state
        i, f, g, o = torch.addmm(u_t, h_prev, self.weight_hh.t()).chunk(4, dim=1)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c = f * c_prev + i * g
        h = o * torch.tanh(c)
        return (h, c)


class GRUCell(RecurrentCell):
    """GRU cell (Cho et al. 2014), PyTorch's convention.

    ``r = sigm(W_ir x + b_ir + W_hr h + b_hr)``, ``z = sigm(W_iz x + b_iz + W_hz h + b_hz)``,
    ``n = tanh(W_in x + b_in + r*(W_hn h + b_hn))``, ``h_t = (1-z)*n + z*h_{t-1}``.
    The lecture writes ``h_t = (1-z)*h_{t-1} + z*h~``: its ``z`` is PyTorch's ``1-z`` and
    its ``h~`` is ``n``. Rows of the weights are in the order r, z, n.

    >>> (h,) = GRUCell(3, 4)(torch.zeros(2, 3))
    >>> tuple(h.shape)
    (2, 4)
    """

    gates = 3

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__(input_size, hidden_size)
        self._make_standard_parameters(hidden_size)
        self.reset_parameters()

    def input_term(self, x: Tensor) -> Tensor:
        """``W_ih x + b_ih`` plus ``b_hr, b_hz`` (``b_hn`` stays inside ``r*(...)``)."""
        hh = self.hidden_size
        b = torch.cat([self.bias_ih[: 2 * hh] + self.bias_hh[: 2 * hh], self.bias_ih[2 * hh :]])
        return F.linear(x, self.weight_ih, b)

    def step(self, u_t: Tensor, state: State) -> State:
        (h_prev,) = state
        hh = self.hidden_size
        gh = F.linear(h_prev, self.weight_hh[: 2 * hh])  # W_hr h, W_hz h
        r, z = torch.sigmoid(u_t[:, : 2 * hh] + gh).chunk(2, dim=1)
        hn = F.linear(h_prev, self.weight_hh[2 * hh :], self.bias_hh[2 * hh :])  # W_hn h + b_hn
        n = torch.tanh(u_t[:, 2 * hh :] + r * hn)
        h = (1 - z) * n + z * h_prev
        return (h,)
