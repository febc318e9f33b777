"""The cell contract: :class:`RecurrentCell`, the base every cell of
:mod:`seqlab.recurrent.cells` derives from, and the nonlinearities a cell accepts by name.

See :mod:`seqlab.recurrent.cells` for the contract (``input_term`` / ``step``) and sources.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab._validation import check_choice, check_int
from seqlab.recurrent._cell_checks import check_step
from seqlab.recurrent._init_args import RecordsInitArgs

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
