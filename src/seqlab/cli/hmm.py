"""``seqlab hmm fit|decode|sample``: hidden Markov models on bundled data or a file.

Data (one of): ``--data chloroplast`` or ``--data contig`` (DNA, a categorical HMM over
A/C/G/T), ``--data seattle-weather`` (standardised log1p precipitation, temp_max, temp_min,
wind; a Gaussian HMM), or ``--file PATH``: DNA (FASTA, GenBank or EMBL, each record its own
sequence, read by :func:`seqlab.data.seqfiles.read_sequence_records`; or plain letters) or
numbers (one row per frame, columns separated by commas or white space; ``--kind
categorical`` reads them as integer symbols). ``--lengths`` splits the rows into several
sequences.

- ``fit`` runs Baum–Welch, prints the parameters, log-likelihood, AIC/BIC; ``--save FILE``
  writes the fitted model as a seqlab model file (:func:`seqlab.save`: safetensors, atomic,
  the path exactly as given);
- ``decode`` (Viterbi or posterior) prints the decoded segments; ``--model`` reuses a saved
  fit, ``--output`` writes one state per line;
- ``sample`` draws a sequence from a saved model (``--model``) or from a fit on the data;
- ``islands`` and ``weather`` run the real-data tasks of :mod:`seqlab.classical.hmm_tasks`.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from seqlab.cli._dataclass_args import add_dataclass_arguments, dataclass_from_args
from seqlab.cli._paths import check_input_file, check_output_file, check_plot_file
from seqlab.exceptions import SeqlabValueError

__all__ = ["HmmOptions", "add_parser", "load_model", "save_model"]

_DNA_LETTERS = set("ACGTNRYSWKMBDHV")


@dataclass
class HmmOptions:
    """Options shared by ``seqlab hmm fit|decode|sample`` (one flag per field)."""

    data: Literal["chloroplast", "contig", "seattle-weather"] | None = field(
        default=None, metadata={"help": "bundled data set"})
    file: str | None = field(default=None, metadata={"help": "read the data from this file"})
    kind: Literal["auto", "categorical", "gaussian"] = field(
        default="auto", metadata={"help": "emission family (auto: DNA -> categorical)"})
    lengths: tuple[int, ...] | None = field(
        default=None, metadata={"help": "frames per sequence (must sum to the data length)"})
    n_states: int = field(default=2, metadata={"help": "number of hidden states K"})
    covariance_type: Literal["diag", "full", "spherical", "tied"] = field(
        default="diag", metadata={"help": "Gaussian covariance structure"})
    n_iter: int = field(default=100, metadata={"help": "maximum EM iterations"})
    tol: float = field(default=1e-3, metadata={"help": "stop when the gain is below this"})
    seed: int = field(default=0, metadata={"help": "random seed (initialisation, sampling)"})


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``seqlab hmm {fit,decode,sample,islands,weather}``."""
    parser = subparsers.add_parser(
        "hmm", help="hidden Markov models: fit, decode, sample",
        description="Fit, decode and sample hidden Markov models on bundled data or a file.")
    sub = parser.add_subparsers(dest="hmm_command", metavar="ACTION")
    p_fit = sub.add_parser("fit", help="Baum–Welch EM; print parameters and AIC/BIC")
    add_dataclass_arguments(p_fit, HmmOptions)
    p_fit.add_argument("--save", metavar="FILE", help="save the fitted model (seqlab model file)")
    p_fit.add_argument("--plot", metavar="FILE", help="plot the EM log-likelihood history")
    p_fit.set_defaults(func=_cmd_fit)
    p_dec = sub.add_parser("decode", help="most likely hidden states and their segments")
    add_dataclass_arguments(p_dec, HmmOptions)
    p_dec.add_argument("--model", metavar="FILE", help="use a model saved by `fit --save`")
    p_dec.add_argument("--algorithm", choices=("viterbi", "map"), default="viterbi")
    p_dec.add_argument("--output", metavar="FILE", help="write the states, one per line")
    p_dec.add_argument("--max-rows", type=int, default=15, help="segments to print")
    p_dec.add_argument("--plot", metavar="FILE", help="plot state posteriors and states")
    p_dec.set_defaults(func=_cmd_decode)
    p_smp = sub.add_parser("sample", help="draw a sequence from a (saved or fitted) model")
    add_dataclass_arguments(p_smp, HmmOptions)
    p_smp.add_argument("--model", metavar="FILE", help="use a model saved by `fit --save`")
    p_smp.add_argument("--n-samples", type=int, default=20, help="frames to draw")
    p_smp.add_argument("--output", metavar="FILE", help="write the sample (CSV)")
    p_smp.set_defaults(func=_cmd_sample)
    p_isl = sub.add_parser("islands", help="task: island vs background segments of real DNA")
    p_isl.add_argument("--genome", choices=("chloroplast", "contig"), default="chloroplast")
    p_isl.add_argument("--features", choices=("nucleotide", "dinucleotide"),
                       default="nucleotide")
    p_isl.add_argument("--max-rows", type=int, default=15, help="island segments to print")
    p_isl.add_argument("--output", metavar="FILE", help="write every segment (CSV; with "
                       "--file: the BED-like island table)")
    p_isl.add_argument("--file", metavar="PATH", help="Durbin 8-state CpG model on each record "
                       "of a FASTA/GenBank/EMBL file; print a BED-like island table")
    p_isl.add_argument("--min-length", type=int, default=1, help="with --file: shortest island")
    p_isl.set_defaults(func=_cmd_islands)
    p_wea = sub.add_parser("weather", help="task: hidden weather regimes vs recorded labels")
    p_wea.add_argument("--n-states", type=int, default=3)
    p_wea.add_argument("--covariance-type", choices=("diag", "full", "spherical", "tied"),
                       default="full")
    p_wea.add_argument("--seed", type=int, default=0)
    p_wea.set_defaults(func=_cmd_weather)
    parser.set_defaults(func=lambda args: (parser.print_help(), 0)[1])


def _cmd_islands(args: argparse.Namespace) -> int:
    from seqlab.classical.hmm_tasks import dna_islands

    if args.output:
        check_output_file(args.output, "--output")
    if args.file:
        return _cmd_cpg_file(args)
    result = dna_islands(args.genome, features=args.features)
    print(result.summary())
    islands = result.segments[result.segments.state == 1]
    print(islands.head(args.max_rows).to_string(index=False, float_format="%.3f"))
    if len(islands) > args.max_rows:
        print(f"... {len(islands) - args.max_rows} more island segments")
    if args.output:
        result.segments.to_csv(args.output, index=False)
        print(f"segments written to {args.output}")
    return 0


def _cmd_cpg_file(args: argparse.Namespace) -> int:
    import sys

    import pandas as pd

    from seqlab.classical.hmm_cpg import cpg_islands
    from seqlab.data.seqfiles import read_sequence_records

    check_input_file(args.file, "--file")
    frames = []
    for name, seq in read_sequence_records(args.file).items():
        df = cpg_islands(seq, min_length=args.min_length)
        df.insert(0, "record", name)
        frames.append(df)
    table = pd.concat(frames, ignore_index=True)
    text = table.to_csv(sep="\t", index=False, float_format="%.4f")
    if args.output:
        from seqlab.io import atomic_write_text

        atomic_write_text(args.output, text)
        print(f"{len(table)} islands written to {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def _cmd_weather(args: argparse.Namespace) -> int:
    from seqlab.classical.hmm_tasks import weather_regimes

    result = weather_regimes(args.n_states, covariance_type=args.covariance_type,
                             seed=args.seed)
    print(result.summary())
    return 0


# --------------------------------------------------------------------------- data
def _read_file(path: Path, kind: str) -> tuple[np.ndarray, str, list[int] | None]:
    """``(X, kind, lengths)``: a FASTA/GenBank/EMBL file gives one sequence per record
    (``lengths``, None for a single record), plain letters one sequence, else numbers."""
    from seqlab.data.seqfiles import _open_text, read_sequence_records, sequence_format

    check_input_file(path, "--file")
    try:
        text = _open_text(path)
    except SeqlabValueError:
        raise SeqlabValueError(
            f"--file {path}: not a text file; give DNA (FASTA, GenBank, EMBL or plain "
            "letters) or a table of numbers."
        ) from None
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise SeqlabValueError(f"--file: {path} is empty.")
    if kind != "gaussian" and sequence_format(text) is not None:
        from seqlab.data import encode_dna

        records = list(read_sequence_records(path).values())
        X = np.concatenate([encode_dna(r.upper(), ambiguous="random", seed=0)
                            for r in records]).astype(np.int64)
        return X, "categorical", [len(r) for r in records] if len(records) > 1 else None
    letters = "".join(lines).upper()
    if kind != "gaussian" and set(letters) <= _DNA_LETTERS:
        from seqlab.data import encode_dna

        X = encode_dna(letters, ambiguous="random", seed=0).astype(np.int64)
        return X, "categorical", None
    delimiter = "," if "," in lines[0] else None
    try:
        values = np.loadtxt(path, delimiter=delimiter, ndmin=2)
    except ValueError as err:
        raise SeqlabValueError(
            f"--file: {path} is neither DNA nor a table of numbers: {err}"
        ) from None
    if kind == "categorical":
        if values.shape[1] != 1:
            raise SeqlabValueError("--kind categorical needs one integer symbol per line.")
        return values[:, 0], "categorical", None
    return values, "gaussian", None


def load_observations(opts: HmmOptions) -> tuple[np.ndarray, str]:
    """``(X, kind)`` for the options' ``--data`` or ``--file``."""
    if (opts.data is None) == (opts.file is None):
        raise SeqlabValueError("give exactly one of --data NAME or --file PATH.")
    if opts.file is not None:
        X, kind, records = _read_file(Path(opts.file), opts.kind)
        if records is not None:  # one sequence per record of a multi-record file
            if opts.lengths is not None:
                raise SeqlabValueError(
                    f"--file {opts.file} has {len(records)} records, each its own sequence; "
                    "drop --lengths (or give one record per file)."
                )
            opts.lengths = tuple(records)
        return X, kind
    if opts.data in ("chloroplast", "contig"):
        from seqlab.data import encode_dna, load_chloroplast, load_contig

        seq = load_chloroplast().sequence if opts.data == "chloroplast" else load_contig()
        X, kind = encode_dna(seq, ambiguous="random", seed=0).astype(np.int64), "categorical"
    else:
        from seqlab.data import load_seattle_weather

        df = load_seattle_weather()
        feats = df[["precipitation", "temp_max", "temp_min", "wind"]].to_numpy().copy()
        feats[:, 0] = np.log1p(feats[:, 0])
        X, kind = (feats - feats.mean(axis=0)) / feats.std(axis=0), "gaussian"
    if opts.kind not in ("auto", kind):
        raise SeqlabValueError(f"--data {opts.data} needs --kind {kind} (or auto).")
    return X, kind


# --------------------------------------------------------------------------- models
def _new_model(opts: HmmOptions, kind: str) -> Any:
    from seqlab.classical import CategoricalHMM, GaussianHMM

    if kind == "categorical":
        return CategoricalHMM(opts.n_states, n_iter=opts.n_iter, tol=opts.tol, seed=opts.seed)
    return GaussianHMM(opts.n_states, covariance_type=opts.covariance_type, n_iter=opts.n_iter,
                       tol=opts.tol, seed=opts.seed)


def save_model(model: Any, path: str | Path) -> None:
    """Save a fitted HMM with :func:`seqlab.save` (atomic; ``path`` exactly as given).

    >>> import tempfile
    >>> from seqlab.classical import CategoricalHMM
    >>> m = CategoricalHMM(2, seed=0, n_iter=3).fit(np.array([0, 1, 1, 0, 2, 2]))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     save_model(m, d + "/m.bin")
    ...     bool(np.array_equal(load_model(d + "/m.bin").transmat_, m.transmat_))
    True
    """
    from seqlab.io import save

    save(model, path)


def load_model(path: str | Path) -> Any:
    """The HMM saved in ``path`` by :func:`save_model` (:func:`seqlab.load`; never pickle)."""
    from seqlab.classical import CategoricalHMM, GaussianHMM
    from seqlab.io import load

    path = check_input_file(path, "--model")
    return load(path, expect=(CategoricalHMM, GaussianHMM))


def _fitted(args: argparse.Namespace, opts: HmmOptions, X: np.ndarray, kind: str) -> Any:
    if getattr(args, "model", None):
        return load_model(args.model)
    model = _new_model(opts, kind).fit(X, opts.lengths)
    print(f"fitted {type(model).__name__} with {opts.n_states} states on {len(X):,} frames: "
          f"{model.monitor_.iter} EM iterations, final log-likelihood "
          f"{model.monitor_.history[-1]:.4f}")
    return model


def _options(args: argparse.Namespace) -> HmmOptions:
    return dataclass_from_args(HmmOptions, args)


# --------------------------------------------------------------------------- commands
def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse unwritable --save/--output/--plot paths before loading data or fitting."""
    for option in ("save", "output"):
        if getattr(args, option, None):
            check_output_file(getattr(args, option), "--" + option)
    if getattr(args, "plot", None):
        check_plot_file(args.plot)


def _cmd_fit(args: argparse.Namespace) -> int:
    _check_outputs(args)
    opts = _options(args)
    X, kind = load_observations(opts)
    model = _fitted(args, opts, X, kind)
    np.set_printoptions(precision=4, suppress=True)
    print(f"startprob_ = {model.startprob_}\ntransmat_ =\n{model.transmat_}")
    if kind == "categorical":
        print(f"emissionprob_ =\n{model.emissionprob_}")
    else:
        print(f"means_ =\n{model.means_}\ncovars_ ({model.covariance_type}) =\n{model._covars_}")
    llf = model.score(X, opts.lengths)
    print(f"log-likelihood {llf:.4f}; AIC {model.aic(X, opts.lengths):.2f}; "
          f"BIC {model.bic(X, opts.lengths):.2f}; free parameters {model.n_params}")
    if args.save:
        save_model(model, args.save)
        print(f"parameters saved to {args.save}")
    if args.plot:
        fig, ax = _figure(args.plot)
        ax.plot(np.arange(1, model.monitor_.iter + 1), model.monitor_.history, marker="o")
        ax.set(xlabel="EM iteration", ylabel="log-likelihood", title="Baum–Welch")
        _save(fig, args.plot)
    return 0


def _cmd_decode(args: argparse.Namespace) -> int:
    from seqlab.classical.hmm_tasks import segments

    _check_outputs(args)
    opts = _options(args)
    saved = load_model(args.model) if args.model else None  # a bad file fails before the data
    X, kind = load_observations(opts)
    model = saved if saved is not None else _fitted(args, opts, X, kind)
    log_prob, states = model.decode(X, opts.lengths, algorithm=args.algorithm)
    segs = segments(states)
    occupancy = np.bincount(states, minlength=model.n_components) / len(states)
    print(f"{args.algorithm} decoding: log-probability {log_prob:.4f}; {len(segs)} segments; "
          f"state occupancy {np.round(occupancy, 4).tolist()}")
    print(segs.head(args.max_rows).to_string(index=False))
    if len(segs) > args.max_rows:
        print(f"... {len(segs) - args.max_rows} more segments")
    if args.output:
        np.savetxt(args.output, states, fmt="%d")
        print(f"states written to {args.output}")
    if args.plot:
        post = model.predict_proba(X, opts.lengths)
        fig, ax = _figure(args.plot)
        n = min(len(states), 20_000)
        for k in range(model.n_components):
            ax.plot(post[:n, k], lw=0.6, label=f"p(state {k} | X)")
        ax.step(np.arange(n), states[:n] / max(model.n_components - 1, 1), "k", lw=0.8,
                where="post", label="decoded state (scaled)")
        ax.set(xlabel="frame", ylabel="probability", title=f"{args.algorithm} decoding")
        ax.legend(loc="upper right", fontsize="small")
        _save(fig, args.plot)
    return 0


def _cmd_sample(args: argparse.Namespace) -> int:
    _check_outputs(args)
    opts = _options(args)
    if args.model:
        model = load_model(args.model)
    else:
        X, kind = load_observations(opts)
        model = _fitted(args, opts, X, kind)
    sample, states = model.sample(args.n_samples, seed=opts.seed)
    table = np.column_stack([states, sample])
    if args.output:
        fmt = "%d" if hasattr(model, "emissionprob_") else "%.6g"
        np.savetxt(args.output, table, fmt=fmt, delimiter=",", header="state,x...")
        print(f"{args.n_samples} frames written to {args.output}")
    else:
        for row in table[:50]:
            print(",".join(f"{v:g}" for v in row))
    return 0


def _figure(path: str) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(9, 3.5))


def _save(fig: Any, path: str) -> None:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    print(f"figure saved to {path}")

