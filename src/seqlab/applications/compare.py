"""The main job: run the application benchmarks, print leaderboards, write a report.

:data:`TASKS` maps each task name to the module that runs it (one per application domain
of the lecture) and :func:`run_compare` runs a selection of tasks with one budget and
seed, shows a progress bar (tqdm), prints one leaderboard per task (model, held-out
metrics, training seconds) and writes ``report.md``, ``results.json`` and the PNG plots to
``out_dir`` (built in a staging folder and swapped in at the end).

============== ============ ====================================================
task           module       what
============== ============ ====================================================
sunspots       classic      yearly sunspots: AR(2), ARIMA, ESN, RNNs
airline        classic      monthly airline passengers: SARIMA, AutoARIMA, ESN, RNNs
sp500          stocks       daily S&P 500 log returns, 5-day forecasts
stocks-monthly stocks       monthly log returns of 5 tickers, pooled
weather        weather      next-day Seattle maximum temperature
weather-hmm    weather      hidden weather regimes vs recorded labels
text           text         character language model on Shakespeare
dna-islands    dna          CpG-island HMM vs the Gardiner-Garden & Frommer rule
dna-genes      dna          gene vs non-gene DNA windows
vowels         speech       Japanese Vowels speaker classification
digits         speech       spoken digits (needs espeak-ng and sox)
============== ============ ====================================================
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from seqlab._validation import check_choice
from seqlab.applications._common import RunContext, TaskResult, get_budget
from seqlab.applications._report_dir import staged_report_dir
from seqlab.exceptions import SeqlabFileNotFoundError, SeqlabValueError

__all__ = ["ALL_MODELS", "TASKS", "run_compare", "task_models"]

#: task name -> module of :mod:`seqlab.applications` with ``MODELS`` and ``run(ctx)``
TASKS: dict[str, str] = {
    "sunspots": "classic",
    "airline": "classic",
    "sp500": "stocks",
    "stocks-monthly": "stocks",
    "weather": "weather",
    "weather-hmm": "weather",
    "text": "text",
    "dna-islands": "dna",
    "dna-genes": "dna",
    "vowels": "speech",
    "digits": "speech",
}

#: every model name any task knows, for validating ``--models``
ALL_MODELS: tuple[str, ...] = ("naive", "snaive", "drift", "ar", "arima", "sarima",
                               "autoarima", "hmm", "mixture", "markov", "kmer", "centroid",
                               "esn", "elman", "gru", "lstm")


def _entry(task: str) -> tuple[tuple[str, ...], Callable[[RunContext], TaskResult]]:
    module = importlib.import_module(f"seqlab.applications.{TASKS[task]}")
    models = module.TASK_MODELS[task] if hasattr(module, "TASK_MODELS") else module.MODELS
    runner = module.RUNNERS[task] if hasattr(module, "RUNNERS") else module.run
    return tuple(models), runner


def task_models(task: str) -> tuple[str, ...]:
    """The models ``task`` runs by default.

    >>> task_models("sunspots")
    ('naive', 'ar', 'arima', 'esn', 'elman', 'gru', 'lstm')
    """
    check_choice(task, "task", tuple(TASKS))
    return _entry(task)[0]


#: task that reads a user data file, by suffix
_DATA_TASKS: dict[str, str] = {".csv": "sunspots", ".txt": "text", ".text": "text",
                               ".md": "text"}


def _task_for_data(path: Path, tasks: Sequence[str] | None) -> str:
    """The task that reads ``path``; refuse a folder, an unknown type or an unused file."""
    if path.is_dir():
        raise SeqlabFileNotFoundError(f"data file {path} is a folder; name a .csv or .txt file.")
    if not path.is_file():
        raise SeqlabFileNotFoundError(f"data file {path} does not exist.")
    task = _DATA_TASKS.get(path.suffix.lower())
    if task is None:
        raise SeqlabValueError(
            f"data file {path}: unknown type {path.suffix or '(no suffix)'!r}; give a .csv "
            "(a numeric series, replaces the sunspots) or a .txt (text for the language model)."
        )
    if tasks and task not in tasks:
        raise SeqlabValueError(
            f"data file {path} is read by the {task!r} task only, which is not among the "
            f"tasks asked for ({', '.join(tasks)}); add {task!r} or drop the data file."
        )
    return task


def run_compare(
    tasks: Sequence[str] | None = None,
    models: Sequence[str] | None = None,
    *,
    budget: str = "quick",
    out_dir: str | os.PathLike[str] = "seqlab-report",
    data_file: str | os.PathLike[str] | None = None,
    seed: int = 0,
    progress: bool = True,
    echo: Callable[[str], Any] | None = print,
) -> list[TaskResult]:
    """Run ``tasks`` (default: all; with ``data_file`` only the task that reads it) with
    ``models`` (default: each task's own list), print leaderboards through ``echo`` and
    write the report folder ``out_dir``. Returns the results, one per task.

    ``data_file``: a ``.csv`` (its last numeric column replaces the sunspot series) or a
    ``.txt`` file (replaces Shakespeare in the ``text`` task; the last 10 % is held out);
    any other file, or one no requested task reads, is refused.

    The report is built in a staging folder beside ``out_dir`` and swapped in at the end
    (:mod:`seqlab.applications._report_dir`): an error or Ctrl-C leaves an old report as it
    was, and a folder holding anything but a seqlab report is refused before any work.
    """
    b = get_budget(budget)
    task_list = list(tasks) if tasks else list(TASKS)
    for t in task_list:
        check_choice(t, "task", tuple(TASKS))
    for m in models or ():
        check_choice(m, "model", ALL_MODELS)
    data_path = None
    if data_file is not None:
        data_path = Path(data_file)
        data_task = _task_for_data(data_path, tasks)
        if not tasks:
            task_list = [data_task]
    with staged_report_dir(out_dir) as staging:
        results, meta = _run_plan(task_list, models, b, staging, seed, data_path, progress,
                                  echo)
    out = Path(out_dir)
    for res in results:  # the figures now live in the final folder
        res.figures = [(title, str(out / Path(png).name)) for title, png in res.figures]
    if echo is not None:
        echo(f"\nreport: {out / 'report.md'} (total {meta['seconds']:.1f} s)")
    return results


def _run_plan(task_list: list[str], models: Sequence[str] | None, b: Any, out: Path, seed: int,
              data_path: Path | None, progress: bool, echo: Callable[[str], Any] | None
              ) -> tuple[list[TaskResult], dict[str, Any]]:
    """Run every task, writing plots and the report into ``out``; (results, meta)."""
    import torch

    plan = []
    for t in task_list:
        defaults, runner = _entry(t)
        chosen = tuple(m for m in defaults if models is None or m in models)
        plan.append((t, chosen, runner))
    n_steps = sum(max(1, len(c)) for _, c, _ in plan)
    from tqdm.auto import tqdm

    bar = tqdm(total=n_steps, disable=not progress, unit="model", desc="seqlab compare")
    old_threads = torch.get_num_threads()
    # the networks are small (hidden <= 256): one thread beats two, whose synchronisation
    # costs more than the tiny matrix products (and collapses on a busy machine); numba's
    # OpenMP layer shares libgomp with torch, so numba is set first and torch after it
    # (fit_network re-applies torch's single thread before every fit)
    import numba

    old_numba = numba.get_num_threads()
    numba.set_num_threads(1)
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)  # denormal floats make long recurrences crawl
    results: list[TaskResult] = []
    start_all = time.perf_counter()
    try:
        for t, chosen, runner in plan:
            def tick(label: str, t: str = t) -> None:
                bar.set_postfix_str(f"{t}: {label}")
                bar.update(1)

            if not chosen:
                res = TaskResult(t, t, "", "-", False,
                                 skipped=[f"none of the requested models run on task {t}"])
                bar.update(1)
            else:
                ctx = RunContext(b, chosen, out, seed, data_path, tick)
                torch.manual_seed(seed)
                start = time.perf_counter()
                res = runner(ctx)
                res.seconds = time.perf_counter() - start
            results.append(res)
            if echo is not None:
                from seqlab.applications.report import format_leaderboard

                bar.clear()
                echo(f"\n== {res.title} [{t}] ({res.seconds:.1f} s)")
                if res.rows:
                    echo(format_leaderboard(res))
                for note in res.skipped:
                    echo(f"skipped: {note}")
    finally:
        bar.close()
        torch.set_num_threads(old_threads)
        torch.set_flush_denormal(False)
        numba.set_num_threads(old_numba)
    from seqlab.applications.report import write_json, write_report

    meta = {"budget": b.name, "seed": seed, "seconds": time.perf_counter() - start_all,
            "tasks": ",".join(task_list), "data_file": None if data_path is None
            else str(data_path)}
    write_report(out, results, meta)
    write_json(out, results, meta)
    return results, meta
