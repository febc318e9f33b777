"""Long sequences: PoissonHMM, GMMHMM and MultinomialHMM at T = 10^6 and 10^7 frames.

For each family and length, a fresh subprocess builds the data, scores it and runs one EM
iteration from fixed parameters, and reports whether the log-likelihoods are finite, the
wall time and the peak resident memory (``ru_maxrss``). Memory is linear in T when the
bytes per frame above a T = 1,000 baseline run are the same at 10^6 and 10^7 frames
(``bytes/frame`` column). No peer here: hmmlearn's own memory is not the question.

Usage: ``NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 python benchmarks/hmm_long.py
[--lengths 1000 1000000 10000000] [--out benchmarks/results/hmm-long.json]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

_CHILD = r"""
import json, resource, sys, time
import numpy as np
from seqlab.classical import GMMHMM, MultinomialHMM, PoissonHMM

kind, T = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
states = np.repeat(rng.integers(0, 3, T // 100 + 1), 100)[:T]
if kind == "poisson":
    lam = np.array([[1.0, 5.0, 2.0], [6.0, 0.5, 3.0], [2.0, 2.0, 9.0]])
    X = rng.poisson(lam[states]).astype(float)
    m = PoissonHMM(3, n_iter=1, tol=0.0, init_params="")
    m.lambdas_ = lam * 1.1
elif kind == "gmm":
    means = rng.normal(0, 4, (3, 2, 2))
    X = means[states, rng.integers(0, 2, T)] + rng.normal(0, 1, (T, 2))
    m = GMMHMM(3, n_mix=2, n_iter=1, tol=0.0, init_params="")
    m.weights_, m.means_, m.covars_ = np.full((3, 2), 0.5), means + 0.3, np.ones((3, 2, 2))
else:
    p = np.array([[0.7, 0.1, 0.1, 0.1], [0.1, 0.7, 0.1, 0.1], [0.25, 0.25, 0.25, 0.25]])
    X = rng.multinomial(10, p[states]).astype(float)
    m = MultinomialHMM(3, n_trials=10, n_iter=1, tol=0.0, init_params="")
    m.emissionprob_ = 0.9 * p + 0.025
m.startprob_, m.transmat_ = np.full(3, 1 / 3), 0.98 * np.eye(3) + 0.02 / 3
del states
t0 = time.perf_counter()
score = m.score(X)
fit_llf = m.fit(X).monitor_.history[-1]
seconds = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
print(json.dumps({"row": kind, "T": T, "score": score, "fit_llf": fit_llf,
                  "finite": bool(np.isfinite(score) and np.isfinite(fit_llf)),
                  "seconds": seconds, "peak_rss": rss, "data_bytes": X.nbytes}))
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+",
                        default=[1_000, 1_000_000, 10_000_000])
    parser.add_argument("--out", type=Path, default=None, help="write the rows as JSON")
    args = parser.parse_args(argv)
    src = str(Path(__file__).resolve().parents[1] / "src")
    rows = []
    print(f"{'row':<12}{'T':>12}{'finite':>8}{'seconds':>9}{'peak MiB':>10}{'bytes/frame':>13}")
    for kind in ("poisson", "gmm", "multinomial"):
        base = None
        for T in args.lengths:
            res = subprocess.run([sys.executable, "-c", _CHILD, kind, str(T)], check=True,
                                 capture_output=True, text=True,
                                 env={"PYTHONPATH": src, "PATH": "/usr/bin:/bin",
                                      "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"})
            r = json.loads(res.stdout.strip().splitlines()[-1])
            if base is None:
                base = r["peak_rss"]
                r["bytes_per_frame"] = None
            else:
                r["bytes_per_frame"] = (r["peak_rss"] - base) / T
            rows.append(r)
            per = "-" if r["bytes_per_frame"] is None else f"{r['bytes_per_frame']:.0f}"
            print(f"{kind:<12}{T:>12,}{r['finite']!s:>8}{r['seconds']:>9.2f}"
                  f"{r['peak_rss'] / 2**20:>10.0f}{per:>13}", flush=True)
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
