"""Elman (1990), leaky-integrator, skip-through-time and Jordan (1986) cells.

The simple recurrences of :mod:`seqlab.recurrent.cells` (one gate, ``G = 1``); see there for
the cell contract and sources. Their explicit BPTT is :mod:`seqlab.recurrent._bptt_elman`.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab._validation import check_int
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError
from seqlab.recurrent._cell_base import RecurrentCell, State, _activation


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
