"""Run the reproductions at full (paper) budget and print the paper's figure beside ours.

    python benchmarks/reproduce.py                    # every reproduction, full budget
    python benchmarks/reproduce.py --quick            # every reproduction, quick budget
    python benchmarks/reproduce.py --only adding      # one reproduction
    python benchmarks/reproduce.py --only chung2014   # JSB Chorales; needs seqlab[music]
    python benchmarks/reproduce.py --only adding --cell gru --length 500   # one run
    python benchmarks/reproduce.py --only adding --cell lstm --length 500 --gate-init constant
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
        label = f"temporal-order {cell}"
        r = temporal_order.run_cell(cell, max_sequences=b["max_sequences"], hidden=b["hidden"],
                                    n_test=b["n_test"], batch_size=b["batch_size"], lr=b["lr"],
                                    eval_every=b["eval_every"], seed=seed,
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
    ap.add_argument("--gate-init", default=None, choices=("chrono", "constant"),
                    help="adding, LSTM/GRU: gate-bias start (default: the budget's, chrono)")
    ap.add_argument("--out", default="reproduce-results")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--overhead", action="store_true", help="time the GradientMonitor")
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
    if args.cell is not None:
        single_run(args.only or "adding", args.cell, args.length, budget, args.out, args.seed,
                   args.gate_init)
        return 0
    from seqlab.reproduce import REPRODUCTIONS, run_reproduction

    names = [args.only] if args.only else list(REPRODUCTIONS)
    for name in names:
        t = time.perf_counter()
        report = run_reproduction(name, budget, seed=args.seed, out_dir=args.out)
        print(report.table())
        print(f"({name}: {time.perf_counter() - t:.0f} s wall; results in {args.out})\n",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
