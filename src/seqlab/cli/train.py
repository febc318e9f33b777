"""``seqlab train``: train one of the lecture's RNN patterns on a synthetic task or your own data.

With ``--data FILE_OR_DIR`` it trains on your file instead (a text file -> language model, a
CSV series -> forecaster, labelled sequences -> classifier; see
:mod:`seqlab.cli._train_data`) and writes a model file (``--save``) that ``seqlab.load``
rebuilds. Without ``--data``:

Tasks (``seqlab.data.synthetic``) and the pattern each one uses:

- ``adding`` (Hochreiter & Schmidhuber 1997, Exp. 4): pattern 3, one output, MSE; the
  score is HS97's fraction of predictions within 0.04;
- ``temporal-order`` (HS97 Exp. 6a): pattern 3, 4 classes, cross-entropy; accuracy;
- ``copy`` (Arjovsky et al. 2016): pattern 1, an output every step, cross-entropy;
  accuracy on the recalled symbols;
- ``mackey-glass`` (tau = 17): pattern 2 (output feedback, a Jordan network) trained
  with teacher forcing to predict the next value; ``--cell`` is not used.

Every option of the training loop is a flag derived from
:class:`seqlab.training.TrainConfig`; the task and model flags come from :class:`TaskConfig`.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any, Literal

from seqlab.cli._dataclass_args import add_dataclass_arguments, dataclass_from_args
from seqlab.cli._paths import check_output_file, check_plot_file
from seqlab.exceptions import SeqlabValueError

__all__ = ["TaskConfig", "add_parser"]


@dataclass
class TaskConfig:
    """Task and model options of ``seqlab train`` (the training options are TrainConfig's)."""

    task: Literal["adding", "temporal-order", "copy", "mackey-glass"] = field(
        default="adding", metadata={"help": "synthetic task"}
    )
    # hidden cell of patterns 1 and 3 (pattern 2, mackey-glass, is a Jordan network)
    cell: Literal["elman", "leaky", "skip", "lstm", "gru"] = field(
        default="lstm", metadata={"help": "recurrent cell"}
    )
    hidden_size: int = field(default=32, metadata={"help": "hidden units",
                                                   "aliases": ("--hidden",)})
    num_layers: int = field(default=1, metadata={"help": "stacked layers (patterns 1, 3)",
                                                 "aliases": ("--layers",)})
    dropout: float = field(default=0.0, metadata={"help": "dropout between stacked layers"})
    n_train: int = field(default=1000, metadata={"help": "training sequences"})
    n_val: int = field(default=200, metadata={"help": "validation sequences"})
    # adding: minimal length T; copy: the delay; mackey-glass: the window length
    length: int = field(default=50, metadata={"help": "sequence length / delay"})
    plot: str | None = field(default=None, metadata={"help": "save loss curves to this PNG"})
    # your own data instead of a synthetic task (then --task is not used)
    data: str | None = field(default=None, metadata={
        "help": "train on this text file, CSV file or folder instead of a synthetic task"})
    kind: Literal["auto", "text", "series", "labelled"] = field(
        default="auto", metadata={"help": "what --data holds (auto: by file type)"})
    save: str | None = field(default=None, metadata={
        "help": "write the trained model (and its vocabulary / scaler) to this model file"})


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``seqlab train``."""
    from seqlab.training.config import TrainConfig

    parser = subparsers.add_parser(
        "train",
        help="train an RNN pattern on a synthetic task (adding, temporal order, copy, ...)",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    add_dataclass_arguments(parser, TaskConfig)
    add_dataclass_arguments(parser, TrainConfig)
    from seqlab.cli import _train_data

    _train_data.add_arguments(parser)
    parser.add_argument(
        "--nproc", type=int, default=1, metavar="N",
        help="data-parallel training in N local processes (DistributedDataParallel: gloo on "
             "CPU, nccl with --device cuda, one GPU each); --batch-size stays the global batch",
    )
    parser.set_defaults(func=_cmd_train)


def _split(n_train: int, n_val: int, make: Any) -> tuple[Any, Any]:
    return make(n_train, 0), make(n_val, 1)


def _build(task: TaskConfig, seed: int) -> tuple[Any, Any, Any, str, Any]:
    """(model, train data, val data, loss name, score function) for ``task``."""
    import numpy as np
    import torch

    from seqlab.data import synthetic as syn
    from seqlab.recurrent.patterns import OutputFeedbackRNN, SequenceClassifier, SequenceTagger

    H, cell, L = task.hidden_size, task.cell, task.length
    model: torch.nn.Module
    if task.task == "adding":
        tr, va = _split(
            task.n_train, task.n_val, lambda n, k: syn.adding_problem(n, L, seed=seed + k)
        )
        model = SequenceClassifier(2, H, 1, cell=cell, num_layers=task.num_layers, seed=seed)

        def score_adding(pred: Any, d: Any) -> tuple[str, float]:
            return "fraction within 0.04", float(syn.adding_problem_correct(pred[:, 0], d.y).mean())

        return model, tr, va, "mse", score_adding
    if task.task == "temporal-order":
        tr, va = _split(task.n_train, task.n_val, lambda n, k: syn.temporal_order(n, seed=seed + k))
        model = SequenceClassifier(8, H, 4, cell=cell, num_layers=task.num_layers, seed=seed)

        def score_order(pred: Any, d: Any) -> tuple[str, float]:
            return "accuracy", float((pred.argmax(-1).numpy() == d.y).mean())

        return model, tr, va, "cross_entropy", score_order
    if task.task == "copy":
        S, K = 10, 10

        def make(n: int, k: int) -> Any:
            return syn.copy_task(n, sequence_length=S, delay=L, one_hot=True, seed=seed + k)

        tr, va = _split(task.n_train, task.n_val, make)
        model = SequenceTagger(K, H, K, cell=cell, num_layers=task.num_layers, seed=seed)

        def score_copy(pred: Any, d: Any) -> tuple[str, float]:
            hit = pred.argmax(-1).numpy()[:, -S:] == d.y[:, -S:]
            return "recall accuracy", float(hit.mean())

        return model, tr, va, "cross_entropy", score_copy
    # mackey-glass: windows of the series, next-value prediction with output feedback
    series = syn.mackey_glass((task.n_train + task.n_val) * 4 + L + 1, discard=200.0)
    series = (series - series.mean()) / series.std()
    rng = np.random.default_rng(seed)

    def windows(n: int, k: int) -> tuple[Any, Any]:
        half = len(series) // 2 - L - 1
        starts = rng.integers(0, half, size=n) + k * (half + L + 1)  # val after train
        idx = starts[:, None] + np.arange(L)[None, :]
        x = torch.tensor(series[idx], dtype=torch.float32)[..., None]
        return x, torch.tensor(series[idx + 1], dtype=torch.float32)[..., None]

    tr, va = _split(task.n_train, task.n_val, windows)
    model = OutputFeedbackRNN(1, H, 1, seed=seed)

    def score_mg(pred: Any, d: Any) -> tuple[str, float]:
        return "teacher-forced RMSE", float(((pred - d[1]) ** 2).mean().sqrt())

    return model, tr, va, "mse", score_mg


def _cmd_train(args: argparse.Namespace) -> int:
    from seqlab.training.config import TrainConfig

    task = dataclass_from_args(TaskConfig, args)
    config = dataclass_from_args(TrainConfig, args)
    for name in ("hidden_size", "num_layers", "n_train", "n_val", "length"):
        if getattr(task, name) < 1:
            raise SeqlabValueError(
                f"--{name.replace('_', '-')} must be >= 1; got {getattr(task, name)}."
            )
    if not 0.0 <= task.dropout < 1.0:
        raise SeqlabValueError(f"--dropout must be in [0, 1); got {task.dropout}.")
    from seqlab.scale import distributed as ddp
    from seqlab.training._device import check_device

    check_device(config.device, "--device")
    nproc = ddp.check_nproc(args.nproc, config.device)
    synthetic_only = ("task", "n_train", "n_val", "length", "plot")
    default = TaskConfig()
    if task.data is not None:
        unused = [n for n in synthetic_only if getattr(task, n) != getattr(default, n)]
        if unused:
            raise SeqlabValueError(
                f"{', '.join('--' + n.replace('_', '-') for n in unused)}: options of the "
                "synthetic tasks, not used with --data; drop them.")
    elif task.dropout != default.dropout or task.kind != default.kind:
        raise SeqlabValueError("--dropout and --kind are used with --data only; drop them.")
    _check_outputs(task, config)
    if ddp.in_group():  # a worker started by torchrun or by --nproc
        return ddp.run_worker(lambda: _run(args, task, config), nproc)
    if nproc > 1:
        return ddp.launch_cli(args.argv, nproc, config.device)
    return _run(args, task, config)


def _check_outputs(task: TaskConfig, config: Any) -> None:
    """Output paths checked before any work (and before --nproc starts its workers)."""
    if task.save:
        check_output_file(task.save, "--save")
    if task.plot and task.data is None:
        check_plot_file(task.plot)
    if config.checkpoint_path and task.data is None:  # save_checkpoint creates missing folders
        check_output_file(config.checkpoint_path, "--checkpoint-path", make_parents=True)


def _run(args: argparse.Namespace, task: TaskConfig, config: Any) -> int:
    """Train (in this process: one of the group under --nproc / torchrun) and report."""
    import torch

    from seqlab.training import Trainer
    from seqlab.training._ddp import is_writer

    if task.data is not None:
        from seqlab.cli import _train_data

        return _train_data.run(args, task, config)
    model, tr, va, loss, score = _build(task, config.seed or 0)
    trainer = Trainer(model, config, loss=loss)
    history = trainer.fit(tr, va)
    print(
        f"task={task.task} model={type(model).__name__} cell="
        f"{'jordan' if task.task == 'mackey-glass' else task.cell} hidden={task.hidden_size}"
    )
    print(history.table())
    if history.stopped_early:
        print(f"stopped early; best epoch {history.best_epoch}")
    elif history.stopped_by != "epochs":
        print(f"stopped by --{history.stopped_by.replace('_', '-')} after {history.steps} steps")
    model.eval()
    with torch.no_grad():
        from seqlab.training.trainer import as_dataset

        x, y, lengths = as_dataset(va, "val_data")
        pred = trainer.forward(model, x.float(), y.float() if y.is_floating_point() else y, lengths)
    name, value = score(pred, va)
    print(f"validation {name}: {value:.4f}")
    if task.plot and is_writer():
        _plot(history, task.plot)
        print(f"saved {task.plot}")
    if task.save:
        from seqlab.cli._train_data import save_model

        save_model(model, task.save, training={"task": task.task, "epochs": len(history.epochs),
                                               "steps": history.steps})
        print(f"saved {task.save} (reload with seqlab.load)")
    return 0


def _plot(history: Any, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ep = [e.epoch for e in history.epochs]
    ax.plot(ep, [e.train_loss for e in history.epochs], label="train")
    if any(e.val_loss is not None for e in history.epochs):
        ax.plot(ep, [e.val_loss for e in history.epochs], label="validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
