"""Bad ``seqlab`` invocations: how many end in a traceback, how many "succeed" silently.

Runs ~50 invocations that must fail (unwritable or wrong-kind output paths for every option
that writes a file, folders or junk given as input files, truncated/empty/foreign model
files, an unknown device, a report folder holding user files, ...), each in a fresh
process (``python -m seqlab``), and classifies each outcome:

- ``traceback``: a Python traceback on stderr;
- ``silent success``: exit code 0 although the input is bad;
- ``clean``: exit code 1 or 2 (130 never occurs here), no traceback and exactly one
  stderr line (lines of Python warnings are not counted) starting with ``seqlab``;
- ``noisy``: any other failure (several lines, no ``seqlab`` prefix).

It prints one row per case (exit code, class, wall seconds, the last stderr line) and the
counts. ``--src DIR`` picks the source tree to test (default: this checkout's ``src``), so
the same script measures a branch before and after a change::

    python benchmarks/cli_failures.py --src /work/main/src     # before
    python benchmarks/cli_failures.py                          # after
    python benchmarks/cli_failures.py --only hmm               # cases whose argv has "hmm"

Each case is also given the exit code it should end with (2: bad input or usage, 1: a
runtime failure) and a pattern its error line must match to be clear (``"folder"`` when a
folder was given for a file, ``"pickle"`` for a pickled model file, ...); ``wrong code``
and ``unclear`` count clean failures that miss one or the other. The
output-path cases are timed together: checked first, they fail in about a second each
instead of after the work.
"""

from __future__ import annotations

import argparse
import os
import pickle
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

TRAIN = ["train", "--task", "adding", "--n-train", "16", "--n-val", "8", "--length", "20",
         "--hidden-size", "4", "--epochs", "1", "--batch-size", "8", "--no-progress"]
ESN = ["esn", "--train", "300", "--steps", "10", "--n-units", "30", "--connectivity", "0.2"]
HMM_FILE = ["--file", "{dna}", "--n-iter", "3"]
CAPACITY = ["hopfield", "capacity", "--n-units", "40", "--loads", "0.1", "--min-recalls", "5"]
COMPARE = ["compare", "--budget", "tiny", "--no-progress"]
ARIMA = ["arima", "--data", "nile", "--order", "1", "0", "0", "--steps", "2"]


@dataclass
class Case:
    group: str  # "output path", "input file", "option"
    argv: list[str]
    expect: str  # regular expression the error line must match (what a user needs to read)
    code: int = 2  # the exit code it should end with


_NOPE = "{tmp}/no-such-folder/out"
_MISSING = "does not exist"
_FOLDER = "folder"
_A_FILE = "is a file|not a folder"

_OUTPUT_CASES: list[tuple[list[str], str]] = [
    # every option that writes a file, its folder missing (or, where the writer creates
    # folders, a file where a folder must be)
    (["data", "show", "nile", "--plot", _NOPE + ".png"], _MISSING),
    ([*ARIMA, "--plot", _NOPE + ".png"], _MISSING),
    (["hmm", "fit", *HMM_FILE, "--save", _NOPE + ".npz"], _MISSING),
    (["hmm", "fit", *HMM_FILE, "--plot", _NOPE + ".png"], _MISSING),
    (["hmm", "decode", *HMM_FILE, "--output", _NOPE + ".txt"], _MISSING),
    (["hmm", "decode", *HMM_FILE, "--plot", _NOPE + ".png"], _MISSING),
    (["hmm", "sample", "--model", "{good}", "--output", _NOPE + ".csv"], _MISSING),
    (["hmm", "islands", "--output", _NOPE + ".csv"], _MISSING),
    ([*TRAIN, "--plot", _NOPE + ".png"], _MISSING),
    ([*TRAIN, "--checkpoint-path", "{file}/c.safetensors"], _A_FILE),
    ([*ESN, "--plot", _NOPE + ".png"], _MISSING),
    (["hopfield", "restore", "--plot", _NOPE + ".png"], _MISSING),
    ([*CAPACITY, "--plot", _NOPE + ".png"], _MISSING),
    (["reproduce", "esn-adding", "--out", "{file}"], _A_FILE),
    ([*COMPARE, "--task", "sunspots", "--models", "naive", "--out", "{file}"], _A_FILE),
    # a folder where a file is expected
    ([*ARIMA, "--plot", "{dir}"], _FOLDER),
    (["hmm", "fit", *HMM_FILE, "--save", "{dir}"], _FOLDER),
    (["hmm", "decode", *HMM_FILE, "--output", "{dir}"], _FOLDER),
    ([*TRAIN, "--checkpoint-path", "{dir}"], _FOLDER),
    ([*ESN, "--plot", "{dir}"], _FOLDER),
    (["data", "show", "nile", "--plot", "{dir}"], _FOLDER),
    (["hopfield", "restore", "--plot", "{dir}"], _FOLDER),
    # a file where a folder is expected (the parent of the output)
    ([*ARIMA, "--plot", "{file}/x.png"], _A_FILE),
    (["hmm", "sample", "--model", "{good}", "--output", "{file}/s.csv"], _A_FILE),
    (["reproduce", "esn-adding", "--out", "{file}/sub"], _A_FILE),
    # a plot format matplotlib cannot write
    ([*ARIMA, "--plot", "{tmp}/plot.xyz"], "xyz"),
]
_INPUT_CASES: list[tuple[list[str], str]] = [
    (["arima", "--data", "{dir}"], _FOLDER),
    (["arima", "--data", "{junk}"], "CSV"),
    (["arima", "--data", "{tmp}/none.csv"], _MISSING),
    (["arima", "--data", "{empty}.csv"], "CSV|empty"),
    (["hmm", "fit", "--file", "{dir}"], _FOLDER),
    (["hmm", "fit", "--file", "{junk}"], "not a text file|DNA"),
    (["hmm", "fit", "--file", "{empty}.txt"], "empty"),
    *[(["hmm", "decode", *HMM_FILE, "--model", m], e) for m, e in (
        ("{empty}.npz", "empty"), ("{trunc}", "truncated|corrupt"), ("{nokey}", "zip archive"),
        ("{junk}", "not a safetensors"), ("{dir}", _FOLDER), ("{pickled}", "pickle"))],
    *[(["hmm", "sample", "--model", m], e) for m, e in (
        ("{empty}.npz", "empty"), ("{trunc}", "truncated|corrupt"), ("{nokey}", "zip archive"),
        ("{pickled}", "pickle"), ("{wrongshape}", "checksum"))],
    ([*COMPARE, "--data", "{junk}", "--out", "{tmp}/rep-junk"], r"\.bin"),
    ([*COMPARE, "--data", "{dir}", "--out", "{tmp}/rep-dir"], _FOLDER),
    ([*COMPARE, "--data", "{tmp}/none.csv", "--out", "{tmp}/rep-none"], _MISSING),
    ([*COMPARE, "--task", "sunspots", "--models", "naive", "--out", "{userdir}"], "thesis"),
]
_OPTION_CASES: list[tuple[list[str], str]] = [
    ([*TRAIN, "--device", "tpu"], "valid"),
    ([*TRAIN, "--device", "cuda:7"], "valid"),
    ([*TRAIN, "--epochs", "-1"], "epochs"),
    ([*COMPARE, "--task", "weather", "--data", "{csv}", "--out", "{tmp}/rep-ignored"],
     "sunspots"),
    (["arima", "--order", "1", "0"], "three"),
    (["arima", "--data", "nile", "--steps", "x"], "invalid int"),
    (["hmm", "fit"], "exactly one"),
    (["data", "show", "no-such-set"], "valid names"),
    ([*ESN, "--spectral-radius", "0"], "spectral_radius"),
    (["reproduce", "no-such-paper"], "valid"),
    (["no-such-command"], "invalid choice"),
]


def _cases() -> list[Case]:
    return ([Case("output path", a, e) for a, e in _OUTPUT_CASES]
            + [Case("input file", a, e) for a, e in _INPUT_CASES]
            + [Case("option", a, e) for a, e in _OPTION_CASES])


def _fixtures(tmp: Path) -> dict[str, str]:
    (tmp / "dir").mkdir()
    (tmp / "userdir").mkdir()
    (tmp / "userdir" / "thesis.tex").write_text("my own file, not a seqlab report\n")
    (tmp / "file.txt").write_text("a plain file\n")
    rng = np.random.default_rng(0)
    (tmp / "dna.txt").write_text("".join(rng.choice(list("ACGT"), 300)) + "\n")
    (tmp / "junk.bin").write_bytes(rng.integers(0, 256, 4000, dtype=np.uint8).tobytes())
    for suffix in (".csv", ".txt", ".npz"):
        (tmp / f"empty{suffix}").write_bytes(b"")
    (tmp / "series.csv").write_text("y\n" + "\n".join(f"{v:.4f}" for v in rng.normal(size=80)))
    import seqlab
    from seqlab.classical import CategoricalHMM

    hmm = CategoricalHMM(2, seed=0, n_iter=3).fit(np.array([0, 1, 1, 0, 2, 2, 3]))
    seqlab.save(hmm, tmp / "good.npz")  # what `seqlab hmm fit --save` writes
    data = (tmp / "good.npz").read_bytes()
    (tmp / "trunc.npz").write_bytes(data[: len(data) // 2])
    np.savez(tmp / "nokey.npz", startprob_=np.array([0.5, 0.5]))  # the old np.savez layout
    flipped = bytearray(data)
    flipped[-3] ^= 1  # one bit changed: the checksum must catch it
    (tmp / "wrongshape.npz").write_bytes(bytes(flipped))
    (tmp / "pickled.npz").write_bytes(pickle.dumps({"startprob_": [0.5, 0.5]}))
    names = {"tmp": str(tmp), "dir": str(tmp / "dir"), "userdir": str(tmp / "userdir"),
             "file": str(tmp / "file.txt"), "dna": str(tmp / "dna.txt"),
             "junk": str(tmp / "junk.bin"), "empty": str(tmp / "empty"),
             "csv": str(tmp / "series.csv"), "good": str(tmp / "good.npz")}
    for key in ("trunc", "nokey", "wrongshape", "pickled"):
        names[key] = str(tmp / f"{key}.npz")
    return names


_WARNING = re.compile(r"^\S.*(Warning|warn)\b.*:|^\s")  # "file:line: XWarning: ..." + source


def _classify(rc: int | None, err: str) -> tuple[str, str]:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    last = lines[-1] if lines else ""
    if rc is None:
        return "timeout", last
    if "Traceback (most recent call last)" in err:
        return "traceback", last
    if rc == 0:
        return "silent success", last
    kept = [ln for ln in lines if not _WARNING.match(ln)]
    if len(kept) == 1 and kept[0].startswith("seqlab"):
        return "clean", kept[0]
    return "noisy", last


def _run(case: Case, names: dict[str, str], src: str, timeout: float) -> tuple[str, int | None,
                                                                             str, float, str]:
    argv = [a.format(**names) for a in case.argv]
    env = dict(os.environ, PYTHONPATH=src, MPLBACKEND="Agg", TQDM_DISABLE="1")
    start = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "seqlab", *argv], capture_output=True,
                              text=True, env=env, timeout=timeout, cwd=names["tmp"])
        rc: int | None = proc.returncode
        err = proc.stderr
    except subprocess.TimeoutExpired:
        rc, err = None, ""
    seconds = time.perf_counter() - start
    kind, line = _classify(rc, err)
    return kind, rc, line, seconds, " ".join(a.replace(names["tmp"], "$T") for a in argv)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", default=str(ROOT / "src"), help="source tree to test")
    parser.add_argument("--jobs", type=int, default=2, help="processes at once")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per case")
    parser.add_argument("--only", default=None, help="run the cases whose argv has this word")
    args = parser.parse_args()
    cases = _cases()
    if args.only:
        cases = [c for c in cases if args.only in c.argv]
    counts: dict[str, int] = {}
    wrong_code = unclear = 0
    group_seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as d:
        names = _fixtures(Path(d))
        with ThreadPoolExecutor(args.jobs) as pool:
            runs = list(pool.map(lambda c: _run(c, names, args.src, args.timeout), cases))
    print(f"seqlab from {args.src}: {len(cases)} bad invocations\n")
    print(f"{'code':>4} {'want':>4} {'class':<14} {'sec':>6}  invocation / last stderr line")
    for case, (kind, rc, line, seconds, shown) in zip(cases, runs):
        counts[kind] = counts.get(kind, 0) + 1
        if kind == "clean" and rc != case.code:
            wrong_code += 1
        if kind == "clean" and not re.search(case.expect, line, re.IGNORECASE):
            unclear += 1
            kind += " ?"
        group_seconds[case.group] = group_seconds.get(case.group, 0.0) + seconds
        print(f"{rc!s:>4} {case.code:>4} {kind:<14} {seconds:6.1f}  seqlab {shown}")
        print(f"{'':>32}{line[:150]}")
    print()
    for kind in ("clean", "traceback", "silent success", "noisy", "timeout"):
        print(f"{kind:<15} {counts.get(kind, 0):3d}")
    print(f"{'wrong code':<15} {wrong_code:3d}  (clean, but not the exit code asked for)")
    print(f"{'unclear':<15} {unclear:3d}  (clean, but the line lacks what the case needs said;"
          " marked '?')")
    for group, seconds in group_seconds.items():
        print(f"wall seconds, {group} cases: {seconds:.0f}")


if __name__ == "__main__":
    main()
