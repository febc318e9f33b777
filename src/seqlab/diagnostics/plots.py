"""Plots of the gradient laboratory (matplotlib, Agg backend, imported when called).

- :func:`plot_gradient_norms` -- ``||dL/dh_t||`` against ``t`` on a log scale, one curve per
  cell (layer/direction) or per model: a straight falling line is a vanishing gradient;
- :func:`plot_spectrum` -- eigenvalues in the complex plane with the unit circle;
- :func:`plot_diagnostics` -- both side by side (plus the Jacobian-product gain when
  given), saved to a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from seqlab.diagnostics.gradients import StateGradients
from seqlab.diagnostics.spectra import JacobianSpectra, Spectrum
from seqlab.exceptions import SeqlabTypeError

__all__ = ["plot_diagnostics", "plot_gradient_norms", "plot_spectrum"]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_gradient_norms(grads: StateGradients | Mapping[str, StateGradients], ax: Any = None,
                        name: str = "h") -> Any:
    """``||dL/dh_t||`` (mean over the batch) against ``t``, log scale; returns the axes.

    ``grads`` is one :class:`StateGradients` (one curve per cell) or a mapping
    label -> StateGradients (one curve per model, its first cell).

    >>> import torch
    >>> from seqlab.diagnostics.gradients import state_gradients
    >>> from seqlab.recurrent.patterns import SequenceClassifier
    >>> g = state_gradients(SequenceClassifier(1, 4, 1, cell="elman", seed=0),
    ...                     torch.randn(2, 10, 1), lambda p: p.sum())
    >>> plot_gradient_norms({"elman": g}).get_yscale()
    'log'
    """
    if ax is None:
        ax = _pyplot().subplots(figsize=(6, 4))[1]
    items = grads.items() if isinstance(grads, Mapping) else [(None, grads)]
    for label, g in items:
        if not isinstance(g, StateGradients):
            raise SeqlabTypeError(f"expected StateGradients; got {type(g).__name__}.")
        means = g.mean_norms(name)
        rows = means[:1] if label is not None else means
        for k, m in enumerate(rows):
            lab = label if label is not None else f"cell {k}"
            ax.plot(np.arange(1, m.size + 1), np.where(m > 0, m, np.nan), label=lab)
    ax.set_yscale("log")
    ax.set_xlabel("time step t")
    ax.set_ylabel(f"mean ||dL/d{name}_t||")
    ax.set_title("gradient reaching back in time")
    ax.legend(fontsize="small")
    return ax


def plot_spectrum(spectra: Spectrum | Mapping[str, Spectrum], ax: Any = None) -> Any:
    """Eigenvalues in the complex plane with the unit circle; returns the axes.

    >>> from seqlab.diagnostics.spectra import spectrum
    >>> ax = plot_spectrum({"W_hh": spectrum([[0.5, 0.0], [0.0, -0.9]])})
    >>> ax.get_aspect()
    1.0
    """
    if ax is None:
        ax = _pyplot().subplots(figsize=(4.5, 4.5))[1]
    items = spectra.items() if isinstance(spectra, Mapping) else [("eigenvalues", spectra)]
    theta = np.linspace(0, 2 * np.pi, 200)
    ax.plot(np.cos(theta), np.sin(theta), color="grey", lw=0.8, ls="--")
    for label, s in items:
        if not isinstance(s, Spectrum):
            raise SeqlabTypeError(f"expected Spectrum; got {type(s).__name__}.")
        ax.scatter(s.eigenvalues.real, s.eigenvalues.imag, s=10,
                   label=f"{label} (rho={s.spectral_radius:.3g})")
    ax.set_aspect("equal")
    ax.set_xlabel("Re")
    ax.set_ylabel("Im")
    ax.legend(fontsize="small")
    return ax


def plot_diagnostics(
    grads: StateGradients | Mapping[str, StateGradients],
    spectra: Spectrum | Mapping[str, Spectrum],
    path: str | None = None,
    jacobians: JacobianSpectra | Mapping[str, JacobianSpectra] | None = None,
) -> Any:
    """Gradient norms, eigenvalues (and the Jacobian-product gain) in one figure.

    Saved to ``path`` when given (PNG/PDF/SVG by extension); returns the figure.

    >>> import torch
    >>> from seqlab.diagnostics.gradients import state_gradients
    >>> from seqlab.diagnostics.spectra import weight_spectra
    >>> from seqlab.recurrent.patterns import SequenceClassifier
    >>> m = SequenceClassifier(1, 4, 1, cell="elman", seed=0)
    >>> fig = plot_diagnostics(state_gradients(m, torch.randn(2, 10, 1), lambda p: p.sum()),
    ...                        weight_spectra(m))
    >>> len(fig.axes)
    2
    """
    plt = _pyplot()
    n = 2 if jacobians is None else 3
    fig, axes = plt.subplots(1, n, figsize=(5.2 * n, 4.2))
    plot_gradient_norms(grads, axes[0])
    plot_spectrum(spectra, axes[1])
    if jacobians is not None:
        ax = axes[2]
        items = jacobians.items() if isinstance(jacobians, Mapping) else [("J", jacobians)]
        for label, js in items:
            t = np.arange(1, js.product_norm.size + 1)
            ax.plot(t, js.product_norm, label=f"{label}: ||J_T...J_(t+1)||")
        ax.set_yscale("log")
        ax.set_xlabel("time step t")
        ax.set_title("gain from step t to the last state")
        ax.legend(fontsize="small")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig
