"""``BaseEstimator``: the scikit-learn conventions without depending on scikit-learn.

``__init__`` stores hyperparameters unchanged; ``get_params``/``set_params`` read them back
from the ``__init__`` signature, so cloning, grid searches and pickling work as users of
scikit-learn, hmmlearn and statsmodels expect. Learned attributes end in ``_``.
"""

from __future__ import annotations

import inspect
from typing import Any, Self

from seqlab.exceptions import SeqlabValueError


class BaseEstimator:
    """Mixin giving ``get_params``, ``set_params`` and a readable ``repr``.

    >>> class Model(BaseEstimator):
    ...     def __init__(self, order=2, method="burg"):
    ...         self.order = order
    ...         self.method = method
    >>> m = Model(order=3)
    >>> m.get_params()
    {'method': 'burg', 'order': 3}
    >>> m.set_params(order=1)
    Model(order=1)
    """

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return sorted(
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        )

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Hyperparameters as given to ``__init__`` (``deep`` is accepted for sklearn)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Self:
        """Set hyperparameters by name; an unknown name raises ``ValueError``."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise SeqlabValueError(
                    f"{name!r} is not a parameter of {type(self).__name__}; valid ones are: "
                    f"{', '.join(valid)}."
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        sig = inspect.signature(type(self).__init__)
        parts = [
            f"{p.name}={getattr(self, p.name)!r}"
            for p in sig.parameters.values()
            if p.name != "self"
            and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
            and getattr(self, p.name, p.default) is not p.default
            and getattr(self, p.name, p.default) != p.default
        ]
        return f"{type(self).__name__}({', '.join(parts)})"
