"""``seqlab reproduce``: rerun the lecture's experiments, the paper's figures beside ours.

``seqlab reproduce --list`` names the reproductions; ``seqlab reproduce NAME`` runs one
with the quick budget (a few minutes on 2 cores) or ``--full`` (paper scale), prints the
comparison table and writes ``NAME-BUDGET.json`` and ``.png`` into ``--out``.
"""

from __future__ import annotations

import argparse

from seqlab.cli._paths import check_output_dir
from seqlab.exceptions import SeqlabValueError

__all__ = ["add_parser"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``seqlab reproduce``."""
    parser = subparsers.add_parser(
        "reproduce",
        help="reproduce the vanishing-gradient experiments (adding, temporal order, ...)",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    parser.add_argument("name", nargs="?", default=None,
                        help="reproduction to run (see --list)")
    parser.add_argument("--list", action="store_true", help="list the reproductions and exit")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", dest="budget", action="store_const", const="quick",
                       help="small budget, minutes on 2 cores (default)")
    group.add_argument("--full", dest="budget", action="store_const", const="full",
                       help="the papers' budgets (hours on 2 cores)")
    parser.add_argument("--out", default="reproduce-results",
                        help="folder for the JSON results and the plot")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.set_defaults(func=_cmd_reproduce, budget="quick")


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from seqlab.reproduce import REPRODUCTIONS, list_reproductions, run_reproduction

    if args.list:
        from seqlab.reproduce._recorded import RECORDED

        width = max(len(n) for n in REPRODUCTIONS)
        pad = " " * (width + 2)
        for info in list_reproductions():
            print(f"{info.name:<{width}}  {info.description}")
            print(f"{pad}source: {info.source}")
            rec = RECORDED.get(info.name)
            if rec is None:
                print(f"{pad}ours: not run at the full budget yet (seqlab reproduce "
                      f"{info.name} --full)")
                continue
            print(f"{pad}last full-budget run ({rec['file']}, {rec['wall_time_s']} s):")
            w_set = max(len(r[0]) for r in rec["rows"])
            w_pap = max(len(r[1]) for r in rec["rows"])
            print(f"{pad}  {'setting':<{w_set}}  {'paper':<{w_pap}}  ours")
            for setting, paper, ours in rec["rows"]:
                print(f"{pad}  {setting:<{w_set}}  {paper:<{w_pap}}  {ours}")
        return 0
    if args.name is None:
        raise SeqlabValueError("give a reproduction NAME or --list; valid names are: "
                         + ", ".join(REPRODUCTIONS) + ".")
    if args.seed < 0:
        raise SeqlabValueError(f"--seed must be >= 0; got {args.seed}.")
    if args.name not in REPRODUCTIONS:
        raise SeqlabValueError(f"unknown reproduction {args.name!r}; valid names are: "
                               + ", ".join(REPRODUCTIONS) + ".")
    check_output_dir(args.out, "--out")
    report = run_reproduction(args.name, args.budget, seed=args.seed, out_dir=args.out)
    print(report.table())
    print(f"results: {args.out}/{report.name}-{report.budget}.json (+ .png)")
    return 0
