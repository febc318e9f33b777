"""Synthetic benchmark tasks: the adding problem, temporal order, copy memory, Mackey–Glass.

Sources:

- Hochreiter & Schmidhuber (1997), "Long Short-Term Memory", Neural Computation 9(8):
  Section 5.4 (Experiment 4, the adding problem) and Section 5.6 (Experiment 6, temporal
  order, tasks 6a and 6b). Each generator below follows the paper's wording; the
  docstrings say where a choice the paper leaves open was made.
- Arjovsky, Shah & Bengio (2016), "Unitary Evolution Recurrent Neural Networks", ICML,
  Section 4.1 (the copy memory task in the layout used since; Graves et al. 2014, "Neural
  Turing Machines", pose a similar copy task).
- Mackey & Glass (1977): :func:`mackey_glass`, in :mod:`seqlab.data.mackey_glass` (re-exported
  here).

Every random generator takes ``seed`` (None, int or ``numpy.random.Generator``); the same
seed gives the same data (Mackey–Glass is deterministic: its history sets the series).
The tasks are registered in the data catalogue (``seqlab data list``) as "adding",
"temporal-order", "copy" and "mackey-glass".
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from seqlab._validation import (
    SeedLike,
    check_choice,
    check_int,
    check_positive,
    check_random_state,
)
from seqlab.data._registry import DatasetInfo, register
from seqlab.data.mackey_glass import mackey_glass
from seqlab.exceptions import SeqlabValueError

__all__ = [
    "ADDING_PROBLEM_TOLERANCE",
    "TEMPORAL_ORDER_CLASSES",
    "TEMPORAL_ORDER_SYMBOLS",
    "AddingData",
    "CopyData",
    "TemporalOrderData",
    "adding_problem",
    "adding_problem_correct",
    "copy_task",
    "mackey_glass",
    "temporal_order",
]

#: HS97 Section 5.4: "A sequence was processed correctly if the absolute error at the
#: sequence end is below 0.04."
ADDING_PROBLEM_TOLERANCE = 0.04


# ---------------------------------------------------------------------------------------
# Adding problem (HS97 Experiment 4)
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class AddingData:
    """A batch of adding-problem sequences; unpacks as ``X, lengths, y = data``.

    ========== ===================== =========================================
    field      shape, dtype          meaning
    ========== ===================== =========================================
    X          (N, T_max, 2) float32 (value, marker) pairs, zero after length
    lengths    (N,) int64            true length of each sequence
    y          (N,) float32          target 0.5 + (X1 + X2) / 4
    positions  (N, 2) int64          indices of the pairs marked 1.0 (X1, X2)
    ========== ===================== =========================================
    """

    X: np.ndarray
    lengths: np.ndarray
    y: np.ndarray
    positions: np.ndarray

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.X, self.lengths, self.y))


def adding_problem(n_sequences: int, min_length: int = 100, *, seed: SeedLike = None) -> AddingData:
    """The adding problem of Hochreiter & Schmidhuber (1997), Experiment 4 (Section 5.4).

    Each element is a pair (value, marker). With ``T = min_length``:

    - the length is a random integer in ``[T, T + T // 10]`` (both ends included);
    - values are uniform in [-1, 1];
    - exactly two pairs carry the marker 1.0: first one of the first ten pairs (its value is
      X1), then one of the first ``T // 2 - 1`` pairs that are still unmarked (value X2);
    - all other markers are 0 except the first and the final pair, whose markers are -1
      (unless the first pair was marked, then its marker is 1.0);
    - if the first pair got marked its value is set to 0 (the paper: "X1 is set to zero in
      the rare case where the first pair of the sequence got marked"; the second draw can
      also land on the first pair, and we zero it the same way, so the target is always
      computed from the stored values);
    - the target, given only at the sequence end, is ``0.5 + (X1 + X2) / 4`` in [0, 1];
      a prediction is correct when ``|error| < 0.04`` (:func:`adding_problem_correct`).

    Sequences are zero-padded (value and marker) after their length to the fixed width
    ``T_max = T + T // 10``, so every batch of one ``T`` has the same shape.

    Parameters
    ----------
    n_sequences : number of sequences N (>= 1).
    min_length : T, the minimal length (>= 12, so the first ten pairs and the final pair
        are distinct; the paper uses T = 100, 500, 1000).
    seed : None, int or numpy Generator.

    Returns
    -------
    :class:`AddingData` (unpacks as ``X, lengths, y``).

    >>> X, lengths, y = adding_problem(4, 100, seed=0)
    >>> X.shape, lengths.dtype, y.shape
    ((4, 110, 2), dtype('int64'), (4,))
    >>> bool(((lengths >= 100) & (lengths <= 110)).all())
    True
    >>> [int((X[i, :, 1] == 1.0).sum()) for i in range(4)]
    [2, 2, 2, 2]
    """
    n = check_int(n_sequences, "n_sequences", minimum=1)
    T = check_int(min_length, "min_length", minimum=12)
    rng = check_random_state(seed)
    t_max = T + T // 10

    lengths = rng.integers(T, t_max + 1, size=n, dtype=np.int64)
    values = rng.uniform(-1.0, 1.0, size=(n, t_max))
    first = rng.integers(0, 10, size=n)
    # "one of the first T/2 - 1 still unmarked pairs": draw k uniformly among them; the k-th
    # unmarked index skips the pair already marked.
    k = rng.integers(0, T // 2 - 1, size=n)
    second = k + (k >= first)

    rows = np.arange(n)
    markers = np.zeros((n, t_max))
    markers[rows, 0] = -1.0
    markers[rows, lengths - 1] = -1.0
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    values[markers[:, 0] == 1.0, 0] = 0.0
    beyond = np.arange(t_max)[None, :] >= lengths[:, None]
    values[beyond] = 0.0
    markers[beyond] = 0.0

    X = np.stack([values, markers], axis=-1).astype(np.float32)
    x1 = X[rows, first, 0].astype(np.float64)
    x2 = X[rows, second, 0].astype(np.float64)
    y = (0.5 + (x1 + x2) / 4.0).astype(np.float32)
    positions = np.stack([first, second], axis=1).astype(np.int64)
    return AddingData(X=X, lengths=lengths, y=y, positions=positions)


def adding_problem_correct(
    pred: Any, y: Any, *, tolerance: float = ADDING_PROBLEM_TOLERANCE
) -> np.ndarray:
    """Which predictions HS97 count as correct: ``|pred - y| < tolerance`` (0.04).

    >>> adding_problem_correct([0.50, 0.55], [0.52, 0.50]).tolist()
    [True, False]
    """
    p = np.asarray(pred, dtype=np.float64)
    t = np.asarray(y, dtype=np.float64)
    if p.shape != t.shape:
        raise SeqlabValueError(
            f"pred and y must have the same shape; got {p.shape} and {t.shape}. "
            "Pass one prediction per sequence (the output at the sequence end)."
        )
    return np.abs(p - t) < check_positive(tolerance, "tolerance")


# ---------------------------------------------------------------------------------------
# Temporal order (HS97 Experiment 6)
# ---------------------------------------------------------------------------------------
#: One-hot input order: column i of the input is this symbol. E starts, B ends ("trigger").
TEMPORAL_ORDER_SYMBOLS = ("E", "B", "a", "b", "c", "d", "X", "Y")
#: Class names per variant, indexed by the integer label; label bits read X=0, Y=1 with the
#: first relevant symbol most significant (6a: XX->Q, XY->R, YX->S, YY->U).
TEMPORAL_ORDER_CLASSES = {
    "6a": ("Q", "R", "S", "U"),
    "6b": ("Q", "R", "S", "U", "V", "A", "B", "C"),
}
# 1-based inclusive position ranges of the relevant symbols (HS97 Section 5.6).
_TEMPORAL_ORDER_POSITIONS = {
    "6a": ((10, 20), (50, 60)),
    "6b": ((10, 20), (33, 43), (66, 76)),
}


@dataclass(frozen=True, eq=False)
class TemporalOrderData:
    """A batch of temporal-order sequences; unpacks as ``X, lengths, y = data``.

    ========== ===================== =============================================
    field      shape, dtype          meaning
    ========== ===================== =============================================
    X          (N, 110, 8) float32   one-hot symbols (TEMPORAL_ORDER_SYMBOLS order)
    lengths    (N,) int64            sequence lengths in [100, 110]
    y          (N,) int64            class index into TEMPORAL_ORDER_CLASSES[variant]
    positions  (N, k) int64          0-based indices of the k relevant X/Y symbols
    ========== ===================== =============================================
    """

    X: np.ndarray
    lengths: np.ndarray
    y: np.ndarray
    positions: np.ndarray
    classes: tuple[str, ...]
    symbols: tuple[str, ...] = TEMPORAL_ORDER_SYMBOLS

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.X, self.lengths, self.y))


def temporal_order(
    n_sequences: int, *, variant: str = "6a", seed: SeedLike = None
) -> TemporalOrderData:
    """The temporal order task of Hochreiter & Schmidhuber (1997), Section 5.6.

    Task 6a (two relevant, widely separated symbols): a sequence starts with ``E``, ends
    with ``B`` (the "trigger symbol") and otherwise consists of symbols drawn uniformly
    from {a, b, c, d}, except for two elements at positions t1 and t2 that are ``X`` or
    ``Y`` (each uniformly, independently). The length is uniform in [100, 110], t1 in
    [10, 20] and t2 in [50, 60] (positions counted from 1, as in the paper, so ``E`` is
    position 1; the 0-based indices are in ``positions``). Classes: XX -> Q, XY -> R,
    YX -> S, YY -> U.

    Task 6b (three relevant symbols): t1 in [10, 20], t2 in [33, 43], t3 in [66, 76];
    eight classes XXX -> Q, XXY -> R, XYX -> S, XYY -> U, YXX -> V, YXY -> A, YYX -> B,
    YYY -> C. Classes are equally likely in both tasks.

    Inputs are one-hot over the 8 symbols (the paper's 8 input units), zero-padded after
    the length to 110 steps.

    >>> X, lengths, y = temporal_order(3, seed=0)
    >>> X.shape, y.dtype
    ((3, 110, 8), dtype('int64'))
    >>> bool((X.sum(-1)[0, :lengths[0]] == 1).all())
    True
    >>> temporal_order(2, variant="6b", seed=0).positions.shape
    (2, 3)
    """
    n = check_int(n_sequences, "n_sequences", minimum=1)
    check_choice(variant, "variant", tuple(TEMPORAL_ORDER_CLASSES))
    rng = check_random_state(seed)
    ranges = _TEMPORAL_ORDER_POSITIONS[variant]
    t_max = 110
    sym = {s: i for i, s in enumerate(TEMPORAL_ORDER_SYMBOLS)}

    lengths = rng.integers(100, t_max + 1, size=n, dtype=np.int64)
    # distractors a..d everywhere, then the fixed and relevant symbols on top
    codes = rng.integers(sym["a"], sym["d"] + 1, size=(n, t_max))
    rows = np.arange(n)
    codes[:, 0] = sym["E"]
    codes[rows, lengths - 1] = sym["B"]
    positions = np.stack(
        [rng.integers(lo, hi + 1, size=n) - 1 for lo, hi in ranges], axis=1
    ).astype(np.int64)
    is_y = rng.integers(0, 2, size=(n, len(ranges)))
    for j in range(len(ranges)):
        codes[rows, positions[:, j]] = np.where(is_y[:, j] == 1, sym["Y"], sym["X"])
    weights = 2 ** np.arange(len(ranges) - 1, -1, -1)
    y = (is_y * weights).sum(axis=1).astype(np.int64)

    X = np.zeros((n, t_max, len(TEMPORAL_ORDER_SYMBOLS)), dtype=np.float32)
    valid = np.arange(t_max)[None, :] < lengths[:, None]
    r, t = np.nonzero(valid)
    X[r, t, codes[r, t]] = 1.0
    return TemporalOrderData(
        X=X,
        lengths=lengths,
        y=y,
        positions=positions,
        classes=TEMPORAL_ORDER_CLASSES[variant],
    )


# ---------------------------------------------------------------------------------------
# Copy memory task (Arjovsky et al. 2016, Section 4.1)
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class CopyData:
    """A batch of copy-task sequences; unpacks as ``X, y = data``.

    ====== ================================ ==========================================
    field  shape, dtype                     meaning
    ====== ================================ ==========================================
    X      (N, L) int64 or (N, L, K) float32 tokens (one-hot when ``one_hot=True``)
    y      (N, L) int64                     target token at every step
    ====== ================================ ==========================================

    ``L = 2 * sequence_length + delay`` and ``K = n_symbols + 2``.
    """

    X: np.ndarray
    y: np.ndarray

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.X, self.y))


def copy_task(
    n_sequences: int,
    *,
    n_symbols: int = 8,
    sequence_length: int = 10,
    delay: int = 100,
    one_hot: bool = False,
    seed: SeedLike = None,
) -> CopyData:
    """The copy memory task, in the layout of Arjovsky, Shah & Bengio (2016), Section 4.1.

    Tokens: 0 is the blank, ``1..n_symbols`` are data symbols, ``n_symbols + 1`` is the
    delimiter ("go") symbol. With ``S = sequence_length`` and ``T = delay`` the input is

    ``[s_1 .. s_S] [blank x (T - 1)] [delimiter] [blank x S]``   (length ``2S + T``)

    and the target is ``[blank x (S + T)] [s_1 .. s_S]``: after the delimiter the network
    must output the S data symbols it saw T steps earlier. Arjovsky et al. use 8 data
    symbols, S = 10 and T in {100, 200, 300, 500}; predicting blanks and then uniform
    guesses gives the baseline cross-entropy ``S log(n_symbols) / (T + 2S)``.

    >>> X, y = copy_task(2, sequence_length=3, delay=4, seed=0)
    >>> X.shape, y.shape
    ((2, 10), (2, 10))
    >>> bool((y[:, -3:] == X[:, :3]).all()), X[0, 6].item()
    (True, 9)
    >>> copy_task(2, sequence_length=3, delay=4, one_hot=True, seed=0).X.shape
    (2, 10, 10)
    """
    n = check_int(n_sequences, "n_sequences", minimum=1)
    k = check_int(n_symbols, "n_symbols", minimum=1)
    s = check_int(sequence_length, "sequence_length", minimum=1)
    t = check_int(delay, "delay", minimum=1)
    rng = check_random_state(seed)
    length = 2 * s + t
    data = rng.integers(1, k + 1, size=(n, s), dtype=np.int64)
    tokens = np.zeros((n, length), dtype=np.int64)
    tokens[:, :s] = data
    tokens[:, s + t - 1] = k + 1
    y = np.zeros((n, length), dtype=np.int64)
    y[:, s + t :] = data
    X: np.ndarray = np.eye(k + 2, dtype=np.float32)[tokens] if one_hot else tokens
    return CopyData(X=X, y=y)


# ---------------------------------------------------------------------------------------
# Catalogue entries (`seqlab data list`)
# ---------------------------------------------------------------------------------------
_HS97 = "generated in code (Hochreiter & Schmidhuber 1997, Neural Computation 9(8)"
register(
    DatasetInfo(
        name="adding",
        domain="synthetic",
        loader=functools.partial(adding_problem, 1000, 100, seed=0),
        description="adding problem: (value, marker) pairs, target 0.5 + (X1 + X2)/4",
        size="1000 sequences x 100-110 steps",
        source=f"{_HS97}, Exp. 4, Sect. 5.4)",
    )
)
register(
    DatasetInfo(
        name="temporal-order",
        domain="synthetic",
        loader=functools.partial(temporal_order, 1000, variant="6a", seed=0),
        description="temporal order 6a: one-hot symbols, 4 classes from the X/Y order",
        size="1000 sequences x 100-110 steps",
        source=f"{_HS97}, Exp. 6a, Sect. 5.6)",
    )
)
register(
    DatasetInfo(
        name="copy",
        domain="synthetic",
        loader=functools.partial(copy_task, 1000, seed=0),
        description="copy memory: recall 10 of 8 symbols after a delay of 100 steps",
        size="1000 sequences x 120 steps",
        source="generated in code (Arjovsky, Shah & Bengio 2016, ICML, Sect. 4.1)",
    )
)
register(
    DatasetInfo(
        name="mackey-glass",
        domain="synthetic",
        loader=functools.partial(mackey_glass, 10000, discard=1000.0),
        description="Mackey-Glass, tau = 17 (chaotic), unit sampling after 1000 units",
        size="10000 steps",
        source="generated in code (Mackey & Glass 1977; RK4, dt = 0.1; Jaeger & Haas 2004)",
    )
)
