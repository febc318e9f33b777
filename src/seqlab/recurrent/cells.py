"""The lecture's recurrent cells, each a ``forward(x_t, state) -> state`` written as its update.

Every cell splits its update in two so the unroll engine can keep Python out of the part
that does not depend on the state:

- ``input_term(x)`` -- everything that depends on the input only, ``u_t = W_ih x_t + b_ih``
  (plus ``b_hh`` where it sits outside any gate product), computed for all steps at once;
- ``step(u_t, state)`` -- the recurrence: the lecture's equation, a handful of lines.

``forward(x_t, state) == step(input_term(x_t), state)``. States are tuples of ``(B, H)``
tensors (``(h,)``, ``(h, c)``, ...). Parameters use PyTorch's names and gate order
(``weight_ih`` (G*H, I), ``weight_hh`` (G*H, H), ``bias_ih``, ``bias_hh`` (G*H,); LSTM
``i, f, g, o``; GRU ``r, z, n``) so weights copy to and from ``torch.nn``.

Sources: Elman (1990) "Finding structure in time"; Jordan (1986) "Serial order"; leaky units
and skip connections through time: Goodfellow, Bengio & Courville (2016) *Deep Learning*
§10.9; LSTM: Hochreiter & Schmidhuber (1997) with the forget gate of Gers et al. (2000);
GRU: Cho et al. (2014).
"""

from __future__ import annotations

from typing import Literal

from torch import Tensor

from seqlab._validation import check_choice, check_int
from seqlab.recurrent._cell_base import ACTIVATIONS, RecurrentCell
from seqlab.recurrent._cells_elman import ElmanCell, JordanCell, LeakyCell, SkipCell
from seqlab.recurrent._cells_gated import GRUCell, LSTMCell

__all__ = [
    "ACTIVATIONS",
    "CELL_TYPES",
    "ElmanCell",
    "GRUCell",
    "JordanCell",
    "LSTMCell",
    "LeakyCell",
    "RecurrentCell",
    "SkipCell",
    "make_cell",
]

#: the cell names :func:`make_cell` and the layers accept
CELL_TYPES = ("elman", "jordan", "leaky", "skip", "lstm", "gru")


def make_cell(
    cell: str,
    input_size: int,
    hidden_size: int,
    *,
    nonlinearity: Literal["tanh", "relu", "identity"] = "tanh",
    alpha: float | Tensor = 0.9,
    learn_alpha: bool = False,
    skip: int = 2,
    output_size: int | None = None,
    output_activation: Literal["identity", "tanh", "sigmoid"] = "identity",
) -> RecurrentCell:
    """Build a cell by name (one of :data:`CELL_TYPES`); options not used by it are ignored.

    >>> type(make_cell("gru", 3, 4)).__name__
    'GRUCell'
    >>> make_cell("lstn", 3, 4)
    Traceback (most recent call last):
    ...
    seqlab.exceptions.SeqlabValueError: unknown cell 'lstn'; valid options are: 'elman', ...
    """
    check_choice(cell, "cell", CELL_TYPES)
    check_int(input_size, "input_size", minimum=1)
    check_int(hidden_size, "hidden_size", minimum=1)
    if cell == "elman":
        return ElmanCell(input_size, hidden_size, nonlinearity)
    if cell == "leaky":
        return LeakyCell(input_size, hidden_size, nonlinearity, alpha, learn_alpha)
    if cell == "skip":
        return SkipCell(input_size, hidden_size, nonlinearity, skip)
    if cell == "jordan":
        return JordanCell(input_size, hidden_size, output_size, nonlinearity, output_activation)
    if cell == "lstm":
        return LSTMCell(input_size, hidden_size)
    return GRUCell(input_size, hidden_size)
