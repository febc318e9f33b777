"""seqlab.save / seqlab.load round trips: every registered class, fitted, gives bit-identical
predictions, forecasts, scores and samples after loading (compared with the model that was
saved, exactly: ``np.array_equal`` / ``torch.equal``, no tolerance)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import torch

import seqlab
from seqlab.applications.text import MarkovChain
from seqlab.classical import (
    AR,
    ARIMA,
    GMMHMM,
    CategoricalHMM,
    GaussianHMM,
    MultinomialHMM,
    PoissonHMM,
)
from seqlab.data import CharVocab
from seqlab.io.registry import REGISTRY
from seqlab.recurrent import (
    ElmanCell,
    GRUCell,
    JordanCell,
    LeakyCell,
    LSTMCell,
    OutputFeedbackRNN,
    RNNLayer,
    SequenceClassifier,
    SequenceTagger,
    SkipCell,
)
from seqlab.reservoir import EchoStateNetwork, ESNClassifier, HopfieldNetwork
from seqlab.reservoir._reservoir import Reservoir

#: every class the tests below round-trip (the HMMs' ConvergenceMonitor goes inside them)
COVERED = {
    *(f"seqlab.classical.{n}" for n in ("AR", "ARIMA", "CategoricalHMM", "GaussianHMM",
                                        "ConvergenceMonitor", "SARIMAX", "GMMHMM",
                                        "PoissonHMM", "MultinomialHMM")),
    *(f"seqlab.reservoir.{n}" for n in ("EchoStateNetwork", "ESNClassifier", "HopfieldNetwork",
                                        "Reservoir")),
    *(f"seqlab.recurrent.{n}" for n in ("SequenceTagger", "SequenceClassifier",
                                        "OutputFeedbackRNN", "RNNLayer", "ElmanCell",
                                        "LeakyCell", "SkipCell", "JordanCell", "LSTMCell",
                                        "GRUCell")),
    "seqlab.data.CharVocab", "seqlab.applications.text.MarkovChain",
    "seqlab.data.ByteVocab", "seqlab.pipelines.TextLanguageModel",
    # round-tripped in tests/pipelines/test_forecast.py (a fresh process) and test_scaling.py
    "seqlab.data.StandardScaler", "seqlab.pipelines.RNNForecaster",
    # round-tripped in tests/pipelines/test_classify.py (a fresh process)
    "seqlab.pipelines.SequenceClassifierPipeline",
    # round-tripped in tests/classical/test_auto_arima.py (forecasts equal after reload)
    "seqlab.classical.AutoARIMA",
    # round-tripped in tests/scale/test_many.py
    "seqlab.scale.ESNForecaster",
    # round-tripped in tests/pipelines/test_esn_forecast.py (and an old scale file loaded)
    "seqlab.pipelines.ESNForecaster",
}


def test_every_registered_class_is_covered():
    assert set(REGISTRY) == COVERED


def roundtrip(obj, tmp_path, name="model"):
    path = tmp_path / name
    seqlab.save(obj, path)
    assert json.loads(_metadata(path)["seqlab_model"])["class"] in COVERED
    loaded = seqlab.load(path)
    assert type(loaded) is type(obj)
    return loaded


def _metadata(path):
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as f:  # the reference reader
        return f.metadata()


def same(a, b):
    if isinstance(a, torch.Tensor):
        return a.dtype == b.dtype and torch.equal(a, b)
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")


def series(n=240, seed=0):
    rng = np.random.default_rng(seed)
    e = rng.normal(size=n)
    w = np.zeros(n)
    for t in range(1, n):
        w[t] = 0.6 * w[t - 1] + e[t] + 0.3 * e[t - 1]
    return w


# ----------------------------------------------------------------------------- classical
@pytest.mark.parametrize("method", ["yule_walker", "burg", "ols"])
def test_ar(tmp_path, method):
    model = AR(3, method=method).fit(series())
    again = roundtrip(model, tmp_path)
    assert again.get_params() == model.get_params()
    f0, f1 = model.forecast(12, alpha=0.1), again.forecast(12, alpha=0.1)
    assert same(f0.mean, f1.mean) and same(f0.lower, f1.lower) and same(f0.se, f1.se)
    assert same(model.predict(), again.predict())
    assert same(model.simulate(20, 3, seed=5), again.simulate(20, 3, seed=5))
    assert model.summary() == again.summary()


@pytest.mark.parametrize("order, trend, many", [((1, 1, 1), None, False), ((2, 0, 1), "c", True),
                                                ((0, 1, 1), "t", False)])
def test_arima(tmp_path, order, trend, many):
    y = series()
    y = np.column_stack([np.cumsum(y), np.cumsum(series(seed=1))]) if many else np.cumsum(y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        model = ARIMA(order, trend=trend, method="css" if many else "mle")
        model = model.fit_many(y) if many else model.fit(y)
    again = roundtrip(model, tmp_path)
    f0, f1 = model.get_forecast(10), again.get_forecast(10)
    assert same(f0.predicted_mean, f1.predicted_mean) and same(f0.conf_int(), f1.conf_int())
    assert same(model.bse_, again.bse_) and same(model.params_, again.params_)
    if not many:
        assert same(model.predict(), again.predict())
    assert type(again.loglik_) is type(model.loglik_)  # np.float64 stays np.float64
    if not many:
        assert same(model.simulate(15, 2, seed=1), again.simulate(15, 2, seed=1))
        assert model.summary() == again.summary()


def test_sarimax(tmp_path):
    import pandas as pd

    from seqlab.classical import SARIMAX

    y = pd.Series(np.cumsum(series(120)), index=pd.date_range("2000-01", periods=120, freq="MS"))
    y.iloc[[5, 40]] = np.nan
    X = np.arange(120.0)[:, None] % 7
    model = SARIMAX((1, 1, 1), (0, 1, 1, 12), trend="c").fit(y, exog=X)
    again = roundtrip(model, tmp_path)
    Xf = np.arange(6.0)[:, None]
    pd.testing.assert_frame_equal(model.get_forecast(6, exog=Xf).summary_frame(),
                                  again.get_forecast(6, exog=Xf).summary_frame())
    assert same(model.params_, again.params_) and same(model.predict(), again.predict())


def test_categorical_hmm(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 4, 300)
    model = CategoricalHMM(3, n_iter=8, seed=0).fit(X, [100, 200])
    again = roundtrip(model, tmp_path)
    assert again.score(X) == model.score(X)
    assert same(model.decode(X)[1], again.decode(X)[1])
    assert same(model.predict_proba(X), again.predict_proba(X))
    assert all(same(a, b) for a, b in zip(model.sample(30, seed=2), again.sample(30, seed=2)))
    assert again.monitor_.history == model.monitor_.history
    assert again.monitor_.converged == model.monitor_.converged


@pytest.mark.parametrize("cov", ["diag", "full", "spherical", "tied"])
def test_gaussian_hmm(tmp_path, cov):
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(0, 1, (80, 2)), rng.normal(3, 0.5, (80, 2))])
    model = GaussianHMM(2, covariance_type=cov, n_iter=5, seed=0).fit(X)
    again = roundtrip(model, tmp_path)
    assert again.score(X) == model.score(X)
    assert same(model.predict_proba(X), again.predict_proba(X))
    assert same(model.covars_, again.covars_)
    assert all(same(a, b) for a, b in zip(model.sample(20, seed=3), again.sample(20, seed=3)))
    assert again.aic(X) == model.aic(X)


@pytest.mark.parametrize("cov", ["diag", "full", "spherical", "tied"])
def test_gmm_hmm(tmp_path, cov):
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(0, 1, (80, 2)), rng.normal(3, 0.5, (80, 2))])
    model = GMMHMM(2, 2, covariance_type=cov, n_iter=3, random_state=0).fit(X)
    again = roundtrip(model, tmp_path)
    assert again.score(X) == model.score(X)
    assert same(model.covars_, again.covars_)
    assert all(same(a, b) for a, b in zip(model.sample(20, seed=3), again.sample(20, seed=3)))


def test_poisson_hmm(tmp_path):
    X = np.random.default_rng(2).poisson([1.0, 6.0], (120, 2))
    model = PoissonHMM(2, n_iter=5, random_state=0).fit(X)
    again = roundtrip(model, tmp_path)
    assert again.score(X) == model.score(X)
    assert same(model.lambdas_, again.lambdas_)
    assert all(same(a, b) for a, b in zip(model.sample(20, seed=3), again.sample(20, seed=3)))


def test_multinomial_hmm(tmp_path):
    X = np.random.default_rng(2).multinomial(5, [0.2, 0.3, 0.5], 100)
    model = MultinomialHMM(2, n_trials=5, n_iter=5, random_state=0).fit(X)
    again = roundtrip(model, tmp_path)
    assert again.score(X) == model.score(X)
    assert all(same(a, b) for a, b in zip(model.sample(20, seed=3), again.sample(20, seed=3)))


def test_unfitted_estimator_keeps_its_params(tmp_path):
    model = GaussianHMM(4, covariance_type="tied", fixed=("startprob",), seed=7, tol=0.5)
    again = roundtrip(model, tmp_path)
    assert again.get_params() == model.get_params()
    assert not hasattr(again, "transmat_")


# ----------------------------------------------------------------------------- reservoir
@pytest.mark.parametrize("feedback", [False, True])
def test_esn(tmp_path, feedback):
    t = np.arange(400) * 0.2
    u = np.sin(t)
    model = EchoStateNetwork(60, washout=30, feedback=feedback, leak_rate=np.linspace(0.3, 1, 60),
                             input_to_readout=True, noise=1e-4,
                             seed=np.random.default_rng(3)).fit(u[:-1], u[1:])
    again = roundtrip(model, tmp_path)
    assert same(model.predict(u[:50]), again.predict(u[:50]))
    kw = {"X": u[:25, None]} if feedback else {}
    assert same(model.generate(25, **kw), again.generate(25, **kw))
    assert type(again.reservoir_.W) is type(model.reservoir_.W)
    assert same(model.reservoir_.W.indices, again.reservoir_.W.indices)
    # the stored Generator continues exactly where the saved one was
    assert same(model.seed.random(4), again.seed.random(4))


def test_esn_classifier_with_string_labels(tmp_path):
    rng = np.random.default_rng(0)
    X = [np.cumsum(rng.normal(c, 1, (20, 2)), 0) / 10 for c in (0, 1, 2) * 6]
    y = np.array(["low", "mid", "high"] * 6)
    model = ESNClassifier(40, features="segments", seed=0).fit(X, y)
    again = roundtrip(model, tmp_path)
    assert same(model.decision_function(X), again.decision_function(X))
    assert same(model.predict(X), again.predict(X))


def test_hopfield_and_reservoir(tmp_path):
    rng = np.random.default_rng(0)
    xi = np.where(rng.random((3, 40)) < 0.5, -1, 1)
    model = HopfieldNetwork(rule="storkey", seed=0).fit(xi)
    again = roundtrip(model, tmp_path)
    noisy = xi.copy()
    noisy[:, :4] *= -1
    r0, r1 = model.recall(noisy), again.recall(noisy)
    assert same(r0.states, r1.states) and same(model.energy(noisy), again.energy(noisy))
    res = Reservoir.initialize(30, 2, 1, seed=1, leak_rate=0.5)
    res2 = roundtrip(res, tmp_path, "res")
    U = rng.normal(size=(25, 2))
    assert same(res.run(U), res2.run(U))


# ----------------------------------------------------------------------------- recurrent
X3 = torch.randn(3, 9, 4, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("kwargs", [
    {"cell": "lstm", "num_layers": 2, "dropout": 0.3},
    {"cell": "gru", "bidirectional": True},
    {"cell": "elman", "nonlinearity": "relu", "impl": "loop"},
    {"cell": "leaky", "alpha": torch.linspace(0.2, 0.9, 6), "learn_alpha": True},
    {"cell": "skip", "skip": 3},
])
def test_sequence_tagger(tmp_path, kwargs):
    model = SequenceTagger(4, 6, 2, seed=1, **kwargs)
    with torch.no_grad():  # weights that are not what the constructor draws
        for p in model.parameters():
            p.add_(0.01 * torch.randn_like(p))
    model.eval()
    again = roundtrip(model, tmp_path)
    assert not again.training
    assert same(model(X3), again(X3))
    assert same(model(X3, lengths=[9, 4, 1]), again(X3, lengths=[9, 4, 1]))


def test_classifier_float64_and_train_mode(tmp_path):
    model = SequenceClassifier(4, 5, 3, cell="lstm", bidirectional=True, pooling="mean",
                               seed=0).double()
    again = roundtrip(model, tmp_path)
    assert again.training and again.head.weight.dtype == torch.float64
    x = X3.double()
    assert same(model(x, lengths=[9, 2, 5]), again(x, lengths=[9, 2, 5]))


def test_output_feedback_and_layer_and_cells(tmp_path):
    model = OutputFeedbackRNN(4, 7, 2, output_activation="tanh", seed=3)
    again = roundtrip(model, tmp_path)
    assert same(model.generate(X3), again.generate(X3))
    layer = RNNLayer(4, 5, cell="gru", num_layers=2, init="orthogonal", seed=2)
    again_layer = roundtrip(layer, tmp_path, "layer")
    assert same(layer(X3)[0], again_layer(X3)[0])
    h = torch.randn(3, 5)
    for cell in (ElmanCell(4, 5), LeakyCell(4, 5, alpha=0.3), SkipCell(4, 5, skip=2),
                 JordanCell(4, 5, 2), LSTMCell(4, 5), GRUCell(4, 5)):
        again_cell = roundtrip(cell, tmp_path, type(cell).__name__)
        state = cell.initial_state(None, 3, h)
        for a, b in zip(cell.step(cell.input_term(X3[:, 0]), state),
                        again_cell.step(again_cell.input_term(X3[:, 0]), state)):
            assert same(a, b)


@pytest.mark.parametrize("alpha", [0.5, torch.linspace(0.1, 0.9, 64)])  # built on meta / not
def test_loading_a_module_leaves_torch_random_state_alone(tmp_path, alpha):
    seqlab.save(SequenceTagger(4, 64, 2, cell="leaky", alpha=alpha), tmp_path / "m")
    before = torch.get_rng_state()
    seqlab.load(tmp_path / "m")
    assert torch.equal(before, torch.get_rng_state())


# ----------------------------------------------------------------------------- others
def test_char_vocab_and_markov_chain(tmp_path):
    vocab = CharVocab("To be, or not to be: ünïcode ✓", unknown="?")
    again = roundtrip(vocab, tmp_path)
    assert again == vocab and again.encode("be ✓ z").tolist() == vocab.encode("be ✓ z").tolist()
    ids = vocab.encode("to be or not to be, that is the question" * 3)
    chain = MarkovChain(2, len(vocab)).fit(ids)
    again_chain = roundtrip(chain, tmp_path, "chain")
    assert same(chain.log_probs(ids), again_chain.log_probs(ids))


def test_byte_vocab_and_text_language_model(tmp_path):
    from seqlab.data.text import ByteVocab
    from seqlab.pipelines import TextLanguageModel

    assert roundtrip(ByteVocab(), tmp_path, "bytes") == ByteVocab()
    text = "to be or not to be, that is the question\n" * 20
    lm = TextLanguageModel(hidden_size=8, embedding_dim=4, bptt=8, batch_size=4,
                           max_steps=3).fit(text)
    again = roundtrip(lm, tmp_path, "lm")
    assert again.get_params() == lm.get_params() and again.vocab_ == lm.vocab_
    assert again.bits_per_char(text[:80]) == lm.bits_per_char(text[:80])
    assert again.generate("to", 30, seed=1) == lm.generate("to", 30, seed=1)



def test_module_with_plain_tensor_attributes_is_built_for_real():
    """Modules are built on the meta device (no random init) unless that would leave a tensor
    the state_dict does not fill; then normally, with torch's random state restored."""
    from torch import nn

    from seqlab.io._modules import build_module
    from seqlab.recurrent._init_args import RecordsInitArgs

    class Net(RecordsInitArgs, nn.Module):
        def __init__(self, width):
            super().__init__()
            self.lin = nn.Linear(width, width)
            self.consts = {"steps": [torch.arange(3.0)]}  # not a parameter or buffer

    net = Net(3)
    before = torch.get_rng_state()
    again = build_module(Net, {"width": 3}, net.state_dict(), False, "model")
    assert torch.equal(again.consts["steps"][0], torch.arange(3.0)) and not again.training
    assert torch.equal(again.lin.weight, net.lin.weight)
    assert torch.equal(torch.get_rng_state(), before)
    tagger = build_module(SequenceTagger, {"input_size": 4, "hidden_size": 5, "output_size": 2},
                          SequenceTagger(4, 5, 2).state_dict(), True, "model")
    assert not any(p.is_meta for p in tagger.parameters())
