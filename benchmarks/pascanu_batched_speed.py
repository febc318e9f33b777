"""Throughput of the batched Pascanu trainer against single runs (issue 18).

    python benchmarks/pascanu_batched_speed.py [--length 100] [--updates 40] [--repeats 3]

Network-updates per second at one torch thread for ``pascanu.run_setting`` (one network,
autograd) and ``_pascanu_batched.train_seeds`` with K = 1, 10 and 20 networks, SGD-C and
SGD-CR, measured interleaved (round-robin, ``repeats`` rounds, the median kept) so that the
load of the shared machine hits all alike; the load average is recorded. Writes
``benchmarks/results/pascanu-batched-speed.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch


def main() -> None:
    from seqlab.reproduce import _pascanu_batched as bt
    from seqlab.reproduce import pascanu

    ap = argparse.ArgumentParser()
    ap.add_argument("--length", type=int, default=100)
    ap.add_argument("--updates", type=int, default=40)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(1)
    T, n = args.length, args.updates
    variants = ["single", 1, 10, 20]
    times: dict[str, list[float]] = {}
    load = [os.getloadavg()]
    for name in ("SGD-C (clip 1)", "SGD-CR (clip 1, alpha 2)"):
        pascanu.run_setting(name, 0, length=T, max_updates=5, n_test=10)  # warm up
        for _ in range(args.repeats):
            for v in variants:
                t = time.perf_counter()
                if v == "single":
                    pascanu.run_setting(name, 0, length=T, max_updates=n, n_test=10,
                                        eval_every=10**9)
                    k = 1
                else:
                    k = int(v)
                    bt.train_seeds(name, list(range(k)), length=T, max_updates=n, n_test=10,
                                   stop_after=n)
                per = k * n / (time.perf_counter() - t)
                times.setdefault(f"{name} | {v}", []).append(per)
        load.append(os.getloadavg())
    rows = []
    for key, vals in times.items():
        name, v = key.split(" | ")
        single = float(np.median(times[f"{name} | single"]))
        med = float(np.median(vals))
        rows.append({"setting": name, "trainer": "run_setting" if v == "single" else f"K={v}",
                     "net_updates_per_s": round(med, 1),
                     "speedup_vs_single": round(med / single, 2)})
        print(f"{name:<26} {rows[-1]['trainer']:<12} {med:8.1f} net-updates/s "
              f"({med / single:4.1f}x)")
    out = Path(__file__).resolve().parent / "results" / "pascanu-batched-speed.json"
    out.write_text(json.dumps({"length": T, "updates_per_measurement": n,
                               "repeats": args.repeats, "torch_threads": 1,
                               "load_avg": load, "rows": rows}, indent=1), encoding="utf-8")
    print(f"-> {out}")


if __name__ == "__main__":
    main()
