"""benchmarks/rnn.py run several times, each in a fresh process, with medians across runs.

One run of ``rnn.py`` already takes the median over its repeats, but on a shared 2-core VM
whole runs move together (another tenant's load, the CPU's clock): 2-thread ratios at shape
(c) went 0.72-1.15 from one quiet run to the next (issue 19). This script alternates the
thread counts run by run, so slow phases hit each alike, and prints for every row that
``impl="auto"`` picks (and the torch.nn references) the median ratio across runs and its
range.

Usage: ``python benchmarks/rnn_runs.py [--runs 5] [--threads 1 2] [--out FILE]
[rnn.py options, e.g. --shapes a c]``. The JSON holds every run's rows and the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--out", type=Path, default=None)
    args, rest = parser.parse_known_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    runs: dict[int, list[list[dict]]] = {t: [] for t in args.threads}
    loads = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.runs):
            for t in args.threads:
                out = Path(tmp) / f"run{k}-t{t}.json"
                t0 = time.perf_counter()
                subprocess.run([sys.executable, str(HERE / "rnn.py"), "--threads", str(t),
                                "--out", str(out), *rest], check=True,
                               stdout=subprocess.DEVNULL)
                data = json.loads(out.read_text())
                runs[t].append(data["rows"])
                loads.append(os.getloadavg()[0])
                print(f"run {k + 1}/{args.runs} threads={t}: {time.perf_counter() - t0:.0f} s, "
                      f"load {loads[-1]:.2f}", file=sys.stderr)
    medians = []
    print(f"median over {args.runs} runs (range); ratio = ms / the goal's torch.nn ms; "
          "%bound = the time the row's matrix products alone take, in % of its time (the "
          "share of the machine's limit it reaches: compare with nn.LSTM's at that shape)")
    print(f"{'thr':>3} {'shape':>5} {'cell':<7} {'impl':<8} {'vs':<8} {'ratio':>6} "
          f"{'range':>13} {'ms':>9} {'%bound':>6}")
    for t in args.threads:
        first = runs[t][0]
        for i, row in enumerate(first):
            if not (row["auto"] or row["impl"].startswith("nn.")):
                continue
            same = [r[i] for r in runs[t]]
            assert all((s["shape"], s["cell"], s["impl"]) ==
                       (row["shape"], row["cell"], row["impl"]) for s in same)
            ratios = [s["ratio"] for s in same]
            ms = statistics.median(s["ms"] for s in same)
            bound = statistics.median(s["pct_bound"] for s in same)
            med = {"threads": t, "shape": row["shape"], "cell": row["cell"],
                   "impl": row["impl"], "vs": row["vs"], "ratio_median": statistics.median(ratios),
                   "ratio_min": min(ratios), "ratio_max": max(ratios), "ms_median": ms,
                   "pct_bound_median": bound, "ratios": ratios}
            medians.append(med)
            if row["impl"].startswith("nn.") and row["impl"] != row["vs"]:
                continue  # nn.RNN timed again in the leaky/skip rounds: shown once
            # (a torch.nn row's %bound is against its own cell's products, except nn.RNN's
            # in the skip round, which is against skip's two a step: not printed, above)
            print(f"{t:>3} {row['shape']:>5} {row['cell']:<7} {row['impl']:<8} {row['vs']:<8} "
                  f"{med['ratio_median']:6.2f} {min(ratios):6.2f}-{max(ratios):<6.2f} "
                  f"{ms:9.2f} {bound:6.0f}")
    if args.out:
        args.out.write_text(json.dumps({
            "runs": args.runs, "threads": args.threads, "rnn_args": rest,
            "loadavg_after_each_run": loads, "medians": medians,
            "rows": {str(t): runs[t] for t in args.threads}}, indent=1))


if __name__ == "__main__":
    main()
