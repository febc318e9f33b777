"""``BaseEstimator``: the scikit-learn conventions without importing scikit-learn.

``__init__`` stores hyperparameters unchanged; ``get_params``/``set_params`` read them back
from the ``__init__`` signature, so ``sklearn.base.clone``, grid searches and pickling work
as users of scikit-learn, hmmlearn and statsmodels expect. Learned attributes end in ``_``.

scikit-learn's estimator checks (``sklearn.utils.estimator_checks``) also need:

- ``__sklearn_tags__`` returning ``sklearn.utils.Tags`` (scikit-learn >= 1.6). scikit-learn
  is imported only when a caller asks for the tags, so ``import seqlab`` stays cheap (it
  takes about a second on its own). A subclass declares what it is with
  ``_estimator_type`` (``"classifier"``, ``"regressor"``, ``"density_estimator"`` or None)
  and adjusts the rest by overriding ``__sklearn_tags__`` and calling ``super()``, as in
  scikit-learn.
- ``n_features_in_`` (and ``feature_names_in_`` when ``fit`` got a DataFrame with string
  column names), recorded by :meth:`BaseEstimator._reset_features` in ``fit`` and checked by
  :meth:`BaseEstimator._check_features` in every method that takes new data, with
  scikit-learn's message ("X has 1 features, but AR is expecting 4 features as input").
- before ``fit``, :class:`seqlab.NotFittedError`, which is also scikit-learn's
  ``NotFittedError`` whenever scikit-learn is loaded (see ``seqlab.exceptions``).
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any, ClassVar, Self

import numpy as np

from seqlab.exceptions import SeqlabValueError


def _feature_names(X: Any) -> np.ndarray | None:
    """String column names of a DataFrame-like ``X`` (None otherwise, as scikit-learn)."""
    columns = getattr(X, "columns", None)
    if columns is None or not hasattr(X, "iloc"):
        return None
    names = np.asarray(list(columns), dtype=object)
    if names.size == 0 or not all(isinstance(c, str) for c in names):
        return None
    return names


class BaseEstimator:
    """Mixin giving ``get_params``, ``set_params``, a readable ``repr`` and sklearn tags.

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

    #: what scikit-learn should treat the model as (``is_classifier`` etc. read the tags)
    _estimator_type: ClassVar[str | None] = None

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
        parts = []
        for p in sig.parameters.values():
            if p.name == "self" or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                continue
            value = getattr(self, p.name, p.default)
            if value is p.default:
                continue
            try:  # an array-valued parameter compares elementwise: show it
                same = bool(value == p.default)
            except (TypeError, ValueError):
                same = False
            if not same:
                parts.append(f"{p.name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    # ------------------------------------------------------------------ scikit-learn
    def __sklearn_tags__(self) -> Any:
        """scikit-learn's ``Tags`` for this model (imports scikit-learn >= 1.6 lazily)."""
        from sklearn.utils import ClassifierTags, InputTags, RegressorTags, Tags, TargetTags

        kind = self._estimator_type
        return Tags(
            estimator_type=kind,
            target_tags=TargetTags(required=kind in ("classifier", "regressor")),
            classifier_tags=ClassifierTags() if kind == "classifier" else None,
            regressor_tags=RegressorTags() if kind == "regressor" else None,
            input_tags=InputTags(),
        )

    def _reset_features(self, X: Any, n_features: int) -> None:
        """In ``fit``: record ``n_features_in_`` (and ``feature_names_in_`` for a DataFrame
        with string column names; a refit without names removes them)."""
        self.n_features_in_ = int(n_features)
        names = _feature_names(X)
        if names is None:
            self.__dict__.pop("feature_names_in_", None)
        else:
            self.feature_names_in_ = names

    def _check_features(self, X: Any, n_features: int) -> None:
        """After ``fit``: refuse data whose number (or names) of features differ from fit's."""
        expected = self.__dict__.get("n_features_in_")
        if expected is not None and n_features != expected:
            hint = (
                " Reshape your data (X.reshape(-1, 1) for one feature, X.reshape(1, -1) for "
                "one sample)."
                if np.asarray(X).ndim == 1
                else ""
            )
            raise SeqlabValueError(
                f"X has {n_features} features, but {type(self).__name__} is expecting "
                f"{expected} features as input (as in fit); pass data with the same columns." + hint
            )
        fitted = self.__dict__.get("feature_names_in_")
        names = _feature_names(X)
        if fitted is None:
            if names is not None:
                warnings.warn(
                    f"X has feature names, but {type(self).__name__} was fitted without "
                    "feature names.",
                    UserWarning,
                    stacklevel=3,
                )
            return
        if names is None:
            warnings.warn(
                f"X does not have valid feature names, but {type(self).__name__} was fitted "
                "with feature names.",
                UserWarning,
                stacklevel=3,
            )
        elif len(names) != len(fitted) or (names != fitted).any():
            raise SeqlabValueError(
                "The feature names should match those that were passed during fit: "
                f"fit saw {fitted.tolist()}, this X has {names.tolist()}."
            )
