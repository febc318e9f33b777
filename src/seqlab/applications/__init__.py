"""Applications on real data: one benchmark per domain of the lecture, and ``seqlab compare``.

Each task module runs traditional models next to recurrent ones on a real data set with a
chronological (or otherwise held-out) test split: ``classic`` (sunspots), ``stocks``
(S&P 500 daily, five monthly tickers), ``weather`` (Seattle temperature, hidden weather
regimes), ``text`` (Shakespeare character language model), ``dna`` (HMM islands, gene
windows of the chloroplast genome), ``speech`` (Japanese Vowels, spoken digits).
:func:`run_compare` runs them and writes the report (``report.md``, PNGs, ``results.json``).
"""

from seqlab.applications._common import BUDGETS, Budget, ModelResult, RunContext, TaskResult
from seqlab.applications.compare import ALL_MODELS, TASKS, run_compare, task_models

__all__ = ["ALL_MODELS", "BUDGETS", "TASKS", "Budget", "ModelResult", "RunContext",
           "TaskResult", "run_compare", "task_models"]
