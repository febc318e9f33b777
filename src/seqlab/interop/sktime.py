"""sktime forecasters backed by seqlab's models (``pip install 'seqlab[interop]'``).

Each class implements sktime's ``BaseForecaster`` (``fit(y, X, fh)``, ``predict``,
``update``; the ARIMA family also ``predict_interval``, ``predict_quantiles`` and
``predict_var``) and passes ``sktime.utils.estimator_checks.check_estimator``:

================== ============================================ ========= ==== =========
class               seqlab model                                 intervals NaN  X
================== ============================================ ========= ==== =========
``ARIMA``           :class:`seqlab.classical.ARIMA`              Gaussian  yes  exog
``AutoARIMA``       :class:`seqlab.classical.AutoARIMA`          Gaussian  yes  exog
``ESNForecaster``   :class:`seqlab.pipelines.ESNForecaster`      no        no   no
``RNNForecaster``   :class:`seqlab.pipelines.RNNForecaster`      no        no   no
================== ============================================ ========= ==== =========

Importing this module imports sktime (``import seqlab.interop`` alone does not).

>>> from seqlab.interop.sktime import ARIMA
>>> ARIMA(order=(0, 1, 1)).get_tag("capability:missing_values")
True
"""

from __future__ import annotations

from seqlab.interop._sktime_arima import ARIMA, AutoARIMA
from seqlab.interop._sktime_base import SeqlabForecaster
from seqlab.interop._sktime_neural import ESNForecaster, RNNForecaster

__all__ = ["ARIMA", "AutoARIMA", "ESNForecaster", "RNNForecaster", "SeqlabForecaster"]
