"""Cheap checks of a cell's one-step input and state (type, shape, dtype; no value scan).

:meth:`seqlab.recurrent.cells.RecurrentCell.forward` calls them at every step, so they only
look at metadata: scanning for NaN would cost a pass over the data per step, and
:class:`~seqlab.recurrent.layers.RNNLayer` scans each whole sequence once instead.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor

from seqlab.exceptions import SeqlabTypeError, SeqlabValueError

__all__ = ["check_step", "check_step_input", "check_step_state"]


def check_step(cell: Any, x_t: Any, state: Any) -> None:
    """Both checks; a fast path of a few attribute reads (about 1 us per step) that falls
    back to the diagnosing checks only when something is off."""
    try:
        dtype = cell._parameters["bias_ih"].dtype
        shape = x_t.shape
        ok = (x_t.dtype == dtype and len(shape) == 2 and shape[1] == cell.input_size
              and isinstance(x_t, Tensor))
        if ok and state is not None:
            widths = cell.__dict__.get("_state_widths") or _cache_widths(cell)
            batch = shape[0]
            ok = type(state) is tuple and len(state) == len(widths)
            if ok:
                for s, w in zip(state, widths):
                    if s.shape != (batch, w) or s.dtype != dtype:
                        ok = False
                        break
    except (AttributeError, TypeError, KeyError):
        ok = False
    if not ok:
        check_step_input(cell, x_t)
        if state is not None:
            check_step_state(cell, state, x_t)


def _cache_widths(cell: Any) -> tuple[int, ...]:
    widths = tuple(cell.state_widths())
    cell.__dict__["_state_widths"] = widths  # fixed at construction
    return widths


def check_step_input(cell: Any, x_t: object) -> None:
    """Type, shape and dtype of one step's input ``x_t`` (B, I) of ``cell``."""
    if not isinstance(x_t, Tensor):
        raise SeqlabTypeError(f"x_t must be a torch.Tensor of shape (batch, "
                              f"{cell.input_size}); got {type(x_t).__name__}.")
    if x_t.dim() != 2 or x_t.shape[1] != cell.input_size:
        raise SeqlabValueError(
            f"x_t must have shape (batch, {cell.input_size}) (one time step); got "
            f"{tuple(x_t.shape)}. For whole sequences use seqlab.recurrent.RNNLayer.")
    if x_t.dtype != cell.bias_ih.dtype:
        raise SeqlabTypeError(f"x_t has dtype {x_t.dtype} but the cell's parameters are "
                              f"{cell.bias_ih.dtype}; convert one of them (x_t.to(dtype) "
                              "or cell.to(dtype)).")


def check_step_state(cell: Any, state: object, x_t: Tensor) -> None:
    """Type, shape and dtype of the full state tuple handed to ``cell``."""
    widths = cell.state_widths()
    if not isinstance(state, tuple | list) or len(state) != len(widths) or not all(
            isinstance(s, Tensor) for s in state):
        raise SeqlabTypeError(f"state must be a tuple of {len(widths)} tensor(s) "
                              f"{cell.state_names} for {type(cell).__name__}; got "
                              f"{type(state).__name__}.")
    batch = x_t.shape[0]
    for s, w in zip(state, widths):
        if s.shape != (batch, w) or s.dtype != x_t.dtype:
            raise SeqlabValueError(
                f"each state tensor must have shape (batch, width) = {(batch, w)} and "
                f"dtype {x_t.dtype}; got {tuple(s.shape)} {s.dtype}.")
