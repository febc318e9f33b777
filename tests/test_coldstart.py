"""First-call cost guards (issue 17): what gets compiled, not how long it takes.

The cold first call of a family is dominated by numba compilation, so these tests pin down
*what* a first call compiles: every kernel once (a literal True/False argument, a second
array layout or dtype would compile it again), ARIMA's optimiser only for many series, AR
nothing at all. Timings themselves are measured by ``benchmarks/coldstart.py``, never here.
Each check runs in a fresh interpreter so that other tests' compilations do not count.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SRC = str(Path(__file__).resolve().parent.parent / "src")

_CALLS = {
    "ar": """
from seqlab.classical import AR
x = np.cumsum(rng.normal(size=300)) * 0.1 + rng.normal(size=300)
AR(2).fit(x).forecast(5)
""",
    "arima": """
from seqlab.classical import ARIMA
y = np.cumsum(rng.normal(size=200))
ARIMA((2, 1, 2)).fit(y).forecast(5)
ARIMA((1, 0, 1), method="css").fit(y[:150])
""",
    "hmm": """
from seqlab.classical import CategoricalHMM, GaussianHMM
GaussianHMM(2, seed=0, n_iter=3).fit(rng.normal(size=(200, 2)))
CategoricalHMM(2, seed=0, n_iter=3).fit(rng.integers(0, 3, size=(200, 1)))
""",
    "sarimax": """
from seqlab.classical import SARIMAX
y = np.cumsum(rng.normal(size=60)); y[7] = np.nan
SARIMAX((1, 1, 1), (0, 1, 1, 4), trend="c").fit(y).get_forecast(3)
""",
    "esn": """
from seqlab.reservoir import EchoStateNetwork
u = np.sin(np.arange(300) * 0.1)[:, None]
EchoStateNetwork(50, seed=0, washout=20).fit(u[:-1], u[1:])
""",
    "bptt": """
import torch
from seqlab.recurrent import bptt
torch.manual_seed(0)
B, T, I, H = 3, 7, 2, 4
x = torch.randn(B, T, I)
p = lambda *s: (0.3 * torch.randn(*s)).requires_grad_()
outs = [
    bptt.elman_sequence(x, None, p(H, I), p(H, H), p(H), p(H)),
    bptt.skip_sequence(x, None, p(H, I), p(H, H), p(H), p(H), p(H, H), 2),
    bptt.jordan_sequence(x, None, p(H, I), p(H, 2), p(H), p(H), p(2, H), p(2)),
    bptt.lstm_sequence(x, None, None, p(4 * H, I), p(4 * H, H), p(4 * H), p(4 * H)),
    bptt.gru_sequence(x, None, p(3 * H, I), p(3 * H, H), p(3 * H), p(3 * H)),
]
sum(o.sum() for out in outs for o in out).backward()
""",
}

_REPORT = """
from numba.core.registry import CPUDispatcher
found = {}
for name, mod in list(sys.modules.items()):
    if not name.startswith("seqlab"):
        continue
    for obj in list(vars(mod).values()):
        if isinstance(obj, CPUDispatcher) and obj.py_func.__module__ == name:
            key = name + "." + obj.py_func.__name__
            found[key] = [str(sig) for sig in obj.overloads]
print("OVERLOADS" + json.dumps(found))
"""


# These tests check what numba compiles on a first call: the path of an install without the
# ahead-of-time kernels (seqlab._aot, tested in tests/classical/test_aot.py), so it is off.
_JIT_ONLY = {"SEQLAB_AOT": "0"}


def _compiled(family: str, cache_dir: str | None = None) -> dict[str, list[str]]:
    code = "import json, sys\nimport numpy as np\nrng = np.random.default_rng(0)\n"
    code += _CALLS[family] + _REPORT
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
               **_JIT_ONLY)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(s for s in proc.stdout.splitlines() if s.startswith("OVERLOADS"))
    found: dict[str, list[str]] = json.loads(line[len("OVERLOADS") :])
    return {k: v for k, v in found.items() if v}


@pytest.mark.parametrize("family", sorted(_CALLS))
def test_each_kernel_compiled_once_per_family(family):
    """A family's first calls compile every kernel they use exactly once, with no literal
    argument types (each literal value would be one more compilation)."""
    compiled = _compiled(family)
    again = {k: v for k, v in compiled.items() if len(v) > 1}
    assert not again, f"kernels compiled more than once: {again}"
    literal = {k: v for k, v in compiled.items() if any("Literal" in s for s in v)}
    assert not literal, f"kernels specialised on literal arguments: {literal}"


def test_ar_compiles_nothing():
    assert _compiled("ar") == {}


def test_arima_few_series_compile_only_the_recursions(tmp_path):
    """With an empty cache and fewer than COMPILED_MIN_SERIES series the optimiser runs
    interpreted: only the O(n) recursions are compiled; the state-space filter that every
    ARIMA result (forecast, predict, bse) runs on runs as its numpy twin on first calls
    (``statespace.TWIN_BUDGET_S``) and the results' stationary covariance of a small ARMA
    block interpreted (``stationary_cov_from_python``)."""
    assert set(_compiled("arima", str(tmp_path))) == {
        "seqlab.classical._arima_kernels.kalman_arma",
        "seqlab.classical._arima_kernels.css_arma",
    }


def test_sarimax_compiles_only_the_likelihood_its_model_uses(tmp_path):
    """An ARMA model compiles the filter likelihood, not the pure-AR one, and the BFGS runs
    interpreted (no compiled optimiser)."""
    compiled = set(_compiled("sarimax", str(tmp_path)))
    assert "seqlab.classical._sarimax_kernels.sarimax_nll" not in compiled  # gaps: full path
    code = "import json, sys\nimport numpy as np\nrng = np.random.default_rng(0)\n"
    code += _CALLS["sarimax"].replace("y[7] = np.nan", "pass") + _REPORT
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
               NUMBA_CACHE_DIR=str(tmp_path / "complete"), **_JIT_ONLY)
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(s for s in proc.stdout.splitlines() if s.startswith("OVERLOADS"))
    found = {k for k, v in json.loads(line[len("OVERLOADS"):]).items() if v}
    assert "seqlab.classical._sarimax_kernels.sarimax_nll" in found
    assert "seqlab.classical._sarimax_kernels.sarimax_nll_ar" not in found
    assert not any("bfgs" in k for k in found), found
    # the fitted model's filter and the forecast: the numpy twin, nothing compiled
    assert "seqlab.classical._statespace_kernels.kalman_filter" not in found


@pytest.mark.parametrize(("p", "q"), [(0, 1), (1, 0), (2, 3), (3, 13), (14, 13)])
def test_stationary_cov_interpreted_and_compiled_agree_exactly(p, q):
    """Python callers get the covariance interpreted for small systems: the kernel's code run
    by the interpreter, hence the compiled kernel's numbers to the last bit."""
    from seqlab.classical import _arma_cov
    from seqlab.classical._sarimax_system import constrain_stationary

    rng = np.random.default_rng(p * 31 + q)
    m = max(p, q + 1)
    tphi, rvec = np.zeros(m), np.zeros(m)
    tphi[:p] = constrain_stationary(rng.normal(size=p) * 0.7) if p else 0.0
    rvec[0] = 1.0
    rvec[1:q + 1] = rng.normal(size=q) * 0.5
    fast, slow = np.empty((m, m)), np.empty((m, m))
    assert _arma_cov.harvey_stationary_cov(tphi, rvec, p, fast)
    assert _arma_cov.interpreted_cov().harvey_stationary_cov(tphi, rvec, p, slow)
    np.testing.assert_array_equal(fast, slow)


@pytest.mark.parametrize(("order", "method"), [((2, 1, 2), "mle"), ((1, 0, 1), "css")])
def test_arima_interpreted_and_compiled_optimiser_agree_exactly(monkeypatch, order, method):
    """The interpreted driver runs the compiled optimiser's code objects: same numbers."""
    from seqlab.classical import ARIMA, _arima_fit

    rng = np.random.default_rng(3)
    e = rng.standard_normal((300, 3))
    w = np.zeros_like(e)
    for t in range(2, 300):  # ARMA(2, 2): phi = (0.5, -0.2), theta = (0.3, 0.1)
        w[t] = 0.5 * w[t - 1] - 0.2 * w[t - 2] + e[t] + 0.3 * e[t - 1] + 0.1 * e[t - 2]
    Y = np.cumsum(w, axis=0) if order[1] else w
    monkeypatch.setattr(_arima_fit, "use_compiled", lambda S: False)
    interpreted = ARIMA(order, method=method).fit_many(Y)
    monkeypatch.setattr(_arima_fit, "use_compiled", lambda S: True)
    compiled = ARIMA(order, method=method).fit_many(Y)
    np.testing.assert_array_equal(interpreted.params_, compiled.params_)
    np.testing.assert_array_equal(interpreted.n_iter_, compiled.n_iter_)
    np.testing.assert_array_equal(interpreted.loglik_, compiled.loglik_)


def test_classical_exports_match_each_submodule_all():
    import importlib

    import seqlab.classical as classical

    expected: dict[str, str] = {}
    for sub in ("ar", "arima", "arima_selection", "auto_arima", "hmm", "sarimax", "statespace",
                "unitroot"):
        module = importlib.import_module(f"seqlab.classical.{sub}")
        expected.update(dict.fromkeys(module.__all__, sub))
    assert classical._EXPORTS == expected
    assert sorted(classical.__all__) == sorted(expected)
    for name, sub in expected.items():
        assert getattr(classical, name) is getattr(
            importlib.import_module(f"seqlab.classical.{sub}"), name
        )
    with pytest.raises(AttributeError, match="no_such_name"):
        classical.no_such_name  # noqa: B018


def test_ar_import_loads_neither_numba_nor_scipy_linalg():
    code = (
        "import sys; from seqlab.classical import AR; "
        "print(sorted(m for m in ('numba', 'scipy.linalg', 'torch') if m in sys.modules))"
    )
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_every_kernel_module_takes_njit_from_seqlab_jit():
    """seqlab._jit's njit defers numba's scipy.linalg probe (0.2 s of every warm first call);
    a module importing numba's own njit would bring the probe back for every family."""
    import re
    from pathlib import Path

    import seqlab

    root = Path(seqlab.__file__).parent
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if p.name != "_jit.py"
                 and re.search(r"from numba import[^\n]*\bnjit\b|numba\.njit", p.read_text())]
    assert offenders == []


_SEARCH = """
import json, sys
import numpy as np
from seqlab.classical import AutoARIMA
rng = np.random.default_rng(1)
t = np.arange(80)
y = np.cumsum(rng.normal(size=80)) + 2.0 * np.sin(2 * np.pi * t / 4)
m = AutoARIMA(season_length=4, max_p=1, max_q=1, max_P=1, max_Q=1).fit(y)
m.forecast(4)
try:
    from seqlab._jit import GATES
    from seqlab.classical import _auto_arima_css, _sarimax_fit, _stl, statespace
    statespace._gate(); _auto_arima_css._gate(); _stl._gate()
    for kind in ("arma", "ar", "ma"):
        _sarimax_fit._gate(kind)
    print("GATES" + json.dumps({k: g.state() for k, g in GATES.items()}))
except ImportError:  # no first-call gate
    print("GATES{}")
"""


def _search(cache: Path) -> dict[str, dict[str, object]]:
    # the gates serve installs without the ahead-of-time kernels (seqlab._aot): off here
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
               NUMBA_CACHE_DIR=str(cache), **_JIT_ONLY)
    proc = subprocess.run([sys.executable, "-c", _SEARCH], env=env, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(s for s in proc.stdout.splitlines() if s.startswith("GATES"))
    out: dict[str, dict[str, object]] = json.loads(line[len("GATES"):])
    return out


def _cached(cache: Path) -> set[str]:
    """The kernels with an index file in numba's cache folder."""
    return {p.name.split("-")[0] for p in cache.rglob("*.nbi")}


def test_first_call_gates_fill_numba_cache_once_their_budget_is_spent(tmp_path):
    """The interpreted first-call paths (the filter's numpy twin, scipy's own CSS differences,
    the interpreted profile BFGS, STL) must not keep every later process off the compiled kernels:
    each process adds its interpreted seconds to a ledger in numba's cache folder, and the
    process that finds the budget spent compiles, so the next one finds the kernels cached.
    (Before the gate, a process that ran the interpreted paths never filled the cache.)"""
    kernels = {"_statespace_kernels.kalman_filter", "_auto_arima_css._css_grad",
               "_auto_arima_css._css_objective", "_stl._stl"}
    _search(tmp_path)
    assert not kernels & _cached(tmp_path)  # a first call compiles none of them
    ledgers = list(tmp_path.rglob("seqlab-first-calls.json"))
    assert len(ledgers) == 1, "no ledger of interpreted seconds in numba's cache folder"
    spent = json.loads(ledgers[0].read_text())
    assert spent["kalman_filter"] > 0 and spent["css_grad"] > 0 and spent["stl"] > 0, spent
    fits = {k for k in spent if k.startswith("sarimax_bfgs_")}
    assert fits, spent  # the chosen model's profile fit ran the interpreted BFGS
    # as if earlier processes had spent every budget: this one compiles, numba caches ...
    ledgers[0].write_text(json.dumps(dict.fromkeys(
        ["kalman_filter", "css_grad", "stl", "sarimax_bfgs_arma", "sarimax_bfgs_ar",
         "sarimax_bfgs_ma"], 1e9)))
    _search(tmp_path)
    cached = _cached(tmp_path)
    assert kernels <= cached, cached
    assert any(k.startswith("_bfgs.bfgs_sarimax") for k in cached), cached
    # ... and a fresh process finds them there
    third = _search(tmp_path)
    assert all(third[k]["cached"] for k in {"kalman_filter", "css_grad", "stl"} | fits), third


class _FakeKernel:
    """What FirstCalls reads of a numba dispatcher: its signatures and cache folder."""

    def __init__(self, folder: Path) -> None:
        self.signatures: list[object] = []
        self._cache = type("C", (), {"cache_path": str(folder)})()


def test_first_calls_gate_counts_its_budget_over_processes(tmp_path):
    from seqlab._jit import GATES, LEDGER, FirstCalls

    kernel = _FakeKernel(tmp_path)
    try:
        gate = FirstCalls("test_gate", lambda: (kernel,), budget_s=1.0)
        assert gate.interpret(0.4) and gate.interpret(0.4)
        assert not gate.interpret(0.4)  # would pass the budget: compile
        gate._record()  # what the process does at exit
        assert json.loads((tmp_path / LEDGER).read_text()) == {"test_gate": 0.8}
        later = FirstCalls("test_gate", lambda: (kernel,), budget_s=1.0)  # a new process
        assert later.earlier_s() == 0.8
        assert later.interpret(0.1) and not later.interpret(0.2)
        kernel.signatures.append("compiled")
        assert not later.interpret(0.0)  # compiled (or cached): always the kernel
        later._record()  # a compiled kernel adds nothing more to the ledger
        assert json.loads((tmp_path / LEDGER).read_text()) == {"test_gate": 0.8}
    finally:
        GATES.pop("test_gate", None)
