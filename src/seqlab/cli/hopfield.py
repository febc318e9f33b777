"""``seqlab hopfield restore`` and ``seqlab hopfield capacity``.

``restore`` stores binarised digit prototypes, corrupts them (random flips and a masked
lower half) and restores them, printing the overlap of each final state with every stored
pattern. ``capacity`` runs the recall-success-versus-load experiment (Amit, Gutfreund &
Sompolinsky 1985: Hebbian breakdown near 0.138 N). Both can save a figure with ``--plot``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from seqlab.cli._dataclass_args import add_dataclass_arguments, dataclass_from_args
from seqlab.cli._paths import check_plot_file

__all__ = ["CapacityConfig", "RestoreConfig", "add_parser"]


@dataclass
class RestoreConfig:
    digits: tuple[int, ...] = field(default=(0, 1, 3, 6), metadata={"help": "digits to store"})
    rule: Literal["storkey", "hebbian"] = field(
        default="storkey", metadata={"help": "learning rule"}
    )
    update: Literal["async", "sync"] = field(default="async", metadata={"help": "recall dynamics"})
    noise: float = field(default=0.10, metadata={"help": "fraction of units flipped"})
    mask: float = field(default=0.5, metadata={"help": "fraction of units masked (bottom)"})
    seed: int = field(default=0, metadata={"help": "random seed (noise, update order)"})
    plot: str | None = field(default=None, metadata={"help": "save a figure to this file"})


@dataclass
class CapacityConfig:
    n_units: tuple[int, ...] = field(
        default=(100, 200, 500, 1000), metadata={"help": "network sizes N"}
    )
    loads: tuple[float, ...] | None = field(
        default=None, metadata={"help": "loads P/N (default 0.05, 0.06, ..., 0.25)"}
    )
    rule: Literal["hebbian", "storkey"] = field(
        default="hebbian", metadata={"help": "learning rule"}
    )
    threshold: float = field(default=0.95, metadata={"help": "overlap counted as recalled"})
    min_recalls: int = field(default=200, metadata={"help": "recalls per (N, load) cell"})
    seed: int = field(default=0, metadata={"help": "random seed"})
    plot: str | None = field(default=None, metadata={"help": "save a figure to this file"})


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``seqlab hopfield {restore,capacity}``."""
    parser = subparsers.add_parser(
        "hopfield",
        help="Hopfield associative memory: restore digits, capacity curve",
        description="Store patterns in a Hopfield network, corrupt and restore them, or "
        "measure recall success versus load P/N.",
    )
    sub = parser.add_subparsers(dest="hopfield_command", metavar="ACTION")
    p_restore = sub.add_parser("restore", help="store digit images, corrupt, restore")
    add_dataclass_arguments(p_restore, RestoreConfig)
    p_restore.set_defaults(func=_cmd_restore)
    p_cap = sub.add_parser("capacity", help="recall success versus load P/N")
    add_dataclass_arguments(p_cap, CapacityConfig)
    p_cap.set_defaults(func=_cmd_capacity)
    parser.set_defaults(func=lambda args: (parser.print_help(), 0)[1])


def _check_plot(path: str | None) -> Path | None:
    return None if path is None else check_plot_file(path)


def _ascii(row: Any) -> str:
    return "\n".join(
        "".join("#" if v > 0 else "." for v in row[r * 8 : r * 8 + 8]) for r in range(8)
    )


def _cmd_restore(args: argparse.Namespace) -> int:
    import numpy as np

    from seqlab.reservoir.experiments import digit_restoration
    from seqlab.reservoir.hopfield import HopfieldNetwork, mask_units

    cfg = dataclass_from_args(RestoreConfig, args)
    plot = _check_plot(cfg.plot)
    out = digit_restoration(cfg.digits, noise=cfg.noise, rule=cfg.rule, seed=cfg.seed)
    xi = out["patterns"]
    net = HopfieldNetwork(rule=cfg.rule, update=cfg.update, seed=cfg.seed).fit(xi)
    masked = mask_units(xi, cfg.mask)
    recalls = {"noisy": net.recall(out["noisy"]), "masked": net.recall(masked)}
    starts = {"noisy": out["noisy"], "masked": masked}
    digits = [int(d) for d in out["digits"]]
    print(f"stored digits {digits} ({xi.shape[1]} units, {cfg.rule} rule, {cfg.update} recall)")
    header = "  ".join(f"m[{d}]" for d in digits)
    for kind, rec in recalls.items():
        what = f"flip {cfg.noise:g}" if kind == "noisy" else f"mask {cfg.mask:g}"
        print(f"\n{kind} inputs ({what}):")
        print(f"digit  restored  sweeps  {header}")
        for k, d in enumerate(digits):
            ok = bool((rec.states[k] == xi[k]).all())
            ms = "  ".join(f"{m:+.2f}" for m in rec.overlaps[k])
            print(f"{d:<5d}  {ok!s:<8}  {int(rec.n_sweeps[k]):<6d}  {ms}")
    print("\nfirst digit: input -> restored (noisy, then masked)")
    for kind in ("noisy", "masked"):
        left = _ascii(starts[kind][0]).splitlines()
        right = _ascii(recalls[kind].states[0]).splitlines()
        print("\n".join(f"  {a}   ->   {b}" for a, b in zip(left, right)) + "\n")
    if plot is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        rows = [
            ("stored", xi),
            ("noisy", starts["noisy"]),
            ("restored", recalls["noisy"].states),
            ("masked", masked),
            ("restored", recalls["masked"].states),
        ]
        fig, axes = plt.subplots(
            len(rows), len(digits), figsize=(1.6 * len(digits), 8), squeeze=False
        )
        for r, (name, imgs) in enumerate(rows):
            for c in range(len(digits)):
                axes[r, c].imshow(np.asarray(imgs[c]).reshape(8, 8), cmap="gray_r")
                axes[r, c].set_xticks([])
                axes[r, c].set_yticks([])
            axes[r, 0].set_ylabel(name)
        fig.suptitle(f"Hopfield ({cfg.rule}) restoring digits")
        fig.savefig(plot, dpi=100)
        plt.close(fig)
        print(f"figure saved to {plot}")
    return 0


def _cmd_capacity(args: argparse.Namespace) -> int:
    from seqlab.reservoir.experiments import hopfield_capacity

    cfg = dataclass_from_args(CapacityConfig, args)
    plot = _check_plot(cfg.plot)
    res = hopfield_capacity(
        cfg.n_units,
        cfg.loads,
        rule=cfg.rule,
        threshold=cfg.threshold,
        min_recalls=cfg.min_recalls,
        seed=cfg.seed,
    )
    print(
        f"fraction of stored patterns recalled (final overlap >= {cfg.threshold:g}), "
        f"{cfg.rule} learning, asynchronous recall from each stored pattern"
    )
    print(res.format())
    if plot is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        ax = res.plot()
        ax.figure.savefig(plot, dpi=100)
        plt.close(ax.figure)
        print(f"figure saved to {plot}")
    return 0
