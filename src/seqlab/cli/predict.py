"""``seqlab predict MODEL --data FILE_OR_DIR``: classify recordings or sequences with a saved
sequence classifier (``seqlab train --data ... --save MODEL``).

``--data`` is a WAV file, a folder of WAV files (or of class sub-folders of them, whose
names are then compared with the predictions), or a CSV of sequences laid out as the
training CSV (the label column is optional). One line per file or sequence: its name, the
predicted label and that label's probability; ``--output preds.csv`` also writes them.
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path
from typing import Any

from seqlab.exceptions import SeqlabValueError

__all__ = ["add_parser"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``seqlab predict``."""
    parser = subparsers.add_parser(
        "predict", help="classify WAV files or CSV sequences with a saved sequence classifier",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    parser.add_argument("model", help="model file written by `seqlab train --data ... --save`")
    parser.add_argument("--data", required=True,
                        help="a WAV file, a folder of WAV files (or class sub-folders), or a CSV")
    parser.add_argument("--output", default=None, help="also write the predictions to this CSV")
    parser.set_defaults(func=_cmd_predict)


def _inputs(data: Path, header_data: Any) -> tuple[list[str], list[Any], list[str] | None]:
    """(names, X, true labels or None) for ``--data``."""
    from seqlab.data.labelled import read_sequences_csv, wav_files

    if not data.exists():
        raise SeqlabValueError(f"--data {str(data)!r} does not exist.")
    kind = header_data.get("kind") if isinstance(header_data, dict) else None
    if kind == "csv":
        if data.is_dir() or data.suffix.lower() not in (".csv", ".tsv"):
            raise SeqlabValueError(
                f"the model was trained on CSV sequences; --data {str(data)!r} must be a CSV."
            )
        seqs = read_sequences_csv(data, header_data.get("id_column"),
                                  header_data.get("value_columns"),
                                  header_data.get("order_column"))
        truth = None if seqs.labels is None else seqs.labels.tolist()
        return seqs.ids, list(seqs.sequences), truth
    if data.is_file():
        if data.suffix.lower() not in (".wav", ".wave"):
            raise SeqlabValueError(
                f"the model classifies WAV recordings; --data {str(data)!r} is not a .wav file."
            )
        return [str(data)], [data], None
    files = wav_files(data)
    if files:
        return [str(f) for f in files], list(files), None
    subs = sorted(p for p in data.iterdir() if p.is_dir() and wav_files(p))
    if not subs:
        raise SeqlabValueError(f"--data {str(data)!r} holds no .wav files (nor class folders).")
    paths = [f for s in subs for f in wav_files(s)]
    return [str(f) for f in paths], list(paths), [f.parent.name for f in paths]


def _cmd_predict(args: argparse.Namespace) -> int:
    import numpy as np

    import seqlab
    from seqlab.cli._paths import check_input_file, check_output_file
    from seqlab.io import read_header
    from seqlab.pipelines import SequenceClassifierPipeline

    check_input_file(args.model, "MODEL")
    if args.output:
        check_output_file(args.output, "--output")
    header = read_header(args.model)
    if header.class_name != "seqlab.pipelines.SequenceClassifierPipeline":
        raise SeqlabValueError(
            f"{args.model!r} holds a {header.class_name}; seqlab predict needs a sequence "
            "classifier from `seqlab train --data FOLDER_OR_CSV --save MODEL`."
        )
    clf = seqlab.load(args.model, expect=SequenceClassifierPipeline)
    names, X, truth = _inputs(Path(args.data), header.data)
    proba = clf.predict_proba(X)
    best = proba.argmax(axis=1)
    labels = [str(clf.classes_[k]) for k in best]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["name", "label", "probability"])
    for name, label, k, row in zip(names, labels, best, proba, strict=True):
        print(f"{name}\t{label}\t{row[k]:.3f}")
        writer.writerow([name, label, f"{row[k]:.6f}"])
    if truth is not None:
        acc = float(np.mean(np.array(labels) == np.array(truth, dtype=str)))
        print(f"accuracy {acc:.3f} on {len(truth)} labelled examples")
    if args.output:
        from seqlab.io import atomic_write_text

        atomic_write_text(args.output, buf.getvalue())
        print(f"wrote {args.output}")
    return 0
