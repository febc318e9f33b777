"""Unit tests of the glue under ``seqlab compare``: AR(inf) forecasting against statsmodels,
the numpy baselines against brute force / scikit-learn, and the no-look-ahead guarantee of
the forecasting protocol."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab.applications._common import (
    ModelResult,
    RunContext,
    TaskResult,
    ar_inf_forecast,
    arima_pi_weights,
    balanced_accuracy,
    get_budget,
)
from seqlab.applications._forecast import run_forecast
from seqlab.applications.dna import TEST_REGION, island_scores, kmer_features
from seqlab.applications.report import format_leaderboard
from seqlab.applications.text import MarkovChain


def _arma(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    e = rng.normal(size=n + 1)
    w = np.zeros(n + 1)
    for t in range(2, n + 1):
        w[t] = 0.6 * w[t - 1] - 0.2 * w[t - 2] + e[t] + 0.4 * e[t - 1]
    return w[1:]


def test_ar_inf_one_step_matches_statsmodels_kalman_filter():
    # statsmodels' exact Kalman filter with the same frozen parameters on the full series
    from statsmodels.tsa.arima.model import ARIMA as SMARIMA

    y = 10.0 + _arma(300, 0)
    res = SMARIMA(y[:200], order=(2, 0, 1)).fit()
    const, ar1, ar2, ma1 = res.params[:4]
    filt = SMARIMA(y, order=(2, 0, 1)).filter(res.params)
    pi = arima_pi_weights([ar1, ar2], [ma1], 0, 300)
    origins = np.arange(249, 299)
    ours = ar_inf_forecast(y - const, origins, pi, 1)[:, 0] + const
    np.testing.assert_allclose(ours, filt.fittedvalues[origins + 1], rtol=0, atol=1e-8)


def test_ar_inf_multi_step_matches_statsmodels_forecast_with_differencing():
    from statsmodels.tsa.arima.model import ARIMA as SMARIMA

    y = np.cumsum(_arma(300, 1))
    res = SMARIMA(y, order=(1, 1, 1)).fit()
    ar1, ma1 = res.params[:2]
    pi = arima_pi_weights([ar1], [ma1], 1, 400)
    ours = ar_inf_forecast(y, np.array([y.size - 1]), pi, 6)[0]
    np.testing.assert_allclose(ours, res.forecast(6), rtol=0, atol=1e-6)


def test_pi_weights_of_pure_ar_are_the_ar_polynomial():
    c = arima_pi_weights([0.3, -0.2, 0.1], [], 0, 5)
    np.testing.assert_array_equal(c, [1.0, -0.3, 0.2, -0.1, 0.0, 0.0])


def test_markov_chain_matches_brute_force_counts():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 3, size=400)
    k, V, alpha = 2, 3, 0.5
    mc = MarkovChain(k, V, alpha=alpha).fit(ids)
    pairs = Counter((tuple(ids[t - k:t]), ids[t]) for t in range(k, ids.size))
    ctxs = Counter(tuple(ids[t - k:t]) for t in range(k, ids.size))
    test = rng.integers(0, 3, size=50)
    want = [np.log((pairs[(tuple(test[t - k:t]), test[t])] + alpha)
                   / (ctxs[tuple(test[t - k:t])] + alpha * V)) for t in range(k, test.size)]
    np.testing.assert_allclose(mc.log_probs(test), want, rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=6, max_size=60), st.integers(1, 3))
def test_markov_chain_probabilities_sum_to_one(seq, k):
    ids = np.array(seq)
    if ids.size <= k:
        return
    mc = MarkovChain(k, 4).fit(ids)
    ctx = list(ids[:k])
    total = sum(np.exp(mc.log_probs(np.array([*ctx, c]))[0]) for c in range(4))
    assert total == pytest.approx(1.0, abs=1e-12)


def test_kmer_features_match_counter():
    rng = np.random.default_rng(1)
    win = rng.integers(0, 4, size=(5, 30))
    F = kmer_features(win, k=3)
    for row, w in zip(F, win):
        counts = Counter(16 * w[i] + 4 * w[i + 1] + w[i + 2] for i in range(28))
        want = np.zeros(64)
        for code, n in counts.items():
            want[code] = n / 28
        np.testing.assert_allclose(row, want)


def test_balanced_accuracy_matches_sklearn():
    from sklearn.metrics import balanced_accuracy_score

    rng = np.random.default_rng(2)
    t, p = rng.integers(0, 3, 200), rng.integers(0, 3, 200)
    assert balanced_accuracy(t, p) == pytest.approx(balanced_accuracy_score(t, p))


def test_island_scores_by_hand():
    rule = np.zeros(40, bool)
    rule[5:15] = rule[20:25] = rule[30:32] = True  # three rule islands, 17 bases
    pred = np.zeros(40, bool)
    pred[10:22] = True  # overlaps the first two: 5 + 2 shared bases, union 17 + 12 - 7
    got = island_scores(pred, rule)
    assert got == {"jaccard": 7 / 22, "rule_found": 2 / 3, "n_islands": 1.0,
                   "median_length": 12.0}
    assert island_scores(np.zeros(4, bool), np.zeros(4, bool))["jaccard"] == 0.0
    assert np.isnan(island_scores(pred, np.zeros(40, bool))["rule_found"])


def test_dna_islands_task_scores_the_durbin_model_against_the_rule(tmp_path: Path):
    from seqlab.applications._common import RunContext, get_budget
    from seqlab.applications.dna import run_islands
    from seqlab.classical.hmm_cpg import base_jaccard, cpg_islands, gardiner_garden_islands
    from seqlab.data import load_chloroplast

    res = run_islands(RunContext(get_budget("tiny"), ("hmm",), tmp_path))
    got = res.rows[0].metrics
    seq = load_chloroplast().sequence.upper()
    hmm, rule = cpg_islands(seq), gardiner_garden_islands(seq)
    assert got["jaccard"] == pytest.approx(base_jaccard(hmm, rule, len(seq)), rel=1e-12)
    assert got["n_islands"] == len(hmm)
    # islands of the Durbin model are CpG-rich segments of ~100s of bases, not noise
    assert got["median_length"] >= 100 and 0 < got["rule_found"] <= 1


def test_dna_test_region_has_no_copy_in_training_region():
    from seqlab.data import load_chloroplast

    seq = load_chloroplast().sequence
    a, z = TEST_REGION
    train = seq[z:]
    # no 200-base piece of the test region occurs in the training region (either strand)
    comp = train[::-1].translate(str.maketrans("ACGT", "TGCA"))
    for s in range(a, z - 200, 3000):
        piece = seq[s:s + 200]
        assert piece not in train and piece not in comp


def test_forecasts_never_look_ahead(tmp_path: Path):
    # changing the series after an origin must not change that origin's forecasts: every
    # model is fitted on the training part and reads only the history up to the origin
    y = 50.0 + 10.0 * np.sin(np.arange(200) / 5.0) + _arma(200, 3)
    y2 = y.copy()
    n_fit = int(0.7 * 200) + int(0.15 * 200)
    cut = n_fit + 10
    y2[cut + 1:] += 100.0
    ctx = RunContext(get_budget("tiny"), (), tmp_path, seed=0)
    kw = {"horizon": 2, "lags": 5, "ar_order": 2, "arima_order": (1, 0, 1),
          "models": ("naive", "drift", "ar", "arima", "esn", "elman")}
    a = run_forecast(ctx, y, **kw)
    b = run_forecast(ctx, y2, **kw)
    keep = a.origins <= cut - 2  # targets of these origins end before the change
    for name in kw["models"]:
        np.testing.assert_allclose(a.preds[name][keep], b.preds[name][keep], rtol=1e-6,
                                   err_msg=name)
        assert not np.allclose(a.preds[name][~keep], b.preds[name][~keep]) or name == "drift"


def test_leaderboard_ranks_by_primary_metric_in_its_direction():
    rows = [ModelResult("a", {"m": 2.0}, 0.1), ModelResult("b", {"m": 1.0}, 0.1),
            ModelResult("c", {"m": float("nan")}, 0.1)]
    low = TaskResult("t", "T", "", "m", False, rows=rows)
    high = TaskResult("t", "T", "", "m", True, rows=rows)
    assert [r.model for r in low.ranked()] == ["b", "a", "c"]
    assert [r.model for r in high.ranked()] == ["a", "b", "c"]
    text = format_leaderboard(low)
    assert text.splitlines()[1].split()[:2] == ["1", "b"]


def test_bad_options_raise_clear_errors(tmp_path: Path):
    from seqlab.applications import run_compare

    with pytest.raises(ValueError, match="unknown budget 'huge'"):
        get_budget("huge")
    with pytest.raises(ValueError, match="unknown task 'chess'; valid options are"):
        run_compare(["chess"], out_dir=tmp_path, progress=False, echo=None)
    with pytest.raises(ValueError, match="unknown model 'transformer'"):
        run_compare(["sunspots"], ["transformer"], out_dir=tmp_path, progress=False,
                    echo=None)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        run_compare(data_file=tmp_path / "missing.csv", out_dir=tmp_path, progress=False,
                    echo=None)
