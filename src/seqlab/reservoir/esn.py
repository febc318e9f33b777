"""Echo state networks: a fixed random reservoir and a trained linear readout.

The lecture's recipe: fix the input-to-hidden and hidden-to-hidden weights, train only the
hidden-to-output weights, and scale the reservoir so that the spectral radius of the state
Jacobian is close to 1. With leaky units (Jaeger, Lukoševičius, Popovici & Siewert 2007,
eq. 2) and output feedback (Jaeger & Haas 2004)::

    x_t = (1 - a) x_{t-1} + a f(W_in u_t + W x_{t-1} + W_fb y_{t-1} + b)
    y_t = W_out^T z_t + c,          z_t = x_t  or  [x_t; u_t]  (``input_to_readout``)

``W`` is sparse random, rescaled to spectral radius ``rho``; ``W_out`` and ``c`` come from
ridge regression on the states after a washout. During training the target ``y_{t-1}`` is
fed back (teacher forcing); ``generate`` runs the loop closed, feeding back the network's
own outputs. A model without feedback whose outputs have the inputs' dimension generates
autoregressively (``u_t = y_{t-1}``).

Sources: Jaeger 2001 (GMD report 148); Jaeger & Haas 2004 (Science 304:78); Lukoševičius
2012 ("A practical guide to applying echo state networks"). reservoirpy's ``Reservoir`` and
``Ridge`` nodes compute the same update and readout (checked in the tests).
"""

from __future__ import annotations

from typing import Any, Literal, Self

import numpy as np

from seqlab._validation import (
    SeedLike,
    as_float_array,
    check_int,
    check_is_fitted,
    check_min_features,
    check_positive,
    check_random_state,
)
from seqlab.exceptions import SeqlabValueError
from seqlab.reservoir import _kernels
from seqlab.reservoir._esn_params import _is_multi, _ReservoirParams
from seqlab.reservoir._linalg import ridge_regression, spectral_radius
from seqlab.reservoir._reservoir import Activation, Reservoir, _as_sequences, _max_abs, nrmse
from seqlab.reservoir._stability import EchoStateWarning, divergence_error, state_bound

__all__ = [
    "ESNClassifier",
    "EchoStateNetwork",
    "EchoStateWarning",
    "Reservoir",
    "nrmse",
    "ridge_regression",
    "spectral_radius",
]

class EchoStateNetwork(_ReservoirParams):
    """Echo state network regressor / generator with a ridge readout (Jaeger 2001).

        x_t = (1 - a) x_{t-1} + a f(W_in u_t + W x_{t-1} + W_fb y_{t-1} + b + nu_t)
        y_t = W_out_^T z_t + intercept_,     z_t = x_t or [x_t; u_t]

    ``nu_t`` is uniform noise in ``[-noise, noise]`` added only while training (Jaeger &
    Haas 2004 use it to stabilise the closed loop). ``washout`` steps at the start of each
    training sequence are dropped from the regression. Settings whose effective radius
    ``(1 - a) + a rho`` exceeds 1 give :class:`EchoStateWarning`; states that blow up
    (NaN, or huge with ``identity``/``relu``) raise ``DivergenceError`` naming the step.

    =================  ===================  ===============================================
    argument           shape                note
    =================  ===================  ===============================================
    X                  (T, d) or (T,)       or a list of such arrays / a 3-D array; ``None``
                                            for a pure generator (needs ``feedback=True``)
    y                  (T, m) or (T,)       same number and lengths of sequences as X
    reservoir_.W       (N, N) sparse        spectral radius ``spectral_radius``
    W_out_             (N [+ d], m)         readout weights
    intercept_         (m,)                 readout bias
    generate(steps)    (steps, m)           closed-loop continuation after the training data
    =================  ===================  ===============================================

    >>> t = np.arange(400) * 0.2
    >>> u = np.sin(t)
    >>> esn = EchoStateNetwork(100, spectral_radius=0.9, washout=50, seed=0)
    >>> esn = esn.fit(u[:-1], u[1:])                    # one-step-ahead, u_t -> u_{t+1}
    >>> bool(esn.score(u[:-1], u[1:]) > 0.999)
    True
    >>> future = esn.generate(20)                       # autoregressive continuation
    >>> bool(np.abs(future - np.sin(t[-1] + 0.2 * np.arange(1, 21))).max() < 0.05)
    True
    """

    _estimator_type = "regressor"

    def __init__(
        self,
        n_units: int = 500,
        *,
        spectral_radius: float = 0.9,
        connectivity: float = 0.1,
        input_scaling: Any = 1.0,
        bias_scaling: float = 0.0,
        leak_rate: Any = 1.0,
        activation: Activation = "tanh",
        distribution: Literal["uniform", "normal"] = "uniform",
        feedback: bool = False,
        feedback_scaling: float = 1.0,
        input_to_readout: bool = False,
        ridge: float = 1e-8,
        washout: int = 100,
        noise: float = 0.0,
        seed: SeedLike = None,
    ) -> None:
        self.n_units = n_units
        self.spectral_radius = spectral_radius
        self.connectivity = connectivity
        self.input_scaling = input_scaling
        self.bias_scaling = bias_scaling
        self.leak_rate = leak_rate
        self.activation = activation
        self.distribution = distribution
        self.feedback = feedback
        self.feedback_scaling = feedback_scaling
        self.input_to_readout = input_to_readout
        self.ridge = ridge
        self.washout = washout
        self.noise = noise
        self.seed = seed

    # ------------------------------------------------------------------ helpers
    def _features(self, states: np.ndarray, U: np.ndarray) -> np.ndarray:
        return np.hstack([states, U]) if self.input_to_readout and U.shape[1] else states

    def _inputs(self, X: Any, ys: list[np.ndarray] | None, d: int | None) -> list[np.ndarray]:
        if X is None:
            if not self.feedback or (d not in (None, 0)):
                raise SeqlabValueError(
                    "X is None: only a model with feedback=True and no inputs can run without "
                    "inputs; pass X with one row per time step."
                )
            if ys is None:
                raise SeqlabValueError("X is None and there is no y to take the lengths from.")
            return [np.zeros((len(s), 0)) for s in ys]
        Xs, _ = _as_sequences(X, "X")
        if d is not None:
            widths = [s.shape[1] for s in Xs if s.shape[1] != d]
            self._check_features(X, widths[0] if widths else d)
        return Xs

    def fit(self, X: Any, y: Any) -> Self:
        """Drive the reservoir with ``X`` (teacher-forcing ``y`` if ``feedback``), drop the
        washout, and solve the ridge readout. Returns ``self``."""
        if y is None:
            raise SeqlabValueError(
                "EchoStateNetwork requires y to be passed, but the target y is None; pass the "
                "teacher outputs y, one row per time step."
            )
        ys, y_1d = _as_sequences(y, "y")
        Xs = self._inputs(X, ys, None)
        if len(Xs) != len(ys):
            raise SeqlabValueError(f"X has {len(Xs)} sequence(s) but y has {len(ys)}.")
        for i, (U, Y) in enumerate(zip(Xs, ys)):
            if len(U) != len(Y):
                raise SeqlabValueError(f"sequence {i}: X has {len(U)} steps but y has {len(Y)}.")
        if len({s.shape[1] for s in Xs}) > 1 or len({s.shape[1] for s in ys}) > 1:
            raise SeqlabValueError(
                "all sequences of X (and of y) must have the same number of columns."
            )
        washout = check_int(self.washout, "washout", minimum=0)
        if all(len(Y) <= washout for Y in ys):
            raise SeqlabValueError(
                f"every sequence is shorter than washout={washout}; lower washout."
            )
        nu = check_positive(self.noise, "noise", strict=False)
        d, m = Xs[0].shape[1], ys[0].shape[1]
        if X is not None and not self.feedback:
            check_min_features(Xs[0], "X")  # no inputs and no feedback: nothing to learn
        rng = check_random_state(self.seed)
        fb_scale = check_positive(self.feedback_scaling, "feedback_scaling", strict=False)
        res = self._make_reservoir(d, m if self.feedback else 0, rng, fb_scale)
        Zs, Ts = [], []
        for U, Y in zip(Xs, ys):
            Y_prev = np.vstack([np.zeros((1, m)), Y[:-1]]) if self.feedback else None
            noise = rng.uniform(-nu, nu, (len(U), res.n_units)) if nu > 0 else None
            skip = max(0, min(washout, len(U) - 1))  # keep the last state (for generate)
            S = res.run(U, y_feedback=Y_prev, noise=noise, discard=skip)
            S_last = S[-1].copy()  # (Z, a view of S, is centred in place below)
            Zs.append(self._features(S[washout - skip :], U[washout:]))
            Ts.append(Y[washout:])
        Z, T = (Zs[0], Ts[0]) if len(Zs) == 1 else (np.vstack(Zs), np.vstack(Ts))
        # Z holds fresh states (or a fresh stack of them): centred in place
        self.W_out_, self.intercept_ = ridge_regression(Z, T, self.ridge, overwrite_z=True)
        self.reservoir_ = res
        self._reset_features(X, d)
        self.n_outputs_ = m
        self.state_ = S_last  # where generate() continues from
        self.last_output_ = Y[-1].copy()
        self.output_1d_ = y_1d
        return self

    def _readout(self, states: np.ndarray, U: np.ndarray) -> np.ndarray:
        return self._features(states, U) @ self.W_out_ + self.intercept_

    def _closed_loop(self, U: np.ndarray, x0: np.ndarray, y0: np.ndarray) -> np.ndarray:
        """Outputs for ``len(U)`` steps with ``y_{t-1}`` fed back (through ``W_fb``, or as
        the input when the model is autoregressive)."""
        res, N, m = self.reservoir_, self.reservoir_.n_units, self.n_outputs_
        W_x, W_u = self.W_out_[:N], self.W_out_[N:]
        G = np.zeros((m, m))
        if self.feedback:
            F = res.W_fb
            drive = res._drive(U, None, None)
            out_const = np.tile(self.intercept_, (len(U), 1))
            if len(W_u):
                out_const += U @ W_u
        else:  # autoregressive: u_t = y_{t-1}
            F = res.W_in
            drive = np.broadcast_to(res.bias, (len(U), N)).copy()
            out_const = np.broadcast_to(self.intercept_, (len(U), m)).copy()
            if len(W_u):
                G = W_u
        W = res._csr()
        code = _kernels.ACTIVATIONS[res.activation]
        fb_rows = float(np.max(np.abs(F).sum(axis=1), initial=0.0))
        scale = max(_max_abs(drive), _max_abs(x0), _max_abs(y0) * fb_rows)
        _, Y, step, what = _kernels.generate_csr(
            _kernels.ell_for(W.indptr, W.indices, W.data), drive, np.ascontiguousarray(F.T),
            x0, y0,
            res._leak_vector(), code, np.ascontiguousarray(W_x.T), out_const,
            np.ascontiguousarray(G), state_bound(res.activation, N, scale),
        )  # fmt: skip
        if step >= 0:
            kind = "closed-loop reservoir states" if what == 0 else "closed-loop outputs"
            raise divergence_error(step, len(U), res.activation, res.leak_rate, kind)
        return Y

    def _shape_out(self, Y: np.ndarray) -> np.ndarray:
        return Y[:, 0] if self.output_1d_ else Y

    def generate(
        self, steps: int, *, X: Any = None, warmup: Any = None, warmup_X: Any = None
    ) -> np.ndarray:
        """Closed-loop (free-running) prediction of the next ``steps`` outputs.

        Continues after the training data, or, with ``warmup`` (a teacher output sequence
        ``(T_w, m)``), after ``warmup``: the reservoir is reset and teacher-forced with it
        first. ``X`` ``(steps, d)`` (and ``warmup_X``) are the inputs of a feedback model
        with inputs. Does not change the fitted model.
        """
        check_is_fitted(self, "W_out_")
        steps = check_int(steps, "steps", minimum=1)
        d, m = self.n_features_in_, self.n_outputs_
        if not self.feedback and d != m:
            raise SeqlabValueError(
                f"generate needs feedback=True or outputs that can be fed back as inputs; this "
                f"model maps {d} input(s) to {m} output(s). Use predict(X) instead."
            )
        needs_x = self.feedback and d > 0

        def inputs(arr: Any, n: int, name: str) -> np.ndarray:
            if not needs_x:
                return np.zeros((n, 0))
            if arr is None:
                raise SeqlabValueError(f"{name} is required: the model has {d} input(s).")
            arr = as_float_array(arr, name, ndim=(1, 2))
            arr = arr[:, None] if arr.ndim == 1 else arr
            if arr.shape != (n, d):
                raise SeqlabValueError(f"{name} must have shape ({n}, {d}); got {arr.shape}.")
            return arr

        if warmup is None:
            x, y_last = self.state_, self.last_output_
        else:
            w = as_float_array(warmup, "warmup", ndim=(1, 2))
            w = w[:, None] if w.ndim == 1 else w
            if w.shape[1] != m:
                raise SeqlabValueError(
                    f"warmup must have {m} column(s) (the outputs); got {w.shape[1]}."
                )
            Y_prev = np.vstack([np.zeros((1, m)), w[:-1]])
            res = self.reservoir_
            last = len(w) - 1  # only the final warmup state is needed: store no others
            if self.feedback:
                S = res.run(inputs(warmup_X, len(w), "warmup_X"), y_feedback=Y_prev,
                            discard=last)
            else:
                S = res.run(Y_prev, discard=last)
            x, y_last = S[-1], w[-1]
        Y = self._closed_loop(inputs(X, steps, "X"), x.copy(), np.array(y_last, dtype=np.float64))
        return self._shape_out(Y)

    def predict(self, X: Any) -> Any:
        """Outputs ``(T, m)`` for each input sequence, from the zero state (a feedback model
        feeds back its own outputs). A list in gives a list out."""
        check_is_fitted(self, "W_out_")
        if self.n_features_in_ == 0:
            raise SeqlabValueError(
                "this model has no inputs; use generate(steps) instead of predict."
            )
        Xs = self._inputs(X, None, self.n_features_in_)
        res, out = self.reservoir_, []
        for U in Xs:
            x0 = np.zeros(res.n_units)
            if self.feedback:
                Y = self._closed_loop(U, x0, np.zeros(self.n_outputs_))
            else:
                Y = self._readout(res.run(U, x0=x0), U)
            out.append(self._shape_out(Y))
        return out if _is_multi(X) else out[0]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # y (T, m)
        return tags

    def score(self, X: Any, y: Any) -> float:
        """Coefficient of determination R^2 of ``predict(X)`` (averaged over outputs), on the
        steps after ``washout``."""
        pred = self.predict(X)
        preds = pred if isinstance(pred, list) else [pred]
        ys, _ = _as_sequences(y, "y")
        w = self.washout
        Yt = np.vstack([Y[w:] for Y in ys])
        Yp = np.vstack([np.reshape(p, (len(p), -1))[w:] for p in preds])
        if Yt.shape != Yp.shape:
            raise SeqlabValueError(
                f"y has shape {Yt.shape} after washout but predictions {Yp.shape}."
            )
        ss_res = ((Yt - Yp) ** 2).sum(axis=0)
        ss_tot = ((Yt - Yt.mean(axis=0)) ** 2).sum(axis=0)
        return float(np.mean(1.0 - ss_res / np.where(ss_tot > 0, ss_tot, 1.0)))


# the classifier lives in its own module; imported here so this module keeps exporting it
from seqlab.reservoir.esn_classifier import ESNClassifier  # noqa: E402
