"""Tests for the Durbin 8-state CpG-island HMM and the Gardiner-Garden & Frommer rule."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from seqlab.classical.hmm_cpg import (
    MINUS_TABLE,
    PLUS_TABLE,
    base_jaccard,
    cpg_islands,
    cpg_transmat,
    cpg_viterbi,
    gardiner_garden_islands,
    island_stats,
)
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError


def test_tables_are_durbin_table_3_1() -> None:
    # Rows of the book's table sum to 1 up to its 3-decimal rounding; C->G depleted in "-".
    assert np.allclose(PLUS_TABLE.sum(axis=1), 1.0, atol=2e-3)
    assert np.allclose(MINUS_TABLE.sum(axis=1), 1.0, atol=2e-3)
    assert MINUS_TABLE[1, 2] == 0.078 and PLUS_TABLE[1, 2] == 0.274


def test_viterbi_matches_brute_force() -> None:
    seq = "ACGCGTTA"
    a = cpg_transmat(0.2, 0.1)
    codes = ["ACGT".index(c) for c in seq]
    best, best_path = -np.inf, None
    for bits in itertools.product((0, 1), repeat=len(seq)):
        states = [c + 4 * b for c, b in zip(codes, bits)]
        lp = np.log(1 / 8) + sum(np.log(a[i, j]) for i, j in itertools.pairwise(states))
        if lp > best:
            best, best_path = lp, np.array(bits) == 0
    assert np.array_equal(cpg_viterbi(seq, 0.2, 0.1), best_path)


def test_planted_island_found_with_boundaries() -> None:
    rng = np.random.default_rng(0)

    def chain(table: np.ndarray, n: int) -> str:
        t = table / table.sum(axis=1, keepdims=True)
        x = [int(rng.integers(4))]
        for _ in range(n - 1):
            x.append(int(rng.choice(4, p=t[x[-1]])))
        return "".join("ACGT"[i] for i in x)

    seq = chain(MINUS_TABLE, 3000) + chain(PLUS_TABLE, 800) + chain(MINUS_TABLE, 3000)
    df = cpg_islands(seq, min_length=100)
    assert len(df) == 1
    assert abs(df.start[0] - 3000) <= 20 and abs(df.end[0] - 3800) <= 20
    gc, oe = island_stats(seq, 3000, 3800)
    assert gc > 0.5 and oe > 0.6


def test_n_runs_split_and_are_background() -> None:
    seq = "CG" * 200 + "N" * 50 + "CG" * 200
    mask = cpg_viterbi(seq)
    assert not mask[400:450].any() and mask[:400].all() and mask[450:].all()
    assert len(cpg_islands(seq)) == 2


def test_gardiner_garden_and_jaccard() -> None:
    seq = "AT" * 300 + "CG" * 150 + "AT" * 300
    gg = gardiner_garden_islands(seq)
    assert gg[["start", "end"]].values.tolist() == [[501, 999]]
    hmm = cpg_islands(seq)
    assert hmm[["start", "end"]].values.tolist() == [[600, 900]]
    assert base_jaccard(hmm, gg, len(seq)) == pytest.approx(300 / 498)
    assert gardiner_garden_islands("AT" * 400).empty


def test_bad_input() -> None:
    with pytest.raises(SeqlabValueError):
        cpg_islands("")
    with pytest.raises(SeqlabTypeError):
        cpg_islands(b"ACGT")  # type: ignore[arg-type]
    with pytest.raises(SeqlabValueError):
        cpg_transmat(0.0)
