"""An echo state network on the adding problem: a fixed reservoir as the baseline.

Jaeger (2001): fix ``W_in`` and ``W`` at random (``W`` rescaled to spectral radius
``rho``), run every sequence through the reservoir from ``x_0 = 0``, and fit only a linear
readout by ridge regression -- here from the reservoir state at each sequence's last step
to the adding target ``0.5 + (X1 + X2) / 4`` (HS97 Exp. 4, correct when ``|error| < 0.04``,
2560 test sequences). Nothing is learned through time, so the readout can only use what
the random dynamics happened to keep of the two marked values for 50-110 steps; leaky
units (``a`` small) keep more. HS97 do not report an ESN; the comparison is with their
LSTM figure and with our gated cells (``seqlab reproduce adding``).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from seqlab.data.synthetic import adding_problem, adding_problem_correct
from seqlab.reproduce._report import Report, Row
from seqlab.reservoir.esn import Reservoir, ridge_regression

__all__ = ["BUDGETS", "fit_esn", "run"]

BUDGETS: dict[str, dict[str, Any]] = {
    "quick": {"lengths": (20,), "n_units": 200, "n_train": 2_000, "n_test": 1000,
              "leak_rates": (1.0, 0.1)},
    "full": {"lengths": (100, 500), "n_units": 1000, "n_train": 10_000, "n_test": 2560,
             "leak_rates": (1.0, 0.1, 0.03)},
}


def _final_states(res: Reservoir, X: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """(N, n_units): the state after each sequence's last valid step (``discard`` keeps
    only that one: a view of each full ``(T, n_units)`` run would keep all of them alive,
    26 GB at the full budget)."""
    X64 = X.astype(np.float64)
    return np.stack([res.run(X64[i, :n], discard=int(n) - 1)[0] for i, n in enumerate(lengths)])


def fit_esn(T: int, *, n_units: int, n_train: int, n_test: int, leak_rate: float,
            spectral_radius: float = 0.95, ridge: float = 1e-6, seed: int = 0
            ) -> dict[str, Any]:
    """Fit one ESN readout on ``n_train`` sequences of length >= T; test on ``n_test``."""
    t0 = time.perf_counter()
    res = Reservoir.initialize(n_units, 2, spectral_radius=spectral_radius,
                               connectivity=min(1.0, 10.0 / n_units), input_scaling=1.0,
                               leak_rate=leak_rate, seed=seed)
    Xtr, ltr, ytr = adding_problem(n_train, T, seed=40_000 + seed)
    Xte, lte, yte = adding_problem(n_test, T, seed=50_000 + seed)
    W, c = ridge_regression(_final_states(res, Xtr, ltr), ytr[:, None].astype(np.float64), ridge)
    pred = (_final_states(res, Xte, lte) @ W + c)[:, 0]
    wrong = int((~adding_problem_correct(pred, yte)).sum())
    return {"T": T, "leak_rate": leak_rate, "n_units": n_units, "n_train": n_train,
            "test_errors": wrong, "n_test": n_test,
            "test_mse": float(np.mean((pred - yte) ** 2)),
            "wall_time_s": round(time.perf_counter() - t0, 2)}


def run(budget: str = "quick", *, seed: int = 0) -> Report:
    """ESNs with several leak rates at every length of ``budget``."""
    b = BUDGETS[budget]
    t0 = time.perf_counter()
    rows = []
    for T in b["lengths"]:
        for a in b["leak_rates"]:
            r = fit_esn(T, n_units=b["n_units"], n_train=b["n_train"], n_test=b["n_test"],
                        leak_rate=a, seed=seed)
            ours = (f"{r['test_errors']}/{r['n_test']} wrong, MSE {r['test_mse']:.4f} "
                    f"({r['n_train']:,} training seqs, {r['wall_time_s']:.0f} s)")
            paper = "LSTM (HS97): 1/2560 wrong" if T == 100 else (
                "LSTM (HS97): 0/2560 wrong" if T == 500 else "-")
            rows.append(Row(f"ESN N={b['n_units']} leak={a} T={T}", paper, ours, r))
    best = min(rows, key=lambda r: r.result["test_errors"])
    conclusion = (f"best ESN: {best.setting} with {best.result['test_errors']}/"
                  f"{best.result['n_test']} wrong (the target variance alone gives MSE ~0.042)")
    return Report("esn-adding", "Echo state network on the adding problem",
                  "Jaeger 2001; task of HS97 Exp. 4", budget, rows, conclusion,
                  time.perf_counter() - t0, settings=dict(b))
