"""Interoperability with ``torch.nn.LSTM/GRU/RNN``: copy weights in either direction.

The weight layouts are the same (gate order i, f, g, o for LSTM; r, z, n for GRU), so a
layer and its torch twin compute the same function; the tests compare them to float
rounding. Also importable from :mod:`seqlab.recurrent`.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from seqlab.exceptions import SeqlabTypeError, SeqlabValueError
from seqlab.recurrent.layers import RNNLayer

__all__ = ["copy_from_torch", "to_torch"]


_TORCH_CLASSES = {"lstm": nn.LSTM, "gru": nn.GRU, "elman": nn.RNN}


def _check_pair(layer: RNNLayer, module: nn.Module) -> None:
    cls = _TORCH_CLASSES.get(layer.cell_type)
    if cls is None or type(module) is not cls:
        raise SeqlabTypeError(f"a {layer.cell_type!r} RNNLayer pairs with "
                        f"{cls.__name__ if cls else 'no torch.nn module'}; got "
                        f"{type(module).__name__}.")
    mine = (layer.input_size, layer.hidden_size, layer.num_layers, layer.bidirectional)
    theirs = (module.input_size, module.hidden_size, module.num_layers, module.bidirectional)
    if mine != theirs:
        raise SeqlabValueError(
            f"sizes differ: (input_size, hidden_size, num_layers, bidirectional) "
            f"= {mine} here, {theirs} in {type(module).__name__}."
        )
    if not module.bias or int(getattr(module, "proj_size", 0)):
        raise SeqlabValueError(
            "only torch.nn modules with bias=True and proj_size=0 can be copied."
        )
    if isinstance(module, nn.RNN) and module.nonlinearity != layer.nonlinearity:
        raise SeqlabValueError(f"nonlinearity differs: {layer.nonlinearity!r} here, "
                         f"{module.nonlinearity!r} in nn.RNN.")


def copy_from_torch(layer: RNNLayer, module: nn.Module) -> RNNLayer:
    """Copy the weights of ``torch.nn.LSTM/GRU/RNN`` ``module`` into ``layer`` (in place).

    >>> ref = nn.GRU(3, 4, num_layers=2, batch_first=True)
    >>> mine = copy_from_torch(RNNLayer(3, 4, cell="gru", num_layers=2), ref)
    >>> x = torch.randn(2, 5, 3)
    >>> torch.allclose(mine(x)[0], ref(x)[0], atol=1e-6)
    True
    """
    _check_pair(layer, module)
    with torch.no_grad():
        for k, cell in enumerate(layer.cells):
            suffix = f"_l{k // layer.num_directions}" + ("_reverse" if k % 2 and
                                                        layer.bidirectional else "")
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(cell, name).copy_(getattr(module, name + suffix))
    return layer


def to_torch(layer: RNNLayer) -> nn.Module:
    """A new ``torch.nn.LSTM/GRU/RNN`` (batch_first as ``layer``) holding ``layer``'s weights.

    >>> ref = to_torch(RNNLayer(3, 4, cell="lstm"))
    >>> type(ref).__name__, ref.batch_first
    ('LSTM', True)
    """
    cls = _TORCH_CLASSES.get(layer.cell_type)
    if cls is None or (layer.cell_type == "elman" and not layer._torch_supported()):
        raise SeqlabValueError(
            f"cell={layer.cell_type!r} (nonlinearity={layer.nonlinearity!r}) has "
            "no torch.nn equivalent; valid cells: 'lstm', 'gru', 'elman' (tanh/relu)."
        )
    kw: dict[str, Any] = {"nonlinearity": layer.nonlinearity} if cls is nn.RNN else {}
    p = layer.cells[0].weight_ih
    module = cls(layer.input_size, layer.hidden_size, num_layers=layer.num_layers,
                 bidirectional=layer.bidirectional, dropout=layer.dropout,
                 batch_first=layer.batch_first, dtype=p.dtype, device=p.device, **kw)
    with torch.no_grad():
        for k, cell in enumerate(layer.cells):
            suffix = f"_l{k // layer.num_directions}" + ("_reverse" if k % 2 and
                                                        layer.bidirectional else "")
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(module, name + suffix).copy_(getattr(cell, name))
    return module
