"""Buffers the fast BPTT Functions reuse from one call to the next, per thread.

A fresh multi-megabyte buffer per call is fresh pages from the OS whenever glibc has
returned the memory freed by the previous call (it trims the top of the heap, and serves
large blocks by ``mmap``), and a page fault costs microseconds on this project's virtual
machines. Measured on the GRU fast path (issue 19, B=32 T=100 I=32 H=128, 1 thread, a process
running that layer only): ~1,600 page faults per forward+backward and 28.9 ms, against
0 faults and 17.5 ms in a process whose heap stays large (benchmarks/rnn.py runs every
contender in one process, which hides the effect); the Elman backward pass's buffers cost
~0.4 ms of 6.5 before they were reused.

- :func:`scratch`: a buffer used within one call (a backward pass), handed out again by
  the next call.
- :func:`borrow` and :class:`Lease`: a buffer that outlives the forward pass (saved for the
  backward pass). It leaves the pool when borrowed; the :class:`Lease` stored on the
  autograd ``ctx`` gives it back when the ``ctx`` is freed, i.e. once no backward pass can
  read it any more (with ``retain_graph=True`` the graph, and the buffer, stay alive). Two
  graphs alive at once simply get two buffers.

Buffers over ``WORKSPACE_MAX_BYTES`` are never pooled (allocated fresh each call). Nothing
handed to the caller may be a view of a pooled buffer.
"""

from __future__ import annotations

import threading

import torch

Tensor = torch.Tensor

WORKSPACE_MAX_BYTES = 8 << 20
_local = threading.local()


def _numel(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _small(n: int, dtype: torch.dtype) -> bool:
    return n * torch.empty((), dtype=dtype).element_size() <= WORKSPACE_MAX_BYTES


def pooled(shape: tuple[int, ...], dtype: torch.dtype) -> bool:
    """True when a buffer of this shape and dtype is small enough to be pooled."""
    return _small(_numel(shape), dtype)


def scratch(name: str, shape: tuple[int, ...], dtype: torch.dtype) -> Tensor:
    """An uninitialised (shape, dtype) buffer, reused across calls when small enough."""
    n = _numel(shape)
    if not _small(n, dtype):
        return torch.empty(shape, dtype=dtype)
    pool = _local.__dict__.setdefault("pool", {})
    buf = pool.get(name)
    if buf is None or buf.dtype != dtype or buf.numel() < n:
        buf = pool[name] = torch.empty(n, dtype=dtype)
    return buf[:n].view(shape)


def borrow(name: str, shape: tuple[int, ...], dtype: torch.dtype) -> Tensor:
    """An uninitialised (shape, dtype) buffer taken out of the pool (fresh if the pool has
    none of that name, dtype and size); give it back with a :class:`Lease`."""
    n = _numel(shape)
    if not _small(n, dtype):
        return torch.empty(shape, dtype=dtype)
    free = _local.__dict__.setdefault("free", {})
    buf = free.pop(name, None)
    if buf is None or buf.dtype != dtype or buf.numel() < n:
        buf = torch.empty(n, dtype=dtype)
    return buf[:n].view(shape)


class Lease:
    """Holds borrowed buffers (name -> tensor) and returns them to the pool when freed."""

    def __init__(self, **bufs: Tensor) -> None:
        self.bufs = bufs

    def __del__(self) -> None:
        try:
            free = _local.__dict__.setdefault("free", {})
        except (AttributeError, TypeError):  # interpreter shutdown: module globals are gone
            return
        for name, buf in self.bufs.items():
            base = buf if buf._base is None else buf._base
            if base.dim() == 1 and _small(base.numel(), base.dtype):
                free[name] = base
