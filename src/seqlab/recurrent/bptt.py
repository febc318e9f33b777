"""Explicit backpropagation through time: the lecture's backward pass, written out.

Each ``*_sequence`` function runs one recurrent cell over a whole batch-first sequence and is
a ``torch.autograd.Function`` whose backward is the lecture's BPTT (slides "Backpropagation
Through Time"): with delta_out(t) the output deltas and delta_int(t) = dE/dh_t,

    delta_int(t) = W_hid^T (delta_int(t+1) * f'(z(t+1))) + W_out^T delta_out(t),
    dE/dW_hid = sum_t (delta_int(t) * f'(z(t))) h(t-1)^T,
    dE/dW_in  = sum_t (delta_int(t) * f'(z(t))) x(t)^T.

The term W_out^T delta_out(t) is whatever gradient reaches the returned per-step states
(``h_all``) from the layers above; the recursion itself runs step by step (see "Speed"
below) and the weight sums are formed as one matrix product over all t
(:mod:`seqlab.recurrent._bptt_elman`, :mod:`seqlab.recurrent._bptt_gated`). The gradients
equal autograd's (float64 gradcheck).

Parameters use PyTorch's names and layouts (``weight_ih`` (G*H, I), ``weight_hh`` (G*H, H),
``bias_ih``/``bias_hh`` (G*H,), LSTM gates i, f, g, o; GRU r, z, n), so weights copy to and
from ``torch.nn.RNN/LSTM/GRU``. Any bias may be ``None``.

Shapes (batch-first):

==========  ===========  ==========================================================
argument    shape        meaning
==========  ===========  ==========================================================
x           (B, T, I)    input sequence
h0, c0      (B, H)       initial state (``None``: zeros)
mask        (B, T)       optional; 0 marks padding: the state is carried unchanged,
                         the per-step outputs are 0 there and no gradient flows
h_all       (B, T, H)    state after every step (0 at padded steps)
h_last      (B, H)       state after the last step (the last valid one per row)
==========  ===========  ==========================================================

Speed: the input projection X W_ih^T + b is one matmul over all steps before the loop,
and dW_hh, dW_ih, db, dX are one matmul each after the delta recursion; only the
h_{t-1} W_hh^T product, the cell's elementwise update and the recursion run step by step.
That sequential part runs in numba kernels (:mod:`seqlab.recurrent._bptt_kernels`) when
B*H is small, where torch's per-op dispatch (~5 us/op) would dominate; for LSTM and GRU it
runs as a loop of torch ops (:mod:`seqlab.recurrent._bptt_torchloop`) when B*H is large,
where torch's vectorised tanh/sigmoid and MKL matmul win (the backward then pairs torch's
matmul with a numba elementwise step kernel); the thresholds (``TORCH_LOOP_MIN_BH``,
``TORCH_BACKWARD_MIN_BH``) were measured on one core. Both paths give the same gradients
(tested). ``benchmarks/bptt.py`` times them against torch.nn.RNN/GRU/LSTM. The GRU has a
third path for steps whose products dominate (B >= 2, B*H^2 >= 2^18):
:mod:`seqlab.recurrent._bptt_gru_fast`, one oneDNN product and a few fused ops per step,
0.47x nn.GRU's time at B=64 T=256 H=512 and 0.63x at B=32 T=100 H=128 (1 thread, this
project's AMD EPYC). Its buffers saved for the backward pass come from a per-thread pool
(:mod:`seqlab.recurrent._workspace`): fresh ones cost ~1,200-1,600 page faults per call in a
process running only that layer.

Elman, leaky, skip and Jordan units switch at ``B*H >= FAST_MIN_BH`` (512, Jordan 1024) to
the Functions of :mod:`seqlab.recurrent._bptt_elman_fast` / ``_bptt_jordan_fast``, built to
keep each step down to its matrix product: the step's ``addmm_`` writes into the input
projection's buffer, the activation runs in place (tanh as 2 sigmoid(2z) - 1 with exactly
doubled weights: torch's sigmoid is ~5x faster than its tanh), the states are stored once and
returned as a view, and the backward step is one multiply and one ``addmm_`` (measured at
B=32 T=100 I=32 H=128, 1 thread: Elman 0.7x nn.RNN's forward+backward, the older path 0.9x).
Their float32 products go through MKL or oneDNN, whichever was measured to be faster on this
machine for the product's shape (:mod:`seqlab.recurrent._matmul`: oneDNN ran ~2x MKL's speed
on the AMD EPYC of the earlier sessions, MKL was faster at B=32 H=128 on a Zen 4 EPYC).

Long sequences: tiny values in a decaying state can become denormal floats, which are
very slow on x86. Call ``torch.set_flush_denormal(True)`` (process-wide, so the library
never does it for you) before training on streams of thousands of steps. The numba kernels
write their small per-step products as loops rather than calling BLAS, so they start no
threads of their own.

Higher-order gradients (``create_graph=True``: gradient penalties, ``gradgradcheck``) are
exact: the backward then re-runs the recurrence with plain torch ops on its saved inputs and
lets autograd differentiate it (:mod:`seqlab.recurrent._bptt_reference`); an ordinary
``.backward()`` keeps the hand-written path.

Truncated BPTT (Williams & Peng 1990): :func:`truncated_bptt`, in
:mod:`seqlab.recurrent.tbptt` (re-exported here).
"""

from __future__ import annotations

from typing import Literal

import torch

from seqlab._validation import check_choice, check_int
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError
from seqlab.recurrent._bptt_elman import JordanSequenceFn, SimpleSequenceFn
from seqlab.recurrent._bptt_elman_fast import SimpleFastFn, use_fast
from seqlab.recurrent._bptt_gated import GRUSequenceFn, LSTMSequenceFn
from seqlab.recurrent._bptt_gru_fast import GRUFastFn, use_gru_fast
from seqlab.recurrent._bptt_jordan_fast import JordanFastFn
from seqlab.recurrent._bptt_kernels import ACT_CODES
from seqlab.recurrent.tbptt import TBPTTChunk, truncated_bptt

__all__ = [
    "TBPTTChunk",
    "elman_sequence",
    "gru_sequence",
    "jordan_sequence",
    "leaky_sequence",
    "lstm_sequence",
    "skip_sequence",
    "truncated_bptt",
]

Tensor = torch.Tensor
Nonlinearity = Literal["tanh", "relu", "identity"]
OutputActivation = Literal["identity", "tanh", "sigmoid"]
_NONLIN = ("tanh", "relu", "identity")
_OUT_ACT = ("identity", "tanh", "sigmoid")


# --------------------------------------------------------------------------- validation
def _check_x(x: object) -> Tensor:
    if not isinstance(x, torch.Tensor):
        raise SeqlabTypeError(
            f"x must be a torch.Tensor of shape (B, T, I); got {type(x).__name__}."
        )
    if x.dim() != 3 or x.shape[1] < 1:
        raise SeqlabValueError(
            f"x must be batch-first (B, T, I) with T >= 1; got shape {tuple(x.shape)}. "
            "Add a batch axis with x.unsqueeze(0) for one sequence."
        )
    if x.is_complex():
        raise SeqlabTypeError(
            f"x is complex ({x.dtype}); explicit BPTT takes real numbers. Pass x.real, x.abs() "
            "or both as separate features."
        )
    if x.dtype not in (torch.float32, torch.float64):
        raise SeqlabTypeError(f"x must be float32 or float64; got {x.dtype}.")
    if x.device.type != "cpu":
        raise SeqlabValueError("explicit BPTT runs on the CPU (numba kernels); move x to 'cpu'.")
    return x


def _check(t: object, name: str, shape: tuple[int, ...], x: Tensor, optional: bool) -> None:
    if t is None:
        if optional:
            return
        raise SeqlabTypeError(f"{name} is required (a tensor of shape {shape}); got None.")
    if not isinstance(t, torch.Tensor):
        raise SeqlabTypeError(
            f"{name} must be a torch.Tensor of shape {shape}; got {type(t).__name__}."
        )
    if tuple(t.shape) != shape:
        raise SeqlabValueError(f"{name} must have shape {shape}; got {tuple(t.shape)}.")
    if t.dtype != x.dtype:
        raise SeqlabTypeError(
            f"{name} has dtype {t.dtype} but x has {x.dtype}; use one dtype for all."
        )
    if t.device != x.device:
        raise SeqlabValueError(f"{name} is on {t.device} but x is on {x.device}.")


def _check_mask(mask: object, x: Tensor) -> Tensor | None:
    """Validate a (B, T) mask; return it time-major as 0/1 floats of x's dtype (or None)."""
    if mask is None:
        return None
    if not isinstance(mask, torch.Tensor):
        raise SeqlabTypeError(
            f"mask must be a (B, T) torch.Tensor or None; got {type(mask).__name__}."
        )
    B, T = x.shape[:2]
    if tuple(mask.shape) != (B, T):
        raise SeqlabValueError(f"mask must have shape (B, T) = {(B, T)}; got {tuple(mask.shape)}.")
    return (mask.detach() != 0).to(x.dtype).t().contiguous()


def _check_x_act(x: object, nonlinearity: str) -> tuple[Tensor, int]:
    """Validate x, then the nonlinearity's name; return x and the kernels' activation code."""
    x = _check_x(x)
    check_choice(nonlinearity, "nonlinearity", _NONLIN)
    return x, ACT_CODES[nonlinearity]


def _check_cell(
    x: Tensor, weight_ih: Tensor, weight_hh: Tensor, gates: int,
    initial: dict[str, Tensor | None], bias_ih: Tensor | None, bias_hh: Tensor | None,
) -> int:  # fmt: skip
    """Validate the W_ih/W_hh weights, the (B, H) ``initial`` states and the biases; return H."""
    if not isinstance(weight_hh, torch.Tensor) or weight_hh.dim() != 2:
        raise SeqlabTypeError(
            f"weight_hh must be a 2-D tensor ({gates}*H, H); got {weight_hh!r:.60}."
        )
    H = weight_hh.shape[1]
    GH = gates * H
    _check(weight_hh, "weight_hh", (GH, H), x, False)
    _check(weight_ih, "weight_ih", (GH, x.shape[2]), x, False)
    for name, state in initial.items():
        _check(state, name, (x.shape[0], H), x, True)
    _check(bias_ih, "bias_ih", (GH,), x, True)
    _check(bias_hh, "bias_hh", (GH,), x, True)
    return H


def _simple(
    x: Tensor, h0: Tensor | None, weight_ih: Tensor, weight_hh: Tensor, bias_ih: Tensor | None,
    bias_hh: Tensor | None, alpha: Tensor | None, weight_skip: Tensor | None, skip: int,
    act: int, mask: object,
) -> tuple[Tensor, Tensor]:  # fmt: skip
    """Validate ``mask``, then run :class:`SimpleSequenceFn` (Elman, leaky and skip units)."""
    m = _check_mask(mask, x)
    fn = SimpleFastFn if use_fast("simple", x.shape[0], weight_hh.shape[0]) else SimpleSequenceFn
    out = fn.apply(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, alpha, weight_skip, skip, act, m)
    return out[0], out[1]


# --------------------------------------------------------------------------- public API
def elman_sequence(
    x: Tensor,
    h0: Tensor | None,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None = None,
    bias_hh: Tensor | None = None,
    nonlinearity: Nonlinearity = "tanh",
    mask: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """Elman network h_t = f(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) with explicit BPTT.

    Same result as ``torch.nn.RNN(batch_first=True)`` with the same weights. Returns
    ``(h_all (B, T, H), h_last (B, H))``; see the module docstring for shapes and ``mask``.

    >>> import torch
    >>> rnn = torch.nn.RNN(2, 3, batch_first=True).double()
    >>> x = torch.randn(4, 5, 2, dtype=torch.float64)
    >>> h_all, h_last = elman_sequence(x, None, rnn.weight_ih_l0, rnn.weight_hh_l0,
    ...                                rnn.bias_ih_l0, rnn.bias_hh_l0)
    >>> torch.allclose(h_all, rnn(x)[0])
    True
    """
    x, act = _check_x_act(x, nonlinearity)
    _check_cell(x, weight_ih, weight_hh, 1, {"h0": h0}, bias_ih, bias_hh)
    return _simple(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, None, None, 0, act, mask)


def leaky_sequence(
    x: Tensor,
    h0: Tensor | None,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None,
    bias_hh: Tensor | None,
    alpha: Tensor,
    nonlinearity: Nonlinearity = "tanh",
    mask: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """Leaky-integrator units h_t = a*h_{t-1} + (1-a)*f(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh).

    ``alpha`` (H,) is the per-unit leak (may require grad). Returns ``(h_all, h_last)``.

    >>> import torch
    >>> x = torch.randn(2, 6, 1, dtype=torch.float64)
    >>> w_ih, w_hh = torch.randn(3, 1).double(), torch.zeros(3, 3).double()
    >>> alpha = torch.full((3,), 0.9, dtype=torch.float64)
    >>> h_all, h_last = leaky_sequence(x, None, w_ih, w_hh, None, None, alpha)
    >>> h_all.shape, bool(h_all.abs().max() < 1)
    (torch.Size([2, 6, 3]), True)
    """
    x, act = _check_x_act(x, nonlinearity)
    H = _check_cell(x, weight_ih, weight_hh, 1, {"h0": h0}, bias_ih, bias_hh)
    _check(alpha, "alpha", (H,), x, False)
    return _simple(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, alpha, None, 0, act, mask)


def skip_sequence(
    x: Tensor,
    h0: Tensor | None,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None,
    bias_hh: Tensor | None,
    weight_skip: Tensor,
    skip: int,
    nonlinearity: Nonlinearity = "tanh",
    mask: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """Skip connections through time (a direct path from k steps back).

    h_t = f(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh + W_skip h_{t-k}).

    With 0-based steps (step t reads ``x[:, t]``, h_{-1} = ``h0``), the skip input at step t
    is the state after step t-k, and 0 when t-k < 0 (so ``h0`` enters only through W_hh).
    ``skip`` = k >= 2; ``weight_skip`` is (H, H). Returns ``(h_all, h_last)``.

    >>> import torch
    >>> x = torch.randn(2, 7, 1, dtype=torch.float64)
    >>> w = lambda *s: 0.3 * torch.randn(*s, dtype=torch.float64)
    >>> h_all, _ = skip_sequence(x, None, w(4, 1), w(4, 4), None, None, w(4, 4), skip=3)
    >>> h_all.shape
    torch.Size([2, 7, 4])
    """
    x, act = _check_x_act(x, nonlinearity)
    k = check_int(skip, "skip", minimum=2)
    H = _check_cell(x, weight_ih, weight_hh, 1, {"h0": h0}, bias_ih, bias_hh)
    _check(weight_skip, "weight_skip", (H, H), x, False)
    return _simple(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, None, weight_skip, k, act, mask)


def jordan_sequence(
    x: Tensor,
    y0: Tensor | None,
    weight_ih: Tensor,
    weight_yh: Tensor,
    bias_ih: Tensor | None,
    bias_hh: Tensor | None,
    weight_hy: Tensor,
    bias_hy: Tensor | None,
    nonlinearity: Nonlinearity = "tanh",
    output_activation: OutputActivation = "identity",
    mask: Tensor | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Jordan network: h_t = f(W_ih x_t + b_ih + W_yh y_{t-1} + b_hh), y_t = g(W_hy h_t + b_hy).

    The previous *output* is the recurrent state. Shapes: ``weight_yh`` (H, O), ``weight_hy``
    (O, H), ``y0`` (B, O). Returns ``(h_all (B,T,H), y_all (B,T,O), y_last (B,O))``.

    >>> import torch
    >>> x = torch.randn(2, 5, 3, dtype=torch.float64)
    >>> w = lambda *s: 0.5 * torch.randn(*s, dtype=torch.float64)
    >>> h, y, y_last = jordan_sequence(x, None, w(4, 3), w(4, 2), None, None, w(2, 4), None)
    >>> h.shape, y.shape, torch.equal(y[:, -1], y_last)
    (torch.Size([2, 5, 4]), torch.Size([2, 5, 2]), True)
    """
    x, act = _check_x_act(x, nonlinearity)
    check_choice(output_activation, "output_activation", _OUT_ACT)
    if not isinstance(weight_yh, torch.Tensor) or weight_yh.dim() != 2:
        raise SeqlabTypeError("weight_yh must be a 2-D tensor of shape (H, O).")
    H, O = weight_yh.shape
    _check(weight_yh, "weight_yh", (H, O), x, False)
    _check(weight_ih, "weight_ih", (H, x.shape[2]), x, False)
    _check(weight_hy, "weight_hy", (O, H), x, False)
    _check(y0, "y0", (x.shape[0], O), x, True)
    _check(bias_ih, "bias_ih", (H,), x, True)
    _check(bias_hh, "bias_hh", (H,), x, True)
    _check(bias_hy, "bias_hy", (O,), x, True)
    m = _check_mask(mask, x)
    out_act = ACT_CODES[output_activation]
    fn = JordanFastFn if use_fast("jordan", x.shape[0], H) else JordanSequenceFn
    out = fn.apply(
        x, y0, weight_ih, weight_yh, bias_ih, bias_hh, weight_hy, bias_hy, act, out_act, m
    )
    return out[0], out[1], out[2]


def lstm_sequence(
    x: Tensor,
    h0: Tensor | None,
    c0: Tensor | None,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None = None,
    bias_hh: Tensor | None = None,
    mask: Tensor | None = None,
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """LSTM (gates i, f, g, o as torch.nn.LSTM) with explicit BPTT.

    i, f, o = sigma(.), g = tanh(.), of W_ih x_t + b_ih + W_hh h_{t-1} + b_hh;
    c_t = f*c_{t-1} + i*g, h_t = o*tanh(c_t). Returns ``(h_all, c_all, h_last, c_last)``.

    >>> import torch
    >>> lstm = torch.nn.LSTM(2, 3, batch_first=True).double()
    >>> x = torch.randn(4, 5, 2, dtype=torch.float64)
    >>> h_all, c_all, h_last, c_last = lstm_sequence(x, None, None, lstm.weight_ih_l0,
    ...     lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0)
    >>> ref, (h_n, c_n) = lstm(x)
    >>> torch.allclose(h_all, ref) and torch.allclose(c_last, c_n[0])
    True
    """
    x = _check_x(x)
    _check_cell(x, weight_ih, weight_hh, 4, {"h0": h0, "c0": c0}, bias_ih, bias_hh)
    m = _check_mask(mask, x)
    out = LSTMSequenceFn.apply(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, m)
    return out[0], out[1], out[2], out[3]


def gru_sequence(
    x: Tensor,
    h0: Tensor | None,
    weight_ih: Tensor,
    weight_hh: Tensor,
    bias_ih: Tensor | None = None,
    bias_hh: Tensor | None = None,
    mask: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """GRU in torch.nn.GRU's convention (gates r, z, n) with explicit BPTT.

    r = sigma(W_ir x + b_ir + W_hr h + b_hr), z = sigma(W_iz x + b_iz + W_hz h + b_hz),
    n = tanh(W_in x + b_in + r*(W_hn h + b_hn)), h_t = (1-z)*n + z*h_{t-1}.
    The lecture writes h_t = (1-z) h_{t-1} + z h~: its z is torch's 1-z. Returns
    ``(h_all, h_last)``.

    >>> import torch
    >>> gru = torch.nn.GRU(2, 3, batch_first=True).double()
    >>> x = torch.randn(4, 5, 2, dtype=torch.float64)
    >>> h_all, h_last = gru_sequence(x, None, gru.weight_ih_l0, gru.weight_hh_l0,
    ...                              gru.bias_ih_l0, gru.bias_hh_l0)
    >>> torch.allclose(h_all, gru(x)[0])
    True
    """
    x = _check_x(x)
    H = _check_cell(x, weight_ih, weight_hh, 3, {"h0": h0}, bias_ih, bias_hh)
    m = _check_mask(mask, x)
    fn = GRUFastFn if use_gru_fast(x.shape[0], H) else GRUSequenceFn
    out = fn.apply(x, h0, weight_ih, weight_hh, bias_ih, bias_hh, m)
    return out[0], out[1]
