"""``seqlab generate MODEL --prime TEXT``: sample text from a saved language model.

``MODEL`` is a model file written by ``seqlab train --data corpus.txt --save MODEL`` (a
:class:`seqlab.pipelines.TextLanguageModel`); the text after the prime is printed.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["add_parser"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``seqlab generate``."""
    parser = subparsers.add_parser(
        "generate", help="sample text from a saved language model",
        description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("model", help="model file written by seqlab train --data TEXT --save")
    parser.add_argument("--prime", required=True, help="text the sample starts from")
    parser.add_argument("--length", type=int, default=200, help="characters to generate "
                        "(default: 200)")
    parser.add_argument("--temperature", type=float, default=1.0,
                        help="sampling temperature; 0 = greedy (default: 1.0)")
    parser.add_argument("--top-k", type=int, default=None,
                        help="sample only among the k most likely characters")
    parser.add_argument("--seed", type=int, default=None, help="seed for reproducible samples")
    parser.add_argument("--no-prime", action="store_true",
                        help="print only the generated text, not the prime before it")
    parser.set_defaults(func=_cmd_generate)


def _cmd_generate(args: argparse.Namespace) -> int:
    from seqlab._validation import check_int, check_positive
    from seqlab.cli._paths import check_input_file
    from seqlab.exceptions import ModelFileError

    check_input_file(args.model, "MODEL")
    check_positive(args.temperature, "--temperature", strict=False)
    check_int(args.length, "--length", minimum=0)
    if args.top_k is not None:
        check_int(args.top_k, "--top-k", minimum=1)
    if args.seed is not None:
        check_int(args.seed, "--seed", minimum=0)

    import seqlab
    from seqlab.pipelines import TextLanguageModel

    try:
        lm = seqlab.load(args.model, expect=TextLanguageModel)
    except ModelFileError as err:
        raise ModelFileError(f"{args.model}: {err} seqlab generate needs a language model "
                             "written by `seqlab train --data TEXT --save MODEL`.") from None
    text = lm.generate(args.prime, args.length, temperature=args.temperature,
                       top_k=args.top_k, seed=args.seed)
    sys.stdout.write(text if args.no_prime else args.prime + text)
    sys.stdout.write("\n")
    return 0
