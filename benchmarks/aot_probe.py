"""Would ahead-of-time compiled kernels meet issue 17's first-call bounds? A probe on one kernel.

AutoARIMA's first call in a second process (numba's cache warm) stays at ~0.3 s CPU: numba's
first cache load (~0.1-0.15 s, its typing and lowering registries) is paid by any call that
uses a compiled kernel, and until the first-call gate compiles them, the Kalman filter runs
as its numpy twin (~5 ms a filter). Compiling everything in the first process instead costs
seconds there. Code compiled once at install, ahead of time, would need neither.

This probe builds the state-space Kalman filter (``_statespace_kernels.kalman_filter``, the
kernel every SARIMAX/AutoARIMA likelihood and forecast runs on) with numba's ahead-of-time
compiler (``numba.pycc``) into an extension module in a temporary folder, then:

- captures the filters one AutoARIMA airline fit runs (the numpy twin's or the kernel's
  arguments, 7 model sizes);
- runs them from the extension in a fresh process that imports numpy but not numba, and
  times the import and the calls;
- checks every output (log-likelihood, errors, variances, states, last covariance) against
  the jitted kernel, bit for bit;
- times the jitted kernel, the extension and the numpy twin on the same filters, and the
  jitted kernel's own first call (compilation) in a fresh process with an empty cache.

Since this probe, ``setup.py`` builds this kernel and four more into ``seqlab._aot`` at
install (see that module); the probe stays as the standalone measurement of one kernel, and
captures the filters with the installed module switched off.

Usage: ``python benchmarks/aot_probe.py [--json benchmarks/results/aot-probe.json]``.
Needs a C compiler (pycc links the object it emits). ``numba.pycc`` is marked for deprecation
by numba; what replaces it is their call, and the probe says only what one AOT kernel costs.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUTPUTS = slice(12, 17)  # v_out, F_out, a_pred, a_filt, P_last: written in place


_FRESH = textwrap.dedent("""
    import pickle, sys, time
    c0 = time.process_time()
    import numpy as np
    c1 = time.process_time()
    sys.path.insert(0, {folder!r})
    import {module} as aot
    c2 = time.process_time()
    calls = pickle.load(open({calls!r}, "rb"))
    outs = []
    c3 = time.process_time()
    for a in calls:
        a = [x.copy() if isinstance(x, np.ndarray) else x for x in a]
        llf = aot.kalman_filter(*a)
        outs.append([llf] + a[12:17])
    c4 = time.process_time()
    pickle.dump({{"outs": outs, "import_numpy_s": c1 - c0, "import_module_s": c2 - c1,
                 "calls_s": c4 - c3, "numba_imported": "numba" in sys.modules}},
                open({result!r}, "wb"))
""")

_JIT_FIRST = textwrap.dedent("""
    import pickle, time
    import numpy as np
    calls = pickle.load(open({calls!r}, "rb"))
    c0 = time.process_time()
    from seqlab.classical import _statespace_kernels as K
    a = [x.copy() if isinstance(x, np.ndarray) else x for x in calls[0]]
    K.kalman_filter(*a)
    print(time.process_time() - c0)
""")


def build(folder: str, module: str, target_cpu: str) -> float:
    """Compile the kernel ahead of time into ``folder`` for ``target_cpu`` ("" numba's
    generic x86-64, "host" this machine's, as an install-time build would); CPU seconds."""
    import llvmlite.binding as llvm
    from numba.pycc import CC

    from seqlab.classical import _statespace_kernels as K

    t0 = time.process_time()
    cc = CC(module)
    cc.output_dir = folder
    cc.verbose = False
    cc.target_cpu = llvm.get_host_cpu_name() if target_cpu == "host" else target_cpu
    from seqlab._aot import EXPORTS

    cc.export("kalman_filter", EXPORTS["kalman_filter"][2])(K.kalman_filter.py_func)
    cc.compile()
    return time.process_time() - t0


def _airline() -> np.ndarray:
    """The airline passengers series (log), as benchmarks/coldstart.py times AutoARIMA on it."""
    sys.path.insert(0, str(HERE))
    try:
        import coldstart
    finally:
        sys.path.pop(0)
    namespace: dict[str, object] = {}
    exec(coldstart._AIRLINE, namespace)  # the set-up code of its auto_arima row: defines y
    y = namespace["y"]
    assert isinstance(y, np.ndarray)
    return y


def capture() -> list[list[object]]:
    """The arguments of every filter one AutoARIMA airline fit runs (all through the numpy
    twin here, which gives the kernel's numbers bit for bit, so that the capture leaves the
    first-call gate and numba's cache alone)."""
    from seqlab import _aot
    from seqlab.classical import AutoARIMA, _statespace_numpy, statespace

    calls: list[list[object]] = []
    twin, use_twin = _statespace_numpy.kalman_filter, statespace._use_twin
    installed = _aot.kernels

    def spy(*args):  # type: ignore[no-untyped-def]
        calls.append([x.copy() if isinstance(x, np.ndarray) else x for x in args])
        return twin(*args)

    try:
        _statespace_numpy.kalman_filter = spy
        statespace._use_twin = lambda n, m, loop: True  # type: ignore[assignment]
        _aot.kernels = lambda: None  # type: ignore[assignment]  # not the installed module
        AutoARIMA(season_length=12).fit(_airline())
    finally:
        _statespace_numpy.kalman_filter = twin
        statespace._use_twin = use_twin
        _aot.kernels = installed  # type: ignore[method-assign]
    return calls


def per_call_seconds(fn, calls: list[list[object]], repeats: int = 20) -> float:  # type: ignore[no-untyped-def]
    """CPU seconds of running every captured filter once, best of ``repeats``."""
    best = float("inf")
    for _ in range(repeats):
        args = [[x.copy() if isinstance(x, np.ndarray) else x for x in a] for a in calls]
        t0 = time.process_time()
        for a in args:
            fn(*a)
        best = min(best, time.process_time() - t0)
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--target-cpu", default="host", choices=["host", ""],
                        help="'host': this CPU's instructions (an install-time build); '': "
                             "numba's generic x86-64 (a wheel for every machine)")
    args = parser.parse_args(argv)
    from seqlab.classical import _statespace_kernels as K
    from seqlab.classical import _statespace_numpy as N

    with tempfile.TemporaryDirectory() as tmp:
        module = "seqlab_aot_probe"
        build_s = build(tmp, module, args.target_cpu)
        calls = capture()
        calls_path, result_path = os.path.join(tmp, "calls.pkl"), os.path.join(tmp, "out.pkl")
        with open(calls_path, "wb") as f:
            pickle.dump(calls, f)
        code = _FRESH.format(folder=tmp, module=module, calls=calls_path, result=result_path)
        subprocess.run([sys.executable, "-c", code], check=True)
        with open(result_path, "rb") as f:
            fresh = pickle.load(f)
        sizes = sorted({int(a[2].shape[0]) for a in calls})  # type: ignore[union-attr]
        same = 0
        for a, got in zip(calls, fresh["outs"]):
            a = [x.copy() if isinstance(x, np.ndarray) else x for x in a]
            want = [K.kalman_filter(*a)] + a[OUTPUTS]
            same += all(np.array_equal(np.asarray(u), np.asarray(v), equal_nan=True)
                        for u, v in zip(got, want))
        sys.path.insert(0, tmp)
        aot = __import__(module)
        times = {"jit": per_call_seconds(K.kalman_filter, calls),
                 "aot": per_call_seconds(aot.kalman_filter, calls),
                 "numpy_twin": per_call_seconds(N.kalman_filter, calls, repeats=3)}
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "NUMBA_CACHE_DIR": cache}
            first = subprocess.run([sys.executable, "-c", _JIT_FIRST.format(calls=calls_path)],
                                   check=True, capture_output=True, text=True, env=env)
        jit_first_s = float(first.stdout.strip().splitlines()[-1])
    n = len(calls)
    print(f"kalman_filter ahead of time (numba.pycc), {n} filters of one AutoARIMA airline fit "
          f"(states m = {sizes}):")
    print(f"  build: {build_s:.2f} s CPU, once (at install), target CPU "
          f"{args.target_cpu or 'generic'!r}")
    print(f"  fresh process without numba: import numpy {fresh['import_numpy_s']:.3f} s, import "
          f"the module {fresh['import_module_s']:.4f} s, the {n} filters "
          f"{fresh['calls_s']:.4f} s (numba imported: {fresh['numba_imported']})")
    print(f"  bit-identical to the jitted kernel: {same}/{n} filters (every output)")
    print(f"  the {n} filters, CPU s (best of repeats): jit {times['jit']:.4f}, "
          f"AOT {times['aot']:.4f}, numpy twin {times['numpy_twin']:.4f}")
    print(f"  the jitted kernel's first call with an empty cache (compilation): "
          f"{jit_first_s:.2f} s CPU")
    if args.json:
        args.json.write_text(json.dumps({
            "benchmark": "aot_probe", "target_cpu": args.target_cpu or "generic",
            "filters": n, "state_sizes": sizes,
            "build_cpu_s": build_s, "fresh_import_numpy_s": fresh["import_numpy_s"],
            "fresh_import_module_s": fresh["import_module_s"],
            "fresh_calls_cpu_s": fresh["calls_s"], "numba_imported": fresh["numba_imported"],
            "bit_identical": f"{same}/{n}", "calls_cpu_s": times,
            "jit_first_call_cpu_s": jit_first_s, "load1": os.getloadavg()[0],
        }, indent=1) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
