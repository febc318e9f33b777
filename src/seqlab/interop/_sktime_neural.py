"""sktime forecasters for the networks of ``seqlab compare``: an echo state network and an RNN.

Both forecast directly (Taieb et al. 2012's "MIMO" strategy): trained on every window of
the fitting series to emit the next ``h`` values at once, ``h`` the longest step of the
horizon given to ``fit`` (so the horizon is required in ``fit``, and ``predict`` may ask
for any steps up to it). Point forecasts only: neither model has a predictive
distribution, so ``capability:pred_int`` is False. Out-of-sample only (a direct model has
no one-step in-sample prediction of the periods it read). ``update(y,
update_params=False)`` reads the new observations (the forecast origin moves) without
retraining; ``update_params=True`` retrains on everything seen. ``seed`` makes a fit
reproducible (the same seed, the same forecasts).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from seqlab.exceptions import SeqlabValueError
from seqlab.interop._sktime_base import SeqlabForecaster

__all__ = ["ESNForecaster", "RNNForecaster"]


class _DirectForecaster(SeqlabForecaster):
    _tags: ClassVar[dict[str, Any]] = {
        "capability:exogenous": False,
        "capability:missing_values": False,
        "capability:insample": False,
        "capability:pred_int": False,
        "requires-fh-in-fit": True,
    }

    def _horizon(self, fh: Any) -> int:
        return int(self._steps(fh).max())

    def _forecast_path(self) -> np.ndarray:
        """The next ``horizon_`` values after the last observation seen."""
        raise NotImplementedError  # pragma: no cover

    def _predict(self, fh: Any, X: pd.DataFrame | None) -> pd.Series:
        k = self._steps(fh)
        if int(k.max()) > self.horizon_:
            raise SeqlabValueError(  # pragma: no cover - sktime refuses a new fh first
                f"fh reaches {int(k.max())} steps ahead; the forecaster was trained for "
                f"{self.horizon_}; fit again with that horizon")
        return self._series(self._forecast_path()[k - 1], fh)


class ESNForecaster(_DirectForecaster):
    """Echo state network forecaster, the ``esn`` model of ``seqlab compare``.

    An sktime face of :class:`seqlab.pipelines.ESNForecaster` (same parameters, less
    ``horizon``: the longest step of the ``fh`` given to ``fit``; and ``holdout``: off,
    the adapter gives point forecasts only). The series is standardised with the mean and
    standard deviation of the fitting data, ``u_t = (y_t - mu) / sd`` (``mean_``,
    ``scale_``); the reservoir reads ``u_t`` and its ridge readout of ``[x_t; u_t]`` is
    trained to give ``u_{t+1..t+h}``; the forecast is the readout after the last
    observation, back in the units of ``y``. ``learn_differences=s`` (at least the
    horizon) learns ``y_t - y_{t-s}`` instead. ``washout=None`` drops
    ``max(min(50, n // 4), learn_differences)`` initial states. ``update(y,
    update_params=False)`` runs the same reservoir and readout over the longer history.

    >>> import numpy as np
    >>> import pandas as pd
    >>> from seqlab.interop import ESNForecaster
    >>> y = pd.Series(np.sin(np.arange(120) / 3.0))
    >>> f = ESNForecaster(n_units=50).fit(y, fh=[1, 2, 3])
    >>> f.predict().index.tolist()
    [120, 121, 122]
    """

    def __init__(self, n_units: int = 200, spectral_radius: float = 0.9,
                 connectivity: float = 0.1, input_scaling: float = 0.5,
                 bias_scaling: float = 0.2, leak_rate: float = 0.5, ridge: float = 1e-2,
                 washout: int | None = None, input_to_readout: bool = True,
                 learn_differences: int = 0, seed: int | None = 0) -> None:
        self.n_units = n_units
        self.spectral_radius = spectral_radius
        self.connectivity = connectivity
        self.input_scaling = input_scaling
        self.bias_scaling = bias_scaling
        self.leak_rate = leak_rate
        self.ridge = ridge
        self.washout = washout
        self.input_to_readout = input_to_readout
        self.learn_differences = learn_differences
        self.seed = seed
        super().__init__()

    def _fit_model(self, y: pd.Series, X: pd.DataFrame | None, fh: Any) -> None:
        from seqlab.pipelines import ESNForecaster as _ESNForecaster

        h = self._horizon(fh)
        v = y.to_numpy(dtype=np.float64)
        n = v.shape[0]
        if n <= h + 1:
            raise SeqlabValueError(f"y has {n} observations; a horizon of {h} steps needs "
                                   f"at least {h + 2} (training pairs need h later values)")
        self.model_ = _ESNForecaster(horizon=h, holdout=0.0,
                                     **self.get_params(deep=False)).fit(v)
        self.mean_ = self.model_.center_
        self.scale_ = self.model_.scale_
        self.horizon_ = h

    def _forecast_path(self) -> np.ndarray:
        history = self._y_all.to_numpy(dtype=np.float64)
        return np.asarray(self.model_.predict_path(history)[-1])

    @classmethod
    def get_test_params(cls, parameter_set: str = "default") -> list[dict[str, Any]]:
        """Small reservoirs for sktime's estimator checks (they warn: more units than
        windows on sktime's short series)."""
        return [{"n_units": 20, "washout": 2},
                {"n_units": 10, "leak_rate": 1.0, "input_to_readout": False, "washout": 0,
                 "seed": 3}]


class RNNForecaster(_DirectForecaster):
    """sktime forecaster of :class:`seqlab.pipelines.RNNForecaster` (LSTM/GRU/Elman, MIMO).

    The parameters are the seqlab forecaster's, except ``horizon`` (the longest step of
    the ``fh`` given to ``fit``) and ``progress`` (off). ``seed`` fixes the weights and
    the batch order; ``max_time`` (a wall-clock budget) makes training depend on the
    machine's speed, so leave it None for reproducible forecasts.

    >>> import numpy as np
    >>> import pandas as pd
    >>> from seqlab.interop import RNNForecaster
    >>> y = pd.Series(np.sin(np.arange(100) / 3.0))
    >>> f = RNNForecaster(window=8, hidden_size=4, epochs=1).fit(y, fh=[1, 2])
    >>> f.predict().shape
    (2,)
    """

    def __init__(self, window: int = 48, cell: str = "lstm", hidden_size: int = 32,
                 num_layers: int = 1, dropout: float = 0.0, epochs: int = 50,
                 max_steps: int | None = None, max_time: float | None = None,
                 lr: float = 3e-3, batch_size: int = 32, seed: int | None = 0,
                 val_fraction: float = 0.0,
                 train_options: dict[str, Any] | None = None) -> None:
        self.window = window
        self.cell = cell
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dropout = dropout
        self.epochs = epochs
        self.max_steps = max_steps
        self.max_time = max_time
        self.lr = lr
        self.batch_size = batch_size
        self.seed = seed
        self.val_fraction = val_fraction
        self.train_options = train_options
        super().__init__()

    def _fit_model(self, y: pd.Series, X: pd.DataFrame | None, fh: Any) -> None:
        from seqlab.pipelines import RNNForecaster as _RNNForecaster

        h = self._horizon(fh)
        self.model_ = _RNNForecaster(horizon=h, **self.get_params(deep=False)).fit(
            y.to_numpy(dtype=np.float64))
        self.horizon_ = h

    def _forecast_path(self) -> np.ndarray:
        history = self._y_all.to_numpy(dtype=np.float64)
        return np.asarray(self.model_.predict(history))[:, 0]

    @classmethod
    def get_test_params(cls, parameter_set: str = "default") -> list[dict[str, Any]]:
        """Tiny networks trained for a few steps, for sktime's estimator checks."""
        return [{"window": 3, "hidden_size": 4, "epochs": 1, "batch_size": 16},
                {"window": 4, "cell": "gru", "hidden_size": 3, "max_steps": 2, "seed": 1}]
