"""Fixed-weight recurrent models: echo state networks and Hopfield associative memories."""

from seqlab.reservoir.esn import *  # noqa: F403
from seqlab.reservoir.hopfield import *  # noqa: F403
