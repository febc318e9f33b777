"""The EM convergence monitor of the hidden Markov models (hmmlearn's ``monitor_``)."""

from __future__ import annotations

import sys

__all__ = ["ConvergenceMonitor"]


class ConvergenceMonitor:
    """Records the EM log-likelihood and decides when to stop (as hmmlearn's monitor).

    EM has converged when ``n_iter`` iterations ran or the gain of the last iteration is
    below ``tol``. ``history`` holds the log-likelihood of every iteration (computed in the
    E-step, i.e. with the parameters before that iteration's M-step).

    >>> m = ConvergenceMonitor(tol=0.1, n_iter=10)
    >>> for llf in (-10.0, -9.0, -8.95):
    ...     m.report(llf)
    >>> m.history, m.iter, m.converged
    ([-10.0, -9.0, -8.95], 3, True)
    """

    def __init__(self, tol: float = 1e-2, n_iter: int = 10, verbose: bool = False) -> None:
        self.tol = tol
        self.n_iter = n_iter
        self.verbose = verbose
        self.history: list[float] = []
        self.iter = 0

    def report(self, log_prob: float) -> None:
        """Append one iteration's log-likelihood (printed to stderr when ``verbose``)."""
        if self.verbose:
            delta = log_prob - self.history[-1] if self.history else float("nan")
            print(f"{self.iter + 1:>10d} {log_prob:>16.8f} {delta:>+16.8f}", file=sys.stderr)
        self.history.append(float(log_prob))
        self.iter += 1

    @property
    def converged(self) -> bool:
        """True once ``n_iter`` iterations ran or the last gain is below ``tol``."""
        return self.iter >= self.n_iter or (
            len(self.history) >= 2 and self.history[-1] - self.history[-2] < self.tol
        )

    def __repr__(self) -> str:
        return (
            f"ConvergenceMonitor(tol={self.tol}, n_iter={self.n_iter}, iter={self.iter}, "
            f"converged={self.converged})"
        )
