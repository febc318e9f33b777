"""Elman, leaky, skip and Jordan layers against torch.nn.RNN / nn.LSTM, before and after issue 19.

Times forward + backward (``out.sum().backward()``, float32) of torch.nn.RNN, torch.nn.LSTM and
``RNNLayer(cell=..., impl="auto")`` for the four cells at the shapes of ``benchmarks/rnn.py``,
all in one process and interleaved round by round (load on a shared machine hits every row
alike). ``--before`` adds, per cell, the path ``auto`` took before the one-GEMM-per-step
Functions (the numba kernels via ``FAST_MIN_BH`` raised out of reach; the Jordan loop on large
steps). The torch-op loop that Elman/leaky/skip/Jordan BPTT ran on large steps then has since
been removed (unreachable once these Functions took those sizes), so the ``before`` rows of
elman/leaky/skip now time the numba kernels there. Each row reports the median wall ms, the
process CPU ms (less sensitive to other processes), the ratio to its peer (nn.RNN for
elman/leaky/skip, nn.LSTM for jordan) and GFLOP/s (forward+backward counted as 3 x the forward
matmul FLOPs). The JSON records ``os.getloadavg()`` before and after.

Usage: ``python benchmarks/rnn_elman_family.py [--threads 1] [--shapes a b c] [--before]
[--repeats 9] [--out results.json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from seqlab.recurrent import _bptt_elman_fast
from seqlab.recurrent.interop import copy_from_torch
from seqlab.recurrent.layers import RNNLayer

SHAPES = {"a": (32, 100, 32, 128), "b": (1, 1000, 1, 64), "c": (64, 256, 64, 512)}


def fwd_bwd(module: nn.Module, x: torch.Tensor) -> Callable[[], None]:
    def run() -> None:
        module.zero_grad(set_to_none=True)
        x.grad = None
        module(x)[0].sum().backward()

    return run


def as_before(fn: Callable[[], None]) -> Callable[[], None]:
    """Run ``fn`` with the fast Functions switched off (the numba kernels)."""

    def run() -> None:
        saved = _bptt_elman_fast.FAST_MIN_BH
        _bptt_elman_fast.FAST_MIN_BH = dict.fromkeys(saved, 10**9)
        try:
            fn()
        finally:
            _bptt_elman_fast.FAST_MIN_BH = saved

    return run


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    p.add_argument("--cells", nargs="+", default=["elman", "leaky", "skip", "jordan"])
    p.add_argument("--before", action="store_true")
    p.add_argument("--repeats", type=int, default=9)
    p.add_argument("--out", default=None)
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(0)
    res: dict = {"threads": a.threads, "torch": torch.__version__,
                 "load_before": os.getloadavg(), "rows": []}
    for s in a.shapes:
        B, T, I, H = SHAPES[s]
        x = torch.randn(B, T, I, requires_grad=True)
        rnn, lstm = nn.RNN(I, H, batch_first=True), nn.LSTM(I, H, batch_first=True)
        cont = {"nn.RNN": fwd_bwd(rnn, x), "nn.LSTM": fwd_bwd(lstm, x)}
        impl = {}
        for c in a.cells:
            layer = RNNLayer(I, H, cell=c)
            if c == "elman":
                copy_from_torch(layer, rnn)
            impl[c] = layer.resolve_impl(batch=B)
            cont[c] = fwd_bwd(layer, x)
            if a.before:
                old = "loop" if c == "jordan" and B * H > 4096 else "bptt"
                old_layer = RNNLayer(I, H, cell=c, impl=old)
                old_layer.load_state_dict(layer.state_dict())
                impl[c + " before"] = old
                cont[c + " before"] = as_before(fwd_bwd(old_layer, x))
        reps = a.repeats if s != "c" else max(3, a.repeats // 3)
        for fn in cont.values():
            fn()
        wall: dict[str, list[float]] = {k: [] for k in cont}
        cpu: dict[str, list[float]] = {k: [] for k in cont}
        for _ in range(reps):
            for k, fn in cont.items():
                c0, t0 = time.process_time(), time.perf_counter()
                fn()
                wall[k].append(time.perf_counter() - t0)
                cpu[k].append(time.process_time() - c0)
        ms = {k: 1e3 * statistics.median(v) for k, v in wall.items()}
        cms = {k: 1e3 * statistics.median(v) for k, v in cpu.items()}
        for k in cont:
            ref = "nn.LSTM" if k.startswith("jordan") else "nn.RNN"
            flops = 3 * 2 * B * T * (I + H) * (4 if k == "nn.LSTM" else 1) * H
            row = {"shape": s, "name": k, "impl": impl.get(k, "-"), "ms": round(ms[k], 3),
                   "ratio": round(ms[k] / ms[ref], 3), "vs": ref,
                   "gflops": round(flops / ms[k] / 1e6, 1), "cpu_ms": round(cms[k], 3),
                   "cpu_ratio": round(cms[k] / cms[ref], 3)}
            res["rows"].append(row)
            print(f"{s} {k:14} {row['impl']:5} {ms[k]:9.2f} ms {row['ratio']:5.2f}x {ref:8} "
                  f"{row['gflops']:6.1f} GF/s | cpu {cms[k]:9.2f} ms {row['cpu_ratio']:5.2f}x",
                  flush=True)
    res["load_after"] = os.getloadavg()
    print("load average before/after:", res["load_before"], res["load_after"])
    if a.out:
        with open(a.out, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
