"""Recurrent layers: seqlab's RNNLayer (every cell, every implementation) vs torch.nn.

For each shape (B, T, I, H) it times forward + backward (``out.sum().backward()``) of
torch.nn.LSTM / GRU / RNN and of seqlab's layer with each implementation ("torch", "bptt",
"loop", and what "auto" picks), in one process on the same data, and prints

- the median milliseconds over the repeats,
- the ratio to the torch.nn equivalent (nn.LSTM for lstm / jordan / leaky / skip, nn.GRU
  for gru, nn.RNN for elman),
- achieved GFLOP/s (forward+backward counted as 3 x the forward matmul FLOPs
  2*B*T*(I+H)*G*H) and the fraction of a plain ``torch.matmul`` of the same per-step shape
  (B, H) @ (H, G*H) and of a large 1024^3 matmul, both measured in the same run.

Usage: ``python benchmarks/rnn.py [--threads 1] [--quick] [--shapes a b c] [--repeats 5]``.
Denormals are flushed (``torch.set_flush_denormal(True)``) for every contender: long
sequences otherwise slow down on subnormal floats.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

from seqlab.recurrent.interop import copy_from_torch
from seqlab.recurrent.layers import RNNLayer, _bptt_function, _small_step

SHAPES = {  # name: (B, T, I, H)
    "a": (32, 100, 32, 128),
    "b": (1, 1000, 1, 64),
    "c": (64, 256, 64, 512),
}
QUICK_SHAPES = {"q1": (4, 20, 3, 8), "q2": (1, 50, 1, 16)}
GATES = {"lstm": 4, "gru": 3, "elman": 1, "jordan": 1, "leaky": 1, "skip": 1}
PEERS = {"lstm": nn.LSTM, "gru": nn.GRU, "elman": nn.RNN}


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


def matmul_gflops(m: int, k: int, n: int, repeats: int = 20) -> float:
    a, b = torch.randn(m, k), torch.randn(k, n)
    number = max(1, int(2e7 // (m * k * n)))  # enough work per timing for small shapes

    def run() -> None:
        for _ in range(number):
            torch.matmul(a, b)

    ms = timed(run, repeats)
    return 2 * m * k * n * number / (ms * 1e-3) / 1e9


def impls_for(cell: str, batch: int, hidden: int, slow: bool) -> list[str]:
    out = ["torch"] if cell in PEERS else []
    # engineer B's LSTM/GRU/Jordan kernels take seconds to tens of seconds on large steps
    # (47 s for the LSTM at shape c): skip them where "auto" would not pick them, unless --slow
    if _bptt_function(cell) is not None and (slow or cell in ("elman", "leaky", "skip")
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
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(0)
    shapes = QUICK_SHAPES if args.quick else {k: SHAPES[k] for k in args.shapes}
    print(f"threads={args.threads}  torch {torch.__version__}  (1024^3 matmul measured per shape)")
    print(f"{'shape':6} {'cell':7} {'impl':8} {'ms':>9} {'ratio':>6} {'vs':>8} {'GFLOP/s':>8} "
          f"{'%mm':>5} {'%peak':>6}")
    for sname, (B, T, I, H) in shapes.items():
        repeats = 2 if args.quick else (args.repeats if sname != "c" else max(2, args.repeats // 2))
        peak = matmul_gflops(256, 256, 256) if args.quick else matmul_gflops(1024, 1024, 1024, 3)
        print(f"shape {sname}: B={B} T={T} I={I} H={H}; square matmul peak: {peak:.1f} GFLOP/s")
        x = torch.randn(B, T, I, requires_grad=True)
        peers = {name: cls(I, H, batch_first=True) for name, cls in PEERS.items()}
        lstm_ms = timed_round({"nn.LSTM": fwd_bwd(peers["lstm"], x)}, repeats)["nn.LSTM"]
        for cell in args.cells:
            g = GATES[cell]
            flops = 3 * 2 * B * T * (I + H) * g * H
            mm = matmul_gflops(B, H, g * H)
            contenders = {}
            if cell in PEERS:
                contenders["nn." + PEERS[cell].__name__] = fwd_bwd(peers[cell], x)
            for impl in impls_for(cell, B, H, args.slow):
                layer = RNNLayer(I, H, cell=cell, impl=impl)
                if cell in PEERS:
                    copy_from_torch(layer, peers[cell])
                contenders[impl] = fwd_bwd(layer, x)
            times = timed_round(contenders, repeats)  # interleaved: fair under shared load
            ref_ms = times.get("nn." + PEERS[cell].__name__) if cell in PEERS else lstm_ms
            ref = "nn." + PEERS[cell].__name__ if cell in PEERS else "nn.LSTM"
            auto = RNNLayer(I, H, cell=cell).resolve_impl(batch=B)
            for name, ms in times.items():
                gf = flops / (ms * 1e-3) / 1e9
                label = name + ("*" if name == auto else "")
                print(f"{sname:6} {cell:7} {label:8} {ms:9.2f} {ms / ref_ms:6.2f} {ref:>8} "
                      f"{gf:8.2f} {100 * gf / mm:5.0f} {100 * gf / peak:6.1f}", flush=True)
    print("* = the implementation impl='auto' picks; ratio = ms / torch.nn ms (nn.LSTM for "
          "jordan/leaky/skip); %mm = share of torch.matmul (B,H)@(H,G*H) GFLOP/s.")


def timed_round(contenders: dict, repeats: int) -> dict[str, float]:
    """Median ms of each contender, running them in turn each round (load hits all alike)."""
    for fn in contenders.values():
        fn()
    times: dict[str, list[float]] = {k: [] for k in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {k: 1e3 * statistics.median(v) for k, v in times.items()}


if __name__ == "__main__":
    main()
