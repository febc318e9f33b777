"""Initialisation of recurrent weights: a remedy for exploding and vanishing gradients.

The lecture: repeated multiplication by ``W_hid`` behaves like ``W^t``, so eigenvalues away
from 1 make gradients vanish or explode. Two standard starts put them on the unit circle:

- ``"orthogonal"`` -- every (H, H) block of the recurrent matrix is a random orthogonal
  matrix (all singular values 1) times ``gain`` (Saxe, McClelland & Ganguli 2014);
- ``"identity"`` -- every recurrent block is ``gain * I`` and the biases are zero, the IRNN
  of Le, Jaitly & Hinton (2015) "A simple way to initialize recurrent networks of rectified
  linear units" (meant for ``relu`` Elman cells);
- ``"uniform"`` -- PyTorch's default, every parameter ~ U(-1/sqrt(H), 1/sqrt(H)).

The recurrent matrices are ``weight_hh`` (split into its G gate blocks), ``weight_skip`` of
skip cells and ``weight_yh`` of Jordan cells. Input weights keep the uniform default.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn

from seqlab._validation import check_choice
from seqlab.exceptions import SeqlabValueError
from seqlab.recurrent.cells import JordanCell, RecurrentCell

__all__ = ["INIT_SCHEMES", "init_cell_", "init_recurrent_", "recurrent_blocks"]

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
