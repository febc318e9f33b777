"""``python -m seqlab`` in a ``seqlab train --nproc`` worker ends by ``os._exit`` with the
command's exit code and its output flushed; everywhere else by ``SystemExit``."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from seqlab.scale import distributed


def _run(args: list[str], worker: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("RANK", "WORLD_SIZE", distributed._LAUNCHED)}
    if worker:
        env.update({"RANK": "0", "WORLD_SIZE": "1", distributed._LAUNCHED: "1"})
    # an atexit hook that prints: it runs on a normal exit, not after os._exit
    code = ("import atexit, runpy; atexit.register(print, 'ATEXIT-RAN'); "
            f"import sys; sys.argv = ['seqlab', *{args!r}]; "
            "runpy.run_module('seqlab', run_name='__main__')")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120)


@pytest.mark.parametrize("worker", [False, True], ids=["plain", "nproc-worker"])
def test_exit_code_and_output_survive(worker: bool) -> None:
    ok = _run(["--version"], worker)
    assert ok.returncode == 0
    assert ok.stdout.startswith("seqlab ")  # flushed before os._exit
    assert ("ATEXIT-RAN" in ok.stdout) is not worker  # the interpreter's shutdown skipped
    bad = _run(["arima", "--bogus"], worker)
    assert bad.returncode == 2
    assert "unrecognized arguments: --bogus" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_outside_a_worker_it_raises_systemexit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(distributed._LAUNCHED, raising=False)
    for code in (0, 2, None):
        with pytest.raises(SystemExit) as stop:
            distributed.exit_worker(code)
        assert stop.value.code == code


def test_a_message_exit_is_printed_in_a_worker() -> None:
    env = {**os.environ, "RANK": "0", "WORLD_SIZE": "1", distributed._LAUNCHED: "1"}
    code = "from seqlab.scale.distributed import exit_worker; exit_worker('stopped: why')"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=60)
    assert res.returncode == 1
    assert res.stderr.strip() == "stopped: why"
