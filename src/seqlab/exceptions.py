"""Exceptions that seqlab raises on purpose.

Bad input raises the built-in ``ValueError``/``TypeError`` with a message that says what
is wrong and how to fix it; the classes here cover the two cases a caller may want to
catch separately.
"""


class MissingDependencyError(ImportError):
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


class NotFittedError(ValueError, AttributeError):
    """A model was asked to predict (or report a learned attribute) before ``fit``.

    Subclasses both ``ValueError`` and ``AttributeError``, as scikit-learn's does, so
    ``hasattr(model, "params_")`` stays False on an unfitted model.
    """
