"""``seqlab compare``: run the application benchmarks on real data and write a report.

With no arguments it runs the quick budget of every task (a few minutes on 2 cores) and
writes ``./seqlab-report/report.md`` with PNG plots and ``results.json`` (built in a
staging folder and swapped in at the end, so Ctrl-C leaves an old report intact; a folder
holding other files is refused)::

    seqlab compare
    seqlab compare --task sunspots text --models ar lstm --budget full --out my-report
    seqlab compare --data my_series.csv     # your own series instead of the sunspots
    seqlab compare --data my_book.txt       # your own text for the language model
"""

from __future__ import annotations

import argparse
from typing import Any

# kept in sync with seqlab.applications.compare (imported lazily to keep --help fast)
_TASKS = ("sunspots", "airline", "sp500", "stocks-monthly", "weather", "weather-hmm", "text",
          "dna-islands", "dna-genes", "vowels", "digits")
_MODELS = ("naive", "snaive", "drift", "ar", "arima", "sarima", "autoarima", "hmm", "mixture",
           "markov", "kmer", "centroid", "esn", "elman", "gru", "lstm")


def add_parser(subparsers: Any) -> None:
    """Register ``seqlab compare``."""
    p = subparsers.add_parser(
        "compare",
        help="run traditional and recurrent models on real data; leaderboards and a report",
        description="Run the application benchmarks (stocks, weather, text, DNA, speech, "
        "sunspots, airline passengers) on built-in data, print a leaderboard per task "
        "(held-out metrics, interval coverage, training time) and write a report folder "
        "(report.md, PNG plots, results.json).",
    )
    p.add_argument("--task", nargs="+", choices=_TASKS, default=None, metavar="TASK",
                   help=f"tasks to run (default: all): {', '.join(_TASKS)}")
    p.add_argument("--models", nargs="+", choices=_MODELS, default=None, metavar="MODEL",
                   help=f"models to run where a task has them (default: each task's list): "
                   f"{', '.join(_MODELS)}")
    p.add_argument("--budget", choices=("tiny", "quick", "full"), default="quick",
                   help="quick: a few minutes on 2 cores (default); full: tens of minutes; "
                   "tiny: a smoke test")
    p.add_argument("--out", default="seqlab-report", help="report folder (default: "
                   "./seqlab-report)")
    p.add_argument("--data", default=None, metavar="FILE",
                   help="your own data: a .csv (last numeric column, replaces the sunspot "
                   "series) or a .txt (replaces Shakespeare in the text task)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help="hide the progress bar")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from seqlab.applications import run_compare
    from seqlab.cli._paths import check_output_dir

    check_output_dir(args.out, "--out")  # run_compare then refuses folders of other files
    run_compare(args.task, args.models, budget=args.budget, out_dir=args.out,
                data_file=args.data, seed=args.seed, progress=args.progress)
    return 0
