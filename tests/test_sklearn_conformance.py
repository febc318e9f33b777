"""scikit-learn's estimator checks on seqlab's seven scikit-learn style models.

Every check scikit-learn yields for a model runs. The checks a sequence model cannot pass by
design are listed per class with the reason, through scikit-learn's own mechanism
(``expected_failed_checks``); they run as strict xfails, so a listed check that starts to pass
fails this file until it is taken off the list. A check yielded several times (e.g. pickling
with and without a read-only memmap) shares one entry.

The remaining tests pin the pieces of the contract the checks do not reach: the tags, the
scikit-learn ``NotFittedError``, hmmlearn's positional ``lengths`` next to scikit-learn's
``y``, the binary classifier shapes, ``feature_names_in_``, and that ``import seqlab`` does
not import scikit-learn.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import parametrize_with_checks

from seqlab.classical import AR, ARIMA, CategoricalHMM, GaussianHMM
from seqlab.exceptions import NotFittedError, SeqlabValueError
from seqlab.reservoir.esn import EchoStateNetwork, ESNClassifier
from seqlab.reservoir.hopfield import HopfieldNetwork

# small instances keep the ~330 checks fast; the defaults are checked by
# check_parameters_default_constructible
ESTIMATORS = [
    AR(order=2),
    ARIMA(order=(1, 0, 0)),
    CategoricalHMM(n_components=2, random_state=0),
    GaussianHMM(n_components=2, random_state=0),
    EchoStateNetwork(n_units=20, washout=0, seed=0),
    ESNClassifier(n_units=20, seed=0),
    HopfieldNetwork(seed=0),
]

# ------------------------------------------------------------------ reasons
ONE_D = (
    "the one_d_array tag (the model takes a series (n,)) makes the check's X 1-D, and the "
    "check then indexes X[:, j] or X.shape[1]: scikit-learn's check does not support 1-D X"
)
ONE_D_SPARSE = (
    "the one_d_array tag makes the check's X 1-D, and scipy cannot build the check's 1-D "
    "sparse array in lil format"
)
FIT_1D_SERIES = "a 1-D X is one univariate series (n,), the model's natural input; not an error"
ROWS_ARE_TIME = (
    "rows are consecutive time steps of one sequence: the state carried from row to row makes "
    "predictions depend on the rows before, so reordered rows or a subset give other answers"
)
HMM_FRAMES = (
    "rows are frames of one sequence: a frame's posterior depends on its neighbours, and "
    "score_samples returns hmmlearn's (log_prob, posteriors) pair, not per-row scores"
)
ARIMA_PREDICT = (
    "ARIMA.predict(start, end) takes no X: it returns statsmodels' predictions of periods of "
    "the fitted series; forecast(steps) predicts ahead"
)
ESN_2D_IS_N_T = (
    "a 2-D X is (n, T): n univariate sequences (sktime's and tslearn's layout), so "
    "n_features_in_ is 1 (channels), not X.shape[1], and a sequence of another length is "
    "valid input, not a feature mismatch"
)
HOPFIELD_BINARY = (
    "HopfieldNetwork stores binary patterns (values in {-1, 1}, or {0, 1} with "
    "units='binary'); the check's continuous X is refused by design, not binarised"
)

EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {
    "AR": {
        "check_dont_overwrite_parameters": ONE_D,
        "check_n_features_in_after_fitting": ONE_D,
        "check_dtype_object": ONE_D,
        "check_estimator_sparse_array": ONE_D_SPARSE,
        "check_f_contiguous_array_estimator": ONE_D,
        "check_methods_sample_order_invariance": ONE_D,
        "check_methods_subset_invariance": ONE_D,
        "check_fit2d_1sample": ONE_D,
        "check_fit2d_1feature": ONE_D,
        "check_dict_unchanged": ONE_D,
        "check_n_features_in": ONE_D,
        "check_fit1d": FIT_1D_SERIES,
        "check_fit2d_predict1d": ONE_D,
    },
    "ARIMA": {
        "check_fit_score_takes_y": (
            "statsmodels' fit(y, exog): the second argument is the regressors, not a target"
        ),
        "check_dont_overwrite_parameters": ONE_D,
        "check_fit2d_1feature": ONE_D,
        "check_n_features_in": ONE_D,
        "check_estimator_sparse_array": ONE_D_SPARSE,
        "check_n_features_in_after_fitting": ARIMA_PREDICT,
        "check_estimators_dtypes": ARIMA_PREDICT,
        "check_dtype_object": ARIMA_PREDICT,
        "check_estimators_nan_inf": ARIMA_PREDICT,
        "check_estimators_pickle": ARIMA_PREDICT,
        "check_f_contiguous_array_estimator": ARIMA_PREDICT,
        "check_methods_sample_order_invariance": ARIMA_PREDICT,
        "check_methods_subset_invariance": ARIMA_PREDICT,
        "check_dict_unchanged": ARIMA_PREDICT,
        "check_fit_idempotent": ARIMA_PREDICT,
        "check_fit2d_predict1d": ARIMA_PREDICT,
        "check_fit2d_1sample": (
            "a series of 1 observation is refused as too short for the model order, in words "
            "about observations, not scikit-learn's '1 sample'"
        ),
        "check_fit1d": FIT_1D_SERIES,
    },
    "CategoricalHMM": {
        "check_dont_overwrite_parameters": ONE_D,
        "check_n_features_in_after_fitting": ONE_D,
        "check_dtype_object": ONE_D,
        "check_estimators_nan_inf": (
            "predict gets the check's 3-column X, refused for its 3 columns (symbols are one "
            "column) before its NaN is looked at"
        ),
        "check_estimator_sparse_array": ONE_D_SPARSE,
        "check_f_contiguous_array_estimator": ONE_D,
        "check_methods_sample_order_invariance": ONE_D,
        "check_methods_subset_invariance": ONE_D,
        "check_fit2d_1sample": ONE_D,
        "check_fit2d_1feature": ONE_D,
        "check_dict_unchanged": ONE_D,
        "check_n_features_in": ONE_D,
        "check_fit2d_predict1d": ONE_D,
    },
    "GaussianHMM": {
        "check_methods_sample_order_invariance": HMM_FRAMES,
        "check_methods_subset_invariance": HMM_FRAMES,
        "check_fit1d": "a 1-D X is read as T frames of one feature; not an error",
    },
    "EchoStateNetwork": {
        "check_methods_sample_order_invariance": ROWS_ARE_TIME,
        "check_methods_subset_invariance": ROWS_ARE_TIME,
        "check_fit1d": FIT_1D_SERIES,
    },
    "ESNClassifier": {
        "check_n_features_in": ESN_2D_IS_N_T,
        "check_n_features_in_after_fitting": ESN_2D_IS_N_T,
        "check_classifiers_train": ESN_2D_IS_N_T,
        "check_transformer_general": ESN_2D_IS_N_T,
        "check_estimators_empty_data_messages": (
            "X of shape (12, 0) is 12 sequences of 0 time steps: refused in words about time "
            "steps, not scikit-learn's '0 feature(s)'"
        ),
        "check_supervised_y_2d": (
            "a column-vector y (n, 1) is refused with an error: seqlab does not reshape a "
            "target silently (scikit-learn warns and ravels it)"
        ),
    },
    "HopfieldNetwork": {
        name: HOPFIELD_BINARY
        for name in (
            "check_fit_score_takes_y",
            "check_estimators_overwrite_params",
            "check_dont_overwrite_parameters",
            "check_estimators_fit_returns_self",
            "check_readonly_memmap_input",
            "check_n_features_in_after_fitting",
            "check_positive_only_tag_during_fit",
            "check_estimators_dtypes",
            "check_dtype_object",
            "check_pipeline_consistency",
            "check_estimators_nan_inf",
            "check_estimators_pickle",
            "check_f_contiguous_array_estimator",
            "check_methods_sample_order_invariance",
            "check_methods_subset_invariance",
            "check_fit2d_1sample",
            "check_fit2d_1feature",
            "check_dict_unchanged",
            "check_fit_idempotent",
            "check_fit_check_is_fitted",
            "check_n_features_in",
            "check_fit2d_predict1d",
        )
    },
}


def expected_failed_checks(estimator: object) -> dict[str, str]:
    return EXPECTED_FAILED_CHECKS[type(estimator).__name__]


with warnings.catch_warnings():
    # seqlab's BaseEstimator gives the API without deriving from scikit-learn's (importing
    # scikit-learn would slow `import seqlab`); scikit-learn warns about that when collecting
    warnings.filterwarnings("ignore", "Estimator .* does not inherit from", UserWarning)
    _all_checks = parametrize_with_checks(
        ESTIMATORS, expected_failed_checks=expected_failed_checks, xfail_strict=True
    )


@_all_checks
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        # fits on the checks' tiny random data may warn (non-stationary AR, EM stops early)
        warnings.simplefilter("ignore", RuntimeWarning)
        check(estimator)


def test_every_reason_is_a_sentence():
    for per_class in EXPECTED_FAILED_CHECKS.values():
        for check_name, reason in per_class.items():
            assert check_name.startswith("check_") and len(reason) > 40, check_name


# ------------------------------------------------------------------ tags and types
def test_estimator_types_follow_scikit_learn():
    clf, reg = ESNClassifier(n_units=10), EchoStateNetwork(n_units=10)
    assert is_classifier(clf) and not is_regressor(clf)
    assert is_regressor(reg) and not is_classifier(reg)
    assert get_tags(GaussianHMM()).estimator_type == "density_estimator"
    assert get_tags(AR()).estimator_type is None
    assert get_tags(AR()).input_tags.one_d_array and get_tags(AR()).input_tags.two_d_array
    cat = get_tags(CategoricalHMM()).input_tags
    assert cat.categorical and cat.positive_only
    assert get_tags(EchoStateNetwork()).target_tags.multi_output
    assert get_tags(clf).transformer_tags is not None


def test_import_seqlab_does_not_import_sklearn():
    code = (
        "import sys, seqlab, seqlab.classical, seqlab.reservoir.esn, seqlab.reservoir.hopfield;"
        "print('sklearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_clone_keeps_params_and_drops_fitted_state():
    X = np.random.default_rng(0).normal(size=(60, 2))
    model = GaussianHMM(n_components=2, covariance_type="diag", n_iter=3, seed=1).fit(X)
    twin = clone(model)
    assert twin.get_params() == model.get_params()
    assert not hasattr(twin, "startprob_") and not hasattr(twin, "n_features_in_")
    with pytest.raises(SeqlabValueError, match="not a parameter"):
        twin.set_params(n_state=3)


# ------------------------------------------------------------------ not fitted
def test_not_fitted_error_is_also_scikit_learns():
    with pytest.raises(SklearnNotFittedError) as info:
        ESNClassifier(n_units=10).predict(np.zeros((2, 5)))
    err = info.value
    assert isinstance(err, NotFittedError) and isinstance(err, AttributeError)
    again = pickle.loads(pickle.dumps(err))
    assert isinstance(again, SklearnNotFittedError) and again.args == err.args
    assert not hasattr(AR(), "params_")


# ------------------------------------------------------------------ n_features_in_
@pytest.mark.parametrize(
    ("model", "X", "n_features"),
    [
        (AR(order=1), np.arange(30.0) % 7, 1),
        (ARIMA(order=(1, 0, 0)), np.random.default_rng(0).normal(size=40), 1),
        (CategoricalHMM(2, seed=0), np.arange(30) % 3, 1),
        (GaussianHMM(2, seed=0), np.random.default_rng(0).normal(size=(40, 3)), 3),
        (HopfieldNetwork(seed=0), np.sign(np.random.default_rng(0).normal(size=(3, 8))), 8),
    ],
)
def test_n_features_in_is_set_by_fit(model, X, n_features):
    assert not hasattr(model, "n_features_in_")
    model.fit(X)
    assert model.n_features_in_ == n_features


def test_feature_names_in_from_a_dataframe():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(50, 2)), columns=["a", "b"])
    model = GaussianHMM(2, n_iter=2, seed=0).fit(X)
    assert model.feature_names_in_.tolist() == ["a", "b"]
    with pytest.raises(SeqlabValueError, match="feature names should match"):
        model.score(X.rename(columns={"b": "c"}))
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        model.score(X.to_numpy())
    model.fit(X.to_numpy())  # a refit without names forgets them
    assert not hasattr(model, "feature_names_in_")


def test_feature_count_mismatch_uses_scikit_learns_words():
    model = GaussianHMM(2, n_iter=2, seed=0).fit(np.random.default_rng(0).normal(size=(50, 3)))
    with pytest.raises(ValueError, match="X has 2 features, but GaussianHMM is expecting 3"):
        model.predict(np.zeros((5, 2)))


# ------------------------------------------------------------------ HMM: y and lengths
@pytest.fixture
def two_sequences():
    rng = np.random.default_rng(3)
    return rng.normal(size=(70, 2)), [30, 40]


def test_hmm_positional_lengths_as_in_hmmlearn(two_sequences):
    X, lengths = two_sequences
    a = GaussianHMM(2, n_iter=5, seed=0).fit(X, lengths)
    b = GaussianHMM(2, n_iter=5, seed=0).fit(X, lengths=lengths)
    np.testing.assert_array_equal(a.transmat_, b.transmat_)
    assert a.score(X, lengths) == b.score(X, lengths=lengths)
    # two sequences score as the sum of their parts (no transition across the boundary)
    parts = a.score(X[:30]) + a.score(X[30:])
    assert a.score(X, lengths) == pytest.approx(parts, rel=1e-12)


def test_hmm_ignores_a_per_row_target(two_sequences):
    X, lengths = two_sequences
    y = np.arange(len(X)) % 3
    a = GaussianHMM(2, n_iter=5, seed=0).fit(X, y)
    b = GaussianHMM(2, n_iter=5, seed=0).fit(X)
    np.testing.assert_array_equal(a.means_, b.means_)
    assert a.score(X, y) == b.score(X)
    c = GaussianHMM(2, n_iter=5, seed=0).fit(X, y, lengths)
    assert c.score(X, y, lengths) == GaussianHMM(2, n_iter=5, seed=0).fit(X, lengths).score(
        X, lengths=lengths
    )


def test_hmm_refuses_the_ambiguous_second_argument(two_sequences):
    X, _ = two_sequences
    with pytest.raises(SeqlabValueError, match="Pass it by keyword"):
        GaussianHMM(2).fit(X, np.ones(len(X), dtype=int))
    with pytest.raises(SeqlabValueError, match="one entry per row"):
        GaussianHMM(2).fit(X, [1, 2], lengths=[30, 40])


# ------------------------------------------------------------------ ESNClassifier shapes
def _labelled_sequences(n_classes):
    rng = np.random.default_rng(0)
    y = np.arange(60) % n_classes
    X = [np.cumsum(rng.normal(c - 1, 1.0, (15, 2)), axis=0) / 10 for c in y]
    return X, np.array(["abc"[c] for c in y])


def test_esn_classifier_binary_shapes():
    X, y = _labelled_sequences(2)
    clf = ESNClassifier(n_units=30, leak_rate=0.5, seed=0).fit(X, y)
    assert clf.classes_.tolist() == ["a", "b"]
    decision, proba = clf.decision_function(X), clf.predict_proba(X)
    assert decision.shape == (60,) and proba.shape == (60, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[(decision > 0).astype(int)])
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])


def test_esn_classifier_multiclass_shapes():
    X, y = _labelled_sequences(3)
    clf = ESNClassifier(n_units=30, leak_rate=0.5, seed=0).fit(X, y)
    decision, proba = clf.decision_function(X), clf.predict_proba(X)
    assert decision.shape == (60, 3) and proba.shape == (60, 3)
    np.testing.assert_array_equal(decision.argmax(axis=1), proba.argmax(axis=1))


def test_esn_classifier_2d_x_is_n_univariate_sequences():
    rng = np.random.default_rng(1)
    X2 = rng.normal(size=(20, 12))
    y = np.arange(20) % 2
    a = ESNClassifier(n_units=20, seed=0).fit(X2, y)
    b = ESNClassifier(n_units=20, seed=0).fit(list(X2), y)  # list of (T,) series
    assert a.n_features_in_ == 1
    np.testing.assert_array_equal(a.decision_function(X2), b.decision_function(list(X2)))


# ------------------------------------------------------------------ inside scikit-learn's tools
def test_esn_classifier_in_grid_search_on_3d_sequences():
    from sklearn.model_selection import GridSearchCV

    X, y = _labelled_sequences(2)
    X3 = np.stack(X)  # (60, 15, 2)
    search = GridSearchCV(ESNClassifier(n_units=20, seed=0), {"leak_rate": [0.3, 1.0]}, cv=3).fit(
        X3, y
    )
    assert search.best_estimator_.n_features_in_ == 2
    assert search.predict(X3).shape == (60,)


def test_hmm_in_a_pipeline_ignores_y():
    from sklearn.pipeline import make_pipeline

    X = np.random.default_rng(2).normal(size=(80, 2))
    y = np.arange(80) % 2
    pipe = make_pipeline(GaussianHMM(2, n_iter=4, seed=0)).fit(X, y)
    alone = GaussianHMM(2, n_iter=4, seed=0).fit(X)
    assert pipe.score(X, y) == alone.score(X)
