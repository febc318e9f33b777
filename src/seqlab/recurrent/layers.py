"""The one unroll engine: any cell over time, batch-first, with lengths, layers and directions.

:class:`RNNLayer` runs a cell of :mod:`seqlab.recurrent.cells` over a batch of sequences.
Three implementations compute the same function (tests prove they agree):

- ``"loop"``: the readable one -- the cell's ``step`` in a Python loop over
  ``u.unbind(1)`` (never ``x[:, t]``, whose backward is O(T^2)), autograd for the gradient;
- ``"torch"``: PyTorch's kernels ``torch._VF.lstm / gru / rnn_tanh / rnn_relu`` (the ones
  ``nn.LSTM`` calls; oneDNN-fused for float32 LSTM on CPU) with ``pack_padded_sequence``
  for lengths -- standard cells only. With ``return_all_states`` it runs layer by layer
  and recomputes the LSTM's ``c_t`` (the kernels return only ``h_t``) from ``h_{t-1}``;
- ``"bptt"``: the hand-written forward/backward of :mod:`seqlab.recurrent.bptt` (CPU);
- ``"auto"`` (default) picks, per cell, batch size and padding (``lengths``), the fastest
  of these measured by ``benchmarks/rnn.py`` and ``benchmarks/impl_auto.py``
  (:meth:`RNNLayer.resolve_impl` says which).

Parameters live in the cells (``layer.cells[l * D + d].weight_ih`` ...) under PyTorch's
names; :func:`copy_from_torch` and :func:`to_torch` move weights to and from
``torch.nn.LSTM/GRU/RNN`` (``weight_ih_l0``, ``weight_ih_l0_reverse``, ...).

Padding: steps at or beyond ``lengths[b]`` carry the state unchanged and output zeros, so
they never reach outputs, final states or gradients. The reverse direction reads each
sequence backwards from its own last valid step (as ``nn.LSTM`` on a packed sequence).
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from seqlab._validation import check_choice, check_int, check_real
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError
from seqlab.recurrent._impl_rules import _BPTT_NAMES, IMPLS, Impl, _bptt_function, auto_impl
from seqlab.recurrent._impl_rules import _small_step as _small_step  # for benchmarks/rnn.py
from seqlab.recurrent._init_args import RecordsInitArgs
from seqlab.recurrent._unroll import bptt_run, unroll
from seqlab.recurrent.cells import CELL_TYPES, RecurrentCell, make_cell
from seqlab.recurrent.init import INIT_SCHEMES, apply_init_options_, check_init_options
from seqlab.recurrent.sequences import check_lengths_tensor, check_sequence_tensor, reverse_padded

__all__ = [
    "IMPLS",
    "RNNLayer",
    "check_lengths_tensor",
    "check_sequence_tensor",
    "reverse_padded",
]


def _fused_call(fn: Any, x: Tensor, *args: Any) -> Any:
    """``fn(x, *args)`` for torch's fused RNN ops, without cuDNN's per-call warning that the
    weights are not one contiguous buffer (our cells own separate parameters, so cuDNN packs
    them on every call; measured cost: 1.08x nn.LSTM's forward+backward time, H200, batch 64,
    T 200, H 256, float32, benchmarks/device_check.py)."""
    if not x.is_cuda:
        return fn(x, *args)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="RNN module weights are not part of single")
        return fn(x, *args)


def _check_bool(value: Any, name: str) -> bool:
    """``value`` as a bool; anything but True/False (numpy's included) is refused."""
    if not isinstance(value, bool | np.bool_):
        raise SeqlabTypeError(f"{name} must be True or False; got {value!r} "
                              f"({type(value).__name__}).")
    return bool(value)


class RNNLayer(RecordsInitArgs, nn.Module):
    """Stacked, optionally bidirectional recurrent layer for any cell of the lecture.

    Layer ``l`` direction ``d`` is the cell ``cells[l * D + d]``; layer ``l+1`` reads the
    concatenated outputs of layer ``l`` (dropout ``p`` between layers, as torch.nn).

    ============== ============================ ==============================================
    tensor         shape                        meaning
    ============== ============================ ==============================================
    x              (B, T, I)                    input (``(T, B, I)`` if ``batch_first=False``)
    lengths        (B,) ints in [1, T]          valid steps per sequence (``None``: all T)
    state          (L*D, B, C) or (h0, c0)      initial state (``None``: zeros); C = H, or O
                                                for Jordan (whose carry is the output y)
    output         (B, T, D*O)                  top layer's per-step output; 0 at padding
    final state    like ``state``               state at each sequence's last valid step
    all_states     {name: (L, B, T, D*C)}       per-step ``h`` (and ``c`` for LSTM, ``y`` for
                                                Jordan) of every layer, 0 at padding
    ============== ============================ ==============================================

    Initialisation (:mod:`seqlab.recurrent.init`): ``recurrent_init`` is ``"uniform"``
    (torch.nn's default), ``"orthogonal"`` or ``"identity"`` (IRNN) for the recurrent
    matrices; ``forget_bias`` (LSTM) sets every forget gate's total bias; ``chrono=T_max``
    (LSTM, GRU) is the chrono initialisation of Tallec & Ollivier (2018). ``seed`` (an int
    >= 0) makes the weights reproducible. ``init`` is the former name of ``recurrent_init``.

    >>> layer = RNNLayer(3, 8, cell="lstm", num_layers=2, bidirectional=True)
    >>> out, (h_n, c_n), states = layer(torch.randn(4, 5, 3), lengths=torch.tensor([5, 3, 2, 1]),
    ...                                  return_all_states=True)
    >>> tuple(out.shape), tuple(h_n.shape), tuple(states["c"].shape)
    ((4, 5, 16), (4, 4, 8), (2, 4, 5, 16))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        cell: Literal["elman", "jordan", "leaky", "skip", "lstm", "gru"] = "lstm",
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        batch_first: bool = True,
        nonlinearity: Literal["tanh", "relu", "identity"] = "tanh",
        alpha: float | Tensor = 0.9,  # leaky: leak per unit, in (0, 1)
        learn_alpha: bool = False,  # leaky: learn the leak (stored as alpha_logit)
        skip: int = 2,  # skip: the update also reads h_{t-skip}
        output_size: int | None = None,  # jordan: width of y (default hidden_size)
        output_activation: Literal["identity", "tanh", "sigmoid"] = "identity",  # jordan: g
        impl: Impl = "auto",
        init: Literal["uniform", "orthogonal", "identity"] | None = None,  # old recurrent_init
        seed: int | None = None,
        recurrent_init: Literal["uniform", "orthogonal", "identity"] = "uniform",
        forget_bias: float | None = None,  # lstm: total forget-gate bias b_if + b_hf
        chrono: int | None = None,  # lstm/gru: chrono initialisation for T_max steps
    ) -> None:
        super().__init__()
        self.cell_type = check_choice(cell, "cell", CELL_TYPES)
        self.input_size = check_int(input_size, "input_size", minimum=1)
        self.hidden_size = check_int(hidden_size, "hidden_size", minimum=1)
        self.num_layers = check_int(num_layers, "num_layers", minimum=1)
        self.bidirectional = _check_bool(bidirectional, "bidirectional")
        self.num_directions = 2 if self.bidirectional else 1
        dropout = check_real(dropout, "dropout")
        if not 0.0 <= dropout < 1.0:
            raise SeqlabValueError(f"dropout must be in [0, 1); got {dropout!r}.")
        self.dropout = dropout
        self.batch_first = _check_bool(batch_first, "batch_first")
        _check_bool(learn_alpha, "learn_alpha")
        self.nonlinearity = nonlinearity
        self.impl = check_choice(impl, "impl", IMPLS)
        if init is not None:  # the option's former name, kept so older model files load
            check_choice(init, "init", INIT_SCHEMES)
            if recurrent_init not in ("uniform", init):
                raise SeqlabValueError(f"init={init!r} and recurrent_init={recurrent_init!r} "
                                       "disagree; give recurrent_init only.")
            recurrent_init = init
        recurrent_init, forget_bias, chrono = check_init_options(
            recurrent_init, forget_bias, chrono, cell)
        if seed is not None:
            seed = check_int(seed, "seed", minimum=0)
        gen = None if seed is None else torch.Generator().manual_seed(seed)
        cells: list[RecurrentCell] = []
        width = self.input_size
        for _ in range(self.num_layers):
            for _ in range(self.num_directions):
                c = make_cell(cell, width, hidden_size, nonlinearity=nonlinearity, alpha=alpha,
                              learn_alpha=learn_alpha, skip=skip, output_size=output_size,
                              output_activation=output_activation)
                apply_init_options_(c, recurrent_init, forget_bias, chrono, gen)
                cells.append(c)
            width = self.num_directions * cells[-1].output_size
        self.cells = nn.ModuleList(cells)
        self._cells: list[RecurrentCell] = cells  # the same modules, typed
        if impl == "torch" and not self._torch_supported():
            raise SeqlabValueError(
                f"impl='torch' needs a cell PyTorch has a kernel for (lstm, gru, "
                f"elman with tanh/relu); got cell={cell!r}, nonlinearity="
                f"{nonlinearity!r}. Use impl='loop' or 'bptt'."
            )

    @property
    def output_size(self) -> int:
        """Width of the output: D * (H, or O for Jordan)."""
        return self.num_directions * self._cells[0].output_size

    def _torch_supported(self) -> bool:
        return self.cell_type in ("lstm", "gru") or (
            self.cell_type == "elman" and self.nonlinearity in ("tanh", "relu"))

    def resolve_impl(self, return_all_states: bool = False, batch: int | None = None,
                     device: torch.device | None = None, padded: bool = False) -> str:
        """The implementation ``forward`` uses for this batch size (``auto`` resolved).

        ``padded``: the batch has ``lengths`` shorter than T (torch then runs packed
        sequences, slower than bptt for LSTM). The hand-written BPTT runs on the CPU only, so
        on other devices ``auto`` skips it.

        >>> RNNLayer(3, 8, cell="lstm").resolve_impl()
        'torch'
        """
        if self.impl != "auto":
            return self.impl
        return auto_impl(self.cell_type, self.hidden_size, self._torch_supported(),
                         return_all_states, batch, device, padded)

    # --- input checks -----------------------------------------------------------------------
    def _check_x(self, x: Any) -> Tensor:
        order = "(batch, time, features)" if self.batch_first else "(time, batch, features)"
        x = check_sequence_tensor(x, "x", self.input_size, self._cells[0].weight_ih.dtype, order)
        return x if self.batch_first else x.transpose(0, 1)

    def _check_state(self, state: Any, batch: int, x: Tensor) -> list[tuple[Tensor, ...]] | None:
        if state is None:
            return None
        widths = self._cells[0].carry_shapes()
        parts = (state,) if isinstance(state, Tensor) else tuple(state)
        if len(parts) != len(widths) or not all(isinstance(p, Tensor) for p in parts):
            want = "a tuple (h0, c0)" if len(widths) == 2 else "one tensor"
            raise SeqlabTypeError(f"state must be {want} for cell={self.cell_type!r}; got "
                            f"{type(state).__name__} of {len(parts)}.")
        n = self.num_layers * self.num_directions
        for p, w in zip(parts, widths):
            if tuple(p.shape) != (n, batch, w):
                raise SeqlabValueError(f"each initial state tensor must have shape (num_layers * "
                                 f"num_directions, batch, width) = {(n, batch, w)}; got "
                                 f"{tuple(p.shape)}.")
            if p.dtype != x.dtype:
                raise SeqlabTypeError(f"state has dtype {p.dtype}; x has {x.dtype}.")
        return [tuple(p[k] for p in parts) for k in range(n)]

    # --- forward -------------------------------------------------------------------------
    def forward(self, x: Tensor, state: Any = None, lengths: Any = None,
                return_all_states: bool = False):
        """Run the stack; returns ``(output, final_state)`` or with ``all_states`` appended.

        See the class docstring for shapes. ``lengths`` may be a list, array or tensor.
        """
        x = self._check_x(x)
        batch, steps, _ = x.shape
        lens = None if lengths is None else check_lengths_tensor(lengths, batch, steps)
        if lens is not None and bool((lens == steps).all()):
            lens = None  # nothing padded
        carries = self._check_state(state, batch, x)
        impl = self.resolve_impl(return_all_states, batch, x.device, padded=lens is not None)
        all_states: dict[str, Tensor]
        if impl == "torch":
            if not self._torch_supported():
                raise SeqlabValueError(
                    f"impl='torch' is not available for cell={self.cell_type!r}."
                )
            if return_all_states:
                out, final, all_states = self._forward_torch_all(x, carries, lens)
            else:
                out, final = self._forward_torch(x, carries, lens)
                all_states = {}
        else:
            if impl == "bptt" and _bptt_function(self.cell_type) is None:
                raise SeqlabValueError(f"impl='bptt': seqlab.recurrent.bptt has no "
                                 f"{_BPTT_NAMES[self.cell_type]} yet; use impl='loop'.")
            out, final, all_states = self._forward_cells(x, carries, lens, impl,
                                                         return_all_states)
        if not self.batch_first:
            out = out.transpose(0, 1)
            all_states = {k: v.transpose(1, 2) for k, v in all_states.items()}
        final_state = final[0] if len(final) == 1 else final
        if return_all_states:
            return out, final_state, all_states
        return out, final_state

    def _forward_cells(self, x, carries, lens, impl, record):
        mask = None if lens is None else (
            torch.arange(x.shape[1], device=x.device)[None, :] < lens.to(x.device)[:, None])
        n_full = x.shape[1] if lens is None else int(lens.min())
        finals: list[tuple[Tensor, ...]] = []
        layer_records: list[dict[str, Tensor]] = []
        inp = x
        for layer in range(self.num_layers):
            outs, recs = [], []
            for d in range(self.num_directions):
                k = layer * self.num_directions + d
                cell = self._cells[k]
                xin = inp if d == 0 else reverse_padded(inp, lens)
                carry = None if carries is None else carries[k]
                if impl == "bptt":
                    out, fin, rec = bptt_run(cell, self.cell_type, xin, carry, mask)
                else:
                    out, fin, rec = unroll(cell, xin, carry, mask, n_full, record)
                if d == 1:
                    out = reverse_padded(out, lens)
                    rec = {key: reverse_padded(v, lens) for key, v in rec.items()}
                outs.append(out)
                recs.append(rec)
                finals.append(tuple(fin))
            inp = torch.cat(outs, -1) if len(outs) > 1 else outs[0]
            if record:
                layer_records.append({key: torch.cat([r[key] for r in recs], -1)
                                      for key in recs[0]})
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                inp = F.dropout(inp, self.dropout, training=True)
        final = tuple(torch.stack([f[i] for f in finals]) for i in range(len(finals[0])))
        all_states = ({key: torch.stack([r[key] for r in layer_records]) for key in
                       layer_records[0]} if record else {})
        return inp, final, all_states

    def _forward_torch(self, x, carries, lens, layers: range | None = None):
        """PyTorch's kernels, called exactly as ``nn.LSTM/GRU/RNN.forward`` calls them.

        ``layers`` runs only that range of layers (``carries`` then holds theirs only).
        """
        fn: Any = {"lstm": torch._VF.lstm, "gru": torch._VF.gru}.get(self.cell_type) or (
            torch._VF.rnn_tanh if self.nonlinearity == "tanh" else torch._VF.rnn_relu)
        layers = range(self.num_layers) if layers is None else layers
        d = self.num_directions
        cells = self._cells[layers.start * d : layers.stop * d]
        if carries is None:
            zeros = x.new_zeros(len(cells), x.shape[0], self.hidden_size)
            hx: tuple[Tensor, ...] = (zeros, zeros) if self.cell_type == "lstm" else (zeros,)
        else:
            hx = tuple(torch.stack([c[i] for c in carries]) for i in range(len(carries[0])))
        hx_arg: Any = hx if self.cell_type == "lstm" else hx[0]
        flat = [p for c in cells for p in (c.weight_ih, c.weight_hh, c.bias_ih, c.bias_hh)]
        args = (flat, True, len(layers), self.dropout, self.training, self.bidirectional)
        if lens is None:
            res = _fused_call(fn, x, hx_arg, *args, True)
            return res[0], tuple(res[1:])
        packed = pack_padded_sequence(x, lens, batch_first=True, enforce_sorted=False)
        order, unorder = packed.sorted_indices, packed.unsorted_indices
        assert order is not None and unorder is not None
        hx = tuple(h.index_select(1, order) for h in hx)
        hx_arg = hx if self.cell_type == "lstm" else hx[0]
        res = _fused_call(fn, packed.data, packed.batch_sizes, hx_arg, *args)
        out, _ = pad_packed_sequence(PackedSequence(res[0], packed.batch_sizes, order, unorder),
                                     batch_first=True, total_length=x.shape[1])
        return out, tuple(h.index_select(1, unorder) for h in res[1:])

    def _forward_torch_all(self, x, carries, lens):
        """PyTorch's kernel layer by layer, keeping every layer's ``h_t``.

        LSTM ``c_t`` (which the kernels do not return) is recomputed from ``h_{t-1}``: given
        the h's, the gates of all steps are one matrix product and ``c_t = f*c_{t-1} + i*g``
        an elementwise scan. Autograd through this recomputation gives exact gradients.
        """
        d, hsize = self.num_directions, self.hidden_size
        mask = None if lens is None else (
            torch.arange(x.shape[1], device=x.device)[None, :] < lens.to(x.device)[:, None])
        inp, finals, records = x, [], []
        for layer in range(self.num_layers):
            mine = None if carries is None else carries[layer * d : (layer + 1) * d]
            out, fin = self._forward_torch(inp, mine, lens, range(layer, layer + 1))
            rec = {"h": out}
            if self.cell_type == "lstm":
                cs = []
                for k in range(d):
                    cell = self._cells[layer * d + k]
                    zero = x.new_zeros(x.shape[0], hsize)
                    h0, c0 = (zero, zero) if mine is None else mine[k]
                    h_k, x_k = out[..., k * hsize : (k + 1) * hsize], inp
                    if k == 1:
                        h_k, x_k = reverse_padded(h_k, lens), reverse_padded(inp, lens)
                    c = _lstm_cell_states(cell, x_k, h_k, h0, c0, mask)
                    cs.append(c if k == 0 else reverse_padded(c, lens))
                rec["c"] = torch.cat(cs, -1)
            finals.append(fin)
            records.append(rec)
            inp = out
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                inp = F.dropout(inp, self.dropout, training=True)
        final = tuple(torch.cat([f[i] for f in finals]) for i in range(len(finals[0])))
        all_states = {key: torch.stack([r[key] for r in records]) for key in records[0]}
        return inp, final, all_states


def _lstm_cell_states(cell: RecurrentCell, x: Tensor, h_all: Tensor, h0: Tensor, c0: Tensor,
                      mask: Tensor | None) -> Tensor:
    """Every ``c_t`` (B, T, H) of an LSTM direction from its inputs and hidden states."""
    h_prev = torch.cat([h0[:, None], h_all[:, :-1]], 1)  # (B, T, H): h_{t-1}
    gates = cell.input_term(x) + h_prev @ cell.weight_hh.t()  # (B, T, 4H), all steps at once
    i, f, g, _ = gates.chunk(4, -1)
    f, ig = torch.sigmoid(f), torch.sigmoid(i) * torch.tanh(g)
    if mask is not None:  # padded steps: c carried (f = 1, i*g = 0)
        f = torch.where(mask[..., None], f, 1.0)
        ig = torch.where(mask[..., None], ig, 0.0)
    c, cs = c0, []
    for f_t, ig_t in zip(f.unbind(1), ig.unbind(1)):
        c = torch.addcmul(ig_t, f_t, c)  # c_t = f*c_{t-1} + i*g
        cs.append(c)
    c_all = torch.stack(cs, 1)
    return c_all if mask is None else c_all.masked_fill(~mask[..., None], 0.0)
