"""train a sequence classifier on labelled sequences (WAV class folders or a CSV).

``seqlab train --data recordings/ --save clf.seqlab`` reads ``recordings/<class>/*.wav``
(MFCC + deltas + CMVN per recording); ``seqlab train --data seqs.csv`` reads a long table
(sequence id, label, numeric value columns; one row per step). A stratified share of the
examples (``--held-out``) is kept out of training; the RNN reports its loss on it during
training, and the accuracy on it (with the chance level: the largest class's share) is
printed at the end. ``--model esn`` trains an echo state network classifier instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from seqlab.exceptions import SeqlabValueError

__all__ = ["Options", "run", "stratified_split"]


@dataclass
class Options:
    """Flags of the labelled-sequences journey."""

    model: Literal["rnn", "esn"] = field(default="rnn", metadata={
        "help": "labelled: pattern-3 RNN classifier or echo state network classifier"})
    n_mfcc: int = field(default=13, metadata={
        "help": "labelled WAVs: cepstral coefficients per frame (x3 with deltas)"})
    cmvn: bool = field(default=True, metadata={
        "help": "labelled WAVs: per-recording cepstral mean/variance normalisation"})
    n_units: int = field(default=300, metadata={"help": "labelled, --model esn: reservoir size"})
    held_out: float = field(default=0.2, metadata={
        "help": "labelled: share of each class held out to measure accuracy"})
    id_column: str | None = field(default=None, metadata={
        "help": "labelled CSV: sequence id column (default: id, sequence_id, ...)"})
    label_column: str | None = field(default=None, metadata={
        "help": "labelled CSV: label column (default: label, class, target, y)"})
    order_column: str | None = field(default=None, metadata={
        "help": "labelled CSV: column ordering the rows of a sequence (default: file order)"})
    feature_columns: tuple[str, ...] | None = field(default=None, metadata={
        "help": "labelled CSV: numeric value columns (default: all other columns)"})


def stratified_split(labels: np.ndarray, fraction: float, seed: int | None
                     ) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) indices holding out ``round(fraction * n_c)`` examples of every class
    (at least one of a class with two or more examples when ``fraction > 0``)."""
    if not 0.0 <= fraction < 1.0:
        raise SeqlabValueError(f"--held-out must be in [0, 1); got {fraction}.")
    rng = np.random.default_rng(seed)
    test: list[int] = []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        k = round(fraction * len(idx))
        if fraction > 0 and len(idx) >= 2:
            k = min(max(k, 1), len(idx) - 1)
        test.extend(idx[:k].tolist())
    test_idx = np.array(sorted(test), dtype=np.int64)
    train_idx = np.setdiff1d(np.arange(len(labels)), test_idx)
    return train_idx, test_idx


def _refuse_unused(task: Any, train: Any, options: Options) -> None:
    """A flag the chosen model does not use is an error, never silently ignored."""
    from dataclasses import fields

    def changed(obj: Any, names: Any) -> list[str]:
        default = type(obj)()
        return [n for n in names if getattr(obj, n) != getattr(default, n)]

    if options.model == "esn":
        keep = {"seed", "progress", "verbose"}
        unused = changed(task, ("cell", "hidden_size", "num_layers", "dropout")) + changed(
            train, [f.name for f in fields(train) if f.name not in keep])
        why = "--model esn fits a ridge readout in closed form (no gradient training)"
    else:
        unused, why = changed(options, ("n_units",)), "--n-units sizes the ESN's reservoir"
    if unused:
        flags = ", ".join("--" + n.replace("_", "-") for n in unused)
        raise SeqlabValueError(f"{flags}: not used with --model {options.model} ({why}); "
                               "drop them.")


def run(path: Path, task: Any, train: Any, options: Options) -> int:
    """Read ``path``, train, print the held-out accuracy and save the model file."""
    from seqlab.cli import _train_data
    from seqlab.data.labelled import read_labelled_csv, read_labelled_folder
    from seqlab.pipelines import SequenceClassifierPipeline

    if options.n_mfcc < 1 or options.n_mfcc > 40:
        raise SeqlabValueError(f"--n-mfcc must be in 1..40; got {options.n_mfcc}.")
    if options.n_units < 1:
        raise SeqlabValueError(f"--n-units must be >= 1; got {options.n_units}.")
    _refuse_unused(task, train, options)
    data_info: dict[str, Any]
    X: list[Any]
    if path.is_dir():
        rec = read_labelled_folder(path)
        X, y, features = list(rec.audio), rec.labels, "mfcc"
        data_info = {"kind": "wav-folder", "path": str(path), "n_examples": len(X)}
        what = f"{len(X)} recordings"
    else:
        seqs = read_labelled_csv(path, options.id_column, options.label_column,
                                 options.feature_columns, options.order_column)
        assert seqs.labels is not None
        X, y, features = list(seqs.sequences), seqs.labels, "none"
        data_info = {"kind": "csv", "path": str(path), "n_examples": len(X),
                     "id_column": options.id_column, "order_column": options.order_column,
                     "value_columns": list(seqs.feature_names)}
        what = f"{len(X)} sequences x {len(seqs.feature_names)} columns"
    classes, counts = np.unique(y, return_counts=True)
    print(f"data: {what}, {len(classes)} classes "
          f"({', '.join(f'{c}: {n}' for c, n in zip(classes, counts, strict=True))})")
    tr, te = stratified_split(y, options.held_out, train.seed)
    clf = SequenceClassifierPipeline(
        options.model, features=features, n_mfcc=options.n_mfcc, cmvn=options.cmvn, cell=task.cell,  # type: ignore[arg-type]
        hidden_size=task.hidden_size, num_layers=task.num_layers, dropout=task.dropout,
        n_units=options.n_units, seed=train.seed,
    )
    X_tr, y_tr = [X[i] for i in tr], y[tr]
    X_te, y_te = [X[i] for i in te], y[te]
    validation = (X_te, y_te) if len(te) and options.model == "rnn" else None
    clf.fit(X_tr, y_tr, config=train, validation=validation)
    desc = (f"model={options.model}" + (f" cell={task.cell} hidden={task.hidden_size}"
                                         if options.model == "rnn" else
                                         f" units={options.n_units}"))
    training: dict[str, Any] = {"model": options.model, "n_train": len(tr), "n_test": len(te)}
    if len(te):
        acc = clf.score(X_te, y_te)
        chance = float(np.max(np.unique(y_te, return_counts=True)[1]) / len(te))
        training.update(held_out_accuracy=acc, chance=chance)
        print(f"{desc}: held-out accuracy {acc:.3f} on {len(te)} examples "
              f"(chance {chance:.3f}); train accuracy {clf.score(X_tr, y_tr):.3f}")
    else:
        print(f"{desc}: train accuracy {clf.score(X_tr, y_tr):.3f} (--held-out 0: no test)")
    if task.save:
        _train_data.save_model(clf, task.save, data=data_info, training=training)
        print(f"saved {task.save}  (use: seqlab predict {task.save} --data FILE_OR_DIR)")
    else:
        print("not saved (add --save clf.seqlab to keep the model)")
    return 0
