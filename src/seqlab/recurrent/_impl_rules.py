"""Which implementation ``RNNLayer(impl="auto")`` runs: the measured rule table.

:class:`seqlab.recurrent.layers.RNNLayer` computes the same function three ways (``"loop"``,
``"torch"``, ``"bptt"``); :func:`auto_impl` picks, per cell, batch size and padding, the
fastest of them as measured by ``benchmarks/rnn.py``, ``benchmarks/impl_auto.py`` and
``benchmarks/rnn_elman_family.py`` (the figures are beside the table).
"""

from __future__ import annotations

from typing import Any, Literal

import torch

Impl = Literal["auto", "loop", "torch", "bptt"]
IMPLS = ("auto", "loop", "torch", "bptt")
# "auto": preference, fastest first, measured by benchmarks/rnn.py (1 thread). Small steps
# are dominated by per-step overhead, where the hand-written BPTT (numba) wins by ~10x; large
# steps by the matrix products, where PyTorch's kernels (or the loop, whose products are
# single BLAS calls) win. bptt's LSTM/GRU kernels were 20-100x slower than torch's from
# H >= 256 with B > 1 and its Jordan kernel 10x slower than the loop at B*H = 32768
# (measured 2026-11-26); its leaky/skip functions switch to a torch loop on large steps and
# stay the fastest there. Re-measured 2026-12-04 by benchmarks/impl_auto.py (forward+backward,
# 1 thread, B 1-64, H 32-512, T 50/200): bptt now matches or beats torch for GRU at every size
# (1.0-1.3x unpadded, up to 2.7x with lengths), and with ``lengths`` (packed sequences)
# torch's LSTM kernel is 1.4-3.5x slower than bptt, so padded LSTM batches go to bptt.
# Elman, leaky, skip, Jordan (re-measured 2026-12-04 by benchmarks/rnn_elman_family.py,
# forward+backward, 1 thread, float32, process CPU time on a shared machine, load 11-13): bptt
# runs the numba kernels below B*H = 512 (Elman family) / 1024 (Jordan) -- crossover measured
# at B*H 256-1024 -- and the one-GEMM-per-step Functions (_bptt_elman_fast, _bptt_jordan_fast)
# from there. B=32 T=100 I=32 H=128: Elman 0.73x nn.RNN (torch), Jordan 0.90x nn.LSTM;
# B=64 T=256 I=64 H=512: Elman 0.85x nn.RNN, Jordan 0.80x the loop (0.47x at B=8 H=1024,
# 0.85x at B=64 H=128). So bptt comes first for every size of these four cells.
# GRU (issue 19, 2026-12-04, benchmarks/rnn.py, 1 thread): "bptt" runs the matrix-product-
# bound GRUFastFn (MKL or oneDNN products, as measured by seqlab.recurrent._matmul;
# seqlab.recurrent._bptt_gru_fast) when B >= 2 and
# B*H^2 >= 2^18 (measured crossover against the numba/torch-loop GRUSequenceFn: H=128 from
# B=16, H=256 from B=4, H=512 from B=2, H=64 from B=64), else GRUSequenceFn; either way
# faster than torch's GRU kernel (benchmarks/results/rnn-gru-issue19-after-t1.json, load ~2:
# shape a B=32 H=128 0.63x nn.GRU, c B=64 H=512 0.47x, b B=1 H=64 0.06x; 2 threads 0.66x,
# 0.50x, 0.06x), so GRU keeps "bptt" first in both rows.
# On another CPU (AMD EPYC Zen 4, 2026-12-05, benchmarks/results/impl_auto-zen4.json, 112
# sizes, 1 thread) the path this table resolves to was within 1.06 of the fastest everywhere
# (1.01 after the numba loops of _blas_loop / _mkl, same file rerun).
_PADDED_LSTM_ORDER = ("bptt", "torch", "loop")


def _small_step(cell_type: str, batch: int | None, hidden: int) -> bool:
    if batch is None:
        return False
    if cell_type in ("lstm", "gru"):
        return batch * hidden <= 2048 and (batch == 1 or hidden <= 128)
    return batch * hidden <= 4096


_AUTO_ORDER: dict[tuple[str, bool], tuple[str, ...]] = {
    ("lstm", True): ("torch", "bptt", "loop"),
    ("lstm", False): ("torch", "loop"),
    ("gru", True): ("bptt", "torch", "loop"),
    ("gru", False): ("bptt", "torch", "loop"),
    ("elman", True): ("bptt", "torch", "loop"),
    ("elman", False): ("bptt", "torch", "loop"),
    ("leaky", True): ("bptt", "loop"),
    ("leaky", False): ("bptt", "loop"),
    ("skip", True): ("bptt", "loop"),
    ("skip", False): ("bptt", "loop"),
    ("jordan", True): ("bptt", "loop"),
    ("jordan", False): ("bptt", "loop"),
}
_BPTT_NAMES = {"elman": "elman_sequence", "leaky": "leaky_sequence", "skip": "skip_sequence",
               "jordan": "jordan_sequence", "lstm": "lstm_sequence", "gru": "gru_sequence"}


def _bptt_function(cell_type: str) -> Any:
    """Engineer B's hand-written sequence function for this cell, or None if absent."""
    from seqlab.recurrent import bptt  # late: bptt may import cells

    return getattr(bptt, _BPTT_NAMES[cell_type], None)


def auto_impl(cell_type: str, hidden: int, torch_supported: bool, return_all_states: bool,
              batch: int | None, device: torch.device | None, padded: bool) -> str:
    """The first implementation of the cell's preference order that can run this call.

    ``torch_supported``: PyTorch has a kernel for the cell; ``padded``: the batch has
    ``lengths`` shorter than T. See :meth:`seqlab.recurrent.layers.RNNLayer.resolve_impl`.
    """
    small = _small_step(cell_type, batch, hidden)
    order = _AUTO_ORDER[cell_type, small]
    if padded and cell_type == "lstm":
        order = _PADDED_LSTM_ORDER
    for name in order:
        if name == "torch" and (not torch_supported or (return_all_states and small)):
            continue
        if name == "bptt" and (_bptt_function(cell_type) is None or (
                device is not None and device.type != "cpu")):
            continue
        return name
    return "loop"
