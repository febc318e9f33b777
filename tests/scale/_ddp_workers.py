"""Functions the data-parallel tests run in spawned processes (importable by name there).

Each ``*_runs`` function is called twice: in 2 processes under :func:`seqlab.scale.distributed
.spawn` (the Trainer then trains data-parallel) and once in the test process itself (plain
Trainer, the same global batches): the results must agree.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from seqlab.recurrent.patterns import OutputFeedbackRNN, SequenceClassifier, SequenceTagger
from seqlab.training import TokenStream, TrainConfig, Trainer


def _params(model: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def _regression(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(n, 6, 2, generator=g, dtype=torch.float64)
    return x, x.sum((1, 2))[:, None]


def _tagging(n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(2)
    x = torch.randn(n, 7, 3, generator=g, dtype=torch.float64)
    return x, (x.sum(-1) > 0).long(), torch.randint(2, 8, (n,), generator=g)


def equality_runs() -> dict[str, Any]:
    """Parameters after a few steps of several models (float64; 33 rows in global batches of
    8, so the last batch has one row and one process an empty share)."""
    out: dict[str, Any] = {}
    cfg = {"epochs": 2, "batch_size": 8, "progress": False, "lr": 0.05}
    for cell, impl in (("lstm", "bptt"), ("gru", "auto"), ("elman", "bptt"), ("leaky", "bptt"),
                       ("skip", "auto")):
        model = SequenceClassifier(2, 5, 1, cell=cell, impl=impl, seed=0).double()
        rows: list[int] = []
        model.register_forward_pre_hook(lambda _m, a, rows=rows: rows.append(len(a[0])))
        Trainer(model, TrainConfig(**cfg)).fit(_regression(33))
        out[f"{cell}-{impl}"] = _params(model)
        out[f"{cell}-{impl}-rows"] = rows
    # a DataLoader (the same batches in the same order on every process)
    from torch.utils.data import DataLoader, TensorDataset

    loader = DataLoader(TensorDataset(*_regression(30)), batch_size=8)
    model = SequenceClassifier(2, 5, 1, cell="gru", impl="bptt", seed=0).double()
    Trainer(model, TrainConfig(**cfg)).fit(loader)
    out["dataloader-gru-bptt"] = _params(model)
    # pattern 2 (Jordan, teacher forcing through model.shift_targets) and Adam
    x, _ = _regression(20)
    model = OutputFeedbackRNN(2, 4, 1, seed=0).double()
    Trainer(model, TrainConfig(**{**cfg, "optimizer": "adam", "lr": 0.01})).fit(
        (x, x.cumsum(1)[..., :1]))
    out["jordan"] = _params(model)
    # pattern 1 with padding: the loss is a mean over real steps, weighted by steps
    model = SequenceTagger(3, 6, 2, cell="lstm", impl="bptt", seed=0).double()
    Trainer(model, TrainConfig(**{**cfg, "optimizer": "sgd", "lr": 0.5}),
            loss="cross_entropy").fit(_tagging(27))
    out["tagger-masked"] = _params(model)
    # Pascanu et al.'s regularizer: Omega is a mean over rows, the loss over real steps
    model = SequenceTagger(3, 6, 2, cell="elman", impl="bptt", seed=0).double()
    hist = Trainer(model, TrainConfig(**{**cfg, "optimizer": "sgd", "lr": 0.5,
                                         "regularizer_alpha": 2.0}),
                   loss="cross_entropy").fit(_tagging(27))
    out["elman-regularized"] = _params(model)
    out["elman-regularized-loss"] = [e.regularizer for e in hist.epochs]
    # stateful truncated BPTT on a token stream: each process carries its own rows' state
    ids = torch.randint(0, 5, (403,), generator=torch.Generator().manual_seed(3))
    model = SequenceTagger(4, 6, 5, cell="gru", impl="bptt", vocab_size=5, seed=0).double()
    hist = Trainer(model, TrainConfig(**{**cfg, "batch_size": 6})).fit(
        TokenStream(ids, batch_size=6, bptt=9))
    out["stream"] = _params(model)
    out["stream-loss"] = [e.train_loss for e in hist.epochs]
    out["big"] = torch.arange(200_000, dtype=torch.float64)  # > a pipe's buffer, sent back
    return out


def misc_runs() -> dict[str, Any]:
    """A max_time budget decided by rank 0's clock (rank 1's clock is frozen), and a list of
    batches in another order on each rank: refused, not silently mixed."""
    import seqlab.training._loop as loop

    rank = int(os.environ.get("RANK", "0"))
    if rank == 1:
        loop.time = type("FrozenClock", (), {"perf_counter": staticmethod(lambda: 0.0)})
    model = SequenceClassifier(2, 3, 1, seed=0).double()
    hist = Trainer(model, TrainConfig(epochs=10_000, max_time=0.5, batch_size=2,
                                      progress=False)).fit(_regression(8))
    out: dict[str, Any] = {"steps": hist.steps, "stopped_by": hist.stopped_by}
    x, y = _regression(8)
    batches = [(x[:4], y[:4]), (x[4:], y[4:])]
    if rank == 1:
        batches.reverse()
    model = SequenceClassifier(2, 3, 1, seed=0).double()
    try:
        Trainer(model, TrainConfig(epochs=1, progress=False)).fit(batches)
        out["mismatch"] = "no error"
    except ValueError as err:
        out["mismatch"] = str(err)
    return out


def resume_runs(folder: str) -> dict[str, Any]:
    """An uninterrupted run and one stopped after epoch 1 and resumed from its checkpoint
    (with dropout, so every rank's own random stream must be restored); which ranks wrote."""
    import seqlab.training._state as state

    rank = int(os.environ.get("RANK", "0"))
    writes: list[str] = []
    original = state.save_checkpoint

    def counting(path: Any, *a: Any, **k: Any) -> Any:
        writes.append(str(path))
        return original(path, *a, **k)

    state.save_checkpoint = counting
    data = _tagging(24)

    calls: list[int] = []

    def fit(epochs: int, name: str, resume: str | None = None) -> list[torch.Tensor]:
        model = SequenceTagger(3, 6, 2, cell="lstm", num_layers=2, dropout=0.3, seed=0).double()
        calls.clear()
        model.register_forward_pre_hook(lambda _m, _a: calls.append(1))
        cfg = TrainConfig(epochs=epochs, batch_size=8, progress=False, seed=5,
                          checkpoint_path=str(Path(folder) / name), resume_from=resume)
        Trainer(model, cfg, loss="cross_entropy").fit(data)
        return _params(model)

    whole = fit(3, "whole.safetensors")
    fit(1, "part.safetensors")
    resumed = fit(3, "resumed.safetensors", resume=str(Path(folder) / "part.safetensors"))
    state.save_checkpoint = original
    return {"rank": rank, "whole": whole, "resumed": resumed, "writes": writes,
            "resumed_forwards": len(calls)}
