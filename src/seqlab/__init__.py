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
- ``seqlab.io``: one model file format for every family: ``seqlab.save(model, path)``,
  ``seqlab.load(path)``, ``seqlab.read_header(path)``.
- ``seqlab.interop``: seqlab's forecasters as sktime forecasters (sktime is optional).

Sub-packages are imported on use, so ``import seqlab`` stays cheap.
"""

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

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
    "load",
    "read_header",
    "save",
]

if TYPE_CHECKING:
    from seqlab.io.model_file import load, read_header, save


def __getattr__(name: str) -> Any:
    # imported on first use, so that `import seqlab` stays cheap
    if name in ("load", "read_header", "save"):
        from seqlab.io import model_file

        value = getattr(model_file, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'seqlab' has no attribute {name!r}")
