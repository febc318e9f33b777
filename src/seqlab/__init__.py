"""seqlab: sequence modeling from AR(p) to LSTM.

The lineage of sequence models taught in a classic course on recurrent networks, as
working software checked against the reference libraries, on real data:

- ``seqlab.data``: real sequences shipped inside installed packages, synthetic benchmark
  tasks, windowing and splitting utilities.
- ``seqlab.classical``: AR/MA/ARMA/ARIMA and hidden Markov models.
- ``seqlab.recurrent``: Elman, Jordan, leaky, skip, LSTM and GRU cells, one unroll engine,
  explicit BPTT, the three RNN patterns.
- ``seqlab.reservoir``: echo state networks and Hopfield networks.
- ``seqlab.training``: one training loop with clipping and regularizers.

Sub-packages are imported on use, so ``import seqlab`` stays cheap.
"""

__version__ = "0.1.0"

from seqlab.exceptions import (
    DivergenceError,
    MissingDependencyError,
    ModelFileError,
    NotFittedError,
    SeqlabError,
    SeqlabFileNotFoundError,
    SeqlabTypeError,
    SeqlabValueError,
)

__all__ = [
    "DivergenceError",
    "MissingDependencyError",
    "ModelFileError",
    "NotFittedError",
    "SeqlabError",
    "SeqlabFileNotFoundError",
    "SeqlabTypeError",
    "SeqlabValueError",
    "__version__",
]
