"""MKL or oneDNN for a float32 matrix product: measured on this machine, once.

The fast BPTT Functions (:mod:`._bptt_gru_fast`, :mod:`._bptt_elman_fast`,
:mod:`._bptt_jordan_fast`) spend most of their time in two kinds of float32 products, each of
which torch can run through MKL (``torch.addmm`` / ``F.linear``) or through oneDNN
(``torch.ops.mkldnn._linear_pointwise``):

- ``"step"``: the per-step product ``a @ W^T + c`` with one fixed ``W`` (oneDNN with ``W``
  packed once per call, :func:`step_product`);
- ``"seq"``: the whole-sequence products (input projections, weight gradients, ``dX``);
- ``"tn"``: a weight gradient ``D^T S`` from row-major (rows, k) ``D`` and (rows, n) ``S``:
  MKL reads ``D`` transposed in place, oneDNN needs a transposed copy of it first (the
  measurement includes the copy: at B=32 T=100 H=128 it is a quarter of the product's time).

A fourth class, ``"loop"`` (:func:`loop_choice`), decides whether the Elman family's
recursion runs as a loop of torch calls (the step product as chosen above) or as one numba
call with ``np.dot`` products (scipy's BLAS at one thread, :mod:`._blas_loop`) or MKL
products (torch's MKL called from numba, :mod:`._mkl`): answers "torch" / "blas" / "mkl",
measured and saved the same way.

Which one is faster depends on the CPU, not on the code. Measured (issue 19, 1 thread,
float32, microseconds a product, MKL / oneDNN):

- AMD EPYC, Zen 4 (family 25 model 17: AVX-512 on 256-bit units, where MKL's AVX2 code runs as
  fast), 2026-12-05: 32x128 @ 128x384 35.6 / 43.8, 32x128 @ 128x128 12.5 / 23.2,
  64x512 @ 512x1536 1082 / 891;
- the AMD EPYC of the sessions before (2026-12-03/04, AVX-512 at twice MKL's speed on large
  products): oneDNN ~110-130 GFLOP/s on the per-step shapes against MKL's 40-60.

A rule written down on one machine was wrong on the other (on the Zen 4 the GRU's oneDNN
step products cost 54 us each in the loop, MKL's 39.5). So the choice is measured: the first
time a product of a shape class is needed, :func:`onednn_faster` times both backends on
random operands of that shape (interleaved, best of 3 rounds, about 2 ms a timing) and keeps
oneDNN only where it is at least ``MARGIN`` faster (a tie keeps torch's own MKL path). The
answer is kept for the process and saved in ``$SEQLAB_CACHE/matmul-v1.json`` (default
``~/.cache/seqlab``) under this machine's CPU, torch version and thread count, so later
processes on the machine read it instead of measuring: the same products, the same float32
rounding, run after run. Shape classes round each dimension up to a power of two.

``SEQLAB_MATMUL=mkl`` or ``=onednn`` pins the choice (no measurement, nothing saved);
``SEQLAB_MATMUL=measure`` is the default. float64, and torch builds without oneDNN, always
use torch's own products.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import torch

from seqlab._cache import cache_dir
from seqlab.exceptions import SeqlabValueError

Tensor = torch.Tensor
Kind = Literal["step", "seq", "tn", "loop"]

ENV = "SEQLAB_MATMUL"
CHOICES = ("measure", "mkl", "onednn")
MARGIN = 0.95  # oneDNN is kept where its time is at most this fraction of MKL's
_FILE = "matmul-v1.json"
_ROUNDS = 3
SEQ_ROWS = 2048  # "seq" and "tn" products are measured (and classed) on at most this many rows
_TIMING_S = 2e-3  # about this long per timing (several products for small shapes)

PERSIST = True  # read and write the cache file (the test suite turns it off: tests/conftest.py)
LOOP_MARGIN = 1.0  # the numba/BLAS step loop is kept where its product takes at most this
# fraction of torch's step product (:func:`loop_choice`)
_VALUES = ("mkl", "onednn", "blas", "torch")  # the answers a saved file may hold
_choices: dict[str, str] = {}  # this process's answers ("loop" classes: "torch" / "blas" / "mkl")
_loaded: dict[str, bool] = {"file": False}


@functools.cache
def onednn() -> bool:
    """True when oneDNN's fused linear ops exist in this torch build and compute x W^T + o."""
    try:
        ops = torch.ops.mkldnn
        if not torch.backends.mkldnn.is_available():
            return False
        x = torch.arange(15.0).reshape(3, 5).sin()  # fixed values: no use of the global RNG
        w, o = torch.arange(20.0).reshape(4, 5).cos(), torch.arange(12.0).reshape(3, 4)
        packed = ops._reorder_linear_weight(w, 3)
        y = ops._linear_pointwise.binary(x, o, packed, None, "add")
        y2 = ops._linear_pointwise(x, w.t().contiguous().t(), None, "none", [None], "")
        return bool(torch.allclose(y, x @ w.t() + o, atol=1e-5)
                    and torch.allclose(y2, x @ w.t(), atol=1e-5))
    except Exception:  # a missing op or a changed signature: torch's products instead
        return False


def pinned() -> str:
    """``$SEQLAB_MATMUL``: "measure" (default), "mkl" or "onednn"; anything else raises."""
    value = os.environ.get(ENV, "measure").strip().lower() or "measure"
    if value not in CHOICES:
        raise SeqlabValueError(
            f"{ENV}={os.environ.get(ENV)!r} is not one of {', '.join(CHOICES)}: set it to "
            f"'mkl' or 'onednn' to pin the float32 products of the recurrent layers' fast "
            f"paths to that library, or unset it to let seqlab measure which is faster here")
    return value


@functools.cache
def machine() -> str:
    """This machine's CPU (model name, family/model/stepping where /proc/cpuinfo has them)
    and torch version: the key under which measured choices are saved."""
    fields: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if not line.strip():
                    break  # the first processor's block is enough
                name, _, value = line.partition(":")
                fields[name.strip()] = value.strip()
    except OSError:
        pass
    cpu = fields.get("model name") or platform.processor() or platform.machine()
    ids = "/".join(fields.get(k, "?") for k in ("cpu family", "model", "stepping"))
    return f"{cpu} [{ids}] torch {torch.__version__}"


def _bucket(v: int) -> int:
    return 1 << max(0, int(v) - 1).bit_length()


def key(kind: Kind, m: int, k: int, n: int) -> str:
    """The shape class of an (m, k) @ (k, n) product at this thread count."""
    return (f"{kind} {_bucket(m)}x{_bucket(k)}x{_bucket(n)} "
            f"threads={torch.get_num_threads()}")


def _path() -> Path:
    return cache_dir() / _FILE


def _load() -> None:
    """Read this machine's saved choices into the process (once)."""
    if _loaded["file"] or not PERSIST:
        return
    _loaded["file"] = True
    path = _path()
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, NotADirectoryError):  # nothing saved there (yet)
        return
    except (OSError, ValueError) as exc:
        warnings.warn(f"seqlab: could not read the saved matrix-product choices in {path} "
                      f"({exc}); measuring again and rewriting it", RuntimeWarning,
                      stacklevel=3)
        return
    saved = data.get(machine(), {}) if isinstance(data, dict) else {}
    if isinstance(saved, dict):
        _choices.update({k: v for k, v in saved.items()
                         if isinstance(k, str) and v in _VALUES
                         and k not in _choices})


def _save(new_key: str, choice: str) -> None:
    """Add one measured choice to the file (read-modify-write, atomic replace)."""
    path = _path()
    try:
        try:
            data = json.loads(path.read_text())
            if not isinstance(data, dict):
                data = {}
        except (OSError, ValueError):
            data = {}
        mine = data.get(machine())
        if not isinstance(mine, dict):
            mine = data[machine()] = {}
        mine[new_key] = choice
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".matmul-", suffix=".json")
        try:
            with os.fdopen(fd, "w") as fh:
                json.dump(data, fh, indent=1, sort_keys=True)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    except OSError as exc:
        warnings.warn(f"seqlab: could not save the measured matrix-product choice to {path} "
                      f"({exc}); each process will measure again (set SEQLAB_CACHE to a "
                      f"writable folder, or {ENV}=mkl / onednn to skip measuring)",
                      RuntimeWarning, stacklevel=3)


def runners(kind: Kind, m: int, k: int, n: int) -> dict[str, Callable[[], Any]]:
    """One product of the class each way, on random operands of this shape (a private
    generator: the global random stream is left alone); for "tn" the (k, n) product
    ``D^T S`` of (m, k) and (m, n) operands."""
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(m, k, generator=gen)
    w = torch.randn(n, k, generator=gen)
    c = torch.randn(m, n, generator=gen)
    out = torch.empty(m, n)
    ops = torch.ops.mkldnn
    if kind == "step":
        packed = ops._reorder_linear_weight(w, m)
        wt = w.t()
        return {"mkl": lambda: torch.addmm(c, a, wt, out=out),
                "onednn": lambda: ops._linear_pointwise.binary(a, c, packed, None, "add")}
    if kind == "tn":  # D = a (m, k), S = c (m, n): D^T S (k, n)
        return {"mkl": lambda: torch.mm(a.t(), c),
                "onednn": lambda: ops._linear_pointwise(a.t().contiguous(), c.t(), None,
                                                        "none", [None], "")}
    return {"mkl": lambda: torch.nn.functional.linear(a, w),
            "onednn": lambda: ops._linear_pointwise(a, w, None, "none", [None], "")}


def best_times(run: dict[str, Callable[[], Any]], flops: float, rounds: int = _ROUNDS,
               clock: Callable[[], float] = time.perf_counter) -> dict[str, float]:
    """Seconds a call of each of ``run``'s functions: one warm-up call each, then ``rounds``
    interleaved rounds, each timing ~``_TIMING_S`` (several calls of a small product of
    ``flops``), the best round of each."""
    number = max(1, min(200, int(_TIMING_S * 5e10 / max(flops, 1.0))))  # at ~50 GFLOP/s
    best = {name: float("inf") for name in run}
    for fn in run.values():  # warm-up: first-touch pages, oneDNN's kernel generation
        fn()
    for _ in range(rounds):
        for name, fn in run.items():
            t0 = clock()
            for _ in range(number):
                fn()
            best[name] = min(best[name], (clock() - t0) / number)
    return best


def measure(run: dict[str, Callable[[], Any]], flops: float,
            clock: Callable[[], float] = time.perf_counter) -> str:
    """"onednn" if ``run["onednn"]`` takes at most ``MARGIN`` of ``run["mkl"]``'s time
    (:func:`best_times`), else "mkl"."""
    best = best_times(run, flops, clock=clock)
    return "onednn" if best["onednn"] <= MARGIN * best["mkl"] else "mkl"


def onednn_faster(kind: Kind, m: int, k: int, n: int) -> bool:
    """True when a float32 (m, k) @ (k, n) product of ``kind`` should go through oneDNN:
    pinned by ``$SEQLAB_MATMUL``, else measured once per shape class (module docstring)."""
    if not onednn():
        return False
    pin = pinned()
    if pin != "measure":
        return pin == "onednn"
    if kind != "step":  # past a few thousand rows the speed no longer changes
        m = min(m, SEQ_ROWS)
    return _decided(key(kind, m, k, n),
                    lambda: measure(runners(kind, m, k, n), 2.0 * m * k * n)) == "onednn"


def _decided(name: str, decide: Callable[[], str]) -> str:
    """The choice for shape class ``name``: this process's, else the saved one, else
    ``decide()`` (saved)."""
    if name not in _choices:
        _load()
    if name not in _choices:
        with torch.no_grad():
            choice = decide()
        _choices[name] = choice
        if PERSIST:
            _save(name, choice)
    return _choices[name]


def loop_runners(m: int, k: int, n: int, reps: int) -> dict[str, Callable[[], Any]]:
    """``reps`` per-step products ``a @ W^T + c`` (m, k) @ (k, n) each way: "torch" through
    :func:`step_product` (MKL or oneDNN, as chosen here), one torch call each; "blas" as
    ``np.dot`` in one numba loop (scipy's BLAS at one thread: :mod:`._blas_loop`); "mkl" (where
    torch's MKL is found: :mod:`._mkl`) as MKL calls in one numba loop."""
    from seqlab.recurrent import _blas_loop, _mkl

    gen = torch.Generator().manual_seed(0)
    a = torch.randn(m, k, generator=gen)
    w = torch.randn(n, k, generator=gen)
    c = torch.zeros(m, n)  # (the loop adds the product to its block in the fused pass)
    out = torch.empty(m, n)
    step = step_product(w, m)
    an, wtn = a.numpy(), w.t().contiguous().numpy()

    def run_torch() -> Tensor:
        for _ in range(reps):
            res = step(a, c, out=out)
        return res

    def numba_loop(mkl: bool) -> Callable[[], Tensor]:
        res = torch.empty(m, n)

        def run() -> Tensor:
            _blas_loop.product_loop(res.numpy(), an, wtn, reps, mkl)
            return res

        return run

    run = {"torch": run_torch, "blas": numba_loop(False)}
    if _mkl.available():
        run["mkl"] = numba_loop(True)
    return run


def measure_loop(run: dict[str, Callable[[], Any]], flops: float,
                 clock: Callable[[], float] = time.perf_counter) -> str:
    """The faster of the numba loops in ``run`` ("blas", "mkl") if it takes at most
    ``LOOP_MARGIN`` of ``run["torch"]``'s time (:func:`best_times`), else "torch"."""
    best = best_times(run, flops, clock=clock)
    loop = min((name for name in run if name != "torch"), key=lambda name: best[name])
    return loop if best[loop] <= LOOP_MARGIN * best["torch"] else "torch"


def loop_choice(m: int, k: int, n: int) -> str:
    """Where the float32 per-step products (m, k) @ (k, n) of a recursion run: "torch"
    (torch calls, MKL or oneDNN at torch's thread count), "blas" (``np.dot`` calls in one
    numba loop, scipy's BLAS at one thread: :mod:`._blas_loop`) or "mkl" (torch's MKL called
    from one numba loop: :mod:`._mkl`), whichever is measured fastest here -- once per shape
    class, saved like :func:`onednn_faster`'s answers -- a numba loop being kept where its
    product takes at most ``LOOP_MARGIN`` of torch's time (the loop also saves the elementwise
    ops' torch calls). ``$SEQLAB_MATMUL`` = mkl / onednn pins torch's products ("torch")."""
    if pinned() != "measure":
        return "torch"

    def decide() -> str:
        flops = 2.0 * m * k * n
        reps = max(1, min(200, int(_TIMING_S * 5e10 / flops)))  # one timing: ~2 ms
        return measure_loop(loop_runners(m, k, n, reps), reps * flops)

    return _decided(key("loop", m, k, n), decide)


def step_product(w: Tensor, batch: int) -> Callable[..., Tensor]:
    """``(a, other, out=None) -> a @ w^T + other`` for a fixed ``w`` (out, in): the per-step
    product. Through oneDNN with ``w`` packed once (a new tensor: oneDNN's op has no
    ``out``) where :func:`onednn_faster` says so for float32, else ``torch.addmm`` (into
    ``out`` if given)."""
    if w.dtype == torch.float32 and onednn_faster("step", batch, w.shape[1], w.shape[0]):
        packed = torch.ops.mkldnn._reorder_linear_weight(w.contiguous(), batch)
        binary = torch.ops.mkldnn._linear_pointwise.binary
        return lambda a, other, out=None: binary(a, other, packed, None, "add")
    wt = w.t()
    return lambda a, other, out=None: torch.addmm(other, a, wt, out=out)


def linear_dnn(a: Tensor, w: Tensor, bias: Tensor | None = None) -> Tensor:
    """``a @ w^T (+ bias)`` through oneDNN for a row-major float32 ``a`` (it reads ``a`` in
    place and repacks ``w``, whatever its strides), else torch: for callers that decided
    on oneDNN already."""
    if onednn() and a.dtype == torch.float32 and a.is_contiguous():
        return torch.ops.mkldnn._linear_pointwise(a, w, bias, "none", [None], "")
    return torch.nn.functional.linear(a, w, bias)


def linear(a: Tensor, w: Tensor, bias: Tensor | None = None) -> Tensor:
    """``a @ w^T (+ bias)``, a whole-sequence product: oneDNN where :func:`onednn_faster`
    says so for this shape (float32, row-major ``a``), else ``F.linear``."""
    if (a.dtype == torch.float32 and a.is_contiguous()
            and onednn_faster("seq", a.shape[0], a.shape[1], w.shape[0])):
        return linear_dnn(a, w, bias)
    return torch.nn.functional.linear(a, w, bias)


def choices() -> dict[str, str]:
    """The choices this process has made or read so far (shape class -> backend)."""
    return dict(_choices)


def forget() -> None:
    """Drop this process's choices (the saved file stays): for tests and benchmarks."""
    _choices.clear()
    _loaded["file"] = False
