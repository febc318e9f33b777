"""Data-parallel training hooks of :class:`seqlab.training.Trainer` (``torch.distributed`` DDP).

A trainer built in a process that ``torchrun`` (or ``seqlab train --nproc N``, or
:func:`seqlab.scale.distributed.spawn`) started -- the environment holds ``RANK`` and
``WORLD_SIZE`` -- or after ``torch.distributed.init_process_group`` trains data-parallel:

- the model is wrapped in ``torch.nn.parallel.DistributedDataParallel`` (gloo on CPU, nccl on
  CUDA, each process on the GPU of its ``LOCAL_RANK``); DDP broadcasts rank 0's weights when
  it wraps the model and all-reduces (averages) the gradients in ``backward``, whatever
  computed them (autograd, or the hand-written BPTT ``autograd.Function`` s);
- ``batch_size`` is the **global** batch: every process draws the same permutation (the
  shuffle generator is seeded alike), cuts the same global batches, and keeps its share of
  each batch's rows (``torch.tensor_split`` of the rows into ``world`` contiguous parts; the
  rows of a :class:`TokenStream`, so each process carries the state of its own streams);
- each process's loss ``L_r`` (a mean over its ``c_r`` rows, or masked steps) is scaled by
  ``world * c_r / C`` with ``C = sum_r c_r`` before ``backward``, so DDP's average of the
  gradients is the gradient of the global batch's mean loss ``sum_r c_r L_r / C``: the same
  steps as one process with that batch (up to the order of floating-point sums). Pascanu et
  al.'s Omega, a mean over sequences, is weighted by rows alike (``world * n_r / N``). A process
  whose share is empty (a last batch smaller than ``world``) runs one row with weight 0;
- the logged loss is that global mean (one ``all_gather`` of a few numbers per step, which
  also checks that every process saw the same batch from a DataLoader); validation losses
  are sharded and summed the same way;
- the global RNG (dropout) is seeded ``seed`` on rank 0 and a seed derived from
  ``(seed, rank)`` elsewhere, so dropout masks are independent across processes (and so not
  equal to one process's masks); checkpoints hold every rank's RNG state;
- rank 0 alone writes checkpoints (with every rank's RNG state, gathered) and shows
  progress; every rank can resume from the checkpoint. A ``max_time`` budget is decided by
  rank 0's clock, so that every process stops after the same step.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from seqlab.exceptions import SeqlabValueError

__all__ = ["DataParallel", "detect", "rank_seed"]

_REASONS = (None, "epochs", "max_steps", "max_time", "early_stopping")


def rank_seed(seed: int | None, rank: int) -> int | None:
    """The global-RNG seed of ``rank``: ``seed`` itself on rank 0, an independent one elsewhere.

    >>> rank_seed(7, 0), rank_seed(7, 1) != rank_seed(7, 0), rank_seed(None, 1)
    (7, True, None)
    """
    if seed is None or rank == 0:
        return seed
    return int(np.random.SeedSequence([seed, rank]).generate_state(1, dtype=np.uint32)[0])


def _env_int(name: str) -> int | None:
    value = os.environ.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise SeqlabValueError(
            f"environment variable {name}={value!r} is not an integer; it is set by torchrun "
            "(or seqlab train --nproc) for data-parallel training: unset it or fix it."
        ) from None


def _device_for(name: str, local_rank: int, local_world: int) -> torch.device:
    from seqlab.training._device import check_device

    device = check_device(name)
    if device.type == "cpu":
        return device
    if device.type != "cuda":
        raise SeqlabValueError(
            f"data-parallel training runs on CPU (gloo) or CUDA GPUs (nccl); device {name!r} "
            "has no torch.distributed backend. Use --device cpu or cuda."
        )
    count = torch.cuda.device_count()
    if device.index is not None:
        if local_world > 1:
            raise SeqlabValueError(
                f"device {name!r} names one GPU, but {local_world} processes run on this "
                "node and each takes the GPU of its local rank; use device 'cuda'."
            )
        return device
    if local_rank >= count:
        raise SeqlabValueError(
            f"process of local rank {local_rank} has no GPU: this node has {count} CUDA "
            "device(s); start at most that many processes per node (one GPU each)."
        )
    return torch.device("cuda", local_rank)


def detect(device_name: str) -> DataParallel | None:
    """A :class:`DataParallel` when this process is one of a data-parallel group, else None.

    The group is the initialised default process group, or one initialised here from the
    environment torchrun sets (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``,
    ``MASTER_PORT``) with backend gloo on CPU and nccl on CUDA.

    >>> detect("cpu") is None  # a plain process
    True
    """
    import torch.distributed as dist

    initialised = dist.is_available() and dist.is_initialized()
    world_env = _env_int("WORLD_SIZE")
    if not initialised and (world_env is None or _env_int("RANK") is None):
        return None
    if not dist.is_available():
        raise SeqlabValueError(
            "WORLD_SIZE/RANK are set (data-parallel training), but this torch build has no "
            "torch.distributed; install a torch with distributed support or unset them."
        )
    local_rank = _env_int("LOCAL_RANK") or 0
    local_world = _env_int("LOCAL_WORLD_SIZE") or (world_env or 1)
    device = _device_for(device_name, local_rank, local_world)
    if not initialised:
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return DataParallel(dist.get_rank(), dist.get_world_size(), device)


class _DDP(nn.parallel.DistributedDataParallel):
    """DDP that also answers the wrapped model's attributes (``shift_targets``, ...), so a
    ``forward(model, x, y, lengths)`` written for the bare model works on it."""

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            if name == "module":
                raise
            return getattr(self.module, name)


class DataParallel:
    """This process's place in the group: ``rank``, ``world``, ``device``, and the hooks the
    trainer calls (see the module docstring)."""

    def __init__(self, rank: int, world: int, device: torch.device) -> None:
        self.rank, self.world, self.device = rank, world, device
        self.max_time = False  # set by the trainer: stop decisions then follow rank 0

    def wrap(self, model: nn.Module) -> nn.Module:
        """``model`` in DistributedDataParallel (broadcasts rank 0's weights and buffers)."""
        ids = [self.device.index] if self.device.type == "cuda" else None
        return _DDP(model, device_ids=ids)

    # ------------------------------------------------------------ batches
    def shard(self, batch: Any, stream: bool) -> tuple[Any, int]:
        """(this rank's rows of the global ``batch``, their number); an empty share is
        replaced by the batch's first row (to be weighted 0)."""
        rows = len(batch[0])
        if stream and rows < self.world:
            raise SeqlabValueError(
                f"a TokenStream of batch_size {rows} cannot be shared by {self.world} "
                f"processes (each carries the state of its own streams); use batch_size >= "
                f"{self.world}."
            )
        idx = torch.tensor_split(torch.arange(rows), self.world)[self.rank]
        n = len(idx)
        if n == 0:
            idx = torch.arange(1)
        return tuple(None if t is None else t[idx] for t in batch), n

    @staticmethod
    def fingerprint(batch: Any) -> tuple[float, float]:
        """Two sums that differ when two processes hold different global batches."""
        return tuple(  # type: ignore[return-value]
            float(torch.nan_to_num(t.detach().double()).sum()) for t in batch[:2]
        )

    def combine(self, loss: Tensor, omega: float, count: float, rows: int,
                fingerprint: tuple[float, float] = (0.0, 0.0)
                ) -> tuple[float, float, float, float]:
        """(scale of this rank's loss, scale of its Omega, global mean loss, global mean
        Omega) from every rank's ``(count, loss, rows, omega)``: the loss is a mean over
        ``count`` rows or steps, Pascanu's Omega a mean over ``rows``. Refuses batches that
        differ across ranks."""
        import torch.distributed as dist

        mine = torch.tensor([count, float(loss.detach()) * count, rows, omega * rows,
                             *fingerprint], dtype=torch.float64).to(self.device)
        parts = [torch.empty_like(mine) for _ in range(self.world)]
        dist.all_gather(parts, mine)
        table = torch.stack([p.cpu() for p in parts])
        if not bool((table[:, 4:] == table[0, 4:]).all()):
            raise SeqlabValueError(
                "the data-parallel processes read different batches from the training data: "
                "each process must iterate a DataLoader / list of batches in the same order "
                "(shuffle=False, or a torch.Generator seeded alike on every process); seqlab "
                "gives each process its share of every global batch."
            )
        total, n = float(table[:, 0].sum()), float(table[:, 2].sum())
        if total <= 0 or n <= 0:
            return 0.0, 0.0, float("nan"), 0.0
        return (self.world * count / total, self.world * rows / n,
                float(table[:, 1].sum()) / total, float(table[:, 3].sum()) / n)

    def reduce_sums(self, values: list[list[float]]) -> Tensor:
        """The element-wise sum over ranks of a (n, k) table (float64, on the CPU)."""
        import torch.distributed as dist

        t = torch.tensor(values, dtype=torch.float64).to(self.device)
        dist.all_reduce(t)
        return t.cpu()

    def agree(self, reason: Any) -> Any:
        """Rank 0's stop reason, on every rank (a ``max_time`` budget reads rank 0's clock)."""
        if not self.max_time:
            return reason
        import torch.distributed as dist

        code = torch.tensor([_REASONS.index(reason)], device=self.device)
        dist.broadcast(code, 0)
        return _REASONS[int(code.item())]

    # ------------------------------------------------------------ checkpoints
    def save(self, write: Callable[[dict[str, Tensor], dict[str, Any]], None]) -> None:
        """Gather every rank's RNG state; rank 0 calls ``write(rng, info)``; then all wait."""
        import torch.distributed as dist

        state = torch.get_rng_state()
        states = [torch.empty_like(state) for _ in range(self.world)]
        if self.device.type == "cuda":  # nccl gathers CUDA tensors
            gathered = [s.to(self.device) for s in states]
            dist.all_gather(gathered, state.to(self.device))
            states = [g.cpu() for g in gathered]
        else:
            dist.all_gather(states, state)
        if self.rank == 0:
            rng = {f"torch_rank{r}": s for r, s in enumerate(states) if r > 0}
            write(rng, {"world_size": self.world})
        dist.barrier()

    def restore_rng(self, rng: dict[str, Tensor], saved_world: int, seed: int | None,
                    step: int) -> None:
        """Rank r > 0 takes its own saved RNG state (rank 0 took ``rng['torch']``)."""
        if self.rank == 0:
            return
        key = f"torch_rank{self.rank}"
        if key in rng:
            torch.set_rng_state(rng[key])
            return
        warnings.warn(
            f"the checkpoint was written by {saved_world} process(es) and this is rank "
            f"{self.rank} of {self.world}: weights, optimiser and data order continue exactly, "
            "but this rank's random stream (dropout) starts afresh.", stacklevel=3)
        torch.manual_seed(int(np.random.SeedSequence(
            [seed or 0, self.rank, step]).generate_state(1, dtype=np.uint32)[0]))


def sharded_mean(dist: DataParallel, trainer: Any, data: Any) -> float:
    """:meth:`Trainer.evaluate` in a group: each rank its share of every batch, then one
    all-reduce; batch ``b`` of ``n_b`` sequences (tokens) with local sums ``S_b`` over
    ``C_b`` rows (steps) gives ``sum_b n_b S_b / C_b / sum_b n_b``, as one process does."""
    from seqlab.training._stream import TokenStream

    stream = isinstance(data, TokenStream)
    rows, state = [], None
    for batch in trainer._steps(data, train=False):
        n = batch[1].numel() if stream else len(batch[0])
        local, r = dist.shard(batch, stream)
        if r == 0:
            rows.append([0.0, 0.0, n if dist.rank == 0 else 0])
            continue
        if stream:
            loss, state = trainer._stream_loss((local[0], local[1]), state)
            count = float(local[1].numel())
        else:
            loss, mask = trainer._loss(local)
            count = float(r if mask is None else mask.sum())
        rows.append([float(loss) * count, count, n if dist.rank == 0 else 0])
    t = dist.reduce_sums(rows)
    return float((t[:, 2] * t[:, 0] / t[:, 1]).sum() / t[:, 2].sum())


def is_writer() -> bool:
    """True unless this process is a rank > 0 of a data-parallel group (those write nothing).

    >>> is_writer()
    True
    """
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank() == 0
    return (_env_int("RANK") or 0) == 0
