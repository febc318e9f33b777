"""How far the error reaches back in time: ``||dL/dh_t||`` and ``||dL/dx_t||`` for every step.

The lecture's central argument (Hochreiter 1991; Bengio, Simard & Frasconi 1994; Pascanu,
Mikolov & Bengio 2013): backpropagation through time multiplies the error by the
state-to-state Jacobian once per step,

    dL/dh_s = dL/dh_t . prod_{k=s+1..t} dh_k/dh_{k-1},   dh_k/dh_{k-1} = diag(f'(z_k)) W_hh

(Elman), so the *total* derivative of the loss with respect to an early state shrinks or
grows geometrically with the distance ``t - s`` unless the Jacobians have norm ~1, as the
constant error carousel of an LSTM (``dc_k/dc_{k-1} = diag(f_k)``) or a leaky unit
(``a + (1-a) ...``) arranges.

:func:`state_gradients` measures exactly that for any model built on
:class:`seqlab.recurrent.layers.RNNLayer` (every pattern of :mod:`seqlab.recurrent.patterns`):
while it runs, each ``RNNLayer`` is unrolled by an explicit loop that adds a zero *probe*
``e_t`` to every state, ``h_t <- h_t + e_t``. The gradient ``dL/de_t`` at ``e = 0`` is the
total derivative ``dL/dh_t`` (every path from ``h_t`` to the loss, through all later steps
and layers), the quantity the lecture's delta recursion computes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab.exceptions import SeqlabTypeError, SeqlabValueError
from seqlab.recurrent.cells import RecurrentCell, SkipCell
from seqlab.recurrent.layers import RNNLayer, check_lengths_tensor, reverse_padded

__all__ = ["StateGradients", "find_rnn_layers", "probed_unroll", "state_gradients"]

LossFn = Callable[[Tensor], Tensor]


def find_rnn_layers(model: nn.Module) -> list[RNNLayer]:
    """Every :class:`~seqlab.recurrent.layers.RNNLayer` inside ``model`` (in module order).

    >>> from seqlab.recurrent.patterns import SequenceClassifier
    >>> len(find_rnn_layers(SequenceClassifier(2, 4, 1, cell="gru", seed=0)))
    1
    """
    if not isinstance(model, nn.Module):
        raise SeqlabTypeError(f"model must be a torch.nn.Module; got {type(model).__name__}.")
    return [m for m in model.modules() if isinstance(m, RNNLayer)]


def probed_unroll(
    cell: RecurrentCell, x: Tensor, carry: tuple[Tensor, ...] | None, mask: Tensor | None,
    probes: list[dict[str, Tensor]],
) -> tuple[Tensor, tuple[Tensor, ...]]:
    """Unroll ``cell`` over ``x`` (B, T, I), adding a zero probe to each recorded state.

    After step ``t`` the state tensors named by ``cell.state_names`` (``h``; ``h, c`` for an
    LSTM; ``y, h`` for Jordan) get ``+ e_t`` with ``e_t = 0`` requiring grad; the probes are
    appended to ``probes`` (one dict per step) so ``dL/de_t = dL/dstate_t``. Padded steps
    (``mask`` (B, T) False) keep their state, as in the layer's own loop. Returns the outputs
    (B, T, O) (0 at padding) and the final carry.

    >>> from seqlab.recurrent.cells import ElmanCell
    >>> probes = []
    >>> out, _ = probed_unroll(ElmanCell(2, 3), torch.randn(1, 4, 2), None, None, probes)
    >>> len(probes), sorted(probes[0])
    (4, ['h'])
    """
    state = cell.initial_state(carry, x.shape[0], x)
    u = cell.input_term(x)  # (B, T, G*H)
    keep = None if mask is None else mask[:, :, None].unbind(1)  # T x (B, 1)
    names = cell.state_names
    outs: list[Tensor] = []
    for t, u_t in enumerate(u.unbind(1)):
        new = list(cell.step(u_t, state))
        if keep is not None:
            new = [torch.where(keep[t], n, s) for n, s in zip(new, state)]
        step_probes: dict[str, Tensor] = {}
        for i, name in enumerate(names):
            e = torch.zeros_like(new[i], requires_grad=True)
            step_probes[name] = e
            new[i] = new[i] + e  # total derivative dL/dstate_t = dL/de_t at e = 0
        if isinstance(cell, SkipCell):  # state (h_t, h_t, ..., h_{t-k+1}): h_t is used twice
            new[1] = new[1] + step_probes["h"]
        probes.append(step_probes)
        state = tuple(new)
        outs.append(state[0])
    out = torch.stack(outs, 1)
    if mask is not None:
        out = out.masked_fill(~mask[:, :, None], 0.0)
    return out, cell.final_carry(state)


_Call = list[tuple[list[dict[str, Tensor]], bool]]  # per cell: (probes, reversed direction)


def _probed_forward(layer: RNNLayer, sink: list[_Call]) -> Callable[..., Any]:
    """A replacement for ``layer.forward`` that records probes into ``sink`` (per call)."""

    def forward(x: Tensor, state: Any = None, lengths: Any = None,
                return_all_states: bool = False) -> Any:
        x = layer._check_x(x)
        batch, steps, _ = x.shape
        lens = None if lengths is None else check_lengths_tensor(lengths, batch, steps)
        carries = layer._check_state(state, batch, x)
        mask = None if lens is None else (
            torch.arange(steps, device=x.device)[None, :] < lens.to(x.device)[:, None])
        call: _Call = []  # one probe list per (layer, direction)
        finals: list[tuple[Tensor, ...]] = []
        inp = x
        for li in range(layer.num_layers):
            outs = []
            for d in range(layer.num_directions):
                k = li * layer.num_directions + d
                xin = inp if d == 0 else reverse_padded(inp, lens)
                probes: list[dict[str, Tensor]] = []
                out, fin = probed_unroll(layer._cells[k], xin, None if carries is None else
                                         carries[k], mask, probes)
                if d == 1:
                    out = reverse_padded(out, lens)
                call.append((probes, d == 1))  # reversed probes are re-ordered after grad
                outs.append(out)
                finals.append(tuple(fin))
            inp = torch.cat(outs, -1) if len(outs) > 1 else outs[0]
            if layer.dropout > 0 and layer.training and li < layer.num_layers - 1:
                inp = F.dropout(inp, layer.dropout, training=True)
        sink.append(call)
        final = tuple(torch.stack([f[i] for f in finals]) for i in range(len(finals[0])))
        final_state = final[0] if len(final) == 1 else final
        if not layer.batch_first:
            inp = inp.transpose(0, 1)
        if return_all_states:
            raise SeqlabValueError("state_gradients runs the model without return_all_states; the "
                             "per-step states are what it measures.")
        return inp, final_state

    return forward


@contextlib.contextmanager
def _probing(model: nn.Module) -> Iterator[list[list[_Call]]]:
    layers = find_rnn_layers(model)
    if not layers:
        raise SeqlabValueError(
            "model has no seqlab RNNLayer; state_gradients measures the per-step "
            "states of seqlab.recurrent.layers.RNNLayer (every seqlab pattern "
            "model holds one as `.rnn`)."
        )
    records: list[list[_Call]] = []
    try:
        for layer in layers:
            sink: list[_Call] = []
            layer.forward = _probed_forward(layer, sink)  # type: ignore[method-assign]
            records.append(sink)
        yield records
    finally:
        for layer in layers:
            if "forward" in layer.__dict__:
                del layer.forward


@dataclass
class StateGradients:
    """Per-step gradient norms from :func:`state_gradients`.

    ============ ================== =====================================================
    field        shape              meaning
    ============ ================== =====================================================
    h            (K, B, T)          ``||dL/dh_t||`` (Jordan: ``y_t``) of every cell
                                    k (= layer*D + direction
                                    of each RNNLayer, layers in module order); 0 at padding
    states       {name: (K, B, T)}  the same for every state tensor (``c`` of an LSTM)
    x            (B, T)             ``||dL/dx_t||`` (the input); 0 at padding
    lengths      (B,)               valid steps per sequence
    loss         float              the loss value
    grads        {name: list}       the raw gradients (K x (B, T, H)) if ``keep_grads``
    ============ ================== =====================================================
    """

    h: np.ndarray
    states: dict[str, np.ndarray]
    x: np.ndarray
    lengths: np.ndarray
    loss: float
    grads: dict[str, list[Tensor]] = field(default_factory=dict)

    def mean_norms(self, name: str = "h") -> np.ndarray:
        """(K, T) mean over the sequences valid at each step (NaN where none is)."""
        arr = self.x[None] if name == "x" else self.states[name]
        valid = np.arange(arr.shape[-1])[None, :] < self.lengths[:, None]  # (B, T)
        count = valid.sum(0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, (arr * valid).sum(1) / count, np.nan)

    def decay_rate(self, name: str = "h", layer: int = 0) -> float:
        """Geometric rate per step of the mean norm, from a log-linear fit over t.

        ``< 1`` means the gradient reaching back in time shrinks (vanishes), ``> 1`` that it
        grows (explodes); read backwards from the last step.
        """
        m = self.mean_norms(name)[layer]
        ok = np.isfinite(m) & (m > 0)
        t = np.arange(m.size)[ok]
        if t.size < 2:
            return float("nan")
        slope = np.polyfit(t, np.log(m[ok]), 1)[0]
        return float(np.exp(-slope))


def state_gradients(
    model: nn.Module,
    x: Any,
    loss_fn: LossFn,
    lengths: Any = None,
    *,
    forward: Callable[[nn.Module, Tensor, Tensor | None], Tensor] | None = None,
    keep_grads: bool = False,
) -> StateGradients:
    """``||dL/dh_t||`` (every cell, every step) and ``||dL/dx_t||`` for one batch.

    ``loss = loss_fn(forward(model, x, lengths))``; the default forward is
    ``model(x)`` or ``model(x, lengths=lengths)``. The model's parameters are not changed
    and their ``.grad`` is not touched (``torch.autograd.grad`` is used). Works in train or
    eval mode (dropout follows the mode).

    ============ ================= ====================================================
    argument     shape             meaning
    ============ ================= ====================================================
    x            (B, T, I)         a batch (tensor or array; cast to the model's dtype)
    lengths      (B,) or None      valid steps per sequence
    loss_fn      pred -> scalar    e.g. ``lambda p: F.mse_loss(p[:, 0], y)``
    ============ ================= ====================================================

    For a linear Elman layer and a loss on ``h_T`` only, ``dL/dh_t = (W_hh^T)^(T-t) dL/dh_T``
    (tested against that closed form).

    >>> from seqlab.recurrent.patterns import SequenceClassifier
    >>> model = SequenceClassifier(2, 8, 1, cell="elman", seed=0)
    >>> g = state_gradients(model, torch.randn(3, 20, 2), lambda p: p.pow(2).mean())
    >>> g.h.shape, g.x.shape
    ((1, 3, 20), (3, 20))
    >>> bool(g.h[0, 0, -1] > g.h[0, 0, 0])  # the error fades on its way back in time
    True
    """
    if not callable(loss_fn):
        raise SeqlabTypeError(
            f"loss_fn must be a callable pred -> scalar; got {type(loss_fn).__name__}."
        )
    params = [p for p in model.parameters()]
    dtype = params[0].dtype if params else torch.get_default_dtype()
    device = params[0].device if params else torch.device("cpu")
    xt = (x if isinstance(x, Tensor) else torch.as_tensor(np.asarray(x))).to(device, dtype)
    xt = xt.detach().clone().requires_grad_(True)
    if xt.dim() != 3:
        raise SeqlabValueError(
            f"x must be 3-D (batch, time, features); got shape {tuple(xt.shape)}."
        )
    batch, steps = xt.shape[0], xt.shape[1]
    lens = (torch.full((batch,), steps, dtype=torch.int64) if lengths is None
            else check_lengths_tensor(lengths, batch, steps))
    with _probing(model) as records:
        if forward is None:
            pred = model(xt) if lengths is None else model(xt, lengths=lens)
        else:
            pred = forward(model, xt, None if lengths is None else lens)
        loss = loss_fn(pred)
        if not isinstance(loss, Tensor) or loss.numel() != 1:
            raise SeqlabValueError("loss_fn must return a scalar tensor.")
    cells = [cell for sink in records for call in sink for cell in call]
    if not cells:
        raise SeqlabValueError("the model's forward did not call its RNNLayer.")
    flat: list[Tensor] = []
    index: list[tuple[int, str]] = []  # (cell k, state name) of each probe, in time order
    for k, (probes, _) in enumerate(cells):
        for p in probes:
            for name, e in p.items():
                flat.append(e)
                index.append((k, name))
    grads = torch.autograd.grad(loss, [xt, *flat], allow_unused=True)
    gx = torch.zeros_like(xt) if grads[0] is None else grads[0]
    names = list(dict.fromkeys(n for probes, _ in cells for n in probes[0]))  # h (y) first
    k_total = len(cells)
    norms = {n: np.zeros((k_total, batch, steps)) for n in names}
    raw: dict[str, list[Tensor]] = {n: [] for n in names}
    per_cell: dict[tuple[int, str], list[Tensor]] = {}
    for (k, name), g, e in zip(index, grads[1:], flat):
        per_cell.setdefault((k, name), []).append(torch.zeros_like(e) if g is None else g)
    valid = (torch.arange(steps)[None, :] < lens[:, None]).to(device)  # (B, T)
    for (k, name), gs in sorted(per_cell.items()):
        g = torch.stack(gs, 1).detach()  # (B, T, H) in the order the cell ran
        if cells[k][1]:  # reverse direction: its step t is the sequence's step len-1-t
            g = reverse_padded(g, lens)
        g = g.masked_fill(~valid[:, :, None], 0.0)
        norms[name][k] = g.double().norm(dim=-1).cpu().numpy()
        raw[name].append(g)
    xn = gx.detach().double().norm(dim=-1).masked_fill(~valid, 0.0).cpu().numpy()
    return StateGradients(
        h=norms[names[0]],
        states=norms, x=xn, lengths=lens.numpy(), loss=float(loss.detach()),
        grads=raw if keep_grads else {},
    )
