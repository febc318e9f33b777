"""The measured choice between MKL and oneDNN for the fast paths' float32 products
(:mod:`seqlab.recurrent._matmul`): the rule (margin, interleaved best-of), the products both
ways, the pin, the shape classes, and the per-machine file a later process reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings

import pytest
import torch

from seqlab.exceptions import SeqlabValueError
from seqlab.recurrent import _matmul as M

needs_onednn = pytest.mark.skipif(not M.onednn(), reason="torch build without oneDNN")


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    """No choices in memory, the file in ``tmp_path``, saving on, no pin."""
    monkeypatch.setenv("SEQLAB_CACHE", str(tmp_path))
    monkeypatch.delenv(M.ENV, raising=False)
    monkeypatch.setattr(M, "PERSIST", True)
    M.forget()
    yield tmp_path
    M.forget()


def _fake(times: dict[str, float]):
    """Runners that advance a fake clock by ``times[name]`` a call, and that clock."""
    now = [0.0]

    def runner(dt: float):
        def run() -> None:
            now[0] += dt
        return run

    return {name: runner(dt) for name, dt in times.items()}, lambda: now[0]


@pytest.mark.parametrize(("onednn_time", "expected"), [
    (0.90, "onednn"),  # 10 % faster: past the margin
    (0.97, "mkl"),  # 3 % faster: inside the margin, torch's own path stays
    (1.00, "mkl"),
    (1.50, "mkl"),
])
def test_rule_keeps_onednn_only_past_the_margin(onednn_time, expected):
    run, clock = _fake({"mkl": 1.0, "onednn": onednn_time})
    assert M.measure(run, flops=1e9, clock=clock) == expected


def test_rule_takes_the_best_round_of_each():
    # oneDNN slow in its first timed round only (a page fault, another process): its best
    # round decides, and it is the faster one
    now = [0.0]
    calls = {"onednn": 0}

    def mkl() -> None:
        now[0] += 1.0

    def dnn() -> None:
        calls["onednn"] += 1
        now[0] += 50.0 if calls["onednn"] == 2 else 0.5  # call 1 is the warm-up

    assert M.measure({"mkl": mkl, "onednn": dnn}, flops=1e12, clock=lambda: now[0]) == "onednn"
    assert calls["onednn"] == 1 + M._ROUNDS  # warm-up + one product per round (large flops)


@needs_onednn
@pytest.mark.parametrize("kind", ["step", "seq", "tn"])
def test_runners_compute_the_same_product(kind):
    run = M.runners(kind, 7, 13, 19)
    a, b = run["mkl"](), run["onednn"]()
    assert a.shape == b.shape == ((13, 19) if kind == "tn" else (7, 19))
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
    assert float(a.abs().max()) > 1.0  # not a product of zeros


@needs_onednn
def test_runners_leave_the_global_random_stream_alone():
    torch.manual_seed(3)
    expected = torch.rand(3)
    torch.manual_seed(3)
    M.runners("step", 4, 5, 6)
    assert torch.equal(torch.rand(3), expected)


def test_shape_classes():
    assert M.key("step", 480, 128, 384) == M.key("step", 512, 128, 384)
    assert M.key("step", 513, 128, 384) != M.key("step", 512, 128, 384)
    assert M.key("step", 32, 128, 384) != M.key("seq", 32, 128, 384)
    n = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = M.key("step", 32, 128, 128)
        torch.set_num_threads(2)
        assert M.key("step", 32, 128, 128) != one
    finally:
        torch.set_num_threads(n)


@needs_onednn
def test_seq_products_measured_on_at_most_seq_rows(fresh, monkeypatch):
    seen = []
    monkeypatch.setattr(M, "runners", lambda kind, m, k, n: seen.append((kind, m, k, n)) or {})
    monkeypatch.setattr(M, "measure", lambda run, flops: "mkl")
    M.onednn_faster("seq", 100_000, 64, 96)
    M.onednn_faster("seq", M.SEQ_ROWS, 64, 96)  # the same class: not measured again
    M.onednn_faster("tn", 5_000, 64, 96)
    M.onednn_faster("step", 100_000, 64, 96)  # per-step products are not capped
    assert seen == [("seq", M.SEQ_ROWS, 64, 96), ("tn", M.SEQ_ROWS, 64, 96),
                    ("step", 100_000, 64, 96)]


@pytest.mark.parametrize(("pin", "expected"), [("mkl", False), ("onednn", True),
                                               ("MKL", False), ("", None)])
def test_pin(fresh, monkeypatch, pin, expected):
    monkeypatch.setenv(M.ENV, pin)
    if expected is None:  # empty: measure, as unset
        monkeypatch.setattr(M, "measure", lambda run, flops: "onednn")
        expected = True
    else:
        monkeypatch.setattr(M, "measure", lambda run, flops: pytest.fail("measured"))
    assert M.onednn_faster("step", 32, 128, 128) is (expected and M.onednn())
    if pin in ("mkl", "onednn", "MKL"):
        assert not (fresh / M._FILE).exists()  # a pin saves nothing


def test_bad_pin_says_what_to_set(fresh, monkeypatch):
    monkeypatch.setenv(M.ENV, "openblas")
    with pytest.raises(SeqlabValueError, match=r"SEQLAB_MATMUL='openblas'.*'mkl' or 'onednn'"):
        M.pinned()


@needs_onednn
def test_choice_saved_and_read_by_a_new_process(fresh, monkeypatch):
    monkeypatch.setattr(M, "measure", lambda run, flops: "onednn")
    assert M.onednn_faster("step", 24, 40, 56) is True
    data = json.loads((fresh / M._FILE).read_text())
    assert data == {M.machine(): {M.key("step", 24, 40, 56): "onednn"}}
    # a new process reads it: it would measure MKL as the faster one, were it to measure
    code = (f"import torch; torch.set_num_threads({torch.get_num_threads()})\n"
            "from seqlab.recurrent import _matmul as M\n"
            "M.measure = lambda run, flops: 'mkl'\n"
            "print(M.onednn_faster('step', 24, 40, 56), M.onednn_faster('step', 8, 8, 8))")
    env = {**os.environ, "SEQLAB_CACHE": str(fresh)}
    env.pop(M.ENV, None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["True", "False"]  # read; measured (another class)
    data = json.loads((fresh / M._FILE).read_text())[M.machine()]
    assert data == {M.key("step", 24, 40, 56): "onednn", M.key("step", 8, 8, 8): "mkl"}


@needs_onednn
def test_other_machines_entries_are_kept_and_not_used(fresh, monkeypatch):
    k = M.key("step", 24, 40, 56)
    (fresh / M._FILE).write_text(json.dumps({"another CPU": {k: "onednn"}}))
    monkeypatch.setattr(M, "measure", lambda run, flops: "mkl")
    assert M.onednn_faster("step", 24, 40, 56) is False
    data = json.loads((fresh / M._FILE).read_text())
    assert data == {"another CPU": {k: "onednn"}, M.machine(): {k: "mkl"}}


@needs_onednn
def test_unreadable_file_warns_and_is_rewritten(fresh, monkeypatch):
    (fresh / M._FILE).write_text("{not json")
    monkeypatch.setattr(M, "measure", lambda run, flops: "onednn")
    with pytest.warns(RuntimeWarning, match="could not read the saved matrix-product"):
        assert M.onednn_faster("seq", 64, 32, 32) is True
    assert json.loads((fresh / M._FILE).read_text()) == {
        M.machine(): {M.key("seq", 64, 32, 32): "onednn"}}


@needs_onednn
def test_unwritable_cache_warns_and_keeps_the_choice(fresh, monkeypatch):
    blocker = fresh / "file"
    blocker.write_text("")
    monkeypatch.setenv("SEQLAB_CACHE", str(blocker / "sub"))  # a folder under a file
    monkeypatch.setattr(M, "measure", lambda run, flops: "onednn")
    with pytest.warns(RuntimeWarning, match="could not save.*SEQLAB_CACHE"):
        assert M.onednn_faster("step", 16, 16, 16) is True
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # kept in the process: no second attempt, no warning
        assert M.onednn_faster("step", 16, 16, 16) is True


def test_float64_and_builds_without_onednn_use_torch(fresh, monkeypatch):
    monkeypatch.setenv(M.ENV, "onednn")
    w = torch.randn(6, 4, dtype=torch.float64)
    a, c = torch.randn(3, 4, dtype=torch.float64), torch.randn(3, 6, dtype=torch.float64)
    out = torch.empty(3, 6, dtype=torch.float64)
    assert M.step_product(w, 3)(a, c, out=out) is out  # torch's addmm into ``out``
    torch.testing.assert_close(out, a @ w.t() + c, rtol=1e-14, atol=1e-14)
    monkeypatch.setattr(M, "onednn", lambda: False)
    assert M.onednn_faster("step", 3, 4, 6) is False


@needs_onednn
@pytest.mark.parametrize("pin", ["mkl", "onednn"])
def test_step_product_and_linear_either_way(fresh, monkeypatch, pin):
    monkeypatch.setenv(M.ENV, pin)
    gen = torch.Generator().manual_seed(4)
    w, a = torch.randn(12, 5, generator=gen), torch.randn(3, 5, generator=gen)
    c, b = torch.randn(3, 12, generator=gen), torch.randn(12, generator=gen)
    out = torch.empty(3, 12)
    y = M.step_product(w, 3)(a, c, out=out)
    assert (y is out) == (pin == "mkl")  # oneDNN's op returns a new tensor
    torch.testing.assert_close(y, a @ w.t() + c, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(M.linear(a, w, b), a @ w.t() + b, rtol=1e-5, atol=1e-5)


# --- the recursion's loop: torch calls, or one numba call with BLAS products (_blas_loop)


@pytest.mark.parametrize(("blas_time", "mkl_time", "expected"), [
    (0.60, None, "blas"), (1.00, None, "blas"),  # a tie keeps the loop: it saves torch calls
    (1.05, None, "torch"), (2.0, None, "torch"),
    (0.60, 0.50, "mkl"), (0.60, 0.70, "blas"), (1.10, 0.95, "mkl"), (1.10, 1.20, "torch")])
def test_loop_rule(blas_time, mkl_time, expected):
    times = {"torch": 1.0, "blas": blas_time}
    if mkl_time is not None:
        times["mkl"] = mkl_time
    run, clock = _fake(times)
    assert M.measure_loop(run, flops=1e9, clock=clock) == expected


def test_loop_runners_compute_the_same_product_at_one_blas_thread(monkeypatch):
    from threadpoolctl import threadpool_info

    from seqlab.recurrent import _blas_loop, _mkl

    seen = []
    original = _blas_loop._product_loop

    def spy(*args):
        if not args[-1]:  # np.dot's loop (not MKL's)
            seen.extend(lib["num_threads"] for lib in threadpool_info()
                        if lib["user_api"] == "blas")
        return original(*args)

    run = M.loop_runners(7, 13, 19, reps=3)
    assert set(run) == ({"torch", "blas", "mkl"} if _mkl.available() else {"torch", "blas"})
    monkeypatch.setattr(_blas_loop, "_product_loop", spy)
    a = run["torch"]()
    assert a.shape == (7, 19)
    assert float(a.abs().max()) > 1.0  # not a product of zeros
    for name in set(run) - {"torch"}:
        torch.testing.assert_close(run[name](), a, rtol=1e-5, atol=1e-5)
    assert seen and set(seen) == {1}  # every BLAS library at one thread inside np.dot's loop


def test_one_blas_thread_restores_the_thread_counts():
    from threadpoolctl import threadpool_info, threadpool_limits

    from seqlab.recurrent import _blas_loop

    def counts() -> list[int]:
        return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]

    _blas_loop._controller()  # scipy's BLAS loaded
    with threadpool_limits(2, user_api="blas"):
        assert set(counts()) == {2}
        with _blas_loop.one_blas_thread():
            assert set(counts()) == {1}
        assert set(counts()) == {2}


@pytest.mark.parametrize("pin", ["mkl", "onednn"])
def test_a_pin_keeps_the_torch_loop_unmeasured(fresh, monkeypatch, pin):
    monkeypatch.setenv(M.ENV, pin)
    monkeypatch.setattr(M, "measure_loop", lambda run, flops: pytest.fail("measured"))
    assert M.loop_choice(32, 128, 128) == "torch"
    assert not (fresh / M._FILE).exists()


@pytest.mark.parametrize("answer", ["blas", "mkl", "torch"])
def test_loop_choice_measured_once_saved_and_read_back(fresh, monkeypatch, answer):
    calls = []
    monkeypatch.setattr(M, "loop_runners", lambda m, k, n, reps: calls.append((m, k, n)) or {})
    monkeypatch.setattr(M, "measure_loop", lambda run, flops: answer)
    assert M.loop_choice(24, 40, 40) == answer
    assert M.loop_choice(30, 40, 40) == answer  # the same class
    assert calls == [(24, 40, 40)]
    assert json.loads((fresh / M._FILE).read_text()) == {
        M.machine(): {M.key("loop", 24, 40, 40): answer}}
    M.forget()  # as a new process: read from the file, not measured
    monkeypatch.setattr(M, "measure_loop", lambda run, flops: pytest.fail("measured"))
    assert M.loop_choice(24, 40, 40) == answer
