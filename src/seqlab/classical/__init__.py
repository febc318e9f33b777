"""Traditional sequence models: AR(p), MA(q), ARMA, ARIMA(p, d, q) and hidden Markov models.

Scikit-learn style estimators whose names follow statsmodels (``params``, ``sigma2``,
``aic``) and hmmlearn (``startprob_``, ``transmat_``, ``means_``); the hot loops are numba
kernels in the ``_*_kernels`` modules.
"""

from seqlab.classical.ar import *  # noqa: F403
from seqlab.classical.arima import *  # noqa: F403
from seqlab.classical.arima_selection import *  # noqa: F403
from seqlab.classical.hmm import *  # noqa: F403
