"""Benchmark: seqlab's HMMs against hmmlearn (``log`` and ``scaling``) and pomegranate.

Rows (same data, same starting parameters, one process):

- Gaussian HMM, K=4 states, D=3 features (diag covariances), one sequence of T=100,000:
  10 Baum–Welch iterations, ``score`` and Viterbi;
- categorical HMM, K=2 states, 4 symbols, one sequence of T=1,000,000: the same three;
- Gaussian, K=4, D=3, 200 sequences of 500 frames (``lengths``): 10 EM iterations, to show
  the parallel-over-sequences path (1 vs 2 threads).

Each time is the median of ``--repeats`` runs after a warm-up (numba compiles once), the
contenders interleaved. The ratio column is ``seqlab_time / fastest_peer_time`` in wall-clock
time (the goal is <= 0.5); ``cpu rat`` is the same against hmmlearn in CPU time, which a busy
shared machine disturbs much less (meaningful for the 1-thread rows); the llf column is
the largest relative difference between seqlab's log-likelihood and each peer's on that row
(EM: the log-likelihood of the last E-step, which needs the same 10 iterations). pomegranate
(torch, a Python loop over time steps) is slow on long sequences: with ``--pomegranate-max``
frames or fewer it runs the full row, otherwise the row's data is cut to that many frames and
the time is scaled up linearly (marked ``*``); its EM also learns end probabilities, so its
EM log-likelihood differs (only its ``score`` is comparable; it gets ``ends`` = 1).

Usage: ``python benchmarks/hmm.py [--quick] [--repeats 3] [--threads 1 2] [--out PATH]``
(``--out``: the rows as JSON, each with the load average when it ended, e.g.
``benchmarks/results/hmm.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.classical import CategoricalHMM, GaussianHMM


def interleaved_times(fns: dict[str, Callable[[], Any]], repeats: int
                      ) -> tuple[dict[str, float], dict[str, float], dict[str, Any]]:
    """Median wall-clock and CPU seconds of each function, run in rotating order.

    Each function runs once as a warm-up (numba compiles, caches fill); then every repeat
    runs all of them, the order rotated each time, so a burst of load from other processes
    hits every contender alike. CPU time (``time.process_time``) is much less sensitive to
    other processes than wall time on a shared machine (it counts all threads, so use it
    for 1-thread runs).
    """
    names = list(fns)
    out = {name: fns[name]() for name in names}
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names):] + names[: r % len(names)]:
            w0, c0 = time.perf_counter(), time.process_time()
            out[name] = fns[name]()
            wall[name].append(time.perf_counter() - w0)
            cpu[name].append(time.process_time() - c0)
    return ({n: statistics.median(v) for n, v in wall.items()},
            {n: statistics.median(v) for n, v in cpu.items()}, out)


def make_gaussian(n_frames: int, seed: int = 0) -> tuple[dict, dict, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = GaussianHMM(4, covariance_type="diag")
    truth.startprob_ = np.full(4, 0.25)
    truth.transmat_ = 0.9 * np.eye(4) + 0.025
    truth.means_ = rng.normal(0, 3, (4, 3))
    truth.covars_ = rng.uniform(0.5, 2.0, (4, 3))
    X, _ = truth.sample(n_frames, seed=rng)
    start = {  # a perturbed truth, the same start for everyone
        "startprob_": np.full(4, 0.25),
        "transmat_": 0.7 * np.eye(4) + 0.075,
        "means_": truth.means_ + rng.normal(0, 0.5, (4, 3)),
        "covars_": np.full((4, 3), 1.5),
    }
    return start, {"covariance_type": "diag"}, X


def make_categorical(n_frames: int, seed: int = 0) -> tuple[dict, dict, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = CategoricalHMM(2)
    truth.startprob_ = np.array([0.5, 0.5])
    truth.transmat_ = np.array([[0.99, 0.01], [0.02, 0.98]])
    truth.emissionprob_ = np.array([[0.3, 0.2, 0.2, 0.3], [0.15, 0.35, 0.35, 0.15]])
    X, _ = truth.sample(n_frames, seed=rng)
    start = {
        "startprob_": np.array([0.5, 0.5]),
        "transmat_": np.array([[0.9, 0.1], [0.1, 0.9]]),
        "emissionprob_": np.array([[0.28, 0.22, 0.22, 0.28], [0.2, 0.3, 0.3, 0.2]]),
    }
    return start, {"n_features": 4}, X


def seqlab_model(kind: str, start: dict, extra: dict, n_iter: int = 10) -> Any:
    cls = GaussianHMM if kind == "gauss" else CategoricalHMM
    m = cls(start["startprob_"].size, n_iter=n_iter, tol=0.0, init_params=(), **extra)
    for k, v in start.items():
        setattr(m, k, v.copy())
    return m


def hmmlearn_model(kind: str, start: dict, extra: dict, impl: str, n_iter: int = 10) -> Any:
    from hmmlearn import hmm

    cls = hmm.GaussianHMM if kind == "gauss" else hmm.CategoricalHMM
    m = cls(start["startprob_"].size, n_iter=n_iter, tol=-np.inf, init_params="",
            implementation=impl, **extra)
    for k, v in start.items():
        setattr(m, k, v.copy())
    return m


def pomegranate_model(kind: str, start: dict, n_iter: int = 10) -> Any:
    import torch
    from pomegranate.distributions import Categorical, Normal
    from pomegranate.hmm import DenseHMM

    def t32(a: Any) -> Any:  # pomegranate mixes float32 internally: give it float32
        return torch.tensor(np.asarray(a), dtype=torch.float32)

    if kind == "gauss":
        dists = [Normal(t32(m), t32(c), covariance_type="diag")
                 for m, c in zip(start["means_"], start["covars_"])]
    else:
        dists = [Categorical(t32(p[None, :])) for p in start["emissionprob_"]]
    k = start["startprob_"].size
    return DenseHMM(dists, edges=t32(start["transmat_"]), starts=t32(start["startprob_"]),
                    ends=t32(np.ones(k)), max_iter=n_iter, tol=0.0)


def run_row(name: str, kind: str, start: dict, extra: dict, X: np.ndarray, lengths: Any,
            task: str, repeats: int, pom_max: int, use_pom: bool) -> dict:
    Xh = X.reshape(len(X), -1)
    row: dict[str, Any] = {"row": name, "task": task}

    def ours() -> float:
        m = seqlab_model(kind, start, extra)
        if task == "fit":
            return m.fit(X, lengths).monitor_.history[-1]
        if task == "score":
            return m.score(X, lengths)
        return m.decode(X, lengths)[0]

    def peer(impl: str) -> Callable[[], float]:
        def f() -> float:
            m = hmmlearn_model(kind, start, extra, impl)
            if task == "fit":
                return m.fit(Xh, lengths).monitor_.history[-1]
            if task == "score":
                return m.score(Xh, lengths)
            return m.decode(Xh, lengths, algorithm="viterbi")[0]
        return f

    wall, cpu, out = interleaved_times(
        {"seqlab": ours, "hmmlearn-log": peer("log"), "hmmlearn-scaling": peer("scaling")},
        repeats)
    row.update(wall)
    llf = out["seqlab"]
    row["llf_rel"] = max(abs(llf - out[k]) / abs(out[k]) for k in ("hmmlearn-log",
                                                                   "hmmlearn-scaling"))
    row["pomegranate"] = None
    if use_pom:
        row["pomegranate"], row["pom_scaled"] = run_pomegranate(kind, start, Xh, lengths, task,
                                                                 pom_max)
    peers = [row["hmmlearn-log"], row["hmmlearn-scaling"]]
    peers += [row["pomegranate"]] if row["pomegranate"] else []
    row["ratio"] = row["seqlab"] / min(peers)
    row["cpu_ratio"] = cpu["seqlab"] / min(cpu["hmmlearn-log"], cpu["hmmlearn-scaling"])
    row["loadavg"] = list(os.getloadavg())  # 1, 5, 15 min: how busy the machine was
    return row


def run_pomegranate(kind: str, start: dict, Xh: np.ndarray, lengths: Any, task: str,
                    pom_max: int) -> tuple[float | None, bool]:
    try:
        import torch
    except ImportError:
        return None, False
    if lengths is not None and len(set(np.asarray(lengths).tolist())) == 1:
        seqs = Xh.reshape(len(lengths), -1, Xh.shape[1])
    else:
        seqs = Xh[None]
    n_frames = seqs.shape[1]
    scale = 1.0
    if n_frames > pom_max:
        seqs = seqs[:, :pom_max]
        scale = n_frames / pom_max
    data = torch.tensor(seqs.astype(np.float32) if kind == "gauss" else seqs.astype(np.int64))

    def f() -> Any:
        m = pomegranate_model(kind, start)
        if task == "fit":
            return m.fit(data)
        if task == "score":
            return m.log_probability(data)
        return m.viterbi(data)

    t0 = time.perf_counter()
    try:
        f()  # one run only: pomegranate is slow
    except Exception as err:  # pragma: no cover - report, do not hide
        print(f"  pomegranate failed on {kind}/{task}: {type(err).__name__}: {err}")
        return None, False
    return (time.perf_counter() - t0) * scale, scale > 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--pomegranate-max", type=int, default=10_000,
                        help="frames above which pomegranate runs on a cut and is scaled up")
    parser.add_argument("--no-pomegranate", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="write the rows as JSON")
    args = parser.parse_args()
    results: list[dict] = []
    import numba
    from threadpoolctl import threadpool_limits

    t_gauss, t_cat, n_seq, seq_len = 100_000, 1_000_000, 200, 500
    if args.quick:
        t_gauss, t_cat, n_seq, seq_len, args.repeats = 2_000, 5_000, 10, 100, 1
        args.pomegranate_max = 500
    use_pom = not args.no_pomegranate
    if use_pom:
        try:
            import pomegranate  # noqa: F401
        except Exception as err:  # pragma: no cover - optional peer
            print(f"pomegranate not run: {type(err).__name__}: {err}")
            use_pom = False
    warnings.filterwarnings("ignore")
    g_start, g_extra, g_X = make_gaussian(t_gauss)
    c_start, c_extra, c_X = make_categorical(t_cat)
    m_start, m_extra, m_X = make_gaussian(n_seq * seq_len, seed=1)
    m_len = [seq_len] * n_seq
    rows = [
        (f"gauss K=4 D=3 T={t_gauss:,}", "gauss", g_start, g_extra, g_X, None),
        (f"categ K=2 M=4 T={t_cat:,}", "categ", c_start, c_extra, c_X, None),
        (f"gauss K=4 {n_seq}x{seq_len}", "gauss", m_start, m_extra, m_X, m_len),
    ]
    header = (f"{'row':<26}{'task':<8}{'thr':>4}{'seqlab':>10}{'hl-log':>10}{'hl-scal':>10}"
              f"{'pomegr.':>11}{'ratio':>8}{'cpu rat':>8}{'llf rel':>10}")
    print(header)
    print("-" * len(header))
    for threads in args.threads:
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        try:
            import torch
            torch.set_num_threads(threads)
        except ImportError:  # pragma: no cover
            pass
        with threadpool_limits(threads):
            for name, kind, start, extra, X, lengths in rows:
                for task in ("fit", "score", "viterbi"):
                    if lengths is not None and task != "fit":
                        continue
                    r = run_row(name, kind, start, extra, X, lengths, task, args.repeats,
                                args.pomegranate_max, use_pom)
                    results.append({**r, "threads": threads})
                    pom = "-" if r["pomegranate"] is None else (
                        f"{r['pomegranate']:.3f}" + ("*" if r.get("pom_scaled") else " "))
                    print(f"{name:<26}{task:<8}{threads:>4}{r['seqlab']:>10.4f}"
                          f"{r['hmmlearn-log']:>10.4f}{r['hmmlearn-scaling']:>10.4f}{pom:>11}"
                          f"{r['ratio']:>8.3f}{r['cpu_ratio']:>8.3f}{r['llf_rel']:>10.1e}",
                          flush=True)
    print("times: median wall-clock seconds, contenders interleaved; ratio = seqlab / fastest "
          "peer (wall); cpu rat = seqlab / faster hmmlearn in CPU time (1-thread rows: robust to "
          "load from other processes); * = pomegranate timed on a cut of the data, scaled "
          "linearly")
    if args.out:
        args.out.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
