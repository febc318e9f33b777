"""SequenceTagger.generate: greedy decoding equals the argmax of a full re-run over the
growing prefix (brute force), top-k never leaves the brute-force top k, the first draw
follows softmax(logits / T) (chi-square), seeds reproduce, and bad arguments are refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats

from seqlab.exceptions import SeqlabTypeError, SeqlabValueError
from seqlab.recurrent import SequenceTagger

V = 9


def _lm(cell: str, one_hot: bool = False, **kw) -> SequenceTagger:
    if one_hot:  # fed back one-hot: input_size == output_size
        model = SequenceTagger(V, 12, V, cell=cell, seed=0, **kw)
    else:
        model = SequenceTagger(5, 12, V, cell=cell, vocab_size=V, seed=0, **kw)
    with torch.no_grad():  # spread the distribution so sampling is not near-uniform
        model.head.weight.mul_(4.0)
    return model.double()


def _brute_logits(model: SequenceTagger, seq: torch.Tensor, one_hot: bool) -> torch.Tensor:
    """Logits of the next id after ``seq`` (B, t): forward over the whole prefix again."""
    x = torch.nn.functional.one_hot(seq, V).double() if one_hot else seq
    with torch.no_grad():
        return model(x)[:, -1]


@pytest.mark.parametrize("one_hot", [False, True])
@pytest.mark.parametrize("cell", ["lstm", "gru", "elman", "leaky", "skip"])
def test_greedy_equals_argmax_of_full_rerun(cell, one_hot):
    model = _lm(cell, one_hot, num_layers=2)
    prime = torch.tensor([[1, 4, 2], [0, 0, 7]])
    out = model.generate(prime, 12, temperature=0.0)
    assert out.shape == (2, 12) and out.dtype == torch.int64
    seq = prime
    for t in range(12):
        want = _brute_logits(model, seq, one_hot).argmax(-1)
        assert torch.equal(out[:, t], want), f"step {t}"
        seq = torch.cat([seq, want[:, None]], 1)


@pytest.mark.parametrize("cell", ["lstm", "gru", "skip"])
def test_top_k_never_leaves_the_brute_force_top_k(cell):
    model = _lm(cell)
    k = 3
    prime = torch.tensor([[2, 5], [8, 1], [3, 3]])
    for seed in range(8):
        out = model.generate(prime, 10, temperature=2.0, top_k=k, seed=seed)
        seq = prime
        for t in range(10):
            top = _brute_logits(model, seq, False).topk(k, -1).indices
            assert bool((top == out[:, t : t + 1]).any(-1).all()), f"seed {seed} step {t}"
            seq = torch.cat([seq, out[:, t : t + 1]], 1)


@pytest.mark.parametrize("temperature", [0.7, 1.5])
def test_first_draw_follows_softmax_over_temperature(temperature):
    """Chi-square goodness of fit of 50 seeds x 80 rows of the first sampled id against
    softmax(logits / T) of the brute-force logits; the fixed seeds make it deterministic.
    The same counts are also tested against T=1 scaled wrongly (x2), which must fail."""
    model = _lm("gru")
    with torch.no_grad():
        model.head.bias.copy_(torch.linspace(-2.0, 2.0, V))  # logits spread over ~4 nats
    prime = torch.tensor([[1, 2, 3]]).expand(80, 3)
    draws = torch.cat([model.generate(prime, 1, temperature=temperature, seed=s)[:, 0]
                       for s in range(50)])
    counts = np.bincount(draws.numpy(), minlength=V)
    logits = _brute_logits(model, prime[:1], False)[0]
    expected = torch.softmax(logits / temperature, -1).numpy() * len(draws)
    assert stats.chisquare(counts, expected).pvalue > 1e-3
    wrong = torch.softmax(logits / (2 * temperature), -1).numpy() * len(draws)
    assert stats.chisquare(counts, wrong).pvalue < 1e-6  # the test has power


def test_seed_reproduces_and_mode_is_restored():
    model = _lm("lstm", dropout=0.5, num_layers=2).train()
    a = model.generate([1, 2, 3], 20, seed=5)
    assert model.training  # restored
    assert torch.equal(a, model.generate(torch.tensor([1, 2, 3]), 20, seed=5))
    assert not torch.equal(a, model.generate([1, 2, 3], 20, seed=6))
    model.eval()
    assert torch.equal(a, model.generate([1, 2, 3], 20, seed=5))  # dropout was off
    assert not model.training


def _bad(model: SequenceTagger, **kw):
    args = {"prime": [1, 2], "length": 3, **kw}
    return lambda: model.generate(args.pop("prime"), args.pop("length"), **args)


@pytest.mark.parametrize(("kw", "err", "match"), [
    ({"length": 0}, SeqlabValueError, "length"),
    ({"length": 2.5}, SeqlabTypeError, "length"),
    ({"temperature": -0.1}, SeqlabValueError, "temperature"),
    ({"temperature": float("nan")}, SeqlabValueError, "temperature"),
    ({"top_k": 0}, SeqlabValueError, "top_k"),
    ({"top_k": V + 1}, SeqlabValueError, "top_k"),
    ({"prime": [1, V]}, SeqlabValueError, "outside"),
    ({"prime": [-1, 2]}, SeqlabValueError, "outside"),
    ({"prime": []}, SeqlabValueError, "empty"),
    ({"prime": [[]]}, SeqlabValueError, "empty"),
    ({"prime": [1.5, 2.0]}, SeqlabTypeError, "integer token ids"),
    ({"prime": "ab"}, SeqlabTypeError, "token ids"),
    ({"prime": torch.zeros(1, 1, 1, dtype=torch.int64)}, SeqlabValueError, "1-D or 2-D"),
    ({"seed": -1}, SeqlabValueError, "seed"),
])
def test_bad_arguments(kw, err, match):
    with pytest.raises(err, match=match):
        _bad(_lm("gru"), **kw)()


def test_models_that_cannot_generate():
    with pytest.raises(SeqlabValueError, match="vocab_size"):
        SequenceTagger(3, 4, 5).generate([1], 2)  # no ids, input_size != output_size
    with pytest.raises(SeqlabValueError, match="output_size must equal vocab_size"):
        SequenceTagger(3, 4, 5, vocab_size=7).generate([1], 2)
    with pytest.raises(SeqlabValueError, match="bidirectional"):
        SequenceTagger(3, 4, 7, vocab_size=7, bidirectional=True).generate([1], 2)
