"""Glue that trains seqlab's recurrent networks with :mod:`seqlab.training` for the tasks.

The networks are the library's pattern-1 :class:`~seqlab.recurrent.SequenceTagger` and
pattern-3 :class:`~seqlab.recurrent.SequenceClassifier`; training is
:class:`~seqlab.training.Trainer`. Nothing here is a model: only data plumbing and timing.
"""

from __future__ import annotations

import time
from typing import Any, Literal

import numpy as np

__all__ = ["RNN_CELLS", "RNN_IMPL", "fit_network", "predict_network"]

#: leaderboard name -> cell type of :mod:`seqlab.recurrent`
RNN_CELLS: dict[str, Literal["elman", "gru", "lstm"]] = {
    "elman": "elman", "gru": "gru", "lstm": "lstm",
}


#: unroll implementation of the networks: PyTorch's fused kernels (the library's fast path;
#: "auto" may pick the numba BPTT kernels, whose first compilation costs seconds per run)
RNN_IMPL: Literal["torch"] = "torch"


def fit_network(model: Any, train: tuple, val: tuple | None, *, epochs: int, loss: str,
                seed: int, lr: float = 3e-3, batch_size: int = 32,
                clip_norm: float | None = 1.0) -> tuple[list[float], list[float], float]:
    """Train ``model`` on ``train`` (x, y[, lengths]) and return the per-epoch train and
    validation losses and the training wall time in seconds."""
    from seqlab.training import TrainConfig, Trainer

    cfg = TrainConfig(epochs=epochs, lr=lr, batch_size=batch_size, clip_norm=clip_norm,
                      seed=seed, progress=False, restore_best=val is not None,
                      early_stopping_patience=None)
    import torch

    # one thread: these networks are small, and a numba parallel kernel (OpenMP layer, run
    # by ARIMA/HMM/ESN) resets the OpenMP thread count torch reads, making it 2 again;
    # on a busy 2-core machine that made an LSTM fit 100x slower
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        start = time.perf_counter()
        hist = Trainer(model, cfg, loss=loss).fit(train, val)
        seconds = time.perf_counter() - start
    finally:
        torch.set_num_threads(threads)
    tr = [e.train_loss for e in hist.epochs]
    va = [float("nan") if e.val_loss is None else e.val_loss for e in hist.epochs]
    return tr, va, seconds


def predict_network(model: Any, x: np.ndarray, lengths: np.ndarray | None = None,
                    batch: int = 512) -> np.ndarray:
    """Outputs of ``model`` for the float inputs ``x`` (N, T, I), in batches, as numpy."""
    import torch

    model.eval()
    outs = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            xb = torch.as_tensor(np.ascontiguousarray(x[i:i + batch]), dtype=torch.float32)
            if lengths is None:
                outs.append(model(xb).numpy())
            else:
                outs.append(model(xb, lengths=torch.as_tensor(lengths[i:i + batch])).numpy())
    return np.concatenate(outs, axis=0)
