"""Guards for reservoirs that lose the echo state property or blow up.

The echo state property (Jaeger 2001) asks that the state forget its initial condition.
Linearised at a fixed point, the leaky update ``x_t = (1 - a) x_{t-1} + a f(W x_{t-1} + ...)``
has the Jacobian ``(1 - a) I + a f' W``; a random reservoir's eigenvalues fill the disc of
radius ``rho`` (Girko's circular law), so the largest eigenvalue modulus of the Jacobian is
about::

    rho_eff = (1 - a) + a g rho,     g = max f'  (1 for tanh, identity, relu; 1/4 for sigmoid)

and ``rho_eff > 1`` exactly when ``g rho > 1``: a leak rate below 1 slows the growth
(``rho_eff`` is closer to 1) but does not undo it. ``rho_eff <= 1`` is the usual practical
rule (Lukoševičius 2012, §3.2.3; ``rho = 1``, reservoirpy's default and the edge of
stability, is allowed); beyond it :class:`EchoStateWarning` is issued. A saturating
activation (tanh, sigmoid) keeps the states bounded anyway, so such a reservoir runs but may
depend on its initial state; with ``identity`` or ``relu`` the states grow geometrically and
the run stops with :class:`~seqlab.exceptions.DivergenceError`.

The run kernels report the first step whose state is non-finite or, for unbounded
activations, whose mean absolute value exceeds ``STATE_BOUND`` times the scale of the
drive (so the check does not depend on the units of the data).
"""

from __future__ import annotations

import os
import sys
import warnings
from types import FrameType
from typing import Any

import numpy as np

from seqlab.exceptions import DivergenceError

__all__ = ["STATE_BOUND", "EchoStateWarning", "effective_radius"]

STATE_BOUND = 1e10
_GAIN = {"tanh": 1.0, "identity": 1.0, "relu": 1.0, "sigmoid": 0.25}
_BOUNDED = ("tanh", "sigmoid")


class EchoStateWarning(UserWarning):
    """The reservoir's settings make it likely to lose the echo state property."""


def effective_radius(spectral_radius: float, leak_rate: Any, activation: str) -> float:
    """``max_i (1 - a_i) + a_i g rho``: the largest eigenvalue modulus of the leaky update's
    Jacobian at the origin for a reservoir whose eigenvalues fill the disc of radius ``rho``.

    >>> effective_radius(0.9, 1.0, "tanh")
    0.9
    >>> round(effective_radius(1.5, 0.1, "identity"), 12)
    1.05
    >>> effective_radius(2.0, 1.0, "sigmoid")
    0.5
    """
    a = np.asarray(leak_rate, dtype=np.float64)
    return float(np.max((1.0 - a) + a * _GAIN[activation] * spectral_radius))


def warn_if_unstable(spectral_radius: float, leak_rate: Any, activation: str) -> None:
    """Issue :class:`EchoStateWarning` when ``effective_radius > 1``, saying what to change."""
    rho_eff = effective_radius(spectral_radius, leak_rate, activation)
    if rho_eff <= 1.0 + 1e-12:
        return
    gain = _GAIN[activation]
    limit = 1.0 / gain
    consequence = (
        "states stay bounded (the activation saturates) but may depend on the initial state "
        "and on noise instead of the input history"
        if activation in _BOUNDED
        else "states will grow geometrically and the run will stop with DivergenceError"
    )
    warnings.warn(
        EchoStateWarning(
            f"the reservoir is likely to lose the echo state property: spectral_radius="
            f"{spectral_radius:g} with activation={activation!r} and leak_rate "
            f"{_leak_text(leak_rate)} gives an effective radius (1 - a) + a*{gain:g}*rho = "
            f"{rho_eff:.4g} > 1, so {consequence}. Lower spectral_radius to <= {limit:g}; a "
            "smaller leak_rate only slows the growth."
        ),
        stacklevel=_caller_level(),
    )


def _caller_level() -> int:
    """``stacklevel`` of the first frame outside seqlab (the user's call), for the caller
    of this function's caller (the function that warns)."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frame: FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def _leak_text(leak_rate: Any) -> str:
    a = np.asarray(leak_rate, dtype=np.float64)
    return f"{float(a):g}" if a.ndim == 0 else f"in [{a.min():g}, {a.max():g}]"


def state_bound(activation: str, n_units: int, scale: float) -> float:
    """Bound on ``sum_i |x_i|`` the kernels check every step: infinite (only NaN is caught)
    for saturating activations, ``STATE_BOUND N max(1, scale)`` otherwise."""
    if activation in _BOUNDED:
        return float(np.inf)
    return STATE_BOUND * n_units * max(1.0, float(scale))


def divergence_error(
    step: int, n_steps: int, activation: str, leak_rate: Any, what: str = "reservoir states"
) -> DivergenceError:
    """The error for a run that diverged at ``step`` (0-based) of ``n_steps``."""
    bounded = activation in _BOUNDED
    found = "NaN" if bounded else f"NaN/inf or a mean |x| above {STATE_BOUND:g} x the drive"
    advice = (
        "The input or feedback drive is probably not finite-safe (values near the float64 "
        "limit): rescale the data or lower input_scaling / feedback_scaling."
        if bounded
        else f"With activation={activation!r} nothing bounds the states, so the reservoir "
        "must contract: lower spectral_radius below 1 (more precisely, keep (1 - a) + a*rho "
        "< 1), or use activation='tanh'. A smaller leak_rate or input_scaling only delays "
        "the blow-up."
    )
    return DivergenceError(
        f"{what} diverged at step {step} of {n_steps} ({found}; leak_rate "
        f"{_leak_text(leak_rate)}). {advice}"
    )
