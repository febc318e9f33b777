"""The fixed reservoir of an echo state network: weights, step function and compiled run.

    x_t = (1 - a) x_{t-1} + a f(W_in u_t + W x_{t-1} + W_fb y_{t-1} + b)

Sources: Jaeger 2001 (GMD report 148); Jaeger et al. 2007 (leaky integrator units, eq. 2);
reservoirpy's ``Reservoir`` node implements the same update (checked in the tests).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.sparse

from seqlab._validation import (
    SeedLike,
    as_float_array,
    check_choice,
    check_int,
    check_positive,
    check_random_state,
)
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError
from seqlab.reservoir import _kernels
from seqlab.reservoir._linalg import spectral_radius as _spectral_radius
from seqlab.reservoir._stability import divergence_error, state_bound, warn_if_unstable

__all__ = ["Reservoir", "nrmse"]

Activation = Literal["tanh", "identity", "sigmoid", "relu"]
_ACTIVATIONS = tuple(_kernels.ACTIVATIONS)
_FUNCS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "tanh": np.tanh,
    "identity": lambda v: v,
    "sigmoid": lambda v: 1.0 / (1.0 + np.exp(-v)),
    "relu": lambda v: np.maximum(v, 0.0),
}


def nrmse(y_true: Any, y_pred: Any, *, variance: float | None = None) -> float:
    """Normalised root-mean-square error ``sqrt(mean((y - y_hat)^2) / var(y))``.

    ``variance`` overrides ``var(y_true)`` (Jaeger & Haas 2004 normalise by the variance of
    the whole signal).

    >>> nrmse([0.0, 2.0], [0.0, 1.0])
    0.7071067811865476
    """
    yt = as_float_array(y_true, "y_true", ndim=(1, 2))
    yp = as_float_array(y_pred, "y_pred", ndim=(1, 2))
    if yt.shape != yp.shape:
        raise SeqlabValueError(
            f"y_true and y_pred must have the same shape; got {yt.shape} and {yp.shape}."
        )
    var = float(np.var(yt)) if variance is None else check_positive(variance, "variance")
    if var == 0.0:
        raise SeqlabValueError("y_true is constant; pass variance= to normalise the error.")
    return float(np.sqrt(np.mean((yt - yp) ** 2) / var))


@dataclass
class Reservoir:
    """A fixed reservoir: the weights of the leaky state update and its step function.

        x_t = (1 - a) x_{t-1} + a f(W_in u_t + W x_{t-1} + W_fb y_{t-1} + b)

    ==========  ===================  ==========================================
    attribute   shape                meaning
    ==========  ===================  ==========================================
    W           (N, N) CSR or dense  recurrent weights, spectral radius rho
    W_in        (N, d)               input weights (``d`` may be 0)
    bias        (N,)                 b
    W_fb        (N, m)               output-feedback weights (``m`` may be 0)
    leak_rate   float or (N,)        a in (0, 1]
    ==========  ===================  ==========================================

    >>> from seqlab.reservoir import spectral_radius
    >>> res = Reservoir.initialize(50, 1, spectral_radius=0.9, connectivity=0.2, seed=0)
    >>> round(spectral_radius(res.W), 6)
    0.9
    >>> res.run(np.ones((3, 1))).shape
    (3, 50)
    """

    W: Any
    W_in: np.ndarray
    bias: np.ndarray
    W_fb: np.ndarray
    leak_rate: Any = 1.0
    activation: Activation = "tanh"

    @classmethod
    def initialize(
        cls,
        n_units: int,
        n_inputs: int,
        n_feedback: int = 0,
        *,
        spectral_radius: float = 0.9,
        connectivity: float = 0.1,
        input_scaling: Any = 1.0,
        bias_scaling: float = 0.0,
        feedback_scaling: float = 1.0,
        leak_rate: Any = 1.0,
        activation: Activation = "tanh",
        distribution: Literal["uniform", "normal"] = "uniform",
        seed: SeedLike = None,
    ) -> Reservoir:
        """Draw random weights: ``W`` sparse with ``round(connectivity N^2)`` nonzeros from
        ``distribution`` (uniform on [-1, 1] or standard normal) rescaled to spectral radius
        ``spectral_radius``; ``W_in``, ``b``, ``W_fb`` uniform on [-1, 1] times their scalings.
        """
        n = check_int(n_units, "n_units", minimum=1)
        d = check_int(n_inputs, "n_inputs", minimum=0)
        m = check_int(n_feedback, "n_feedback", minimum=0)
        rho = check_positive(spectral_radius, "spectral_radius")
        conn = check_positive(connectivity, "connectivity")
        if conn > 1:
            raise SeqlabValueError(f"connectivity must be in (0, 1]; got {connectivity!r}.")
        check_choice(distribution, "distribution", ("uniform", "normal"))
        check_choice(activation, "activation", _ACTIVATIONS)
        leak = _check_leak(leak_rate, n)
        scale_in = _real_array(input_scaling, "input_scaling", d, "input")
        bias_scale = check_positive(bias_scaling, "bias_scaling", strict=False)
        fb = check_positive(feedback_scaling, "feedback_scaling", strict=False)
        warn_if_unstable(rho, leak, activation)
        rng = check_random_state(seed)
        nnz = max(1, round(conn * n * n))
        flat = rng.choice(n * n, size=nnz, replace=False)
        vals = rng.uniform(-1, 1, nnz) if distribution == "uniform" else rng.standard_normal(nnz)
        W = scipy.sparse.csr_array((vals, (flat // n, flat % n)), shape=(n, n))
        current = _spectral_radius(W, seed=rng)
        if current < 1e-12:
            raise SeqlabValueError(
                f"the random reservoir (n_units={n}, connectivity={conn}) is nilpotent "
                "(spectral radius 0) and cannot be rescaled; raise connectivity or n_units."
            )
        W = W * (rho / current)
        W_in = rng.uniform(-1, 1, (n, d)) * scale_in
        bias = rng.uniform(-1, 1, n) * bias_scale
        W_fb = rng.uniform(-1, 1, (n, m)) * fb
        return cls(W, W_in, bias, W_fb, leak, activation)

    @property
    def n_units(self) -> int:
        return int(self.W.shape[0])

    def _leak_vector(self) -> np.ndarray:
        return np.broadcast_to(np.asarray(self.leak_rate, dtype=np.float64), (self.n_units,)).copy()

    def _step(
        self, x_prev: np.ndarray, u: np.ndarray, y_prev: np.ndarray | None = None
    ) -> np.ndarray:
        """One update, the equation as written: the reference the kernels are tested on."""
        a, f = self.leak_rate, _FUNCS[self.activation]
        pre = self.W_in @ u + self.W @ x_prev + self.bias
        if y_prev is not None:
            pre = pre + self.W_fb @ y_prev
        return (1 - a) * x_prev + a * f(pre)

    def _drive(
        self, U: np.ndarray, Y_prev: np.ndarray | None, noise: np.ndarray | None
    ) -> np.ndarray:
        drive = U @ self.W_in.T if self.W_in.shape[1] else np.zeros((U.shape[0], self.n_units))
        drive += self.bias
        if Y_prev is not None and self.W_fb.shape[1]:
            drive += Y_prev @ self.W_fb.T
        if noise is not None:
            drive += noise
        return drive

    def run(
        self,
        U: np.ndarray,
        *,
        y_feedback: np.ndarray | None = None,
        x0: np.ndarray | None = None,
        noise: np.ndarray | None = None,
        discard: int = 0,
    ) -> np.ndarray:
        """States ``(T, N)`` for inputs ``U`` ``(T, d)``; row ``t`` of ``y_feedback``
        ``(T, m)`` is the ``y_{t-1}`` fed back at step ``t``; ``noise`` ``(T, N)`` is added
        inside ``f``. Compiled loop (CSR for sparse ``W``). With ``discard = k`` only the
        states from step ``k`` on, ``(T - k, N)``, are returned (and, on the common path,
        the first ``k`` are never stored)."""
        N = self.n_units
        self._check_weights()
        U = as_float_array(U, "U", ndim=2, min_length=0)
        if U.shape[1] != self.W_in.shape[1]:
            raise SeqlabValueError(
                f"U must have {self.W_in.shape[1]} column(s) (the inputs); got {U.shape[1]}."
            )
        x0 = np.zeros(N) if x0 is None else as_float_array(x0, "x0", ndim=1, min_length=N)
        if x0.shape != (N,):
            raise SeqlabValueError(f"x0 must have shape ({N},); got {x0.shape}.")
        if y_feedback is not None:
            y_feedback = as_float_array(y_feedback, "y_feedback", ndim=2, min_length=0)
            if y_feedback.shape != (len(U), self.W_fb.shape[1]):
                raise SeqlabValueError(
                    f"y_feedback must have shape ({len(U)}, {self.W_fb.shape[1]}); got "
                    f"{y_feedback.shape}."
                )
        if noise is not None:
            noise = as_float_array(noise, "noise", ndim=2, min_length=0)
            if noise.shape != (len(U), N):
                raise SeqlabValueError(f"noise must have shape ({len(U)}, {N}); got {noise.shape}.")
        discard = check_int(discard, "discard", minimum=0)
        if discard > len(U):
            raise SeqlabValueError(f"discard={discard} is more than the {len(U)} steps of U.")
        code = _kernels.ACTIVATIONS[self.activation]
        sparse = scipy.sparse.issparse(self.W)
        leak = self._leak_vector()
        B, V = self.W_in, U
        if y_feedback is not None and self.W_fb.shape[1] > 0:
            B, V = np.hstack([self.W_in, self.W_fb]), np.hstack([U, y_feedback])
        W_dense = None
        if sparse and len(U) >= 50 and _dense_pays(N, self.W.nnz):
            W_dense = scipy.sparse.csr_array(self.W, dtype=np.float64).toarray()
            sparse = False
        if sparse and noise is None and B.shape[1] <= 16:
            W = self._csr()
            scale = _drive_scale(B, V, self.bias, x0)
            states, bad = _kernels.run_csr_lowrank(
                _kernels.ell_for(W.indptr, W.indices, W.data),
                np.ascontiguousarray(B.T, dtype=np.float64),
                np.ascontiguousarray(V, dtype=np.float64), np.asarray(self.bias, np.float64),
                x0, leak, code, discard, state_bound(self.activation, N, scale),
            )  # fmt: skip
            self._raise_if_diverged(bad, len(U))
            return states
        drive = self._drive(U, y_feedback, noise)
        bound = state_bound(self.activation, N, max(_max_abs(drive), _max_abs(x0)))
        if sparse:
            W = self._csr()
            states, bad = _kernels.run_csr(
                _kernels.ell_for(W.indptr, W.indices, W.data), drive, x0, leak, code, bound,
            )
        else:
            if W_dense is None:
                W_dense = np.asarray(self.W, dtype=np.float64)
            states, bad = _kernels.run_dense(W_dense, drive, x0, leak, code, bound)
        self._raise_if_diverged(bad, len(U))
        return states[discard:]

    def _raise_if_diverged(self, step: int, n_steps: int) -> None:
        if step >= 0:
            raise divergence_error(step, n_steps, self.activation, self.leak_rate)

    def _check_weights(self) -> None:
        """Refuse complex (or non-finite) weights: the kernels would drop the imaginary part."""
        for name in ("W", "W_in", "bias", "W_fb"):
            value = getattr(self, name)
            values = value.data if scipy.sparse.issparse(value) else value
            if np.iscomplexobj(values):
                raise SeqlabTypeError(
                    f"Reservoir.{name} is complex; reservoir weights must be real numbers."
                )
            if not np.all(np.isfinite(values)):
                raise SeqlabValueError(f"Reservoir.{name} contains NaN or infinite values.")

    def _csr(self) -> scipy.sparse.csr_array:
        return scipy.sparse.csr_array(self.W, dtype=np.float64)


def _dense_pays(n: int, nnz: int) -> bool:
    """Whether a dense product (BLAS dgemv) beats the sparse ELL kernel for an ``n x n``
    matrix with ``nnz`` nonzeros. Measured on one core (benchmarks/esn.py's machine, Zen 2,
    tanh run of 2e6 unit-steps): dense/sparse time at density 0.3 / 0.5 / 1.0 is
    1.44 / 1.02 / 0.62 for N = 100, 1.18 / 0.75 / 0.30 for N = 1000, 2.43 / 1.17 / 0.62 for
    N = 2000 (the matrix no longer fits the cache); at reservoirpy's default 0.1 the sparse
    kernel is 2.5-8x faster."""
    density = nnz / max(n * n, 1)
    return density >= 0.5 if 200 <= n <= 1200 else density >= 0.75


def _max_abs(a: np.ndarray) -> float:
    return float(np.max(np.abs(a), initial=0.0))


def _drive_scale(B: np.ndarray, V: np.ndarray, bias: np.ndarray, x0: np.ndarray) -> float:
    """Upper bound on ``max_t |B V_t + bias|_inf`` (and ``|x0|_inf``), without forming it."""
    rows = float(np.max(np.abs(B).sum(axis=1), initial=0.0))
    return max(_max_abs(V) * rows + _max_abs(bias), _max_abs(x0))


def _real_array(value: Any, name: str, size: int, per: str) -> np.ndarray:
    """``value`` as a float array, a number or ``size`` values: real, numeric and finite."""
    if np.iscomplexobj(value):
        raise SeqlabTypeError(f"{name} is complex ({value!r}); it must be a real number.")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise SeqlabTypeError(
            f"{name} must be a number or one number per {per}; got {value!r}."
        ) from None
    if arr.ndim > 1 or (arr.ndim == 1 and arr.size != size):
        raise SeqlabValueError(
            f"{name} must be a number or one value per {per} ({size}); got shape {arr.shape}."
        )
    if not np.all(np.isfinite(arr)):
        raise SeqlabValueError(f"{name} must be finite; got {value!r}.")
    return arr


def _check_leak(leak_rate: Any, n: int) -> Any:
    arr = _real_array(leak_rate, "leak_rate", n, "unit")
    if np.any(arr <= 0) or np.any(arr > 1):
        raise SeqlabValueError(f"leak_rate must be in (0, 1]; got {leak_rate!r}.")
    return float(arr) if arr.ndim == 0 else arr


def _as_sequences(data: Any, name: str) -> tuple[list[np.ndarray], bool]:
    """Sequences as a list of 2-D float arrays, and whether the input was one 1-D series.

    One sequence: a 1-D ``(T,)`` or 2-D ``(T, d)`` array (or nested lists of numbers).
    Several: a 3-D array ``(n, T, d)`` or a list/tuple of numpy arrays (lengths may differ).
    """
    if (
        isinstance(data, list | tuple)
        and len(data)
        and all(isinstance(s, np.ndarray) for s in data)
    ):
        seqs = [as_float_array(s, f"{name}[{i}]", ndim=(1, 2)) for i, s in enumerate(data)]
        return [s[:, None] if s.ndim == 1 else s for s in seqs], False
    arr = as_float_array(data, name, ndim=(1, 2, 3))
    if arr.ndim == 3:
        return list(arr), False
    return [arr[:, None] if arr.ndim == 1 else arr], arr.ndim == 1
