"""Recurrent networks: the lecture's cells, one unroll engine, explicit BPTT, three patterns.

- ``cells``: Elman, Jordan, leaky-integrator, skip-through-time, LSTM and GRU cells, each a
  ``forward(x_t, state) -> state`` written as the lecture's update;
- ``layers``: the one unroll loop (batch-first, lengths, layers, directions), with PyTorch's
  fused kernels or the hand-written BPTT as fast paths;
- ``bptt``: the backward pass written out as ``torch.autograd.Function``s, truncated BPTT;
- ``patterns``: the three RNN patterns of the lecture as ready models;
- ``interop``: weights to and from ``torch.nn.LSTM/GRU/RNN``.
"""

from seqlab.recurrent.bptt import *  # noqa: F403
from seqlab.recurrent.cells import *  # noqa: F403
from seqlab.recurrent.init import *  # noqa: F403
from seqlab.recurrent.interop import *  # noqa: F403
from seqlab.recurrent.layers import *  # noqa: F403
from seqlab.recurrent.patterns import *  # noqa: F403
