"""``seqlab esn``: fit an echo state network to a bundled series, then forecast or generate.

The first ``--train`` values train a one-step-ahead ESN (input ``u_t = s_t``, target
``s_{t+1}``, washout dropped). ``--mode forecast`` predicts each of the next ``--steps``
values from the true past (open loop); ``--mode generate`` runs free, feeding each
prediction back as the next input (closed loop). Prints NRMSE against the truth; ``--plot``
saves truth and prediction.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any, Literal

from seqlab.cli._dataclass_args import add_dataclass_arguments, dataclass_from_args
from seqlab.cli._paths import check_plot_file
from seqlab.exceptions import SeqlabValueError

__all__ = ["ESNConfig", "add_parser"]


@dataclass
class ESNConfig:
    series: Literal["mackey_glass", "sunspots"] = field(
        default="mackey_glass", metadata={"help": "bundled series (Mackey-Glass tau=17, "
                                                  "yearly sunspots 1700-2008)"})
    mode: Literal["generate", "forecast"] = field(
        default="generate", metadata={"help": "closed-loop generation or one-step forecasts"})
    train: int = field(default=2000, metadata={"help": "training steps (from the start)"})
    steps: int = field(default=300, metadata={"help": "steps to predict after training"})
    n_units: int = field(default=500, metadata={"help": "reservoir size N"})
    spectral_radius: float = field(default=1.0, metadata={"help": "spectral radius of W"})
    connectivity: float = field(default=0.02, metadata={"help": "fraction of nonzero W"})
    leak_rate: float = field(default=0.3, metadata={"help": "leak rate a in (0, 1]"})
    input_scaling: float = field(default=1.0, metadata={"help": "scale of W_in"})
    bias_scaling: float = field(default=0.2, metadata={"help": "scale of the bias b"})
    ridge: float = field(default=1e-8, metadata={"help": "ridge penalty of the readout"})
    washout: int = field(default=100, metadata={"help": "initial steps not fitted"})
    seed: int = field(default=0, metadata={"help": "random seed of the reservoir"})
    plot: str | None = field(default=None, metadata={"help": "save a figure to this file"})


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``seqlab esn``."""
    parser = subparsers.add_parser(
        "esn", help="echo state network: fit, forecast or generate a bundled series",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    add_dataclass_arguments(parser, ESNConfig)
    parser.set_defaults(func=_cmd_esn)


def _load(cfg: ESNConfig) -> Any:
    import numpy as np

    if cfg.series == "mackey_glass":
        from seqlab.data.synthetic import mackey_glass

        return mackey_glass(cfg.train + cfg.steps + 1, discard=500.0)
    from seqlab.data.classic import load_sunspots

    return np.asarray(load_sunspots(), dtype=np.float64)


def _cmd_esn(args: argparse.Namespace) -> int:
    import time

    import numpy as np

    from seqlab.reservoir.esn import EchoStateNetwork, nrmse

    cfg = dataclass_from_args(ESNConfig, args)
    plot = None if cfg.plot is None else check_plot_file(cfg.plot)
    if cfg.train < 2 or cfg.steps < 1:
        raise SeqlabValueError(
            f"--train must be >= 2 and --steps >= 1; got {cfg.train}, {cfg.steps}."
        )
    raw = _load(cfg)
    if cfg.train + cfg.steps + 1 > len(raw):
        raise SeqlabValueError(
            f"the {cfg.series} series has {len(raw)} values; --train + --steps must be at "
            f"most {len(raw) - 1} (got {cfg.train} + {cfg.steps})."
        )
    lo, hi = raw[: cfg.train].min(), raw[: cfg.train].max()
    s = 2 * (raw - lo) / (hi - lo) - 1  # scale with training statistics only

    esn = EchoStateNetwork(
        cfg.n_units, spectral_radius=cfg.spectral_radius, connectivity=cfg.connectivity,
        leak_rate=cfg.leak_rate, input_scaling=cfg.input_scaling, bias_scaling=cfg.bias_scaling,
        ridge=cfg.ridge, washout=cfg.washout, seed=cfg.seed,
    )
    t0 = time.perf_counter()
    esn.fit(s[: cfg.train - 1], s[1 : cfg.train])
    fit_s = time.perf_counter() - t0
    truth = s[cfg.train : cfg.train + cfg.steps]
    t0 = time.perf_counter()
    if cfg.mode == "generate":
        pred = esn.generate(cfg.steps)
    else:  # open loop: the true value of each step drives the next prediction
        pred = esn.predict(s[: cfg.train + cfg.steps - 1])[cfg.train - 1 :]
    pred_s = time.perf_counter() - t0
    err = nrmse(truth, pred)
    print(f"{cfg.series}: trained on {cfg.train} steps ({cfg.n_units} units, rho="
          f"{cfg.spectral_radius:g}, leak={cfg.leak_rate:g}) in {fit_s:.3f} s; "
          f"training R^2 = {esn.score(s[: cfg.train - 1], s[1 : cfg.train]):.6f}")
    print(f"{cfg.mode} {cfg.steps} steps in {pred_s:.3f} s: NRMSE = {err:.3e} "
          f"(log10 {np.log10(err):.2f})")
    for h in (1, 10, 50, 100, 200):
        if h <= cfg.steps:
            print(f"  step {h:>3d}: truth {truth[h - 1]:+.5f}  prediction {pred[h - 1]:+.5f}")
    if plot is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(9, 3.5))
        t = np.arange(cfg.train, cfg.train + cfg.steps)
        ax.plot(t, truth, "k-", lw=1.2, label="truth")
        ax.plot(t, pred, "r--", lw=1.2, label=f"ESN {cfg.mode}")
        ax.set_xlabel("time step")
        ax.set_ylabel(f"{cfg.series} (scaled to [-1, 1])")
        ax.set_title(f"Echo state network, {cfg.mode}: NRMSE {err:.2e}")
        ax.legend()
        fig.tight_layout()
        fig.savefig(plot, dpi=100)
        plt.close(fig)
        print(f"figure saved to {plot}")
    return 0
