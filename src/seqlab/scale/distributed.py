"""Data-parallel training launchers on ``torch.distributed`` (no home-made all-reduce).

The training side is :class:`seqlab.training.Trainer` itself: in a process whose environment
holds ``RANK`` / ``WORLD_SIZE`` (set by ``torchrun`` and by the launchers here) it wraps the
model in ``DistributedDataParallel`` and gives each process its share of every global batch
(see :mod:`seqlab.training._ddp`). This module starts such processes on one machine:

- :func:`launch_cli` -- what ``seqlab train --nproc N ...`` runs: torch's elastic agent
  (the machinery of ``torchrun --standalone``: a c10d rendezvous on 127.0.0.1, one worker
  process ``python -m seqlab train ...`` per rank, the others stopped when one fails);
- :func:`spawn` -- ``fn(*args)`` in N processes (``torch.multiprocessing`` spawn), each with
  the torchrun environment, returning what each rank's ``fn`` returned (for tests and
  notebooks);
- :func:`check_nproc` -- the process count checked against the device (one GPU per process).

Across machines use ``torchrun`` itself (``--nnodes``, ``--rdzv-endpoint``), see the README.
"""

from __future__ import annotations

import os
import pickle
import signal
import socket
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from seqlab.exceptions import SeqlabTypeError, SeqlabValueError

__all__ = ["check_nproc", "free_port", "launch_cli", "spawn"]

MASTER_ADDR = "127.0.0.1"
_LAUNCHED = "SEQLAB_NPROC_LAUNCHER"  # set for the workers that launch_cli starts


def check_nproc(nproc: Any, device: str = "cpu", label: str = "--nproc") -> int:
    """``nproc`` as an int >= 1, refused when ``device`` is CUDA and there are fewer GPUs.

    >>> check_nproc(2)
    2
    >>> check_nproc(0)
    Traceback (most recent call last):
    ...
    seqlab.exceptions.SeqlabValueError: --nproc must be >= 1 (the number of training ...; got 0.
    """
    if isinstance(nproc, bool) or not isinstance(nproc, int):
        raise SeqlabTypeError(f"{label} must be an integer >= 1; got {nproc!r}.")
    if nproc < 1:
        raise SeqlabValueError(
            f"{label} must be >= 1 (the number of training processes); got {nproc}."
        )
    cores = os.cpu_count() or 1
    if nproc > cores and not str(device).startswith("cuda"):
        raise SeqlabValueError(
            f"{label} {nproc}: this machine has {cores} CPU core(s) and each training process "
            f"needs one; use {label} {cores} or fewer."
        )
    if nproc == 1 or not str(device).startswith("cuda"):
        return nproc
    import torch

    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if str(device) != "cuda":
        raise SeqlabValueError(
            f"{label} {nproc} with --device {device}: each process takes the GPU of its local "
            "rank, so name no GPU index; use --device cuda."
        )
    if nproc > count:
        raise SeqlabValueError(
            f"{label} {nproc} with --device cuda needs {nproc} GPUs (one per process), but "
            f"this machine has {count}; use {label} {max(count, 1)} or --device cpu."
        )
    return nproc


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (for ``MASTER_PORT``)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((MASTER_ADDR, 0))
        return int(s.getsockname()[1])


def _threads_per_process(nproc: int) -> str:
    return str(max(1, (os.cpu_count() or 1) // nproc))


def launch_cli(argv: Sequence[str], nproc: int, device: str = "cpu") -> int:
    """Run ``python -m seqlab *argv`` in ``nproc`` worker processes, as ``torchrun
    --standalone --nproc-per-node nproc -m seqlab *argv`` does; returns the exit code (the
    failing rank's, lowest rank first; each worker prints its own one-line error).

    ``OMP_NUM_THREADS`` defaults to ``cpu_count // nproc`` per worker so that the processes
    do not oversubscribe the cores.
    """
    import logging

    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    check_nproc(nproc, device)
    config = LaunchConfig(
        min_nodes=1, max_nodes=1, nproc_per_node=nproc, run_id=f"seqlab-{uuid.uuid4().hex}",
        rdzv_backend="c10d", rdzv_endpoint=f"{MASTER_ADDR}:0", local_addr=MASTER_ADDR,
        max_restarts=0, monitor_interval=0.1, start_method="spawn",
    )
    saved = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", _LAUNCHED)}
    os.environ.setdefault("OMP_NUM_THREADS", _threads_per_process(nproc))
    os.environ[_LAUNCHED] = "1"  # the workers leave Ctrl-C to this process's one line
    # the workers say what failed, in one line each: the agent's log lines are muted
    quiet = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)
             if name.startswith("torch.distributed.elastic")]
    levels = [q.level for q in quiet]
    for q in quiet:
        q.setLevel(logging.CRITICAL)
    try:
        elastic_launch(config, sys.executable)("-m", "seqlab", *argv)
    except ChildFailedError as err:
        # the lowest rank that exited with a code (the others may have been stopped)
        failures = sorted(err.failures.items())
        codes = [f.exitcode for _, f in failures if f.exitcode > 0]
        if codes:
            return codes[0]
        # killed by a signal: nobody said why; the agent stops the others with SIGTERM
        rank, first = min(failures, key=lambda rf: (rf[1].exitcode == -signal.SIGTERM, rf[0]))
        print(f"seqlab: error: training process {rank} was killed by "
              f"{first.signal_name()} (out of memory?); the last checkpoint, if any, resumes "
              "the run (--resume-from).", file=sys.stderr)
        return 1
    except SignalException as err:  # the agent stopped the workers on this signal
        if err.sigval == signal.SIGINT:
            raise KeyboardInterrupt from None  # the CLI says "interrupted", exit 130
        print(f"seqlab: training stopped by {err.sigval.name}", file=sys.stderr)
        return 128 + int(err.sigval)
    finally:
        for q, lvl in zip(quiet, levels, strict=True):
            q.setLevel(lvl)
        _restore(saved)
    return 0


def _restore(saved: dict[str, str | None]) -> None:
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _worker(local_rank: int, fn: Callable[..., Any], nproc: int, port: int,
            args: tuple[Any, ...], queue: Any) -> None:
    os.environ.update({
        "RANK": str(local_rank), "WORLD_SIZE": str(nproc), "LOCAL_RANK": str(local_rank),
        "LOCAL_WORLD_SIZE": str(nproc), "MASTER_ADDR": MASTER_ADDR, "MASTER_PORT": str(port),
    })

    ok = False
    try:
        # plain pickle: tensors by value (torch's queue would share memory with a dead process)
        queue.put((local_rank, pickle.dumps(fn(*args))))
        ok = True
    finally:
        _close_group(ok)
    # The work is done and its result sent. Leave without the interpreter's shutdown: rarely
    # (about 1 run in 100 on 2 loaded cores) a C++ destructor of torch's distributed runtime
    # then aborts the process ("terminate called without an active exception", SIGABRT)
    # after its result was delivered, which would fail a finished run.
    _leave(0)


def _close_group(finished: bool) -> None:
    """Destroy this process's group, if any; ranks that ``finished`` first meet at a barrier
    (tear down together: a rank that closes its gloo pairs while another is still using them
    can abort that one, "terminate called without an active exception")."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        if finished:
            dist.barrier()
        dist.destroy_process_group()


def _leave(code: int) -> NoReturn:
    """End the process with ``code``, output flushed, skipping the interpreter's shutdown."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def spawn(fn: Callable[..., Any], nproc: int, args: Sequence[Any] = (),
          threads: int | None = None) -> list[Any]:
    """Call ``fn(*args)`` in ``nproc`` fresh processes with the torchrun environment
    (``RANK`` = ``LOCAL_RANK`` = 0..nproc-1, ``MASTER_ADDR`` 127.0.0.1, a free port); returns
    ``[result of rank 0, rank 1, ...]`` (results are pickled back). ``fn`` must be importable
    (a module-level function). A :class:`seqlab.training.Trainer` built inside ``fn`` trains
    data-parallel. ``threads``: torch threads per process (default ``cpu_count // nproc``).

    An exception in one process stops the others and is raised here.
    """
    import torch.multiprocessing as mp

    check_nproc(nproc, label="nproc")
    ctx = mp.get_context("spawn")
    queue = ctx.SimpleQueue()
    saved = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS",)}
    os.environ["OMP_NUM_THREADS"] = str(threads) if threads else _threads_per_process(nproc)
    results: dict[int, Any] = {}

    def drain() -> None:  # read while they run: a large result would fill the pipe
        while not queue.empty():
            rank, value = queue.get()
            results[rank] = pickle.loads(value)

    try:
        context = mp.start_processes(_worker, args=(fn, nproc, free_port(), tuple(args), queue),
                                     nprocs=nproc, start_method="spawn", join=False)
        while not context.join(timeout=0.05):
            drain()
        drain()
    finally:
        _restore(saved)
    return [results[r] for r in range(nproc)]


def in_group() -> bool:
    """True in a process that torchrun (or a launcher here) started: ``RANK`` and
    ``WORLD_SIZE`` are set."""
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def run_worker(fn: Callable[[], int], nproc: int) -> int:
    """Run one rank's share of ``seqlab train`` (``fn``), as ``torchrun`` or ``--nproc``
    started it: ranks > 0 print nothing to stdout and leave a seqlab error (the same on every
    rank: bad input) to rank 0's one line; the process group is closed at the end."""
    import contextlib

    from seqlab.exceptions import SeqlabError

    rank = int(os.environ["RANK"])
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", os.environ["WORLD_SIZE"]))
    if nproc > 1 and nproc != local_world:
        raise SeqlabValueError(
            f"--nproc {nproc}, but this process is one of {local_world} that torchrun started "
            "on this node; under torchrun drop --nproc (use --nproc-per-node)."
        )
    ok = False
    try:
        if rank == 0:
            code = fn()
        else:
            with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
                code = fn()
        ok = True
        return code
    except KeyboardInterrupt:
        if _LAUNCHED in os.environ:  # seqlab train --nproc says it once
            raise SystemExit(130) from None
        raise
    except RuntimeError as err:  # a collective failed: another process died
        if not _peer_lost(err):
            raise
        if _LAUNCHED not in os.environ:  # under torchrun: say it; --nproc says who died
            print(f"seqlab: error: training process {rank} lost contact with another one (it "
                  "stopped or was killed); resume from the last checkpoint (--resume-from).",
                  file=sys.stderr)
        raise SystemExit(1) from None
    except SeqlabError:
        if rank == 0:
            raise
        time.sleep(0.5)  # rank 0 says it, before the launcher stops the group
        raise SystemExit(2) from None
    finally:
        _close_group(ok)  # as _worker does


def exit_worker(code: object) -> None:
    """End a ``seqlab train --nproc`` worker process with ``code`` (``SystemExit``'s
    argument) without the interpreter's shutdown, as :func:`_worker` ends: rarely (the full
    suite on 2 loaded cores, test_ddp_cli, 2026-12-04) a C++ destructor of torch's
    distributed runtime aborts a rank that has finished ("terminate called without an active
    exception", SIGABRT), failing a run whose model was saved. Outside such a worker
    (``RANK`` and the launcher's mark unset) it raises ``SystemExit(code)`` as usual."""
    if not (_LAUNCHED in os.environ and in_group()):
        raise SystemExit(code)
    if code is not None and not isinstance(code, int):  # SystemExit("message") prints it
        print(code, file=sys.stderr)
    _leave(code if isinstance(code, int) else 0 if code is None else 1)


def _peer_lost(err: RuntimeError) -> bool:
    """A torch.distributed error from a connection to another process that went away."""
    import torch.distributed as dist

    text = str(err)
    return isinstance(err, dist.DistError) or any(
        m in text for m in ("Connection reset by peer", "Connection closed by peer",
                            "Broken pipe", "NCCL communicator was aborted"))
