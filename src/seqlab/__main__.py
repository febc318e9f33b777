"""``python -m seqlab``: the same command line as the ``seqlab`` script."""

from seqlab.cli import main

raise SystemExit(main())
