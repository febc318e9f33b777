"""Explicit-BPTT sequence functions vs torch.nn.RNN / GRU / LSTM: forward + backward time.

Run: ``python benchmarks/bptt.py`` (``--quick`` for tiny sizes, ``--threads 2``).
Shapes (B, T, I, H): (a) 32, 100, 32, 128; (b) 1, 1000, 1, 64; (c) 64, 256, 64, 512.
Each row times ``loss = out.sum() + last.sum(); loss.backward()`` against the peer's
``out.sum().backward()`` (after a warm-up that also compiles the numba kernels), the two
alternating so that load from other processes hits both alike; it prints the medians and
the median of the per-repeat ratios seqlab_time / peer_time. The peer is nn.RNN for Elman,
nn.GRU for GRU and nn.LSTM for LSTM, Jordan, leaky and skip.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numba
import scipy.linalg.cython_blas  # noqa: F401  (load numba's BLAS before limiting its threads)
import torch
from threadpoolctl import threadpool_limits

from seqlab.recurrent import bptt

SHAPES = {"a": (32, 100, 32, 128), "b": (1, 1000, 1, 64), "c": (64, 256, 64, 512)}
QUICK = {"a": (4, 20, 3, 8), "b": (1, 50, 1, 8), "c": (8, 16, 4, 16)}


CLOCK = time.perf_counter


def _once(fn: Callable[[], None]) -> float:
    t0 = CLOCK()
    fn()
    return (CLOCK() - t0) * 1e3


def _time_pair(
    ours: Callable[[], None], peer: Callable[[], None], repeats: int
) -> tuple[float, float, float]:
    """Median ms of ours and of the peer, and the median of per-repeat ratios.

    The two run alternately, so that changing load on a shared machine hits both alike.
    """
    ours()  # warm-up (numba compile, allocator)
    peer()
    a, b = [], []
    for _ in range(repeats):
        a.append(_once(ours))
        b.append(_once(peer))
    ratio = statistics.median(x / y for x, y in zip(a, b))
    return statistics.median(a), statistics.median(b), ratio


def _p(*shape: int) -> torch.Tensor:
    return (0.1 * torch.randn(*shape)).requires_grad_()


def run_shape(B: int, T: int, I: int, H: int, repeats: int) -> list[tuple[str, float, str, float]]:
    torch.manual_seed(0)
    x = torch.randn(B, T, I, requires_grad=True)
    peers = {
        "nn.RNN": torch.nn.RNN(I, H, batch_first=True),
        "nn.GRU": torch.nn.GRU(I, H, batch_first=True),
        "nn.LSTM": torch.nn.LSTM(I, H, batch_first=True),
    }
    peer_fns = {}
    for name, mod in peers.items():

        def peer(mod: torch.nn.Module = mod) -> None:
            out, _ = mod(x)
            out.sum().backward()

        peer_fns[name] = peer
    rnn, gru, lstm = peers["nn.RNN"], peers["nn.GRU"], peers["nn.LSTM"]
    alpha = torch.full((H,), 0.5, requires_grad=True)
    w_skip, w_yh, w_hy = _p(H, H), _p(H, 8), _p(8, H)

    def backward(*outs: torch.Tensor) -> None:
        sum(o.sum() for o in outs).backward()  # type: ignore[union-attr]

    ours: dict[str, tuple[Callable[[], None], str]] = {
        "elman": (
            lambda: backward(
                *bptt.elman_sequence(
                    x, None, rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0
                )
            ),
            "nn.RNN",
        ),
        "gru": (
            lambda: backward(
                *bptt.gru_sequence(
                    x, None, gru.weight_ih_l0, gru.weight_hh_l0, gru.bias_ih_l0, gru.bias_hh_l0
                )
            ),
            "nn.GRU",
        ),
        "lstm": (
            lambda: backward(
                *bptt.lstm_sequence(
                    x,
                    None,
                    None,
                    lstm.weight_ih_l0,
                    lstm.weight_hh_l0,
                    lstm.bias_ih_l0,
                    lstm.bias_hh_l0,
                )
            ),
            "nn.LSTM",
        ),
        "leaky": (
            lambda: backward(
                *bptt.leaky_sequence(
                    x,
                    None,
                    rnn.weight_ih_l0,
                    rnn.weight_hh_l0,
                    rnn.bias_ih_l0,
                    rnn.bias_hh_l0,
                    alpha,
                )
            ),
            "nn.LSTM",
        ),
        "skip(k=4)": (
            lambda: backward(
                *bptt.skip_sequence(
                    x,
                    None,
                    rnn.weight_ih_l0,
                    rnn.weight_hh_l0,
                    rnn.bias_ih_l0,
                    rnn.bias_hh_l0,
                    w_skip,
                    4,
                )
            ),
            "nn.LSTM",
        ),
        "jordan(O=8)": (
            lambda: backward(
                *bptt.jordan_sequence(
                    x, None, rnn.weight_ih_l0, w_yh, rnn.bias_ih_l0, rnn.bias_hh_l0, w_hy, None
                )
            ),
            "nn.LSTM",
        ),
    }
    rows = []
    for name, (fn, peer_name) in ours.items():
        ms, peer_ms, ratio = _time_pair(fn, peer_fns[peer_name], repeats)
        rows.append((f"seqlab {name}", ms, f"{peer_name} {peer_ms:.2f} ms", ratio))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--shapes", default="abc", help="subset of 'abc'")
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="time with process CPU time (less sensitive to other load; use with 1 thread)",
    )
    args = parser.parse_args()
    global CLOCK
    if args.cpu_time:
        CLOCK = time.process_time
    torch.set_num_threads(args.threads)
    numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    shapes = QUICK if args.quick else SHAPES
    with threadpool_limits(args.threads):
        for key in args.shapes:
            B, T, I, H = shapes[key]
            reps = 1 if args.quick else (3 if key == "c" else args.repeats)
            print(
                f"\n({key}) B={B} T={T} I={I} H={H}, {args.threads} thread(s), fwd+bwd ms (median)"
            )
            print(f"{'function':<20}{'ms':>10}  {'peer (same run)':<22}{'ratio':>7}")
            for name, ms, peer, ratio in run_shape(B, T, I, H, reps):
                print(f"{name:<20}{ms:>10.2f}  {peer:<22}{ratio:>7.3f}")


if __name__ == "__main__":
    main()
