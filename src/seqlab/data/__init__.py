"""Real sequences, synthetic benchmark tasks and the utilities to window and split them.

Every real data set is read offline from files inside installed packages or Debian
packages (no downloads at run time); a missing package raises
:class:`seqlab.MissingDependencyError` naming the exact install command. Each loader is
registered in :data:`DATASETS`, which ``seqlab data list`` prints.

Modules: ``classic`` (sunspots, Nile, CO2, El Niño), ``weather``, ``stocks``, ``text``,
``dna``, ``speech``, ``images``, ``music`` (Bach chorales), ``synthetic`` (adding, temporal
order, copy, Mackey–Glass),
``simulate`` (AR/ARMA/ARIMA/HMM simulators), ``windows`` (sliding windows, chronological
splits, padding).
"""

from seqlab.data._registry import DATASETS, DatasetInfo, get_dataset, register
from seqlab.data._types import *  # noqa: F403
from seqlab.data.classic import *  # noqa: F403
from seqlab.data.dna import *  # noqa: F403
from seqlab.data.images import *  # noqa: F403
from seqlab.data.music import *  # noqa: F403
from seqlab.data.scaling import *  # noqa: F403
from seqlab.data.simulate import *  # noqa: F403
from seqlab.data.speech import *  # noqa: F403
from seqlab.data.stocks import *  # noqa: F403
from seqlab.data.synthetic import *  # noqa: F403
from seqlab.data.tables import *  # noqa: F403
from seqlab.data.text import *  # noqa: F403
from seqlab.data.weather import *  # noqa: F403
from seqlab.data.windows import *  # noqa: F403

__all__ = ["DATASETS", "DatasetInfo", "get_dataset", "register"]
