"""CpG islands with the Durbin et al. 8-state HMM and the Gardiner-Garden & Frommer rule.

The model (Durbin, Eddy, Krogh & Mitchison, *Biological Sequence Analysis*, 1998, sec. 3.2,
Table 3.1) has states A+, C+, G+, T+ (island) and A-, C-, G-, T- (background); state ``X±``
emits letter X with probability one, so the hidden path is the letter sequence plus one
island/background bit. Within a region the letters follow the book's published first-order
Markov chains (Table 3.1, from 48 human CpG islands, 60,000 nt); ``p_exit_island`` and
``p_exit_background`` switch regions (defaults: islands ~500 bp, background ~50 kb).
Decoding uses seqlab's Viterbi kernel (:func:`seqlab.classical._hmm_viterbi.viterbi`).

>>> seq = "AT" * 300 + "CG" * 200 + "AT" * 300
>>> cpg_islands(seq)[["start", "end"]].values.tolist()
[[600, 1000]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from seqlab.classical._hmm_viterbi import viterbi
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError

__all__ = [
    "MINUS_TABLE",
    "PLUS_TABLE",
    "base_jaccard",
    "cpg_islands",
    "cpg_transmat",
    "cpg_viterbi",
    "gardiner_garden_islands",
    "island_stats",
]

#: Durbin et al. Table 3.1, "+" (CpG island) model, rows/cols A, C, G, T.
PLUS_TABLE = np.array([[0.180, 0.274, 0.426, 0.120],
                       [0.171, 0.368, 0.274, 0.188],
                       [0.161, 0.339, 0.375, 0.125],
                       [0.079, 0.355, 0.384, 0.182]])
#: Durbin et al. Table 3.1, "-" (background) model, rows/cols A, C, G, T.
MINUS_TABLE = np.array([[0.300, 0.205, 0.285, 0.210],
                        [0.322, 0.298, 0.078, 0.302],
                        [0.248, 0.246, 0.298, 0.208],
                        [0.177, 0.239, 0.292, 0.292]])
_CODE = np.full(256, -1, dtype=np.int64)
for _i, _c in enumerate("ACGT"):
    _CODE[ord(_c)] = _i
    _CODE[ord(_c.lower())] = _i


def cpg_transmat(p_exit_island: float = 1 / 500,
                 p_exit_background: float = 1 / 50_000) -> np.ndarray:
    """The (8, 8) transition matrix; states 0-3 = A+..T+, 4-7 = A-..T-.

    X+ -> Y+ is ``(1 - p_exit_island) * a+_XY`` and X+ -> Y- is ``p_exit_island * a-_XY``
    (symmetrically for X-), so every row sums to one.

    >>> bool(np.allclose(cpg_transmat().sum(axis=1), 1.0))
    True
    """
    for name, p in (("p_exit_island", p_exit_island), ("p_exit_background", p_exit_background)):
        if not 0.0 < p < 1.0:
            raise SeqlabValueError(f"{name} must lie in (0, 1), got {p}; e.g. 1/500")
    plus = PLUS_TABLE / PLUS_TABLE.sum(axis=1, keepdims=True)
    minus = MINUS_TABLE / MINUS_TABLE.sum(axis=1, keepdims=True)
    top = np.hstack([(1 - p_exit_island) * plus, p_exit_island * minus])
    bottom = np.hstack([p_exit_background * plus, (1 - p_exit_background) * minus])
    return np.vstack([top, bottom])


def _encode(seq: str) -> np.ndarray:
    if not isinstance(seq, str):
        raise SeqlabTypeError(f"seq must be a DNA string, got {type(seq).__name__}")
    if not seq:
        raise SeqlabValueError("seq is empty; give a DNA string of A, C, G, T (N allowed)")
    return _CODE[np.frombuffer(seq.encode("ascii", "replace"), dtype=np.uint8)]


def cpg_viterbi(seq: str, p_exit_island: float = 1 / 500,
                p_exit_background: float = 1 / 50_000) -> np.ndarray:
    """Boolean (len(seq),) mask: True where the Viterbi path is in an island (+) state.

    Non-ACGT letters (N, IUPAC codes) split the sequence; each ACGT run is decoded
    separately and the other positions are False.

    >>> bool(cpg_viterbi("ATATATATAT").any())
    False
    """
    codes = _encode(seq)
    valid = codes >= 0
    mask = np.zeros(codes.shape[0], dtype=bool)
    if not valid.any():
        return mask
    edges = np.flatnonzero(np.diff(np.concatenate([[0], valid.astype(np.int8), [0]])))
    starts, ends = edges[0::2], edges[1::2]
    lengths = ends - starts
    bounds = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    rows = codes[valid]
    with np.errstate(divide="ignore"):
        log_a = np.log(cpg_transmat(p_exit_island, p_exit_background))
        table = np.log(np.tile(np.eye(4), (1, 2)))  # (4 letters, 8 states)
        log_pi = np.log(np.full(8, 1 / 8))
    table = np.maximum(table, -1e30)
    _, path = viterbi(log_pi, log_a, np.ascontiguousarray(table), bounds, rows=rows)
    mask[valid] = path < 4
    return mask


def island_stats(seq: str, start: int, end: int) -> tuple[float, float]:
    """(GC fraction, CpG observed/expected) of ``seq[start:end]``.

    obs/exp = #CG * L / (#C * #G) (Gardiner-Garden & Frommer 1987); nan when #C or #G is 0.

    >>> island_stats("CGCG", 0, 4)
    (1.0, 2.0)
    """
    s = seq[start:end].upper()
    n = max(end - start, 1)
    c, g, cg = s.count("C"), s.count("G"), s.count("CG")
    oe = cg * n / (c * g) if c and g else float("nan")
    return (c + g) / n, oe


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return edges[0::2], edges[1::2]


def _table(seq: str, mask: np.ndarray) -> pd.DataFrame:
    starts, ends = _runs(mask)
    stats = [island_stats(seq, int(s), int(e)) for s, e in zip(starts, ends)]
    return pd.DataFrame({"start": starts.astype(int), "end": ends.astype(int),
                         "length": (ends - starts).astype(int),
                         "gc": [s[0] for s in stats], "cpg_oe": [s[1] for s in stats]})


def cpg_islands(seq: str, p_exit_island: float = 1 / 500,
                p_exit_background: float = 1 / 50_000, min_length: int = 1) -> pd.DataFrame:
    """Island segments of the Viterbi path: columns start, end (0-based, half-open, BED),
    length, gc, cpg_oe; segments shorter than ``min_length`` are dropped.
    """
    df = _table(seq, cpg_viterbi(seq, p_exit_island, p_exit_background))
    return df[df.length >= min_length].reset_index(drop=True)


def gardiner_garden_islands(seq: str, window: int = 200, min_gc: float = 0.5,
                            min_oe: float = 0.6) -> pd.DataFrame:
    """Gardiner-Garden & Frommer (1987) rule by sliding window: every base covered by a
    ``window``-bp window with GC > ``min_gc`` and CpG obs/exp > ``min_oe``; merged runs
    (length >= window) are returned with the columns of :func:`cpg_islands`.

    A window passes once it holds > 100 of the 300 island bases, so the union reaches 99 bp
    beyond each edge of a planted 600..900 island:

    >>> seq = "AT" * 300 + "CG" * 150 + "AT" * 300
    >>> gardiner_garden_islands(seq)[["start", "end"]].values.tolist()
    [[501, 999]]
    """
    u = seq.upper()
    n = len(u)
    if n < window:
        return _table(seq, np.zeros(n, dtype=bool))
    arr = np.frombuffer(u.encode("ascii", "replace"), dtype=np.uint8)
    c = np.concatenate([[0], np.cumsum(arr == ord("C"))])
    g = np.concatenate([[0], np.cumsum(arr == ord("G"))])
    cg_at = np.concatenate([(arr[:-1] == ord("C")) & (arr[1:] == ord("G")), [False]])
    cg = np.concatenate([[0], np.cumsum(cg_at)])
    i = np.arange(n - window + 1)
    nc, ng = c[i + window] - c[i], g[i + window] - g[i]
    ncg = cg[i + window - 1] - cg[i]  # CpGs lying wholly inside the window
    with np.errstate(divide="ignore", invalid="ignore"):
        oe = np.where((nc > 0) & (ng > 0), ncg * window / (nc * ng), 0.0)
    ok = ((nc + ng) / window > min_gc) & (oe > min_oe)
    cover = np.zeros(n + 1, dtype=np.int64)
    np.add.at(cover, i[ok], 1)
    np.add.at(cover, i[ok] + window, -1)
    return _table(seq, np.cumsum(cover)[:n] > 0)


def base_jaccard(a: pd.DataFrame, b: pd.DataFrame, n: int) -> float:
    """Base-level Jaccard index of two segment tables over a sequence of length ``n``."""
    ma, mb = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    for m, df in ((ma, a), (mb, b)):
        for s, e in zip(df.start, df.end):
            m[s:e] = True
    union = (ma | mb).sum()
    return float((ma & mb).sum() / union) if union else float("nan")
