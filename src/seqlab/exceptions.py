"""Exceptions that seqlab raises on purpose.

Every error seqlab raises for a reason it can name derives from :class:`SeqlabError`, so a
caller can tell "seqlab refused my input" (``except SeqlabError``) from a bug. Each one also
derives from the built-in class a user would catch anyway (``ValueError``, ``TypeError``,
``FileNotFoundError``, ``ImportError``), so code written against numpy/scikit-learn habits
keeps working. Messages say what is wrong and what to do about it.

>>> import seqlab
>>> issubclass(seqlab.SeqlabValueError, ValueError)
True
>>> try:
...     raise SeqlabValueError("order must be >= 0; got -1.")
... except SeqlabError as err:
...     print(err)
order must be >= 0; got -1.
"""

from __future__ import annotations

import functools
import sys
from typing import Any


class SeqlabError(Exception):
    """Base of every error seqlab raises on purpose (bad input, bad file, bad state)."""


class SeqlabValueError(SeqlabError, ValueError):
    """An argument has the right type but a value seqlab cannot use."""


class SeqlabTypeError(SeqlabError, TypeError):
    """An argument has a type seqlab cannot use (e.g. complex or non-numeric data)."""


class ComplexDataError(SeqlabTypeError, ValueError):
    """Complex numbers where seqlab needs real ones.

    A ``TypeError`` (seqlab's convention for a wrong kind of input) that is also the
    ``ValueError`` numpy and scikit-learn raise for it ("Complex data not supported").
    """


class SeqlabFileNotFoundError(SeqlabError, FileNotFoundError):
    """A file or folder the user named does not exist (or is the wrong kind of path)."""


class ModelFileError(SeqlabError, ValueError):
    """A model or checkpoint file cannot be read: corrupted, truncated, or not seqlab's."""


class DivergenceError(SeqlabError, ValueError):
    """A computation produced non-finite or exploding values; the message says what to change."""


class MissingDependencyError(SeqlabError, ImportError):
    """An optional package (usually one that ships a data set) is not installed.

    The message always contains the exact command that installs it.
    """

    def __init__(self, package: str, install: str, purpose: str) -> None:
        self.package = package
        self.install = install
        super().__init__(
            f"{purpose} needs the package {package!r}, which is not installed. "
            f"Install it with:\n    {install}"
        )


class NotFittedError(SeqlabError, ValueError, AttributeError):
    """A model was asked to predict (or report a learned attribute) before ``fit``.

    Subclasses both ``ValueError`` and ``AttributeError``, as scikit-learn's does, so
    ``hasattr(model, "params_")`` stays False on an unfitted model. Once scikit-learn is
    imported, the error raised is also an instance of ``sklearn.exceptions.NotFittedError``
    (so ``except sklearn.exceptions.NotFittedError`` and scikit-learn's estimator checks
    catch it) without ``import seqlab`` importing scikit-learn: code can only name
    scikit-learn's class after importing it.

    >>> import sklearn.exceptions
    >>> isinstance(NotFittedError("not fitted"), sklearn.exceptions.NotFittedError)
    True
    """

    def __new__(cls, *args: object, **kwargs: object) -> NotFittedError:
        sk = sys.modules.get("sklearn.exceptions")
        if cls is NotFittedError and sk is not None:
            cls = _with_sklearn_base(sk.NotFittedError)
        return super().__new__(cls, *args, **kwargs)

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuilt through __new__, so the unpickling process picks its own class
        return (NotFittedError, self.args)


@functools.cache
def _with_sklearn_base(sklearn_error: type) -> type[NotFittedError]:
    """seqlab's :class:`NotFittedError` that also derives from scikit-learn's."""
    return type(
        "NotFittedError",
        (NotFittedError, sklearn_error),
        {
            "__module__": __name__,
            "__qualname__": "NotFittedError",
            "__doc__": NotFittedError.__doc__,
        },
    )
