"""Success rates over seeds: Wilson score intervals and Fisher's exact test.

A reproduction that counts solved runs ("4 of 5 seeds") reports the rate with a 95 %
interval (:func:`wilson_interval`) and compares two settings by Fisher's exact test on the
2 x 2 table of solved/unsolved counts (:func:`fisher_p`), so that "A beats B" is a number.
"""

from __future__ import annotations

import math

from seqlab.exceptions import SeqlabValueError

__all__ = ["fisher_p", "format_rate", "wilson_interval"]


def _check_counts(successes: int, n: int) -> None:
    if not (isinstance(successes, int) and isinstance(n, int)) or n < 1 \
            or not 0 <= successes <= n:
        raise SeqlabValueError(
            f"need integer counts with 0 <= successes <= n and n >= 1; got successes="
            f"{successes!r}, n={n!r}.")


def wilson_interval(successes: int, n: int, z: float = 1.959963984540054
                    ) -> tuple[float, float]:
    """Wilson score interval for a binomial rate (default: 95 %, two-sided).

    Unlike the Wald interval it stays inside [0, 1] and is not empty at 0/n or n/n.

    >>> [round(v, 4) for v in wilson_interval(4, 5)]
    [0.3755, 0.9638]
    >>> [round(v, 4) for v in wilson_interval(0, 20)]
    [0.0, 0.1611]
    """
    _check_counts(successes, n)
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def fisher_p(a_successes: int, a_n: int, b_successes: int, b_n: int) -> float:
    """Two-sided Fisher exact test p-value: do settings A and B solve at the same rate?

    >>> round(fisher_p(3, 4, 1, 4), 4)  # the lady tasting tea (Fisher 1935)
    0.4857
    """
    _check_counts(a_successes, a_n)
    _check_counts(b_successes, b_n)
    from scipy.stats import fisher_exact

    table = [[a_successes, a_n - a_successes], [b_successes, b_n - b_successes]]
    return float(fisher_exact(table, alternative="two-sided").pvalue)


def format_rate(successes: int, n: int) -> str:
    """``"14/20 = 70% [48%, 85%]"``: the count, the rate and its Wilson 95 % interval.

    >>> format_rate(4, 5)
    '4/5 = 80% [38%, 96%]'
    """
    lo, hi = wilson_interval(successes, n)
    return f"{successes}/{n} = {successes / n:.0%} [{lo:.0%}, {hi:.0%}]"
