"""``seqlab rnn info`` and ``seqlab rnn check``: the recurrent core from the command line.

``info`` lists every cell with its update equation, parameter count and the implementation
``impl="auto"`` picks for a batch size. ``check`` builds a layer, copies its weights into
the equivalent ``torch.nn`` module and prints the largest differences of outputs, final
states and gradients for every implementation (a self-test users can run). Training is
``seqlab train``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Literal

from seqlab.cli._dataclass_args import add_dataclass_arguments, dataclass_from_args

__all__ = ["CheckConfig", "InfoConfig", "add_parser"]

_EQUATIONS = {
    "elman": "h_t = f(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)",
    "jordan": "h_t = f(W_ih x_t + b_ih + W_yh y_{t-1} + b_hh), y_t = g(W_hy h_t + b_hy)",
    "leaky": "h_t = a*h_{t-1} + (1-a)*f(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)",
    "skip": "h_t = f(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh + W_skip h_{t-k})",
    "lstm": "(i,f,g,o) = gates(x_t, h_{t-1}); c_t = f*c_{t-1} + i*g; h_t = o*tanh(c_t)",
    "gru": "r, z = gates; n = tanh(W_in x + b_in + r*(W_hn h + b_hn)); h_t = (1-z)*n + z*h_{t-1}",
}


@dataclass
class InfoConfig:
    """Options of ``seqlab rnn info``."""

    input_size: int = field(default=1, metadata={"help": "features per step"})
    hidden_size: int = field(default=64, metadata={"help": "units per layer"})
    batch: int = field(default=32, metadata={"help": "batch size the auto choice is made for"})


@dataclass
class CheckConfig:
    """Options of ``seqlab rnn check``."""

    cell: Literal["lstm", "gru", "elman"] = field(default="lstm", metadata={"help": "cell"})
    input_size: int = field(default=3, metadata={"help": "features per step"})
    hidden_size: int = field(default=8, metadata={"help": "units per layer"})
    num_layers: int = field(default=2, metadata={"help": "stacked layers"})
    bidirectional: bool = field(default=True, metadata={"help": "both directions"})
    dtype: Literal["float32", "float64"] = field(default="float64", metadata={"help": "dtype"})
    seed: int = field(default=0, metadata={"help": "random seed"})


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``seqlab rnn {info,check}``."""
    parser = subparsers.add_parser(
        "rnn", help="the recurrent cells and layers: list them, check them against torch.nn",
        description="Recurrent cells (Elman, Jordan, leaky, skip, LSTM, GRU) and layers.",
    )
    sub = parser.add_subparsers(dest="rnn_command", metavar="ACTION")
    p_info = sub.add_parser("info", help="list cells, equations, parameters, auto choice")
    add_dataclass_arguments(p_info, InfoConfig)
    p_info.set_defaults(func=_cmd_info)
    p_check = sub.add_parser("check", help="compare with torch.nn using copied weights")
    add_dataclass_arguments(p_check, CheckConfig)
    p_check.set_defaults(func=_cmd_check)
    parser.set_defaults(func=lambda args: (parser.print_help(), 0)[1])


def _cmd_info(args: argparse.Namespace) -> int:
    from seqlab.recurrent.cells import CELL_TYPES
    from seqlab.recurrent.layers import RNNLayer, _bptt_function

    cfg = dataclass_from_args(InfoConfig, args)
    print(f"input_size={cfg.input_size} hidden_size={cfg.hidden_size} batch={cfg.batch}")
    print(f"{'cell':7} {'params':>8} {'auto':6} {'bptt':5}  update")
    for cell in CELL_TYPES:
        layer = RNNLayer(cfg.input_size, cfg.hidden_size, cell=cell)  # type: ignore[arg-type]
        n = sum(p.numel() for p in layer.parameters())
        has = "yes" if _bptt_function(cell) is not None else "no"
        print(f"{cell:7} {n:8d} {layer.resolve_impl(batch=cfg.batch):6} {has:5}  "
              f"{_EQUATIONS[cell]}")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    from seqlab.recurrent.interop import to_torch
    from seqlab.recurrent.layers import RNNLayer, _bptt_function

    cfg = dataclass_from_args(CheckConfig, args)
    dtype = {"float32": torch.float32, "float64": torch.float64}[cfg.dtype]
    gen = torch.Generator().manual_seed(cfg.seed)
    layer = RNNLayer(cfg.input_size, cfg.hidden_size, cell=cfg.cell, num_layers=cfg.num_layers,
                     bidirectional=cfg.bidirectional, seed=cfg.seed).to(dtype)
    ref = to_torch(layer)
    x = torch.randn(4, 9, cfg.input_size, generator=gen, dtype=dtype, requires_grad=True)
    lengths = torch.tensor([9, 5, 2, 7])
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out_r, fin_r = ref(packed)
    out_r = pad_packed_sequence(out_r, batch_first=True, total_length=9)[0]
    h_r = fin_r[0] if isinstance(fin_r, tuple) else fin_r
    g_r = torch.autograd.grad(out_r.sum() + h_r.sum(), [x, *ref.parameters()])
    print(f"{cfg.cell} vs torch.nn.{type(ref).__name__} ({cfg.dtype}, {cfg.num_layers} layers, "
          f"bidirectional={cfg.bidirectional}, lengths={lengths.tolist()})")
    print(f"{'impl':6} {'output':>10} {'final h':>10} {'gradients':>10}")
    impls = ["loop", "torch"] + (["bptt"] if _bptt_function(cfg.cell) is not None else [])
    for impl in impls:
        layer.impl = impl
        out, fin = layer(x, lengths=lengths)
        h = fin[0] if isinstance(fin, tuple) else fin
        g = torch.autograd.grad(out.sum() + h.sum(), [x, *layer.parameters()])
        d_g = max((a - b).abs().max().item() for a, b in zip(g, g_r))
        print(f"{impl:6} {(out - out_r).abs().max().item():10.2e} "
              f"{(h - h_r).abs().max().item():10.2e} {d_g:10.2e}")
    return 0
