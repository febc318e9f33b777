"""``python -m seqlab``: the same command line as the ``seqlab`` script."""

from seqlab.cli import main
from seqlab.scale.distributed import exit_worker

code: object
try:
    code = main()
except SystemExit as stop:  # a worker's exit code, raised inside main
    code = stop.code
exit_worker(code)  # SystemExit(code), or os._exit in a `seqlab train --nproc` worker
