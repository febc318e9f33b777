"""From your own data to a saved model: the pipelines behind ``seqlab train --data``.

A pipeline is one estimator that owns everything a model file must hold to be used again
with no user code: the preprocessing (a vocabulary, a scaler, feature settings, the class
labels) and the trained network. ``fit`` takes the user's data, ``seqlab.save`` /
``seqlab.load`` round-trip it, and the CLI commands (``seqlab generate``, ``forecast``,
``predict``) are thin wrappers over its methods.

Floor: above the models (recurrent, reservoir, classical) and the training loop, below
``applications`` and ``cli``.
"""

from __future__ import annotations

from seqlab.pipelines.backtest import backtest
from seqlab.pipelines.classify import SequenceClassifierPipeline
from seqlab.pipelines.esn_forecast import ESNForecaster
from seqlab.pipelines.forecast import RNNForecaster
from seqlab.pipelines.text import TextLanguageModel, read_text

__all__: list[str] = ["ESNForecaster", "RNNForecaster", "SequenceClassifierPipeline",
                      "TextLanguageModel", "backtest", "read_text"]
