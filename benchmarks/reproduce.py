"""Run the reproductions at full (paper) budget and print the paper's figure beside ours.

    python benchmarks/reproduce.py                    # every reproduction, full budget
    python benchmarks/reproduce.py --quick            # every reproduction, quick budget
    python benchmarks/reproduce.py --only adding      # one reproduction
    python benchmarks/reproduce.py --only chung2014   # JSB Chorales; needs seqlab[music]
    python benchmarks/reproduce.py --only adding --cell gru --length 500   # one run
    python benchmarks/reproduce.py --only adding --cell lstm --length 500 --gate-init constant
    python benchmarks/reproduce.py --only temporal-order --cell gru --gate-init default
    python benchmarks/reproduce.py --sweep-gru-temporal-order   # issue 18: why GRU solves 6a
    python benchmarks/reproduce.py --pascanu-long     # Pascanu at T=100, 40,000 updates
    python benchmarks/reproduce.py --overhead         # cost of the GradientMonitor callback
    python benchmarks/reproduce.py --record           # refresh seqlab/reproduce/_recorded.py

``--record`` rebuilds the table ``seqlab reproduce --list`` shows (paper beside ours) from the
full-budget results committed in ``benchmarks/results/*-full.json``; copy a new
``<name>-full.json`` there first.

Single runs (``--cell``; adding and temporal-order) let the full budget be spread over
several processes; each run logs its learning curve as it goes and writes a JSON file.
Results go to ``--out`` (default ``reproduce-results``). Threads: 1 per process (torch).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def single_run(name: str, cell: str, length: int | None, budget: str, out: str, seed: int,
               gate_init: str | None = None) -> None:
    """One cell of one reproduction; ``gate_init``: adding "chrono"/"constant",
    temporal-order "constant" (its default, +3 / +1), "chrono" or "default" (no bias)."""
    from seqlab.reproduce import adding, temporal_order
    from seqlab.reproduce._train import progress_printer

    if name == "adding":
        b = adding.BUDGETS[budget]
        T = length or b["lengths"][0]
        label = f"adding {cell} T={T}" + (f" {gate_init}" if gate_init else "")
        n_max = b["max_sequences"]
        n_max = n_max[T] if isinstance(n_max, dict) else n_max
        r = adding.run_cell(cell, T, max_sequences=n_max, hidden=b["hidden"],
                            n_test=b["n_test"], batch_size=b["batch_size"], lr=b["lr"],
                            eval_every=b["eval_every"], seed=seed,
                            gate_init=gate_init or b["gate_init"],
                            on_eval=progress_printer(label, sys.stdout))
        paper = adding.PAPER.get(T)
    elif name == "temporal-order":
        b = temporal_order.BUDGETS[budget]
        label = f"temporal-order {cell}" + (f" {gate_init}" if gate_init else "")
        r = temporal_order.run_cell(cell, max_sequences=b["max_sequences"], hidden=b["hidden"],
                                    n_test=b["n_test"], batch_size=b["batch_size"], lr=b["lr"],
                                    eval_every=b["eval_every"], seed=seed,
                                    gate_bias=0.0 if gate_init == "default" else None,
                                    chrono=gate_init == "chrono",
                                    on_eval=progress_printer(label, sys.stdout))
        paper = temporal_order.PAPER
    else:
        raise SystemExit("--cell works with --only adding or --only temporal-order")
    os.makedirs(out, exist_ok=True)
    stem = label.replace(" ", "_").replace("=", "") + (f"_seed{seed}" if seed else "")
    path = os.path.join(out, f"{stem}-{budget}.json")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump({"paper_lstm": paper, **r.as_dict()}, fh, indent=1)
    state = "solved" if r.solved else "NOT solved"
    print(f"{label}: {state}, {r.test_errors}/{r.n_test} wrong after {r.sequences:,} sequences, "
          f"{r.wall_time_s:.0f} s (paper LSTM: {paper}) -> {path}")


#: issue 18's sweep: (label, run_cell keywords, seeds); budget 64,000 = 4x GRU's 16,000
GRU_SWEEP: list[tuple[str, dict[str, object], tuple[int, ...]]] = [
    ("gru update bias +1", {"cell": "gru"}, (0, 1, 2, 3, 4)),
    ("lstm forget bias +3", {"cell": "lstm"}, (0, 1, 2, 3, 4)),
    ("gru default init", {"cell": "gru", "gate_bias": 0.0}, (0, 1, 2)),
    ("lstm default init", {"cell": "lstm", "gate_bias": 0.0}, (0, 1, 2)),
    ("gru default init, 160k seqs", {"cell": "gru", "gate_bias": 0.0, "max_sequences": 160_000},
     (0,)),
    ("gru update bias +3", {"cell": "gru", "gate_bias": 3.0}, (0, 1, 2)),
    ("gru chrono 110", {"cell": "gru", "chrono": True}, (0, 1, 2)),
    ("gru orthogonal W_hh, bias +1", {"cell": "gru", "recurrent_init": "orthogonal"},
     (0, 1, 2)),
    ("gru bias +1, lr 1e-3", {"cell": "gru", "lr": 1e-3}, (0, 1, 2)),
    ("gru bias +1, lr 1e-2", {"cell": "gru", "lr": 1e-2}, (0, 1, 2)),
    ("gru bias +1, H=16", {"cell": "gru", "hidden": 16}, (0, 1, 2)),
    ("gru bias +1, H=64", {"cell": "gru", "hidden": 64}, (0, 1, 2)),
]


def gru_sweep(out: str) -> None:
    """Issue 18: temporal order 6a, GRU against LSTM over seeds, keeping-gate starts, learning
    rates and hidden sizes (the full budget's settings otherwise: Adam lr 3e-3, clip 1,
    batches of 16, 2560 test sequences, stop at <= 1 wrong), 64,000 sequences per run.
    Writes ``<out>/temporal-order-gru-sweep.json`` (every run, its learning curve, its
    gradient reach at initialisation and trained, the load average) and prints a summary."""
    import numpy as np

    from seqlab.reproduce import temporal_order

    runs, summary = [], []
    t_all = time.perf_counter()
    for label, kw, seeds in GRU_SWEEP:
        opts: dict = {"max_sequences": 64_000, "hidden": 32, "lr": 3e-3, **kw}
        cell = opts.pop("cell")
        done = []
        for seed in seeds:
            r = temporal_order.run_cell(cell, seed=seed, **opts)
            model_params = {"lstm": 4, "gru": 3}[cell] * opts["hidden"] * (8 + opts["hidden"] + 2)
            rec = {"variant": label, "seed": seed, **kw, "params_rnn": model_params,
                   "load_avg": os.getloadavg(), **r.as_dict()}
            runs.append(rec)
            done.append(rec)
            print(f"{label:<32} seed {seed}: {'solved' if r.solved else 'NOT solved'}, "
                  f"{r.test_errors}/2560 wrong after {r.sequences:,} ({r.wall_time_s:.0f} s, "
                  f"reach init {r.extra['reach_init']:.1e}, trained "
                  f"{r.extra['gradient_reach']:.1e}, load {os.getloadavg()[0]:.1f})", flush=True)
        solved = [d["sequences"] for d in done if d["solved"]]
        summary.append({"variant": label, "solved": len(solved), "runs": len(done),
                        "sequences_median": float(np.median(solved)) if solved else None,
                        "sequences_range": [min(solved), max(solved)] if solved else None,
                        "reach_init_median": float(np.median([d["reach_init"] for d in done]))})
    print(f"\n{'variant':<32} {'solved':>7} {'median seqs':>12} {'range':>16} {'reach@init':>11}")
    for s_ in summary:
        rng = "-" if s_["sequences_range"] is None else "{:,}-{:,}".format(*s_["sequences_range"])
        med = "-" if s_["sequences_median"] is None else f"{s_['sequences_median']:,.0f}"
        print(f"{s_['variant']:<32} {s_['solved']:>3}/{s_['runs']:<3} {med:>12} {rng:>16} "
              f"{s_['reach_init_median']:>11.1e}")
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "temporal-order-gru-sweep.json")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump({"name": "temporal-order-gru-sweep", "torch_threads": 1,
                   "wall_time_s": round(time.perf_counter() - t_all, 1),
                   "summary": summary, "runs": runs}, fh, indent=1)
    print(f"-> {path}")


def overhead(repeats: int = 3) -> None:
    """Time a training run with and without the GradientMonitor sampled every N steps.

    CPU time of this process (``time.process_time``, 1 torch thread), so that other work on
    the machine does not blur the ratio; the median of ``repeats`` runs.
    """
    import numpy as np
    import torch

    from seqlab.data.synthetic import adding_problem
    from seqlab.diagnostics import GradientMonitor
    from seqlab.reproduce import adding

    X, _lengths, y = adding_problem(16, 100, seed=0)
    probe_x = torch.from_numpy(X[:, :100])
    yt = torch.from_numpy(y)

    def loss(p: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.mse_loss(p[:, 0], yt)

    print(f"{'cell':<6} {'every':>6} {'plain cpu s':>11} {'monitored':>10} {'overhead':>9}")
    for cell in ("lstm", "elman"):
        for every in (20, 100):
            plain, mon = [], []
            for _ in range(repeats):
                t = time.process_time()
                adding.run_cell(cell, 100, max_sequences=12_800, hidden=32, n_test=200,
                                eval_every=10**9)
                plain.append(time.process_time() - t)
                m = GradientMonitor(probe_x, loss, every=every)
                t = time.process_time()
                adding.run_cell(cell, 100, max_sequences=12_800, hidden=32, n_test=200,
                                eval_every=10**9, callback=m)
                mon.append(time.process_time() - t)
            p, q = float(np.median(plain)), float(np.median(mon))
            print(f"{cell:<6} {every:>6} {p:>11.2f} {q:>10.2f} {q / p - 1:>8.1%}")


def record() -> None:
    """Write src/seqlab/reproduce/_recorded.py from benchmarks/results/*-full.json."""
    from pathlib import Path

    from seqlab.reproduce._recorded_gen import recorded_from_reports, render_module

    root = Path(__file__).resolve().parent
    target = root.parent / "src" / "seqlab" / "reproduce" / "_recorded.py"
    rec = recorded_from_reports(sorted((root / "results").glob("*-full.json")))
    target.write_text(render_module(rec), encoding="utf-8")
    print(f"{target}: {', '.join(rec)}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="quick budgets instead of full")
    ap.add_argument("--only", default=None, help="run only this reproduction")
    ap.add_argument("--cell", default=None, help="one cell only (adding, temporal-order)")
    ap.add_argument("--length", type=int, default=None, help="adding: the minimal length T")
    ap.add_argument("--gate-init", default=None, choices=("chrono", "constant", "default"),
                    help="LSTM/GRU keeping-gate start (adding: chrono or constant, default "
                         "chrono; temporal-order: constant, chrono or default = no bias, "
                         "default constant)")
    ap.add_argument("--sweep-gru-temporal-order", action="store_true",
                    help="issue 18: GRU vs LSTM on temporal order over seeds and inits")
    ap.add_argument("--out", default="reproduce-results")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--overhead", action="store_true", help="time the GradientMonitor")
    ap.add_argument("--pascanu-long", action="store_true",
                    help="issue 18: Pascanu at T=100 with 40,000 updates per run (~1.5 h)")
    ap.add_argument("--record", action="store_true",
                    help="rebuild seqlab/reproduce/_recorded.py from benchmarks/results")
    args = ap.parse_args(argv)
    if args.record:
        record()
        return 0

    import torch

    torch.set_num_threads(1)
    budget = "quick" if args.quick else "full"
    if args.overhead:
        overhead(1 if args.quick else 3)
        return 0
    if args.pascanu_long:
        from seqlab.reproduce import pascanu

        report = pascanu.run("long", seed=args.seed)
        report.settings["load_avg_at_end"] = os.getloadavg()
        report.save(args.out)
        print(report.table())
        return 0
    if args.sweep_gru_temporal_order:
        gru_sweep(args.out)
        return 0
    if args.cell is not None:
        single_run(args.only or "adding", args.cell, args.length, budget, args.out, args.seed,
                   args.gate_init)
        return 0
    from seqlab.reproduce import REPRODUCTIONS, run_reproduction

    names = [args.only] if args.only else list(REPRODUCTIONS)
    for name in names:
        t = time.perf_counter()
        report = run_reproduction(name, budget, seed=args.seed)
        report.settings["load_avg_at_end"] = os.getloadavg()  # 2 shared cores: how loaded
        report.save(args.out)
        print(report.table())
        print(f"({name}: {time.perf_counter() - t:.0f} s wall; results in {args.out})\n",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
