"""Initialisation of recurrent weights: a remedy for exploding and vanishing gradients.

The lecture: repeated multiplication by ``W_hid`` behaves like ``W^t``, so eigenvalues away
from 1 make gradients vanish or explode. Two standard starts put them on the unit circle:

- ``"orthogonal"`` -- every (H, H) block of the recurrent matrix is a random orthogonal
  matrix (all singular values 1) times ``gain`` (Saxe, McClelland & Ganguli 2014);
- ``"identity"`` -- every recurrent block is ``gain * I`` and the biases are zero, the IRNN
  of Le, Jaitly & Hinton (2015) "A simple way to initialize recurrent networks of rectified
  linear units" (meant for ``relu`` Elman cells);
- ``"uniform"`` -- PyTorch's default, every parameter ~ U(-1/sqrt(H), 1/sqrt(H)).

Two options set the bias of the gate that keeps the state (after the scheme):

- ``forget_bias=b`` (LSTM only) -- the forget gate's total bias ``b_if + b_hf = b``
  (Jozefowicz, Zaremba & Sutskever 2015 recommend 1);
- ``chrono=T_max`` (LSTM and GRU) -- the chrono initialisation of Tallec & Ollivier (2018)
  "Can recurrent neural networks warp time?", ICLR, Sect. 4 (:func:`chrono_init_`).

The recurrent matrices are ``weight_hh`` (split into its G gate blocks), ``weight_skip`` of
skip cells and ``weight_yh`` of Jordan cells. Input weights keep the uniform default.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn

from seqlab._validation import check_choice, check_int, check_real
from seqlab.exceptions import SeqlabValueError
from seqlab.recurrent.cells import JordanCell, RecurrentCell

__all__ = [
    "INIT_SCHEMES",
    "apply_init_options_",
    "check_init_options",
    "chrono_init_",
    "init_cell_",
    "init_recurrent_",
    "recurrent_blocks",
]

INIT_SCHEMES = ("uniform", "orthogonal", "identity")


def recurrent_blocks(cell: RecurrentCell) -> list[Tensor]:
    """Views of the cell's recurrent weight blocks (one per gate, plus skip / Jordan ones).

    >>> from seqlab.recurrent.cells import LSTMCell
    >>> [tuple(b.shape) for b in recurrent_blocks(LSTMCell(2, 3))]
    [(3, 3), (3, 3), (3, 3), (3, 3)]
    """
    if isinstance(cell, JordanCell):
        return [cell.weight_yh]
    blocks = list(cell.weight_hh.chunk(cell.gates, dim=0))
    skip = getattr(cell, "weight_skip", None)
    if isinstance(skip, Tensor):
        blocks.append(skip)
    return blocks


def init_cell_(
    cell: RecurrentCell,
    scheme: Literal["uniform", "orthogonal", "identity"] = "uniform",
    gain: float = 1.0,
    forget_bias: float | None = None,
    generator: torch.Generator | None = None,
) -> RecurrentCell:
    """Initialise ``cell`` in place with ``scheme`` (see the module docstring).

    ``forget_bias`` (LSTM only) sets ``b_if + b_hf`` to that value (Jozefowicz et al. 2015
    recommend 1). The same ``generator`` state gives the same weights.

    >>> from seqlab.recurrent.cells import ElmanCell
    >>> cell = init_cell_(ElmanCell(2, 3, "relu"), "identity")
    >>> cell.weight_hh
    Parameter containing:
    tensor([[1., 0., 0.],
            [0., 1., 0.],
            [0., 0., 1.]], requires_grad=True)
    """
    check_choice(scheme, "scheme", INIT_SCHEMES)
    cell.reset_parameters(generator)
    with torch.no_grad():
        if scheme == "orthogonal":
            for block in recurrent_blocks(cell):
                nn.init.orthogonal_(block, gain=gain, generator=generator)
        elif scheme == "identity":
            for block in recurrent_blocks(cell):
                nn.init.eye_(block).mul_(gain)
            cell.bias_ih.zero_()
            cell.bias_hh.zero_()
        elif gain != 1.0:
            for block in recurrent_blocks(cell):
                block.mul_(gain)
        if forget_bias is not None:
            if cell.gates != 4:
                raise SeqlabValueError("forget_bias applies to LSTM cells only.")
            h = cell.hidden_size
            cell.bias_ih[h : 2 * h].fill_(float(forget_bias))
            cell.bias_hh[h : 2 * h].zero_()
    return cell


def init_recurrent_(
    module: nn.Module,
    scheme: Literal["uniform", "orthogonal", "identity"] = "uniform",
    gain: float = 1.0,
    forget_bias: float | None = None,
    seed: int | torch.Generator | None = None,
) -> nn.Module:
    """Initialise every recurrent cell inside ``module`` (a layer, a pattern model...).

    >>> from seqlab.recurrent.layers import RNNLayer
    >>> layer = init_recurrent_(RNNLayer(2, 4, cell="gru"), "orthogonal", seed=0)
    >>> w = layer.cells[0].weight_hh[:4]
    >>> torch.allclose(w @ w.T, torch.eye(4), atol=1e-6)
    True
    """
    gen = seed if isinstance(seed, torch.Generator) or seed is None else (
        torch.Generator().manual_seed(int(seed)))
    cells = [m for m in module.modules() if isinstance(m, RecurrentCell)]
    if not cells:
        raise SeqlabValueError(f"{type(module).__name__} contains no seqlab recurrent cell.")
    for cell in cells:
        init_cell_(cell, scheme, gain, forget_bias, gen)
    return module


def _gated_name(cell: RecurrentCell) -> str:
    return {4: "lstm", 3: "gru"}.get(cell.gates, type(cell).__name__)


def check_init_options(
    recurrent_init: str, forget_bias: float | None, chrono: int | None, cell: str
) -> tuple[Literal["uniform", "orthogonal", "identity"], float | None, int | None]:
    """Validate the public initialisation options for a layer of ``cell`` cells.

    Returns them normalised (``forget_bias`` a float, ``chrono`` an int).

    >>> check_init_options("uniform", 1, None, "lstm")
    ('uniform', 1.0, None)
    >>> check_init_options("uniform", 1.0, None, "gru")
    Traceback (most recent call last):
    ...
    seqlab.exceptions.SeqlabValueError: forget_bias applies to LSTM cells only; got cell='gru'...
    """
    scheme: Literal["uniform", "orthogonal", "identity"] = check_choice(
        recurrent_init, "recurrent_init", INIT_SCHEMES)
    if forget_bias is not None and chrono is not None:
        raise SeqlabValueError("give forget_bias (a constant forget-gate bias) or chrono (the "
                               "chrono initialisation), not both.")
    if forget_bias is not None:
        forget_bias = check_real(forget_bias, "forget_bias")
        if cell != "lstm":
            raise SeqlabValueError(f"forget_bias applies to LSTM cells only; got cell={cell!r}. "
                                   "Use chrono=T_max for a GRU, or forget_bias=None.")
    if chrono is not None:
        chrono = check_int(chrono, "chrono", minimum=3)
        if cell not in ("lstm", "gru"):
            raise SeqlabValueError(f"chrono initialisation is for the gated cells 'lstm' and "
                                   f"'gru'; got cell={cell!r}. Pass chrono=None.")
    return scheme, forget_bias, chrono


def chrono_init_(cell: RecurrentCell, t_max: int,
                 generator: torch.Generator | None = None) -> RecurrentCell:
    """Chrono initialisation (Tallec & Ollivier 2018, Sect. 4) of an LSTM or GRU cell in place.

    A gate ``sigm(b)`` that keeps the state forgets with time constant
    ``1 / (1 - sigm(b)) = 1 + e^b``; drawing ``b ~ log(U[1, t_max - 1])`` per unit spreads
    the units' memory times uniformly over ``[2, t_max]`` steps.

    - LSTM (rows i, f, g, o): forget bias ``b_if + b_hf = b``, input bias ``b_ii + b_hi = -b``.
    - GRU (rows r, z, n, PyTorch's convention ``h_t = (1-z)*n + z*h_{t-1}``): our ``z`` keeps
      the state, i.e. it is the paper's ``1 - z`` (the paper writes
      ``h_t = (1-z)*h_{t-1} + z*h~`` and sets ``b_z = -log(U[1, t_max-1])``); since
      ``sigm(-b) = 1 - sigm(b)``, our update-gate bias is ``b_iz + b_hz = +b``.

    The whole bias sits in ``bias_ih``; ``bias_hh`` of those rows is zero. The same
    ``generator`` state gives the same biases.

    >>> from seqlab.recurrent.cells import LSTMCell
    >>> cell = chrono_init_(LSTMCell(2, 500), 100, torch.Generator().manual_seed(0))
    >>> f = cell.bias_ih[500:1000] + cell.bias_hh[500:1000]
    >>> bool((f >= 0).all() and (f <= torch.log(torch.tensor(99.0))).all())
    True
    """
    name = _gated_name(cell)
    if name not in ("lstm", "gru"):
        raise SeqlabValueError(f"chrono initialisation is for LSTM and GRU cells; got "
                               f"{type(cell).__name__}.")
    t_max = check_int(t_max, "chrono", minimum=3)
    h = cell.hidden_size
    u = 1.0 + (t_max - 2.0) * torch.rand(h, generator=generator, dtype=torch.float64)
    b = torch.log(u).to(cell.bias_ih.dtype).to(cell.bias_ih.device)
    with torch.no_grad():
        cell.bias_hh[h : 2 * h] = 0.0
        cell.bias_ih[h : 2 * h] = b  # LSTM forget gate f; GRU update gate z
        if name == "lstm":  # input gate i: -b (the GRU's (1 - z) already couples them)
            cell.bias_hh[:h] = 0.0
            cell.bias_ih[:h] = -b
    return cell


def apply_init_options_(
    cell: RecurrentCell,
    recurrent_init: Literal["uniform", "orthogonal", "identity"] = "uniform",
    forget_bias: float | None = None,
    chrono: int | None = None,
    generator: torch.Generator | None = None,
    reset: bool = True,
) -> RecurrentCell:
    """The layers' and patterns' initialisation: the scheme, then ``forget_bias`` / ``chrono``.

    With ``reset=False`` and ``recurrent_init="uniform"`` the cell's current weights are kept
    (only the gate biases change). Options must be valid (:func:`check_init_options`).

    >>> from seqlab.recurrent.cells import LSTMCell
    >>> cell = apply_init_options_(LSTMCell(2, 3), forget_bias=1.0)
    >>> (cell.bias_ih[3:6] + cell.bias_hh[3:6]).tolist()
    [1.0, 1.0, 1.0]
    """
    if reset or recurrent_init != "uniform":
        init_cell_(cell, recurrent_init, generator=generator)
    if forget_bias is not None:
        if cell.gates != 4:
            raise SeqlabValueError("forget_bias applies to LSTM cells only.")
        h = cell.hidden_size
        with torch.no_grad():
            cell.bias_ih[h : 2 * h].fill_(float(forget_bias))
            cell.bias_hh[h : 2 * h].zero_()
    if chrono is not None:
        chrono_init_(cell, chrono, generator)
    return cell
