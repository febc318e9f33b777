"""The gradient laboratory: see why plain RNNs fail and gates win.

- :func:`state_gradients` -- ``||dL/dh_t||`` and ``||dL/dx_t||`` for every step and cell of
  any model built on :class:`seqlab.recurrent.layers.RNNLayer`;
- :func:`spectrum`, :func:`weight_spectra`, :func:`elman_jacobians`,
  :func:`state_jacobians`, :func:`jacobian_spectra` -- eigenvalues of ``W_hh`` and of the
  state-to-state Jacobian along a trajectory;
- :func:`plot_gradient_norms`, :func:`plot_spectrum`, :func:`plot_diagnostics` -- plots;
- :class:`GradientMonitor` -- a training callback logging all of it every N steps;
- :func:`diagnose` -- all of it for several cells and initialisations at once, before and
  after a short training run (``seqlab diagnose``).
"""

from seqlab.diagnostics.callbacks import GradientMonitor, MonitorRecord
from seqlab.diagnostics.diagnose import DiagnoseReport, DiagnoseRow, diagnose
from seqlab.diagnostics.gradients import StateGradients, find_rnn_layers, state_gradients
from seqlab.diagnostics.plots import plot_diagnostics, plot_gradient_norms, plot_spectrum
from seqlab.diagnostics.spectra import (
    JacobianSpectra,
    Spectrum,
    elman_jacobians,
    jacobian_spectra,
    spectrum,
    state_jacobians,
    weight_spectra,
)

__all__ = [
    "DiagnoseReport",
    "DiagnoseRow",
    "GradientMonitor",
    "JacobianSpectra",
    "MonitorRecord",
    "Spectrum",
    "StateGradients",
    "diagnose",
    "elman_jacobians",
    "find_rnn_layers",
    "jacobian_spectra",
    "plot_diagnostics",
    "plot_gradient_norms",
    "plot_spectrum",
    "spectrum",
    "state_gradients",
    "state_jacobians",
    "weight_spectra",
]
