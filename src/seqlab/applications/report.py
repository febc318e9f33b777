"""The report folder of ``seqlab compare``: PNG plots, ``report.md`` and ``results.json``.

Plot helpers (matplotlib, Agg backend) each save one PNG and return its path:
:func:`plot_forecasts` (forecasts vs truth on the test part), :func:`plot_states` (decoded
hidden states under a signal, with a reference track), :func:`plot_curves` (learning
curves) and :func:`plot_bars` (a metric per model). :func:`write_report` writes the
Markdown summary (one leaderboard table per task, the figures, extra sections such as
generated text) and :func:`write_json` the same numbers as JSON.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.applications._common import TaskResult

__all__ = ["format_leaderboard", "plot_bars", "plot_curves", "plot_forecasts", "plot_states",
           "write_json", "write_report"]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    _pyplot().close(fig)
    return str(path)


def plot_forecasts(path: Path, x: np.ndarray, truth: np.ndarray,
                   preds: dict[str, np.ndarray], *, title: str, ylabel: str,
                   history: tuple[np.ndarray, np.ndarray] | None = None) -> str:
    """One-step-ahead forecasts of each model (lines) against the truth (black) at ``x``;
    ``history`` (x, y) draws the end of the training data in grey."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 3.8))
    if history is not None:
        ax.plot(history[0], history[1], color="0.6", lw=1, label="training data")
    ax.plot(x, truth, color="black", lw=1.6, label="truth (test)")
    for name, p in preds.items():
        ax.plot(x, p, lw=1, alpha=0.85, label=name)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7, ncol=4, loc="best")
    return _save(fig, path)


def plot_states(path: Path, signal: np.ndarray, states: np.ndarray, *, title: str,
                signal_label: str, reference: np.ndarray | None = None,
                reference_label: str = "", state_names: Sequence[str] | None = None,
                reference_names: Sequence[str] | None = None) -> str:
    """A signal on top, the decoded states as a colour strip below it (``tab10``
    colours), and an optional reference track (recorded labels, annotated genes; ``Dark2``
    colours) as a second strip; each strip has its own legend."""
    plt = _pyplot()
    rows = 3 if reference is not None else 2
    fig, axes = plt.subplots(rows, 1, figsize=(10, 1.6 + 1.2 * rows), sharex=True,
                             gridspec_kw={"height_ratios": [3] + [1] * (rows - 1)})
    t = np.arange(len(signal))
    axes[0].plot(t, signal, color="black", lw=0.7)
    axes[0].set_ylabel(signal_label)
    axes[0].set_title(title)
    strips = [(axes[1], np.asarray(states), "tab10", "decoded", state_names)]
    if reference is not None:
        strips.append((axes[2], np.asarray(reference), "Dark2", reference_label,
                       reference_names))
    for ax, values, cmap, label, names in strips:
        ax.imshow(values[None, :], aspect="auto", cmap=cmap, vmin=0, vmax=7 if cmap ==
                  "Dark2" else 9, interpolation="nearest", extent=(0, len(values), 0, 1))
        ax.set_yticks([])
        ax.set_ylabel(label, rotation=0, ha="right")
        if names is not None:
            colors = plt.get_cmap(cmap)
            handles = [plt.Rectangle((0, 0), 1, 1, color=colors(i)) for i in
                       range(len(names))]
            ax.legend(handles, list(names), fontsize=7, loc="center left",
                      bbox_to_anchor=(1.01, 0.5), frameon=False)
    return _save(fig, path)


def plot_curves(path: Path, curves: dict[str, tuple[list[float], list[float]]], *,
                title: str, ylabel: str) -> str:
    """Training (solid) and validation (dashed) loss per epoch of each network."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for i, (name, (tr, va)) in enumerate(curves.items()):
        color = plt.get_cmap("tab10")(i)
        ep = np.arange(1, len(tr) + 1)
        ax.plot(ep, tr, color=color, label=f"{name} train")
        if len(va) and np.isfinite(va).any():
            ax.plot(ep, va, color=color, ls="--", label=f"{name} validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=7)
    return _save(fig, path)


def plot_bars(path: Path, result: TaskResult) -> str:
    """The primary metric of every model of ``result`` as a bar chart."""
    plt = _pyplot()
    rows = result.ranked()
    fig, ax = plt.subplots(figsize=(7, 0.6 + 0.4 * max(1, len(rows))))
    vals = [r.metrics.get(result.metric, float("nan")) for r in rows]
    ax.barh([r.model for r in rows][::-1], vals[::-1], color="tab:blue")
    ax.set_xlabel(result.metric + (" (higher is better)" if result.higher_is_better
                                   else " (lower is better)"))
    ax.set_title(result.title)
    return _save(fig, path)


# --------------------------------------------------------------------------- text output
def _fmt(v: Any, key: str = "") -> str:
    if isinstance(v, float):
        if not math.isfinite(v):
            # interval coverage of a model without intervals: not applicable, not missing
            return "n/a" if key.startswith("cover") else "-"
        return f"{v:.4g}"
    return str(v)


def format_leaderboard(result: TaskResult, markdown: bool = False) -> str:
    """The leaderboard of one task: rank, model, every metric, training seconds; best
    first by the primary metric (marked with ``*``)."""
    keys: list[str] = [result.metric]
    for r in result.rows:
        keys += [k for k in r.metrics if k not in keys]
    header = ["rank", "model", *[(k + "*" if k == result.metric else k) for k in keys],
              "train_s"]
    body = [[str(i + 1), r.model, *[_fmt(r.metrics.get(k, float("nan")), k) for k in keys],
             f"{r.train_seconds:.2f}"] for i, r in enumerate(result.ranked())]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in body]
        return "\n".join(lines)
    widths = [max(len(h), *(len(row[i]) for row in body)) if body else len(h)
              for i, h in enumerate(header)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in body]
    return "\n".join(lines)


def write_report(out_dir: Path, results: Sequence[TaskResult], meta: dict[str, Any]) -> Path:
    """Write ``out_dir/report.md`` (leaderboards, figures, extras); returns its path."""
    lines = ["# seqlab compare report", "",
             f"Budget `{meta.get('budget')}`, seed {meta.get('seed')}, "
             f"total wall time {meta.get('seconds', 0.0):.1f} s. Every metric is computed "
             "on a held-out part of the data that training never saw (described per task). "
             "`*` marks the metric the table is sorted by; `train_s` is the fitting time in "
             "seconds; `cover80`/`cover95` are the shares of the test targets inside a "
             "forecaster's 80 %/95 % prediction intervals (n/a: the model gives point "
             "forecasts only).", "", "| task | best model | metric | value | runner-up |",
             "|---|---|---|---|---|"]
    for r in results:
        ranked = r.ranked()
        if ranked:
            best = ranked[0]
            second = f"{ranked[1].model} ({_fmt(ranked[1].metrics.get(r.metric))})" \
                if len(ranked) > 1 else "-"
            lines.append(f"| {r.name} | {best.model} | {r.metric} | "
                         f"{_fmt(best.metrics.get(r.metric))} | {second} |")
    lines.append("")
    for r in results:
        lines += [f"## {r.title} (`{r.name}`)", "", r.description, ""]
        if r.rows:
            lines += [format_leaderboard(r, markdown=True), ""]
        for note in r.skipped:
            lines += [f"- skipped: {note}"]
        if r.skipped:
            lines.append("")
        for title, png in r.figures:
            # every figure is saved in out_dir itself: link it relative to report.md
            lines += [f"### {title}", "", f"![{title}]({Path(png).name})", ""]
        for title, text in r.extras:
            lines += [f"### {title}", "", text, ""]
    path = out_dir / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _jsonable(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, np.floating | np.integer):
        return _jsonable(v.item())
    return v


def write_json(out_dir: Path, results: Sequence[TaskResult], meta: dict[str, Any]) -> Path:
    """Write ``out_dir/results.json``: the run's settings and every leaderboard row."""
    doc = {"meta": {k: _jsonable(v) for k, v in meta.items()}, "tasks": {}}
    for r in results:
        doc["tasks"][r.name] = {
            "title": r.title, "metric": r.metric, "higher_is_better": r.higher_is_better,
            "seconds": r.seconds, "skipped": r.skipped,
            "figures": [Path(p).name for _, p in r.figures],
            "rows": [{"model": m.model, "train_seconds": m.train_seconds, "notes": m.notes,
                      "metrics": {k: _jsonable(v) for k, v in m.metrics.items()}}
                     for m in r.ranked()],
        }
    path = out_dir / "results.json"
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path
