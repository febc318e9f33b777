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

import math
from collections.abc import Callable
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab._validation import check_choice, check_int
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError
from seqlab.recurrent._cell_checks import check_step
from seqlab.recurrent._init_args import RecordsInitArgs

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

State = tuple[Tensor, ...]



def _identity(u: Tensor) -> Tensor:
    return u


#: nonlinearities a cell accepts by name (``identity`` gives a linear recurrence)
ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "identity": _identity,
    "sigmoid": torch.sigmoid,
}
#: the cell names :func:`make_cell` and the layers accept
CELL_TYPES = ("elman", "jordan", "leaky", "skip", "lstm", "gru")


def _activation(name: str, argname: str, choices: tuple[str, ...]) -> Callable[[Tensor], Tensor]:
    return ACTIVATIONS[check_choice(name, argname, choices)]


class RecurrentCell(RecordsInitArgs, nn.Module):
    """Base class: the contract every cell keeps (see the module docstring).

    Subclasses set ``gates`` (G), create ``weight_ih``/``weight_hh``/``bias_ih``/``bias_hh``
    and implement :meth:`step`. ``state_names`` names the tensors of the state tuple;
    ``state_names[0]`` is what the layer outputs at each step.
    """

    gates: int = 1
    state_names: tuple[str, ...] = ("h",)
    weight_ih: nn.Parameter
    weight_hh: nn.Parameter
    bias_ih: nn.Parameter
    bias_hh: nn.Parameter

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_size = check_int(input_size, "input_size", minimum=0)
        self.hidden_size = check_int(hidden_size, "hidden_size", minimum=1)

    def _make_standard_parameters(self, n_rec: int) -> None:
        """``weight_ih`` (G*H, I), ``weight_hh`` (G*H, n_rec), ``bias_ih``, ``bias_hh`` (G*H,)."""
        gh = self.gates * self.hidden_size
        self.weight_ih = nn.Parameter(torch.empty(gh, self.input_size))
        self.weight_hh = nn.Parameter(torch.empty(gh, n_rec))
        self.bias_ih = nn.Parameter(torch.empty(gh))
        self.bias_hh = nn.Parameter(torch.empty(gh))

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """torch.nn's default: every parameter ~ U(-1/sqrt(H), 1/sqrt(H))."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-bound, bound, generator=generator)

    @property
    def output_size(self) -> int:
        """Width of what the layer emits at each step (``state[0]``)."""
        return self.hidden_size

    # --- the contract -------------------------------------------------------------------
    def input_term(self, x: Tensor) -> Tensor:
        """``u = W_ih x + b_ih + b_hh`` for any leading shape (all steps at once)."""
        return F.linear(x, self.weight_ih, self.bias_ih + self.bias_hh)

    def step(self, u_t: Tensor, state: State) -> State:  # pragma: no cover - abstract
        """One step of the recurrence given the input term ``u_t``."""
        raise NotImplementedError

    def forward(self, x_t: Tensor, state: State | None = None) -> State:
        """One time step: ``x_t`` (B, I), state tuple of (B, ·) -> new state tuple.

        Checks type, shape and dtype of ``x_t`` and ``state`` (cheap); it does not scan the
        values for NaN at every step -- :class:`~seqlab.recurrent.layers.RNNLayer` checks a
        whole sequence once. The unroll engine calls :meth:`step`, which checks nothing.
        """
        check_step(self, x_t, state)
        if state is None:
            state = self.initial_state(None, x_t.shape[0], x_t)
        return self.step(self.input_term(x_t), state)

    def state_widths(self) -> tuple[int, ...]:
        """Widths of the tensors of the full state tuple :meth:`forward` takes and returns."""
        return self.carry_shapes()

    # --- states as the layer sees them ----------------------------------------------------
    def carry_shapes(self) -> tuple[int, ...]:
        """Widths of the tensors the user passes in / gets back (the *carry*)."""
        return (self.hidden_size,)

    def initial_state(self, carry: tuple[Tensor, ...] | None, batch: int, like: Tensor) -> State:
        """Full internal state from the user's carry (``None`` -> zeros)."""
        if carry is None:
            return tuple(like.new_zeros(batch, n) for n in self.carry_shapes())
        return tuple(carry)

    def final_carry(self, state: State) -> tuple[Tensor, ...]:
        """The part of the state handed back as the final state."""
        return state

    def recorded(self, state: State) -> dict[str, Tensor]:
        """The per-step states :meth:`~seqlab.recurrent.layers.RNN.forward` can return."""
        return {"h": state[0]}


class ElmanCell(RecurrentCell):
    """Elman (1990) cell: ``h_t = f(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``.

    ``f`` is ``tanh`` (default), ``relu`` or ``identity``. Same parameters as
    ``torch.nn.RNNCell``.

    ======== ============ =========================
    tensor   shape        meaning
    ======== ============ =========================
    x_t      (B, I)       input at step t
    state    ((B, H),)    ``(h_{t-1},)``
    returns  ((B, H),)    ``(h_t,)``
    ======== ============ =========================

    >>> cell = ElmanCell(3, 4)
    >>> (h,) = cell(torch.zeros(2, 3))
    >>> tuple(h.shape)
    (2, 4)
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        nonlinearity: Literal["tanh", "relu", "identity"] = "tanh",
    ) -> None:
        super().__init__(input_size, hidden_size)
        self.nonlinearity = nonlinearity
        self.f = _activation(nonlinearity, "nonlinearity", ("tanh", "relu", "identity"))
        self._make_standard_parameters(hidden_size)
        self.reset_parameters()

    def step(self, u_t: Tensor, state: State) -> State:
        (h_prev,) = state
        h = self.f(torch.addmm(u_t, h_prev, self.weight_hh.t()))  # f(u_t + W_hh h_{t-1})
        return (h,)


class LeakyCell(ElmanCell):
    """Leaky-integrator units: ``h_t = a*h_{t-1} + (1-a)*f(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``.

    Each unit has its own leak ``a`` in (0, 1) (the lecture's moving average
    ``mu_t = a mu_{t-1} + (1-a) v_t``); ``a`` near 1 keeps information for ~1/(1-a) steps.
    With ``learn_alpha=True`` the parameter is ``alpha_logit`` (``a = sigmoid(alpha_logit)``),
    otherwise ``a`` is a fixed buffer ``alpha``. ``alpha`` may be a float or an (H,) tensor.

    >>> cell = LeakyCell(1, 3, alpha=0.9)
    >>> (h,) = cell(torch.ones(1, 1))
    >>> tuple(h.shape), cell.alpha.tolist()[0]
    ((1, 3), 0.8999999761581421)
    """

    alpha_logit: nn.Parameter

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        nonlinearity: Literal["tanh", "relu", "identity"] = "tanh",
        alpha: float | Tensor = 0.9,
        learn_alpha: bool = False,
    ) -> None:
        super().__init__(input_size, hidden_size, nonlinearity)
        if alpha is None or isinstance(alpha, bool | str | bytes):
            raise SeqlabTypeError(f"alpha must be a number or a ({hidden_size},) tensor in "
                                  f"(0, 1); got {alpha!r}.")
        try:
            a = torch.as_tensor(alpha, dtype=torch.get_default_dtype()).detach().clone()
        except (TypeError, ValueError, RuntimeError):
            raise SeqlabTypeError(f"alpha must be a number or a ({hidden_size},) tensor in "
                                  f"(0, 1); got {alpha!r}.") from None
        a = a.expand(hidden_size).clone() if a.ndim == 0 else a
        if a.shape != (hidden_size,) or not bool(((a > 0) & (a < 1)).all()):
            raise SeqlabValueError(
                f"alpha must be a number or a ({hidden_size},) tensor with every entry in the "
                f"open interval (0, 1); got {alpha!r}."
            )
        self.learn_alpha = bool(learn_alpha)
        if self.learn_alpha:
            self.alpha_logit = nn.Parameter(torch.logit(a))
        else:
            self.register_buffer("_alpha", a)

    @property
    def alpha(self) -> Tensor:
        """The per-unit leak ``a`` (H,), in (0, 1)."""
        if self.learn_alpha:
            return torch.sigmoid(self.alpha_logit)
        alpha = self._alpha
        assert isinstance(alpha, Tensor)
        return alpha

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Uniform like torch.nn for the weights; the leak is left as it is."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        with torch.no_grad():
            for p in (self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh):
                p.uniform_(-bound, bound, generator=generator)

    def step(self, u_t: Tensor, state: State) -> State:
        (h_prev,) = state
        a = self.alpha
        h = a * h_prev + (1 - a) * self.f(torch.addmm(u_t, h_prev, self.weight_hh.t()))
        return (h,)


class SkipCell(ElmanCell):
    """Skip connection through time, the update also reads ``h_{t-k}``.

    ``h_t = f(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh + W_skip h_{t-k})``.

    Time runs ``t = 1..T`` with ``h_0`` the initial state; the skip term reads the states the
    cell *computed*, so ``h_{t-k} = 0`` when ``t-k < 1`` (``h_0`` enters through ``W_hh``
    only; same convention as :func:`seqlab.recurrent.bptt.skip_sequence`). ``k >= 2``
    (``k = 1`` would duplicate ``W_hh``). The gradient reaches ``k`` steps back through one
    matrix instead of ``k``. The state is ``(h_{t-1}, h_{t-1}, ..., h_{t-k})``: the current
    state, then the history of computed states (zeros before the first step). The layer
    hands back only ``h_T``, so a continued sequence starts with an empty history.

    >>> cell = SkipCell(2, 3, skip=4)
    >>> state = cell(torch.zeros(5, 2))
    >>> len(state), tuple(state[0].shape)
    (5, (5, 3))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        nonlinearity: Literal["tanh", "relu", "identity"] = "tanh",
        skip: int = 2,
    ) -> None:
        self.skip = check_int(skip, "skip", minimum=2)
        super().__init__(input_size, hidden_size, nonlinearity)
        self.weight_skip = nn.Parameter(torch.empty(hidden_size, hidden_size))
        self.reset_parameters()

    def initial_state(self, carry: tuple[Tensor, ...] | None, batch: int, like: Tensor) -> State:
        h0 = like.new_zeros(batch, self.hidden_size) if carry is None else carry[0]
        return (h0, *(torch.zeros_like(h0) for _ in range(self.skip)))

    def final_carry(self, state: State) -> tuple[Tensor, ...]:
        return state[:1]

    def state_widths(self) -> tuple[int, ...]:
        return (self.hidden_size,) * (self.skip + 1)

    def step(self, u_t: Tensor, state: State) -> State:
        h_prev, h_back = state[0], state[-1]  # h_{t-1}, h_{t-k}
        h = self.f(torch.addmm(u_t, h_prev, self.weight_hh.t()) + h_back @ self.weight_skip.t())
        return (h, h, *state[1:-1])


class JordanCell(RecurrentCell):
    """Jordan (1986) cell: the previous *output* is fed back to the hidden units.

    ``h_t = f(W_ih x_t + b_ih + W_yh y_{t-1} + b_hh)``, ``y_t = g(W_hy h_t + b_hy)``,
    with ``g`` in {identity, tanh, sigmoid}. The carry is ``y`` (B, O); the state tuple is
    ``(y_t, h_t)`` so the hidden units can be inspected (only ``y_{t-1}`` enters the update).

    Parameters: ``weight_ih`` (H, I), ``weight_yh`` (H, O), ``bias_ih``, ``bias_hh`` (H,),
    ``weight_hy`` (O, H), ``bias_hy`` (O,).

    >>> cell = JordanCell(2, 5, output_size=3)
    >>> y, h = cell(torch.zeros(4, 2))
    >>> tuple(y.shape), tuple(h.shape)
    ((4, 3), (4, 5))
    """

    state_names = ("y", "h")

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int | None = None,
        nonlinearity: Literal["tanh", "relu", "identity"] = "tanh",
        output_activation: Literal["identity", "tanh", "sigmoid"] = "identity",
    ) -> None:
        super().__init__(input_size, hidden_size)
        o = hidden_size if output_size is None else check_int(output_size, "output_size", minimum=1)
        self.n_out = o
        self.nonlinearity = nonlinearity
        self.output_activation = output_activation
        self.f = _activation(nonlinearity, "nonlinearity", ("tanh", "relu", "identity"))
        self.g = _activation(output_activation, "output_activation",
                             ("identity", "tanh", "sigmoid"))
        h = hidden_size
        self.weight_ih = nn.Parameter(torch.empty(h, self.input_size))
        self.weight_yh = nn.Parameter(torch.empty(h, o))
        self.bias_ih = nn.Parameter(torch.empty(h))
        self.bias_hh = nn.Parameter(torch.empty(h))
        self.weight_hy = nn.Parameter(torch.empty(o, h))
        self.bias_hy = nn.Parameter(torch.empty(o))
        self.reset_parameters()

    @property
    def output_size(self) -> int:
        return self.n_out

    def carry_shapes(self) -> tuple[int, ...]:
        return (self.n_out,)

    def state_widths(self) -> tuple[int, ...]:
        return (self.n_out, self.hidden_size)

    def initial_state(self, carry: tuple[Tensor, ...] | None, batch: int, like: Tensor) -> State:
        y0 = like.new_zeros(batch, self.n_out) if carry is None else carry[0]
        return (y0, y0.new_zeros(batch, self.hidden_size))

    def final_carry(self, state: State) -> tuple[Tensor, ...]:
        return state[:1]

    def recorded(self, state: State) -> dict[str, Tensor]:
        return {"y": state[0], "h": state[1]}

    def hidden(self, u_t: Tensor, y_prev: Tensor) -> Tensor:
        """``h_t = f(u_t + W_yh y_{t-1})`` (also used in parallel by teacher forcing)."""
        return self.f(u_t + y_prev @ self.weight_yh.t())

    def readout(self, h: Tensor) -> Tensor:
        """``y_t = g(W_hy h_t + b_hy)``."""
        return self.g(F.linear(h, self.weight_hy, self.bias_hy))

    def step(self, u_t: Tensor, state: State) -> State:
        y_prev = state[0]
        h = self.hidden(u_t, y_prev)
        return (self.readout(h), h)


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
