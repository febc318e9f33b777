"""The real-data HMM tasks: DNA island segments and Seattle weather regimes."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from seqlab.classical.hmm_tasks import adjusted_rand_index, dna_islands, segments, weather_regimes


def test_segments_and_adjusted_rand_index_against_sklearn():
    rng = np.random.default_rng(0)
    for _ in range(5):
        a, b = rng.integers(0, 4, 200), rng.integers(0, 3, 200)
        assert adjusted_rand_index(a, b) == pytest.approx(adjusted_rand_score(a, b), abs=1e-12)
    s = segments(np.array([2, 2, 2]))
    assert s.to_numpy().tolist() == [[0, 3, 2, 3]]


def test_islands_found_in_a_planted_sequence():
    rng = np.random.default_rng(1)
    bg = lambda n: "".join(rng.choice(list("ACGT"), n, p=[0.35, 0.15, 0.15, 0.35]))  # noqa: E731
    isl = lambda n: "".join(rng.choice(list("ACGT"), n, p=[0.15, 0.35, 0.35, 0.15]))  # noqa: E731
    seq = bg(3000) + isl(800) + bg(3000) + isl(600) + bg(2000)
    r = dna_islands(sequence=seq, n_iter=30)
    islands = r.segments[r.segments.state == 1]
    assert len(islands) == 2
    np.testing.assert_allclose(islands.start, [3000, 6800], atol=60)
    np.testing.assert_allclose(islands.end, [3800, 7400], atol=60)
    assert r.gc_island > 0.6 > 0.4 > r.gc_background


@pytest.mark.slow
def test_chloroplast_islands_are_enriched_in_genes():
    r = dna_islands("chloroplast")
    assert r.gc_island > r.gc_background + 0.05
    assert r.gene_enrichment is not None and r.gene_enrichment > 1.2
    assert 10 <= (r.segments.state == 1).sum() <= 500


def test_weather_regimes_agree_with_labels_better_than_chance():
    r = weather_regimes(2, covariance_type="diag", n_iter=30)
    assert r.contingency.to_numpy().sum() == 1461
    assert r.ari > 0.2  # wet vs dry days: far above chance (0)
    wet = r.state_means["precipitation"].idxmax()
    assert r.contingency.loc[wet, "rain"] > 0.8 * r.contingency["rain"].sum()
