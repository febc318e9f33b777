"""One call that shows the lecture's argument: how far the error reaches back, cell by cell.

:func:`diagnose` builds a pattern-3 model (read the sequence, one output) for every chosen
cell and initialisation, and measures on one fixed batch of a long-range task, at
initialisation and again after a short training run:

- ``||dL/dh_t||`` through time (:func:`~seqlab.diagnostics.gradients.state_gradients`), its
  geometric decay per step read backwards from the end (``< 1``: the gradient vanishes) and
  the *reach* ``mean ||dL/dh_1|| / mean ||dL/dh_T||`` (how much of the error arrives at the
  first step);
- the spectral radius of the recurrent weight block that carries the state (Elman/leaky/skip
  ``W_hh``, LSTM's cell-input block ``W_hg``, GRU's candidate block ``W_hn``): for a tanh
  Elman network ``rho(W_hh) < 1`` (more exactly ``sigma_max < 1``) is sufficient for the
  gradient to vanish (Pascanu, Mikolov & Bengio 2013, Sec. 2);
- the state-to-state Jacobians ``J_t = d state_t / d state_{t-1}`` along the first
  sequence (:func:`~seqlab.diagnostics.spectra.state_jacobians`): their mean spectral radius
  and the gain ``||J_T ... J_2||`` from the first step to the last. An LSTM's cell state
  passes through ``diag(f_t)``, so a forget-gate bias (Gers et al. 2000) or the chrono
  initialisation (Tallec & Ollivier 2018) moves the gain towards 1: the constant error
  carousel.

``seqlab diagnose`` prints the table and plots the curves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab._validation import check_choice, check_int, check_positive
from seqlab.diagnostics.gradients import StateGradients, state_gradients
from seqlab.diagnostics.spectra import (
    JacobianSpectra,
    Spectrum,
    jacobian_spectra,
    state_jacobians,
    weight_spectra,
)
from seqlab.exceptions import SeqlabValueError
from seqlab.recurrent.init import check_init_options

__all__ = ["CELLS", "INITS", "TASKS", "DiagnoseReport", "DiagnoseRow", "diagnose"]

# Jordan's feedback runs from the output (pattern 2), not through a hidden state: not here
CELLS = ("elman", "leaky", "skip", "lstm", "gru")
TASKS = ("adding", "temporal-order")
#: initialisation name -> keyword arguments of SequenceClassifier ("T" = the task's length)
INITS: dict[str, dict[str, Any]] = {
    "default": {},
    "forget1": {"forget_bias": 1.0},
    "forget3": {"forget_bias": 3.0},
    "chrono": {"chrono": "T"},
    "orthogonal": {"recurrent_init": "orthogonal"},
    "identity": {"recurrent_init": "identity"},
}
# the recurrent block through which the state itself is carried (see the module docstring)
_CARRIER = {"lstm": "weight_hh[g]", "gru": "weight_hh[n]"}


@dataclass(frozen=True)
class DiagnoseRow:
    """One line of the table: a cell, an initialisation, a phase (``"init"``/``"trained"``)."""

    cell: str
    init: str
    phase: str
    steps: int  # optimiser steps taken before this measurement
    loss: float  # on the probe batch
    decay: float  # per-step geometric rate of mean ||dL/dh_t|| (read backwards)
    reach: float  # mean ||dL/dh_1|| / mean ||dL/dh_T||
    w_radius: float  # spectral radius of the state-carrying W block
    jac_radius: float  # mean spectral radius of J_t along the first probe sequence
    log10_gain: float  # log10 ||J_T ... J_2||


@dataclass
class DiagnoseReport:
    """What :func:`diagnose` measured: the table rows, the curves, and what was skipped."""

    rows: list[DiagnoseRow]
    task: str
    length: int
    grads: dict[str, StateGradients] = field(default_factory=dict)  # key "cell/init/phase"
    spectra: dict[str, Spectrum] = field(default_factory=dict)
    jacobians: dict[str, JacobianSpectra] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # "cell/init: why"

    def table(self) -> str:
        """The rows as an aligned text table (what ``seqlab diagnose`` prints)."""
        head = (f"{'cell':<7}{'init':<11}{'phase':<8}{'steps':>6}{'loss':>10}{'decay/step':>12}"
                f"{'reach 1<-T':>12}{'rho(W)':>8}{'rho(J)':>8}{'log10 gain':>12}")
        lines = [head, "-" * len(head)]
        for r in self.rows:
            lines.append(
                f"{r.cell:<7}{r.init:<11}{r.phase:<8}{r.steps:>6}{r.loss:>10.4g}{r.decay:>12.4f}"
                f"{r.reach:>12.3g}{r.w_radius:>8.3f}{r.jac_radius:>8.3f}{r.log10_gain:>12.2f}"
            )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the rows, the mean gradient-norm curves and the Jacobian gains."""
        return {
            "task": self.task,
            "length": self.length,
            "rows": [r.__dict__ for r in self.rows],
            "skipped": self.skipped,
            "grad_norms": {k: _nan_to_none(g.mean_norms("h")[0]) for k, g in self.grads.items()},
            "jacobian_gain": {k: _nan_to_none(j.product_norm) for k, j in self.jacobians.items()},
        }


def _nan_to_none(a: np.ndarray) -> list[float | None]:
    return [float(v) if math.isfinite(v) else None for v in np.asarray(a, dtype=float)]


def _task_data(task: str, n: int, length: int, seed: int) -> tuple[Tensor, Tensor, Tensor]:
    from seqlab.data.synthetic import adding_problem, temporal_order

    if task == "adding":
        X, lengths, y = adding_problem(n, length, seed=seed)
        return torch.as_tensor(X), torch.as_tensor(lengths), torch.as_tensor(y)[:, None]
    X, lengths, y = temporal_order(n, variant="6a", seed=seed)
    return torch.as_tensor(X), torch.as_tensor(lengths), torch.as_tensor(y)


def _loss(task: str) -> Any:
    if task == "adding":
        return lambda pred, target: F.mse_loss(pred, target)
    return lambda pred, target: F.cross_entropy(pred, target)


def _build(cell: str, init: str, n_in: int, hidden: int, n_out: int, length: int,
           seed: int) -> nn.Module:
    from seqlab.recurrent.patterns import SequenceClassifier

    kwargs: dict[str, Any] = {k: (length if v == "T" else v) for k, v in INITS[init].items()}
    return SequenceClassifier(n_in, hidden, n_out, cell=cell, seed=seed,  # type: ignore[arg-type]
                              **kwargs)


def _measure(model: nn.Module, cell: str, task: str, probe: tuple[Tensor, Tensor, Tensor]
             ) -> tuple[dict[str, float], StateGradients, JacobianSpectra, Spectrum]:
    """The row's numbers on the probe batch, and the curves behind them."""
    X, lengths, y = probe
    loss_fn = _loss(task)
    g = state_gradients(model, X, lambda p: loss_fn(p, y), lengths)
    m = g.mean_norms("h")[0]
    first, last = float(m[0]), float(m[int(lengths.min()) - 1])  # last step all sequences have
    rnn_cell: Any = model.rnn.cells[0]  # type: ignore[index, union-attr]
    w = weight_spectra(rnn_cell)[_CARRIER.get(cell, "weight_hh")]
    J, _ = state_jacobians(rnn_cell, X[0, : int(lengths[0])])
    js = jacobian_spectra(J)
    gain = float(js.product_norm[0])
    numbers = {
        "loss": g.loss,
        "decay": g.decay_rate("h"),
        "reach": first / last if last > 0 else math.nan,
        "w_radius": w.spectral_radius,
        "jac_radius": float(np.mean(js.spectral_radius)),
        "log10_gain": math.log10(gain) if gain > 0 else -math.inf,
    }
    return numbers, g, js, w


def _train(model: nn.Module, task: str, length: int, steps: int, batch: int, lr: float,
           seed: int) -> None:
    """``steps`` Adam steps, clipped at global norm 1, on fresh sequences of the task."""
    from seqlab.training import TrainConfig, Trainer

    X, lengths, y = _task_data(task, steps * batch, length, seed + 1)
    config = TrainConfig(epochs=1, max_steps=steps, batch_size=batch, lr=lr, clip_norm=1.0,
                         seed=seed, progress=False)
    Trainer(model, config, loss="mse" if task == "adding" else "cross_entropy").fit(
        (X, y, lengths))


def diagnose(
    cells: tuple[str, ...] | list[str] = ("elman", "lstm", "gru"),
    inits: tuple[str, ...] | list[str] = ("default",),
    *,
    task: str = "adding",
    length: int | None = None,
    hidden_size: int = 32,
    batch_size: int = 32,
    train_steps: int = 100,
    lr: float = 1e-3,
    seed: int = 0,
) -> DiagnoseReport:
    """Measure gradient flow for every ``cells`` x ``inits`` at initialisation and after
    ``train_steps`` Adam steps (clipped at norm 1) on ``task``.

    ``task``: ``"adding"`` (Hochreiter & Schmidhuber 1997, Exp. 4; sequences of ``length``
    to ``length + length // 10`` steps, default 100) or ``"temporal-order"`` (their Exp. 6a:
    100-110 steps; ``length`` must then be left unset). ``inits``: keys of :data:`INITS`;
    a combination that does not apply (a forget-gate bias on an Elman cell) is skipped and
    listed in ``report.skipped``, never silently changed. ``train_steps=0`` measures at
    initialisation only.

    >>> rep = diagnose(["elman", "lstm"], ["default", "forget3"], length=30, hidden_size=8,
    ...                batch_size=8, train_steps=0)
    >>> [(r.cell, r.init) for r in rep.rows]
    [('elman', 'default'), ('lstm', 'default'), ('lstm', 'forget3')]
    >>> rep.skipped
    ['elman/forget3: forget_bias applies to LSTM cells only']
    >>> lstm = {r.init: r for r in rep.rows if r.cell == "lstm"}
    >>> bool(lstm["forget3"].decay > lstm["default"].decay)  # the forget bias keeps the error
    True
    """
    if isinstance(cells, str) or isinstance(inits, str):
        raise SeqlabValueError("cells and inits are lists of names, e.g. cells=['elman', "
                               "'lstm'], inits=['default']; got a single string.")
    cells = [check_choice(c, "cell", CELLS) for c in cells]
    inits = [check_choice(i, "init", tuple(INITS)) for i in inits]
    if not cells or not inits:
        raise SeqlabValueError("give at least one cell and one initialisation.")
    task = check_choice(task, "task", TASKS)
    if task == "temporal-order" and length is not None:
        raise SeqlabValueError("the temporal-order task has a fixed length (100-110 steps); "
                               "leave length (--length) unset, or choose it with the adding task.")
    length = 100 if length is None else check_int(length, "length", minimum=3)
    hidden_size = check_int(hidden_size, "hidden_size", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    train_steps = check_int(train_steps, "train_steps", minimum=0)
    lr = check_positive(lr, "lr")
    seed = check_int(seed, "seed", minimum=0)
    probe = _task_data(task, batch_size, length, seed)
    n_in = probe[0].shape[-1]
    n_out = 1 if task == "adding" else 4
    report = DiagnoseReport(rows=[], task=task, length=length)
    for cell in cells:
        for init in inits:
            try:  # does this initialisation apply to this cell?
                opts = INITS[init]
                check_init_options(opts.get("recurrent_init", "uniform"),
                                   opts.get("forget_bias"), length if "chrono" in opts else None,
                                   cell)
            except SeqlabValueError as err:
                report.skipped.append(f"{cell}/{init}: {str(err).split(';')[0]}")
                continue
            model = _build(cell, init, n_in, hidden_size, n_out, length, seed)
            phases = [("init", 0)] + ([("trained", train_steps)] if train_steps else [])
            for phase, steps in phases:
                if steps:
                    _train(model, task, length, steps, batch_size, lr, seed)
                numbers, g, js, w = _measure(model, cell, task, probe)
                key = f"{cell}/{init}/{phase}"
                report.grads[key] = g
                report.jacobians[key] = js
                report.spectra[key] = w
                report.rows.append(DiagnoseRow(cell, init, phase, steps, **numbers))
    return report
