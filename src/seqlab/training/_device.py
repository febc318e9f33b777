"""Which torch devices exist on this machine, and a check that refuses the others."""

from __future__ import annotations

from typing import Any

from seqlab.exceptions import SeqlabTypeError, SeqlabValueError

__all__ = ["available_devices", "check_device"]


def available_devices() -> list[str]:
    """Device names usable here: ``'cpu'``, then ``'cuda'``, ``'cuda:<i>'``, ``'mps'`` if any.

    >>> available_devices()[0]
    'cpu'
    """
    import torch

    names = ["cpu"]
    if torch.cuda.is_available():
        names += ["cuda"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        names.append("mps")
    return names


def check_device(name: Any, label: str = "device") -> Any:
    """Return ``torch.device(name)``, or raise :class:`SeqlabValueError` naming the valid ones.

    ``label`` is how the option is called in the message (``'--device'`` for the CLI).

    >>> check_device("cpu")
    device(type='cpu')
    >>> check_device("tpu")
    Traceback (most recent call last):
    ...
    seqlab.exceptions.SeqlabValueError: device 'tpu' is not a device torch knows; valid ...
    """
    import torch

    if isinstance(name, torch.device):
        name = str(name)
    if not isinstance(name, str) or not name.strip():
        raise SeqlabTypeError(
            f"{label} must be a torch device name such as 'cpu', 'cuda' or 'cuda:1'; got "
            f"{name!r}."
        )
    valid = ", ".join(available_devices())
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise SeqlabValueError(
            f"{label} {name!r} is not a device torch knows; valid on this machine: {valid}."
        ) from None
    if device.type == "cpu":
        return device
    if device.type == "cuda" and torch.cuda.is_available():
        if device.index is None or device.index < torch.cuda.device_count():
            return device
        raise SeqlabValueError(
            f"{label} {name!r}: this machine has {torch.cuda.device_count()} CUDA device(s); "
            f"valid on this machine: {valid}."
        )
    if device.type == "mps" and "mps" in valid:
        return device
    raise SeqlabValueError(
        f"{label} {name!r}: no {device.type} device is available here (torch "
        f"{torch.__version__}); valid on this machine: {valid}."
    )
