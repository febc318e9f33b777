"""Eigenvalues of ``W_hh`` and of the state-to-state Jacobian along a trajectory.

Why they matter (the lecture; Pascanu, Mikolov & Bengio 2013, Section 2): the error at step
``t`` reaches step ``s`` multiplied by ``J_t J_{t-1} ... J_{s+1}``, with
``J_k = dh_k/dh_{k-1}``. For a linear Elman network ``J_k = W_hh`` and the product is
``W_hh^(t-s)``: it vanishes when the spectral radius ``rho(W_hh) < 1`` and explodes when
``rho > 1`` (along the leading eigenvector). With ``tanh`` units ``J_k = diag(1 - h_k^2) W_hh``
and ``|tanh'| <= 1``, so ``rho(W_hh) < 1`` (more exactly, a largest singular value
``sigma_max(W_hh) < 1``) is *sufficient* for vanishing (Pascanu et al., eq. 7, with
``gamma = 1`` for tanh).

- :func:`spectrum` -- eigenvalues, spectral radius and largest singular value of a matrix;
- :func:`weight_spectra` -- :func:`spectrum` of every recurrent block of a model (``W_hh``,
  or each gate's block ``W_hi, W_hf, W_hg, W_ho`` of an LSTM);
- :func:`elman_jacobians` -- the closed form ``diag(f'(z_t)) W_hh`` for Elman layers;
- :func:`state_jacobians` -- ``d state_t / d state_{t-1}`` of any cell by autograd (the
  full state: ``[h; c]`` for an LSTM);
- :func:`jacobian_spectra` -- per-step spectral radius / norm of the Jacobians and the norm
  of their running product ``||J_T ... J_{t+1}||``: how strongly step ``t`` still influences
  the last state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor, nn

from seqlab._validation import check_choice
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError
from seqlab.recurrent.cells import RecurrentCell

__all__ = [
    "JacobianSpectra",
    "Spectrum",
    "elman_jacobians",
    "jacobian_spectra",
    "spectrum",
    "state_jacobians",
    "weight_spectra",
]

_GATES = {4: ("i", "f", "g", "o"), 3: ("r", "z", "n")}


@dataclass(frozen=True)
class Spectrum:
    """Eigenvalues (complex, sorted by decreasing modulus), spectral radius, ``sigma_max``."""

    eigenvalues: np.ndarray
    spectral_radius: float
    max_singular_value: float


def _as_square(w: Any, name: str) -> Tensor:
    t = w.detach() if isinstance(w, Tensor) else torch.as_tensor(np.asarray(w))
    if t.dim() != 2 or t.shape[0] != t.shape[1] or t.shape[0] == 0:
        raise SeqlabValueError(
            f"{name} must be a square (n, n) matrix; got shape {tuple(t.shape)}."
        )
    if not bool(torch.isfinite(t).all()):
        raise SeqlabValueError(f"{name} contains NaN or infinite values.")
    return t.to("cpu", torch.float64)  # eigen-analysis on the CPU (then numpy), any device


def spectrum(w: Any) -> Spectrum:
    """Eigenvalues, spectral radius ``max |lambda|`` and largest singular value of ``w``.

    >>> s = spectrum([[0.0, 2.0], [0.5, 0.0]])   # eigenvalues +-1, singular values 2, 0.5
    >>> round(s.spectral_radius, 12), round(s.max_singular_value, 12)
    (1.0, 2.0)
    """
    t = _as_square(w, "w")
    eig = torch.linalg.eigvals(t).numpy()
    eig = eig[np.argsort(-np.abs(eig), kind="stable")]
    return Spectrum(eig, float(np.abs(eig).max()), float(torch.linalg.matrix_norm(t, 2)))


def weight_spectra(model: nn.Module) -> dict[str, Spectrum]:
    """:func:`spectrum` of every square recurrent block of every cell in ``model``.

    Keys are ``"<module path>.weight_hh"`` for one-gate cells (Elman, leaky, skip; plus
    ``.weight_skip``), ``"<path>.weight_hh[i]"`` etc. for each gate block of LSTM (i, f, g, o)
    and GRU (r, z, n) cells, ``"<path>.weight_yh"`` skipped (Jordan's is not square in general).

    >>> from seqlab.recurrent.patterns import SequenceClassifier
    >>> sorted(weight_spectra(SequenceClassifier(2, 4, 1, cell="gru", seed=0)))
    ['rnn.cells.0.weight_hh[n]', 'rnn.cells.0.weight_hh[r]', 'rnn.cells.0.weight_hh[z]']
    """
    if not isinstance(model, nn.Module):
        raise SeqlabTypeError(f"model must be a torch.nn.Module; got {type(model).__name__}.")
    out: dict[str, Spectrum] = {}
    for path, mod in model.named_modules():
        if not isinstance(mod, RecurrentCell) or not hasattr(mod, "weight_hh"):
            continue
        w = mod.weight_hh.detach()
        h = mod.hidden_size
        prefix = f"{path}." if path else ""
        if mod.gates == 1:
            if w.shape == (h, h):
                out[prefix + "weight_hh"] = spectrum(w)
        else:
            for g, block in zip(_GATES[mod.gates], w.split(h, dim=0)):
                out[f"{prefix}weight_hh[{g}]"] = spectrum(block)
        skip = getattr(mod, "weight_skip", None)
        if isinstance(skip, Tensor):
            out[prefix + "weight_skip"] = spectrum(skip.detach())
    if not out:
        raise SeqlabValueError("model has no recurrent cell with a square W_hh block.")
    return out


def _fprime(h: Tensor, nonlinearity: str) -> Tensor:
    if nonlinearity == "tanh":
        return 1.0 - h * h
    if nonlinearity == "relu":
        return (h > 0).to(h.dtype)
    return torch.ones_like(h)


def elman_jacobians(
    h: Any, weight_hh: Any, nonlinearity: Literal["tanh", "relu", "identity"] = "tanh"
) -> Tensor:
    """``J_t = dh_t/dh_{t-1} = diag(f'(z_t)) W_hh`` for states ``h`` (T, H) of an Elman layer.

    ``f'(z_t)`` is written through ``h_t = f(z_t)`` (``1 - h_t^2`` for tanh). Returns
    (T, H, H), float64.

    >>> J = elman_jacobians(torch.zeros(3, 2), torch.eye(2))  # tanh'(0) = 1
    >>> J.shape, bool((J == torch.eye(2)).all())
    (torch.Size([3, 2, 2]), True)
    """
    check_choice(nonlinearity, "nonlinearity", ("tanh", "relu", "identity"))
    w = _as_square(weight_hh, "weight_hh")
    ht = (h.detach() if isinstance(h, Tensor) else torch.as_tensor(np.asarray(h))).to(torch.float64)
    if ht.dim() != 2 or ht.shape[1] != w.shape[0]:
        raise SeqlabValueError(f"h must be (T, H) with H = {w.shape[0]}; got {tuple(ht.shape)}.")
    return _fprime(ht, nonlinearity)[:, :, None] * w[None]


def _flat(state: tuple[Tensor, ...]) -> Tensor:
    return torch.cat([s.reshape(-1) for s in state])


def state_jacobians(cell: RecurrentCell, x: Any, state: tuple[Tensor, ...] | None = None
                    ) -> tuple[Tensor, Tensor]:
    """``J_t = d state_t / d state_{t-1}`` along the trajectory of one sequence, by autograd.

    ``state`` is the cell's full internal state flattened (``[h]``; ``[h; c]`` for an LSTM;
    ``[h_t; h_t; h_{t-1}; ...]`` for a skip cell). Computed in float64 on a copy of the cell.

    ============ =============== ===========================================
    argument     shape           meaning
    ============ =============== ===========================================
    x            (T, I)          one sequence
    state        tuple of (1, ·) initial internal state (default zeros)
    returns      (T, S, S)       the Jacobians
                 (T, S)          the states after each step (flattened)
    ============ =============== ===========================================

    >>> from seqlab.recurrent.cells import LSTMCell
    >>> J, s = state_jacobians(LSTMCell(2, 3), torch.randn(5, 2))
    >>> tuple(J.shape), tuple(s.shape)
    ((5, 6, 6), (5, 6))
    """
    if not isinstance(cell, RecurrentCell):
        raise SeqlabTypeError(f"cell must be a seqlab RecurrentCell; got {type(cell).__name__}.")
    import copy

    c64 = copy.deepcopy(cell).to(torch.float64)
    xt = (x.detach() if isinstance(x, Tensor) else torch.as_tensor(np.asarray(x))).to(torch.float64)
    if xt.dim() != 2 or xt.shape[1] != c64.input_size:
        raise SeqlabValueError(f"x must be one sequence (T, I) with I = {c64.input_size}; got "
                         f"{tuple(xt.shape)}.")
    with torch.no_grad():
        st = c64.initial_state(None, 1, xt) if state is None else tuple(
            s.detach().to(torch.float64) for s in state)
        u = c64.input_term(xt)  # (T, G*H)
    shapes = [s.shape for s in st]
    sizes = [s.numel() for s in st]

    def unflat(v: Tensor) -> tuple[Tensor, ...]:
        return tuple(p.reshape(sh) for p, sh in zip(v.split(sizes), shapes))

    jacs, states = [], []
    flat = _flat(st)
    for u_t in u.unbind(0):
        def f(v: Tensor, u_t: Tensor = u_t) -> Tensor:
            return _flat(c64.step(u_t[None], unflat(v)))

        jac = torch.autograd.functional.jacobian(f, flat, vectorize=True)
        with torch.no_grad():
            flat = f(flat)
        jacs.append(jac)
        states.append(flat)
    return torch.stack(jacs), torch.stack(states)


@dataclass(frozen=True)
class JacobianSpectra:
    """Per-step spectra of the Jacobians ``J_t`` and the norm of their products.

    ================= ======== ===========================================================
    field             shape    meaning
    ================= ======== ===========================================================
    spectral_radius   (T,)     ``rho(J_t)``
    norm              (T,)     ``||J_t||_2`` (largest singular value)
    product_norm      (T,)     ``||J_T J_{T-1} ... J_{t+1}||_2``: the gain from step t to
                               the last state (1 at t = T-1, by definition)
    eigenvalues       (T, S)   eigenvalues of each ``J_t`` (complex)
    ================= ======== ===========================================================
    """

    spectral_radius: np.ndarray
    norm: np.ndarray
    product_norm: np.ndarray
    eigenvalues: np.ndarray


def jacobian_spectra(jacobians: Any) -> JacobianSpectra:
    """Spectral radius and norm of each ``J_t`` (T, S, S), and the running product's norm.

    The products are accumulated from the end with a rescaling every step, so very small or
    large gains (1e-300 .. 1e300) do not underflow or overflow before the log is taken.

    >>> js = jacobian_spectra(0.5 * torch.eye(2).expand(4, 2, 2))  # J = W = 0.5 I
    >>> np.round(js.product_norm, 12).tolist()   # 0.5^(T-1-t): it vanishes geometrically
    [0.125, 0.25, 0.5, 1.0]
    """
    J = (jacobians.detach() if isinstance(jacobians, Tensor)
         else torch.as_tensor(np.asarray(jacobians))).to("cpu", torch.float64)
    if J.dim() != 3 or J.shape[1] != J.shape[2] or J.shape[0] == 0:
        raise SeqlabValueError(f"jacobians must be (T, S, S); got shape {tuple(J.shape)}.")
    eig = torch.linalg.eigvals(J).numpy()
    rho = np.abs(eig).max(axis=1)
    norm = torch.linalg.matrix_norm(J, 2).numpy()
    T = J.shape[0]
    log_prod = np.zeros(T)
    P = torch.eye(J.shape[1], dtype=torch.float64)
    log_scale = 0.0
    for t in range(T - 2, -1, -1):
        P = P @ J[t + 1]  # J_T ... J_{t+1}
        n = float(torch.linalg.matrix_norm(P, 2))
        if n == 0.0 or not np.isfinite(n):
            log_prod[: t + 1] = -np.inf if n == 0.0 else np.inf
            break
        log_prod[t] = log_scale + np.log(n)
        log_scale += np.log(n)
        P = P / n
    return JacobianSpectra(rho, norm, np.exp(log_prod), eig)

