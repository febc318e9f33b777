"""The Pascanu, Mikolov & Bengio (2013) regularizer against vanishing gradients.

Pascanu, Mikolov & Bengio, "On the difficulty of training recurrent neural networks", ICML
2013, Section 3.3, eq. (9): the regularizer asks the backpropagated error to keep its norm
from one step to the previous one,

    Omega = sum_k Omega_k = sum_k ( ||dE/dh_{k+1} . dh_{k+1}/dh_k|| / ||dE/dh_{k+1}|| - 1 )^2,

where dE/dh_{k+1} (a row vector) is the *total* derivative of the error with respect to the
state, i.e. the lecture's delta_int(k+1). As in the paper (eq. (10) and the text around it),
dE/dh_{k+1} is treated as a constant when Omega is differentiated, so the gradient of Omega
flows only through the Jacobian dh_{k+1}/dh_k = diag(f'(z_{k+1})) W_hh (W_hh and, via f',
the states). The paper writes the model with pre-activation states x_k; for an Elman layer
written with post-activation states h_t = f(W_ih x_t + W_hh h_{t-1} + b) the Jacobian is the
one above. Terms whose delta is zero (e.g. padding) are left out; the batch mean is taken.

Differences from the authors' code (``pascanur/trainingRNNs``, read for
:mod:`seqlab.reproduce.pascanu`, which implements their variant): their code uses the ratio
of *squared* norms, averages over time steps instead of summing (so the same ``alpha`` is
about T times weaker there), holds the states constant as well (the gradient reaches only
W_hh) and includes the step from h_0. This function follows eq. (9) as printed.
"""

from __future__ import annotations

from typing import Literal

import torch

from seqlab._validation import check_choice
from seqlab.exceptions import SeqlabValueError

__all__ = ["hidden_deltas", "pascanu_regularizer"]

Tensor = torch.Tensor
_NONLIN = ("tanh", "relu", "identity")


def _fprime(h: Tensor, nonlinearity: str) -> Tensor:
    """f'(z_t) written through h_t = f(z_t)."""
    if nonlinearity == "tanh":
        return 1.0 - h * h
    if nonlinearity == "relu":
        return (h > 0).to(h.dtype)
    return torch.ones_like(h)


def _check(h_all: Tensor, weight_hh: Tensor, nonlinearity: str) -> None:
    check_choice(nonlinearity, "nonlinearity", _NONLIN)
    if not isinstance(h_all, torch.Tensor) or h_all.dim() != 3:
        raise SeqlabValueError(
            f"h_all must be a (B, T, H) tensor of hidden states; got {h_all!r:.80}."
        )
    H = h_all.shape[2]
    if not isinstance(weight_hh, torch.Tensor) or tuple(weight_hh.shape) != (H, H):
        raise SeqlabValueError(
            f"weight_hh must be (H, H) = {(H, H)} for an Elman layer; got "
            f"{tuple(weight_hh.shape) if isinstance(weight_hh, torch.Tensor) else weight_hh!r}."
        )


@torch.no_grad()
def hidden_deltas(
    direct_grad: Tensor,
    h_all: Tensor,
    weight_hh: Tensor,
    nonlinearity: Literal["tanh", "relu", "identity"] = "tanh",
    mask: Tensor | None = None,
) -> Tensor:
    """The lecture's delta recursion: total dE/dh_t from the direct (output-path) gradients.

    delta_int(t) = W_hh^T (delta_int(t+1) * f'(z(t+1))) + W_out^T delta_out(t), where the
    last term is ``direct_grad`` (B, T, H), e.g. ``torch.autograd.grad(loss, h_all)``.
    With ``mask`` (B, T), padded steps carry the state (and its delta) unchanged.

    >>> import torch
    >>> h = torch.tanh(torch.randn(1, 3, 2)); w = torch.eye(2)
    >>> d = hidden_deltas(torch.ones(1, 3, 2), h, w, "identity")
    >>> d[0, :, 0].tolist()
    [3.0, 2.0, 1.0]
    """
    _check(h_all, weight_hh, nonlinearity)
    if direct_grad.shape != h_all.shape:
        raise SeqlabValueError(f"direct_grad must have h_all's shape {tuple(h_all.shape)}.")
    B, T, H = h_all.shape
    # (created on h_all's device: the loop below mixes them with device tensors)
    m = h_all.new_ones(B, T) if mask is None else (mask != 0).to(h_all.device, h_all.dtype)
    fp = _fprime(h_all, nonlinearity)
    deltas = torch.empty_like(direct_grad)
    g = direct_grad.new_zeros(B, H)
    for t in range(T - 1, -1, -1):
        g = g + direct_grad[:, t]
        deltas[:, t] = g
        mt = m[:, t : t + 1]
        g = (1 - mt) * g + (mt * g * fp[:, t]) @ weight_hh
    return deltas


def pascanu_regularizer(
    h_all: Tensor,
    weight_hh: Tensor,
    deltas: Tensor,
    nonlinearity: Literal["tanh", "relu", "identity"] = "tanh",
    mask: Tensor | None = None,
    eps: float = 1e-12,
) -> Tensor:
    """Omega of Pascanu et al. (2013), eq. (9), for an Elman layer (see module docstring).

    ==========  =========  ===========================================================
    argument    shape      meaning
    ==========  =========  ===========================================================
    h_all       (B, T, H)  hidden states h_0..h_{T-1} (with their graph)
    weight_hh   (H, H)     recurrent weights W_hh
    deltas      (B, T, H)  total dE/dh_t (:func:`hidden_deltas`); used as a constant
    mask        (B, T)     optional; terms ending at a padded step are dropped
    ==========  =========  ===========================================================

    Returns the batch mean of sum_k Omega_k over the transitions h_k -> h_{k+1} inside
    ``h_all`` (k = 0..T-2), a scalar with a graph through ``weight_hh`` and ``h_all``.

    >>> import torch
    >>> h = torch.zeros(1, 4, 3)  # tanh'(0) = 1: the Jacobian is W_hh itself
    >>> float(pascanu_regularizer(h, torch.eye(3), torch.randn(1, 4, 3)))  # norm preserved
    0.0
    """
    _check(h_all, weight_hh, nonlinearity)
    if deltas.shape != h_all.shape:
        raise SeqlabValueError(f"deltas must have h_all's shape {tuple(h_all.shape)}.")
    if h_all.shape[1] < 2:
        return h_all.new_zeros(())
    d_next = deltas[:, 1:].detach()  # dE/dh_{k+1}, a constant (Pascanu et al., Sec. 3.3)
    back = (d_next * _fprime(h_all[:, 1:], nonlinearity)) @ weight_hh  # dE/dh_{k+1} dh_{k+1}/dh_k
    den = d_next.norm(dim=-1)
    keep = den > eps
    if mask is not None:
        keep = keep & (mask[:, 1:] != 0).to(keep.device)
    ratio = back.norm(dim=-1) / torch.where(keep, den, torch.ones_like(den))
    omega = torch.where(keep, (ratio - 1.0) ** 2, torch.zeros_like(ratio))
    return omega.sum(dim=1).mean()
