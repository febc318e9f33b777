"""Recurrent layers: seqlab's RNNLayer (every cell, every implementation) vs torch.nn.

For each shape (B, T, I, H) it times forward + backward (``out.sum().backward()``) of
torch.nn.LSTM / GRU / RNN and of seqlab's layer with each implementation ("torch", "bptt",
"loop", and what "auto" picks), in one process on the same data, and prints

- the median milliseconds over the repeats,
- ``ratio``: the ratio to the reference the issue-19 goals name (``vs``): nn.GRU for gru,
  nn.RNN for elman, leaky and skip (nn.RNN is timed in the leaky and skip rounds too),
  nn.LSTM for lstm and jordan; ``r LSTM``: the ratio to nn.LSTM (timed once per shape),
- achieved GFLOP/s (forward+backward counted as 3 x the forward matmul FLOPs
  2*B*T*(I*G*H + P*G*H*H), P the recurrent products per step: 2 for skip (W_hh h_{t-1} and
  W_skip h_{t-k}) and jordan (W_yh y_{t-1} and y_t = g(W_hy h_t), O = H), 1 for the others),
- ``%bound``: the time the row's matrix products alone would take, in % of its time. The
  products are timed in the same run, each as the fastest of ``torch.mm`` (MKL), oneDNN
  (``torch.ops.mkldnn._linear_pointwise``; on some AMD CPUs MKL runs its AVX2 code, oneDNN
  AVX-512, about twice as fast), ``np.dot`` in a numba loop (scipy's OpenBLAS at one
  thread: on a Zen 4 9.2 us for 32x128 @ 128x128 against MKL's 12.5) and, for products
  of at most 2^20 multiply-adds, the numba kernels' own loop product run back to back in
  one compiled loop (at B=1 a torch call's
  ~5 us fixed cost is most of a 64x64 product: 7 GFLOP/s through torch, 36 in the loop),
  best of the repeats: the per-step ones at the step's own
  shapes (B, H) @ (H, G*H) forward and (B, G*H) @ (G*H, H) backward, 2*T*2*B*H*G*H*P FLOPs
  (skip runs its W_skip products on 2B rows, a little faster than the B-row speed used);
  the rest (input projection, weight gradients, dX) at the shape (T*B, H) @ (H, G*H);
- ``%peak``: achieved GFLOP/s in % of the faster backend's 1024^3 product;
- ``cpu ms`` / ``cpu r``: the median process CPU time and its ratio (all threads; on a
  shared machine a 1-thread run's CPU time is close to its wall time on an idle core).

``%peak`` is at most 100 up to timing noise (an earlier version divided by MKL's speed
only, which nn.LSTM's oneDNN kernels exceed, and showed 114 %); so is ``%bound`` (before
the numba loop product was among the backends, the numba kernels at shape b showed
118-208 %: their products carry no per-call cost, the torch-timed bound did).

Usage: ``python benchmarks/rnn.py [--threads 1] [--quick] [--shapes a b c] [--repeats 5]
[--cells gru lstm] [--out results.json]``; the JSON records the load average before and
after.
Denormals are flushed (``torch.set_flush_denormal(True)``) for every contender: long
sequences otherwise slow down on subnormal floats. The Elman family's warm-up (its first
calls in a process run the torch loop: ``_bptt_elman_fast.WARMUP_S``) is counted as done:
the rows are the steady state of a training run.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import time

import torch
from torch import nn

from seqlab.recurrent import _blas_loop, _bptt_elman_fast, _matmul
from seqlab.recurrent.interop import copy_from_torch
from seqlab.recurrent.layers import RNNLayer, _bptt_function, _small_step

SHAPES = {  # name: (B, T, I, H)
    "a": (32, 100, 32, 128),
    "b": (1, 1000, 1, 64),
    "c": (64, 256, 64, 512),
}
QUICK_SHAPES = {"q1": (4, 20, 3, 8), "q2": (1, 50, 1, 16)}
GATES = {"lstm": 4, "gru": 3, "elman": 1, "jordan": 1, "leaky": 1, "skip": 1}
PRODUCTS = {"skip": 2, "jordan": 2}  # (G*H, H) recurrent products per step; 1 if absent
PEERS = {"lstm": nn.LSTM, "gru": nn.GRU, "elman": nn.RNN}
# the torch.nn module each cell's issue-19 goal is stated against
REFERENCE = {"lstm": "lstm", "gru": "gru", "elman": "elman", "leaky": "elman",
             "skip": "elman", "jordan": "lstm"}


def timed(fn, repeats: int, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` in milliseconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def fwd_bwd(module: nn.Module, x: torch.Tensor):
    def run() -> None:
        module.zero_grad(set_to_none=True)
        x.grad = None
        out = module(x)[0]
        out.sum().backward()

    return run


def _onednn_ok() -> bool:
    try:
        a, w = torch.ones(2, 3), torch.ones(4, 3)
        torch.ops.mkldnn._linear_pointwise(a, w, None, "none", [None], "")
        return True
    except Exception:
        return False


# products up to this many multiply-adds are also timed as seqlab's numba kernels run them
SMALL_PRODUCT = 1 << 20


@functools.cache
def _numba_products():  # type: ignore[no-untyped-def]
    """``loop(out, a, b, n)``: ``n`` products ``out = a @ b`` with the numba kernels' own
    :func:`seqlab.recurrent._bptt_kernels._mm`, in one compiled loop (no per-call cost)."""
    from numba import njit

    from seqlab.recurrent._bptt_kernels import _mm

    @njit
    def loop(out, a, b, n):  # type: ignore[no-untyped-def]
        for _ in range(n):
            _mm(out, a, b, 0.0)

    return loop


def matmul_gflops(m: int, k: int, n: int, repeats: int = 20) -> float:
    """GFLOP/s of (m, k) @ (k, n): the fastest of torch.mm, oneDNN, ``np.dot`` in a numba
    loop (scipy's BLAS at one thread: the Elman family's recursion, :mod:`._blas_loop`) and
    (for products of at most ``SMALL_PRODUCT`` multiply-adds) the numba kernels' loop
    product, best of ``repeats``."""
    a, b = torch.randn(m, k), torch.randn(k, n)
    bt = b.t().contiguous()
    number = max(1, int(2e7 // (m * k * n)))  # enough work per timing for small shapes

    def calls(fn):  # type: ignore[no-untyped-def]
        def run() -> None:
            for _ in range(number):
                fn()
        return run

    kinds = [calls(lambda: torch.mm(a, b))]  # each runs ``number`` products
    if _onednn_ok():
        kinds.append(calls(
            lambda: torch.ops.mkldnn._linear_pointwise(a, bt, None, "none", [None], "")))
    if m * k * n <= SMALL_PRODUCT:
        loop, out = _numba_products(), torch.empty(m, n)
        an, bn, on = a.numpy(), b.numpy(), out.numpy()
        kinds.append(lambda: loop(on, an, bn, number))

    def blas_loop() -> None:  # np.dot in one numba loop, scipy's BLAS at one thread
        _blas_loop.product_loop(out2.numpy(), a.numpy(), b.numpy(), number, False)

    out2 = torch.empty(m, n)
    kinds.append(blas_loop)
    best = float("inf")
    for run in kinds:
        run()
        for _ in range(repeats):
            t0 = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - t0)
    return 2 * m * k * n * number / best / 1e9


def impls_for(cell: str, batch: int, hidden: int, slow: bool) -> list[str]:
    out = ["torch"] if cell in PEERS else []
    # the numba LSTM kernel takes seconds to tens of seconds on large steps
    # (47 s for the LSTM at shape c): skip them where "auto" would not pick them, unless --slow
    if _bptt_function(cell) is not None and (slow or cell in ("elman", "leaky", "skip", "gru",
                                                               "jordan")
                                             or _small_step(cell, batch, hidden)):
        out.append("bptt")
    return [*out, "loop"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="tiny shapes (smoke test)")
    parser.add_argument("--slow", action="store_true", help="also time very slow paths")
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    parser.add_argument("--cells", nargs="+", default=list(GATES), choices=list(GATES))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", help="write the rows (and the load average) as JSON here")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(0)
    _bptt_elman_fast.warm()  # the steady state: no warm-up calls on the torch loop first
    load_before = os.getloadavg()
    shapes = QUICK_SHAPES if args.quick else {k: SHAPES[k] for k in args.shapes}
    print(f"threads={args.threads}  torch {torch.__version__}  load average {load_before}")
    print(f"CPU: {_matmul.machine()}; float32 products: SEQLAB_MATMUL={_matmul.pinned()}")
    print(f"{'shape':6} {'cell':7} {'impl':8} {'ms':>9} {'ratio':>6} {'vs':>8} {'r LSTM':>6} "
          f"{'GFLOP/s':>8} {'%bound':>6} {'%peak':>6} {'cpu ms':>9} {'cpu r':>6}")
    rows = []
    for sname, (B, T, I, H) in shapes.items():
        repeats = 2 if args.quick else (args.repeats if sname != "c" else max(2, args.repeats // 2))
        peak = matmul_gflops(256, 256, 256) if args.quick else matmul_gflops(1024, 1024, 1024, 3)
        print(f"shape {sname}: B={B} T={T} I={I} H={H}; 1024^3 product: {peak:.1f} GFLOP/s")
        x = torch.randn(B, T, I, requires_grad=True)
        peers = {name: cls(I, H, batch_first=True) for name, cls in PEERS.items()}
        lstm_cpus: dict[str, float] = {}
        lstm_ms = timed_round({"nn.LSTM": fwd_bwd(peers["lstm"], x)}, repeats,
                              lstm_cpus)["nn.LSTM"]
        lstm_cpu = lstm_cpus["nn.LSTM"]
        for cell in args.cells:
            g, p = GATES[cell], PRODUCTS.get(cell, 1)
            flops = 3 * 2 * B * T * (I + p * H) * g * H
            step_flops = 2 * T * 2 * B * H * g * H * p  # h W_hh^T forward, dG W_hh backward
            mm_fwd, mm_bwd = matmul_gflops(B, H, g * H), matmul_gflops(B, g * H, H)
            mm_seq = matmul_gflops(T * B, H, g * H, 3)
            bound_ms = 1e3 * (step_flops / 2 / mm_fwd + step_flops / 2 / mm_bwd
                              + (flops - step_flops) / mm_seq) / 1e9
            print(f"  {cell}: products GFLOP/s: step fwd {mm_fwd:.1f}, step bwd {mm_bwd:.1f}, "
                  f"(T*B, H) @ (H, G*H) {mm_seq:.1f}; bound {bound_ms:.2f} ms")
            contenders = {}
            peer = REFERENCE[cell]
            ref = "nn." + PEERS[peer].__name__
            if peer != "lstm" or cell == "lstm":
                contenders[ref] = fwd_bwd(peers[peer], x)
            for impl in impls_for(cell, B, H, args.slow):
                layer = RNNLayer(I, H, cell=cell, impl=impl)
                if cell in PEERS:
                    copy_from_torch(layer, peers[cell])
                contenders[impl] = fwd_bwd(layer, x)
            cpu: dict[str, float] = {}
            times = timed_round(contenders, repeats, cpu)  # interleaved: fair under load
            ref_ms, ref_cpu = (times[ref], cpu[ref]) if ref in times else (lstm_ms, lstm_cpu)
            auto = RNNLayer(I, H, cell=cell).resolve_impl(batch=B)
            for name, ms in times.items():
                gf = flops / (ms * 1e-3) / 1e9
                label = name + ("*" if name == auto else "")
                print(f"{sname:6} {cell:7} {label:8} {ms:9.2f} {ms / ref_ms:6.2f} {ref:>8} "
                      f"{ms / lstm_ms:6.2f} {gf:8.2f} {100 * bound_ms / ms:6.1f} "
                      f"{100 * gf / peak:6.1f} {cpu[name]:9.2f} {cpu[name] / ref_cpu:6.2f}",
                      flush=True)
                rows.append({"shape": sname, "B": B, "T": T, "I": I, "H": H, "cell": cell,
                             "impl": name, "auto": name == auto, "ms": round(ms, 3),
                             "ratio": round(ms / ref_ms, 4), "vs": ref,
                             "ratio_lstm": round(ms / lstm_ms, 4),
                             "gflops": round(gf, 2), "pct_bound": round(100 * bound_ms / ms, 1),
                             "pct_peak": round(100 * gf / peak, 1),
                             "cpu_ms": round(cpu[name], 3),
                             "cpu_ratio": round(cpu[name] / ref_cpu, 4)})
    print("* = the implementation impl='auto' picks; ratio = ms / the goal's torch.nn ms "
          "(nn.RNN for leaky/skip, nn.LSTM for jordan); r LSTM = ms / nn.LSTM ms; %bound = "
          "time of the row's products alone (fastest backend, own shapes) in % of its time; "
          "cpu ms / cpu r = process CPU time and its ratio.")
    chosen = _matmul.choices()
    if chosen:
        print("MKL / oneDNN per product class (seqlab.recurrent._matmul): "
              + ", ".join(f"{k}: {v}" for k, v in sorted(chosen.items())))
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"threads": args.threads, "torch": torch.__version__,
                       "cpu": _matmul.machine(), "matmul_pin": _matmul.pinned(),
                       "matmul_choices": chosen,
                       "loadavg_before": load_before, "loadavg_after": os.getloadavg(),
                       "repeats": args.repeats, "timing": "median wall ms, fwd+bwd, "
                       "contenders interleaved per round", "rows": rows}, f, indent=1)


def timed_round(contenders: dict, repeats: int, cpu: dict | None = None) -> dict[str, float]:
    """Median wall ms of each contender, running them in turn each round (load hits all
    alike). ``cpu``, if given, receives each one's median process CPU ms (all threads): on
    a shared machine a 1-thread run's CPU time is close to its time on an idle core."""
    for fn in contenders.values():
        fn()
    times: dict[str, list[float]] = {k: [] for k in contenders}
    cpus: dict[str, list[float]] = {k: [] for k in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            times[name].append(time.perf_counter() - t0)
            cpus[name].append(time.process_time() - c0)
    if cpu is not None:
        cpu.update({k: 1e3 * statistics.median(v) for k, v in cpus.items()})
    return {k: 1e3 * statistics.median(v) for k, v in times.items()}

if __name__ == "__main__":
    main()
