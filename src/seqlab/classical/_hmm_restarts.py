"""``n_init`` restarts of the hidden Markov models' EM: keep the best final log-likelihood.

Every restart starts from the parameters the user gave (attributes set before ``fit``); the
others are drawn afresh from a generator seeded from the model's seed stream, so a seed gives
the same restarts every time.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["fit_restarts"]


def fit_restarts(model: Any, X: Any, lengths: Any, n_init: int) -> Any:
    """Fit ``model`` ``n_init`` times (``model.fit`` with a restart generator set); keep the
    run with the highest final log-likelihood; returns ``model``."""
    given = {k: v for k, v in model.__dict__.items() if k.endswith("_")}
    rng = model._rng()
    best: tuple[float, dict] | None = None
    try:
        for _ in range(n_init):
            for key in [k for k in model.__dict__ if k.endswith("_") and k not in given]:
                del model.__dict__[key]  # learned by the previous restart
            model.__dict__.update({k: np.copy(v) if isinstance(v, np.ndarray) else v
                                  for k, v in given.items()})
            model.__dict__["_restart_rng"] = np.random.default_rng(rng.integers(2**63))
            model.fit(X, lengths=lengths)  # a subclass's fit (units) runs each time
            llf = model.monitor_.history[-1]
            if best is None or llf > best[0]:
                best = (llf, dict(model.__dict__))
    finally:
        model.__dict__.pop("_restart_rng", None)
    assert best is not None
    model.__dict__.update(best[1])
    model.__dict__.pop("_restart_rng", None)
    return model
