"""``seqlab data list`` and ``seqlab data show NAME [--plot FILE]``.

``list`` prints the catalogue (:data:`seqlab.data.DATASETS`) without loading any data.
``show`` calls the data set's loader, prints a summary and optionally saves a figure. The
summary and the figure are generic over what loaders return: ``pandas`` Series/DataFrame,
``str`` (text or DNA), ``dict[str, str]`` (plays, proteins), numpy arrays, tuples of arrays,
:class:`seqlab.data.SequenceSet` and dataclasses holding any of these.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.cli._paths import check_plot_file
from seqlab.exceptions import SeqlabTypeError

__all__ = ["add_parser", "data_shape", "summarize"]

_DNA = set("ACGTUN")
_MAX_PLOTTED_POINTS = 5000


# --------------------------------------------------------------------------- parser
def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``seqlab data {list,show}``."""
    parser = subparsers.add_parser(
        "data", help="list and inspect the built-in data sets",
        description="List the built-in data sets, or load one and summarise (and plot) it.",
    )
    sub = parser.add_subparsers(dest="data_command", metavar="ACTION")
    p_list = sub.add_parser("list", help="print every data set (name, domain, size, source)")
    p_list.set_defaults(func=_cmd_list)
    p_show = sub.add_parser("show", help="load one data set and print a summary")
    p_show.add_argument("name", help="data set name, as printed by `seqlab data list`")
    p_show.add_argument("--plot", metavar="FILE", default=None,
                        help="also save a figure to FILE (format from the suffix: .png, .pdf)")
    p_show.set_defaults(func=_cmd_show)
    parser.set_defaults(func=lambda args: (parser.print_help(), 0)[1])


def _catalogue() -> dict[str, Any]:
    import seqlab.data  # registers every data set (cheap: loaders read lazily)

    return seqlab.data.DATASETS


def _cmd_list(args: argparse.Namespace) -> int:
    rows = [("NAME", "DOMAIN", "SIZE", "SOURCE", "DESCRIPTION")]
    infos = sorted(_catalogue().values(), key=lambda i: (i.domain == "synthetic", i.domain,
                                                          i.name))
    rows += [(i.name, i.domain, i.size, i.source, i.description) for i in infos]
    widths = [max(len(r[k]) for r in rows) for k in range(4)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r[:4], widths)) + "  " + r[4])
    print(f"\n{len(infos)} data sets. `seqlab data show NAME [--plot FILE]` loads one.")
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    from seqlab.data import get_dataset

    _catalogue()
    info = get_dataset(args.name)
    plot_path = None if args.plot is None else check_plot_file(args.plot)
    obj = info.loader()
    print(f"{info.name}: {info.description}")
    print(f"  domain: {info.domain}; declared size: {info.size}; source: {info.source}")
    for line in summarize(obj):
        print("  " + line)
    if plot_path is not None:
        plot_data(obj, plot_path, title=f"{info.name}: {info.description}")
        print(f"figure saved to {plot_path}")
    return 0


# --------------------------------------------------------------------------- sizes
def _fields(obj: Any) -> list[tuple[str, Any]]:
    return [(f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj)]


def data_shape(obj: Any) -> tuple[int, ...]:
    """The leading dimensions of a loaded data set: ``(n_items[, width])``.

    n_items is ``len`` (Series, DataFrame, str, dict, list, SequenceSet, a dataclass with
    ``__len__``) or ``shape[0]`` (arrays); width is the number of columns (DataFrame),
    features (SequenceSet) or ``shape[1]`` (2-D or 3-D arrays: the last axis for 3-D).
    A tuple is measured by its first element, a dataclass without ``__len__`` by its first
    array field. The catalogue's declared ``size`` ("1461 days x 5 columns") must match.

    >>> data_shape(np.zeros((5, 3))), data_shape("ACGT"), data_shape((np.zeros(4), 1))
    ((5, 3), (4,), (4,))
    """
    import pandas as pd

    from seqlab.data import SequenceSet

    if isinstance(obj, SequenceSet):
        return (len(obj), obj.n_features)
    if isinstance(obj, pd.DataFrame):
        return (obj.shape[0], obj.shape[1])
    if isinstance(obj, np.ndarray):
        if obj.ndim == 0:
            return ()
        return (obj.shape[0],) if obj.ndim == 1 else (obj.shape[0], obj.shape[-1])
    if isinstance(obj, tuple) and obj:
        return data_shape(obj[0])
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        if hasattr(obj, "__len__"):
            return (len(obj),)  # type: ignore[arg-type]
        for _, value in _fields(obj):
            if isinstance(value, np.ndarray) and value.ndim >= 1:
                return data_shape(value)
        return ()
    if hasattr(obj, "__len__"):
        return (len(obj),)
    return ()


# --------------------------------------------------------------------------- summaries
def _fmt(x: Any) -> str:
    if isinstance(x, float | np.floating):
        return f"{float(x):.6g}"
    return str(x)


def _is_dna(s: str) -> bool:
    sample = s[:10000].upper()
    return bool(sample) and set(sample) <= _DNA


def _composition(s: str) -> str:
    counts = Counter(s.upper())
    n = max(len(s), 1)
    parts = [f"{b}={counts.get(b, 0) / n:.3f}" for b in "ACGT"]
    other = n - sum(counts.get(b, 0) for b in "ACGT")
    gc = (counts.get("G", 0) + counts.get("C", 0)) / n
    return f"base composition {' '.join(parts)}, other={other}; GC content {gc:.4f}"


def _describe_array(a: np.ndarray) -> list[str]:
    lines = [f"shape {a.shape}, dtype {a.dtype}"]
    if a.size and (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        flat = a.astype(np.float64).ravel()
        finite = flat[np.isfinite(flat)]
        if finite.size:
            lines.append(f"min {_fmt(finite.min())}, mean {_fmt(finite.mean())}, "
                         f"max {_fmt(finite.max())}, NaN/inf {flat.size - finite.size}")
        if a.ndim == 1:
            lines.append("first values: " + ", ".join(_fmt(v) for v in a[:6].tolist()))
        if (np.issubdtype(a.dtype, np.integer) or a.dtype == bool) and a.ndim == 1:
            values, counts = np.unique(a, return_counts=True)
            if len(values) <= 20:
                lines.append("value counts: " + ", ".join(
                    f"{v}: {c}" for v, c in zip(values.tolist(), counts.tolist())))
    return lines


def _describe_text(s: str) -> list[str]:
    if _is_dna(s):
        return [f"sequence of {len(s)} letters", _composition(s), f"starts {s[:60]!r}"]
    chars = sorted(set(s))
    return [f"{len(s)} characters, {len(s.split())} words, {len(s.splitlines())} lines",
            f"vocabulary: {len(chars)} distinct characters: {''.join(chars)!r}",
            f"starts {s[:80]!r}"]


def summarize(obj: Any) -> list[str]:
    """Lines describing a loaded data set (shape, dtype, range, a few values, labels...).

    >>> summarize(np.array([1, 2, 2]))[:1]
    ['shape (3,), dtype int64']
    """
    import pandas as pd

    from seqlab.data import SequenceSet

    if isinstance(obj, pd.Series):
        lines = [f"Series {obj.name!r}: {len(obj)} values, dtype {obj.dtype}",
                 f"index {obj.index[0]} .. {obj.index[-1]}"
                 + (f" (freq {obj.index.freqstr})" if getattr(obj.index, "freq", None) else "")]
        return lines + _describe_array(obj.to_numpy())[1:]
    if isinstance(obj, pd.DataFrame):
        lines = [f"DataFrame: {obj.shape[0]} rows x {obj.shape[1]} columns",
                 f"index {obj.index[0]} .. {obj.index[-1]}"]
        for col in obj.columns:
            s = obj[col]
            if isinstance(s.dtype, pd.CategoricalDtype):
                counts = s.value_counts(sort=False)
                lines.append(f"{col} (category): " + ", ".join(
                    f"{k}: {v}" for k, v in counts.items()))
            elif pd.api.types.is_numeric_dtype(s):
                lines.append(f"{col} ({s.dtype}): min {_fmt(s.min())}, mean {_fmt(s.mean())}, "
                             f"max {_fmt(s.max())}, missing {int(s.isna().sum())}")
            else:
                first = ", ".join(repr(v)[:30] for v in s.iloc[:3])
                lines.append(f"{col} ({s.dtype}): first values {first}")
        return lines
    if isinstance(obj, str):
        return _describe_text(obj)
    if isinstance(obj, dict) and obj and all(isinstance(v, str) for v in obj.values()):
        lengths = np.array([len(v) for v in obj.values()])
        keys = list(obj)
        lines = [f"{len(obj)} records; lengths min {lengths.min()}, median "
                 f"{int(np.median(lengths))}, max {lengths.max()}, total {lengths.sum()}",
                 f"first keys: {', '.join(keys[:4])}{' ...' if len(keys) > 4 else ''}"]
        joined = "".join(obj.values())
        if _is_dna(joined):
            lines.append(_composition(joined))
        else:
            chars = sorted(set(joined))
            lines.append(f"vocabulary: {len(chars)} distinct characters: {''.join(chars)!r}")
        return lines
    if isinstance(obj, SequenceSet):
        lengths = obj.lengths
        names = obj.label_names or tuple(str(i) for i in range(obj.n_classes))
        counts = np.bincount(obj.labels, minlength=obj.n_classes)
        return [f"{len(obj)} sequences of {obj.n_features} features, {obj.n_classes} classes",
                f"lengths min {lengths.min()}, median {int(np.median(lengths))}, "
                f"max {lengths.max()}",
                "label counts: " + ", ".join(f"{n}: {c}" for n, c in zip(names, counts)),
                *_describe_array(np.concatenate(obj.sequences))[1:2]]
    if isinstance(obj, np.ndarray):
        return _describe_array(obj)
    if isinstance(obj, tuple):
        lines = [f"tuple of {len(obj)}"]
        for i, item in enumerate(obj):
            lines += [f"[{i}] {line}" for line in summarize(item)]
        return lines
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        lines = [f"{type(obj).__name__}:"]
        for name, value in _fields(obj):
            short_text = isinstance(value, str) and not (len(value) > 200 and _is_dna(value))
            if not short_text and isinstance(
                value, np.ndarray | str | pd.DataFrame | pd.Series | SequenceSet
            ):
                sub = summarize(value)
                if isinstance(value, pd.DataFrame) and len(sub) > 4:
                    sub = [sub[0], f"columns: {', '.join(map(str, value.columns))}"]
                    if "type" in value.columns:
                        sub.append("types: " + ", ".join(
                            f"{k}: {v}" for k, v in value["type"].value_counts().items()))
                lines += [f"{name}: {line}" for line in sub]
            else:
                text = repr(value)
                lines.append(f"{name}: {text[:100]}{'...' if len(text) > 100 else ''}")
        return lines
    text = repr(obj)
    return [f"{type(obj).__name__}: {text[:200]}"]


# --------------------------------------------------------------------------- plots
def plot_data(obj: Any, path: str | Path, title: str = "") -> None:
    """Save a figure suited to ``obj`` to ``path``: a line plot for series, the first
    sequences of a sequence set, images for square patterns, composition along a genome,
    character frequencies for text."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = _figure(obj, plt)
    if title:
        fig.suptitle(title[:100], fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _figure(obj: Any, plt: Any) -> Any:
    import pandas as pd

    from seqlab.data import SequenceSet

    if isinstance(obj, pd.Series):
        fig, ax = plt.subplots(figsize=(10, 4))
        ax.plot(obj.index, obj.to_numpy(), lw=0.8)
        ax.set_ylabel(str(obj.name))
        return fig
    if isinstance(obj, pd.DataFrame):
        cols = [c for c in obj.columns if pd.api.types.is_numeric_dtype(obj[c])][:6]
        cats = [c for c in obj.columns if isinstance(obj[c].dtype, pd.CategoricalDtype)][:1]
        fig, axes = plt.subplots(len(cols) + len(cats), 1, sharex=True,
                                 figsize=(10, 1.8 * (len(cols) + len(cats)) + 1), squeeze=False)
        for ax, c in zip(axes[:, 0], cols):
            ax.plot(obj.index, obj[c].to_numpy(), lw=0.7)
            ax.set_ylabel(str(c))
        for ax, c in zip(axes[len(cols):, 0], cats):
            codes = obj[c].cat.codes.to_numpy()
            ax.scatter(obj.index, codes, c=codes, s=4, cmap="tab10")
            ax.set_yticks(range(len(obj[c].cat.categories)), list(obj[c].cat.categories))
        return fig
    if isinstance(obj, str):
        return _genome_figure(obj, None, plt) if _is_dna(obj) else _char_figure(obj, plt)
    if isinstance(obj, dict) and obj and all(isinstance(v, str) for v in obj.values()):
        joined = "".join(obj.values())
        if len(obj) > 50:  # many records (proteins): the length distribution
            fig, ax = plt.subplots(figsize=(8, 4))
            ax.hist([len(v) for v in obj.values()], bins=50)
            ax.set_xlabel("sequence length")
            ax.set_ylabel("count")
            return fig
        return _char_figure(joined, plt)
    if isinstance(obj, SequenceSet):  # the first sequence of each of the first 4 classes
        _, first = np.unique(obj.labels, return_index=True)
        picks = sorted(first.tolist())[:4]
        names = obj.label_names or tuple(str(c) for c in range(obj.n_classes))
        return _sequences_figure([obj.sequences[i] for i in picks],
                                 [names[obj.labels[i]] for i in picks], plt)
    if isinstance(obj, tuple) and obj and isinstance(obj[0], np.ndarray):
        labels = obj[1] if len(obj) > 1 and isinstance(obj[1], np.ndarray) else None
        return _array_figure(obj[0], labels, plt)
    if isinstance(obj, np.ndarray):
        return _array_figure(obj, None, plt)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        fields = dict(_fields(obj))
        seq = next((v for v in fields.values() if isinstance(v, str) and _is_dna(v)), None)
        if seq is not None:
            mask = next((v for v in fields.values() if isinstance(v, np.ndarray)
                         and v.dtype == bool and len(v) == len(seq)), None)
            return _genome_figure(seq, mask, plt)
        arrays = [v for v in fields.values() if isinstance(v, np.ndarray) and v.ndim >= 1]
        if arrays:
            labels = next((v for k, v in fields.items() if k in ("y", "labels", "target")
                           and isinstance(v, np.ndarray)), None)
            return _array_figure(arrays[0], labels, plt)
    raise SeqlabTypeError(f"seqlab data show --plot cannot draw a {type(obj).__name__}.")


def _array_figure(a: np.ndarray, labels: np.ndarray | None, plt: Any) -> Any:
    side = round(float(np.sqrt(a.shape[1]))) if a.ndim == 2 else 0
    if a.ndim == 2 and side * side == a.shape[1] and 4 <= side <= 64 and labels is not None:
        n = min(20, a.shape[0])  # square patterns: show them as images
        fig, axes = plt.subplots(2, (n + 1) // 2, figsize=(10, 2.5), squeeze=False)
        for k, ax in enumerate(axes.ravel()):
            ax.axis("off")
            if k < n:
                ax.imshow(a[k].reshape(side, side), cmap="gray_r")
                ax.set_title(str(labels[k]), fontsize=8)
        return fig
    if a.ndim == 3:
        lab = ([f"target {v:.3g}" if isinstance(v, float) else f"label {v}"
                for v in labels[:4].tolist()]
               if labels is not None and labels.ndim == 1 else [None] * 4)
        return _sequences_figure(list(a[:4]), lab, plt)
    if a.ndim == 2:
        fig, ax = plt.subplots(figsize=(10, 4))
        ax.imshow(a[:50], aspect="auto", interpolation="nearest", cmap="viridis")
        ax.set_xlabel("time step")
        ax.set_ylabel("sequence")
        return fig
    fig, ax = plt.subplots(figsize=(10, 4))
    ax.plot(a.ravel()[:_MAX_PLOTTED_POINTS], lw=0.8)
    ax.set_xlabel("t")
    return fig


def _sequences_figure(seqs: list[np.ndarray], labels: list[Any], plt: Any) -> Any:
    fig, axes = plt.subplots(len(seqs), 1, figsize=(10, 2 * len(seqs) + 0.5), squeeze=False)
    for ax, s, lab in zip(axes[:, 0], seqs, labels):
        ax.plot(np.asarray(s).reshape(len(s), -1), lw=0.8)
        ax.set_ylabel(str(lab) if lab is not None else "")
    axes[-1, 0].set_xlabel("time step")
    return fig


def _char_figure(text: str, plt: Any) -> Any:
    counts = Counter(text).most_common(40)
    fig, ax = plt.subplots(figsize=(10, 4))
    ax.bar(range(len(counts)), [c for _, c in counts])
    ax.set_xticks(range(len(counts)), [repr(ch)[1:-1] for ch, _ in counts], fontsize=7)
    ax.set_ylabel("count")
    ax.set_title(f"{len(set(text))} distinct characters (40 most frequent)", fontsize=9)
    return fig


def _genome_figure(seq: str, mask: np.ndarray | None, plt: Any) -> Any:
    from seqlab.data import encode_dna

    codes = encode_dna(seq.upper().replace("U", "T"), ambiguous="random", seed=0)
    window = max(100, len(codes) // 300)
    n = len(codes) // window
    blocks = codes[: n * window].reshape(n, window)
    centres = (np.arange(n) + 0.5) * window
    fig, ax = plt.subplots(figsize=(10, 4))
    for b, name in enumerate("ACGT"):
        ax.plot(centres, (blocks == b).mean(axis=1), lw=0.8, label=name)
    ax.plot(centres, np.isin(blocks, (1, 2)).mean(axis=1), lw=1.2, color="k", label="GC")
    if mask is not None:
        frac = mask[: n * window].reshape(n, window).mean(axis=1)
        ax.fill_between(centres, 0, frac * 0.1, color="grey", alpha=0.5,
                        label="annotated (x0.1)")
    ax.set_xlabel(f"position (bp), windows of {window}")
    ax.set_ylabel("fraction")
    ax.legend(ncol=6, fontsize=8)
    return fig
