"""Benchmark: seqlab's Poisson, GMM, multinomial and full-covariance Gaussian HMMs vs hmmlearn.

Rows (same data, same starting parameters, 10 EM iterations with ``tol`` off, one process):

- PoissonHMM, K=4 states, D=3 count features, T=100,000 frames;
- GMMHMM, K=3 states, M=2 components, D=2, T=20,000 frames, diag and full covariances;
- GaussianHMM, K=4, D=3, full covariances, T=50,000 frames;
- MultinomialHMM, K=3 states, D=4 outcomes, 10 trials per frame, T=100,000 frames.

Each time is the median of ``--repeats`` interleaved runs after a warm-up (see
``benchmarks/hmm.py``); ``ratio`` is ``seqlab / fastest hmmlearn implementation`` in wall
time (goal <= 0.5) and ``llf_rel`` the relative difference of the last EM log-likelihood.
Run with one thread (``NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1``) for comparable figures.

Usage: ``python benchmarks/hmm_emissions.py [--quick] [--repeats 3] [--out PATH]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from hmm import interleaved_times
from seqlab import classical

logging.getLogger("hmmlearn").setLevel(logging.ERROR)


def _start(kind: str, rng: np.random.Generator) -> tuple[dict, dict, np.ndarray]:
    """(starting parameters, constructor extras, data) of one row."""
    if kind == "poisson":
        k, d = 4, 3
        lam = rng.uniform(0.5, 12.0, (k, d))
        states = np.repeat(rng.integers(0, k, 1000), 100)
        X = rng.poisson(lam[states]).astype(float)
        start = {"lambdas_": lam * rng.uniform(0.8, 1.2, (k, d))}
        return start, {}, X
    if kind.startswith("gmm"):
        cov = kind.split("-")[1]
        k, m, d = 3, 2, 2
        means = rng.normal(0, 4, (k, m, d))
        states = np.repeat(rng.integers(0, k, 200), 100)
        comps = rng.integers(0, m, len(states))
        X = means[states, comps] + rng.normal(0, 1, (len(states), d))
        covars = {"diag": np.ones((k, m, d)), "full": np.tile(np.eye(d), (k, m, 1, 1))}[cov]
        start = {"weights_": np.full((k, m), 1 / m), "means_": means + 0.3, "covars_": covars}
        return start, {"n_mix": m, "covariance_type": cov}, X
    if kind == "multinomial":
        k, d = 3, 4
        p = rng.dirichlet(np.ones(d), size=k)
        states = np.repeat(rng.integers(0, k, 1000), 100)
        X = np.stack([rng.multinomial(10, p[s]) for s in states])  # int: hmmlearn wants it
        start = {"emissionprob_": 0.8 * p + 0.2 / d}
        return start, {"n_trials": 10}, X
    k, d = 4, 3
    means = rng.normal(0, 3, (k, d))
    states = np.repeat(rng.integers(0, k, 500), 100)
    X = means[states] + rng.normal(0, 1, (len(states), d))
    start = {"means_": means + 0.3, "covars_": np.tile(np.eye(d) * 1.5, (k, 1, 1))}
    return start, {"covariance_type": "full"}, X


def _model(lib: Any, kind: str, start: dict, extra: dict, impl: str | None) -> Any:
    name = {"poisson": "PoissonHMM", "gauss-full": "GaussianHMM",
            "multinomial": "MultinomialHMM"}.get(kind, "GMMHMM")
    k = next(iter(start.values())).shape[0]
    kw = {"implementation": impl, "tol": -np.inf} if impl else {"tol": 0.0}
    m = getattr(lib, name)(k, n_iter=10, init_params="", **extra, **kw)
    m.startprob_ = np.full(k, 1.0 / k)
    m.transmat_ = 0.8 * np.eye(k) + 0.2 / k
    for key, value in start.items():
        setattr(m, key, value.copy())
    return m


def run(kind: str, repeats: int, quick: bool) -> dict:
    from hmmlearn import hmm

    start, extra, X = _start(kind, np.random.default_rng(0))
    if quick:
        X = X[: len(X) // 10]

    def fit(lib: Any, impl: str | None) -> Any:
        return lambda: _model(lib, kind, start, extra, impl).fit(X).monitor_.history[-1]

    wall, _, out = interleaved_times({"seqlab": fit(classical, None),
                                      "hmmlearn-log": fit(hmm, "log"),
                                      "hmmlearn-scaling": fit(hmm, "scaling")}, repeats)
    best = min(wall["hmmlearn-log"], wall["hmmlearn-scaling"])
    llf = max(abs(out["seqlab"] - out[p]) / abs(out[p])
              for p in ("hmmlearn-log", "hmmlearn-scaling"))
    return {"row": kind, "frames": len(X), **wall, "ratio": wall["seqlab"] / best,
            "llf_rel": llf}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the frames")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None, help="write the rows as JSON")
    args = parser.parse_args(argv)
    rows = []
    print(f"{'row':<12}{'frames':>8}{'seqlab':>9}{'hl-log':>9}{'hl-scal':>9}{'ratio':>7}"
          f"{'llf_rel':>10}")
    for kind in ("poisson", "gmm-diag", "gmm-full", "gauss-full", "multinomial"):
        r = run(kind, args.repeats, args.quick)
        rows.append(r)
        print(f"{r['row']:<12}{r['frames']:>8}{r['seqlab']:>9.3f}{r['hmmlearn-log']:>9.3f}"
              f"{r['hmmlearn-scaling']:>9.3f}{r['ratio']:>7.2f}{r['llf_rel']:>10.1e}")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
