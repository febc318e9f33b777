"""The Hyndman-Khandakar stepwise order search (and the exhaustive one) of AutoARIMA.

A faithful port of statsforecast 2.1.1's ``auto_arima_f`` search loop (itself R forecast's
``auto.arima``): the models are fitted and scored by a callback ``score(p, q, P, Q,
constant) -> ic``, so the search knows nothing about likelihoods. Visiting order:

1. the start model (p0, q0, P0, Q0), the null model (0, 0, 0, 0), a (1, 0, 1, 0) AR model,
   a (0, 1, 0, 1) MA model, and (when a constant is allowed) the null model without it;
2. from the best so far, its neighbours in this order: P-1, Q-1, P+1, Q+1, (P-1, Q-1),
   (P-1, Q+1), (P+1, Q-1), (P+1, Q+1), then the same eight moves on (p, q), then the
   constant toggled; the first neighbour that lowers the ic becomes the current model and
   the scan restarts; a model already fitted is skipped; at most ``nmodels`` fits.

Like statsforecast (unlike R), a better null model *without* constant in step 1 does not
switch the current model's constant off.

>>> score = lambda p, q, P, Q, c: (p - 1) ** 2 + (q - 2) ** 2 + P + Q + (0 if c else 1)
>>> best, visited = stepwise(score, (2, 2, 1, 1), (5, 5, 2, 2), True, True, 94)
>>> best
(1, 2, 0, 0, True)
"""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["grid", "stepwise"]

Model = tuple[int, int, int, int, bool]
Score = Callable[[int, int, int, int, bool], float]

#: neighbour moves (dp, dq, dP, dQ) in statsforecast's order: seasonal first, then (p, q)
_MOVES: tuple[tuple[int, int, int, int], ...] = tuple(
    [(0, 0, a, b) for a, b in ((-1, 0), (0, -1), (1, 0), (0, 1), (-1, -1), (-1, 1), (1, -1),
                               (1, 1))]
    + [(a, b, 0, 0) for a, b in ((-1, 0), (0, -1), (1, 0), (0, 1), (-1, -1), (-1, 1), (1, -1),
                                 (1, 1))]
)


def stepwise(
    score: Score,
    start: tuple[int, int, int, int],
    maxes: tuple[int, int, int, int],
    constant: bool,
    allow_toggle: bool,
    nmodels: int,
    seasonal: bool = True,
) -> tuple[Model, list[tuple[Model, float]]]:
    """Run the stepwise search; return the best model and every (model, ic) in visit order.

    ``start`` (p, q, P, Q); ``maxes`` (max_p, max_q, max_P, max_Q); ``constant`` the initial
    constant; ``allow_toggle`` whether the constant may be switched; ``seasonal`` whether
    the period is > 1 (the initial AR/MA models get a seasonal term only then).
    """
    visited: list[tuple[Model, float]] = []
    seen: set[Model] = set()

    def fit(model: Model) -> float:
        ic = float(score(*model))
        ic = ic if not math.isnan(ic) else math.inf
        visited.append((model, ic))
        seen.add(model)
        return ic

    max_p, max_q, max_P, max_Q = maxes
    p, q, P, Q = start
    best_ic = fit((p, q, P, Q, constant))
    best: Model = (p, q, P, Q, constant)
    ic = fit((0, 0, 0, 0, constant))
    if ic < best_ic:
        best_ic, best, (p, q, P, Q) = ic, (0, 0, 0, 0, constant), (0, 0, 0, 0)
    if max_p > 0 or max_P > 0:
        p_, P_ = int(max_p > 0), int(seasonal and max_P > 0)
        ic = fit((p_, 0, P_, 0, constant))
        if ic < best_ic:
            best_ic, best, (p, q, P, Q) = ic, (p_, 0, P_, 0, constant), (p_, 0, P_, 0)
    if max_q > 0 or max_Q > 0:
        q_, Q_ = int(max_q > 0), int(seasonal and max_Q > 0)
        ic = fit((0, q_, 0, Q_, constant))
        if ic < best_ic:
            best_ic, best, (p, q, P, Q) = ic, (0, q_, 0, Q_, constant), (0, q_, 0, Q_)
    if constant:
        ic = fit((0, 0, 0, 0, False))
        if ic < best_ic:  # statsforecast keeps `constant` as it was (R switches it off)
            best_ic, best, (p, q, P, Q) = ic, (0, 0, 0, 0, False), (0, 0, 0, 0)

    startk = -1
    while startk < len(visited) and len(visited) < nmodels:
        startk = len(visited)
        moved = False
        for dp, dq, dP, dQ in _MOVES:
            cand = (p + dp, q + dq, P + dP, Q + dQ, constant)
            if not (0 <= cand[0] <= max_p and 0 <= cand[1] <= max_q
                    and 0 <= cand[2] <= max_P and 0 <= cand[3] <= max_Q) or cand in seen:
                continue
            if len(visited) >= nmodels:
                break
            ic = fit(cand)
            if ic < best_ic:
                best_ic, best = ic, cand
                p, q, P, Q = cand[:4]
                moved = True
                break
        if moved:
            continue
        cand = (p, q, P, Q, not constant)
        if allow_toggle and cand not in seen and len(visited) < nmodels:
            ic = fit(cand)
            if ic < best_ic:
                best_ic, best, constant = ic, cand, not constant
    return best, visited


def grid(
    score: Score, maxes: tuple[int, int, int, int], max_order: int, allow_constant: bool,
) -> tuple[Model, list[tuple[Model, float]]]:
    """Fit every (p, q, P, Q) with ``p + q + P + Q <= max_order`` (and the constant off/on)."""
    visited: list[tuple[Model, float]] = []
    best: Model | None = None
    best_ic = math.inf
    for p in range(maxes[0] + 1):
        for q in range(maxes[1] + 1):
            for P in range(maxes[2] + 1):
                for Q in range(maxes[3] + 1):
                    if p + q + P + Q > max_order:
                        continue
                    for K in range(int(allow_constant) + 1):
                        model = (p, q, P, Q, K == 1)
                        ic = float(score(*model))
                        ic = ic if not math.isnan(ic) else math.inf
                        visited.append((model, ic))
                        if ic < best_ic:
                            best_ic, best = ic, model
    return (best if best is not None else (0, 0, 0, 0, False)), visited
