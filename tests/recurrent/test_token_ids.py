"""Token-id input of the patterns (``vocab_size``): the embedding is exactly an index into
``embedding.weight``, bad ids are refused by name, and seqlab.save / seqlab.load rebuild it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import seqlab
from seqlab.exceptions import SeqlabTypeError, SeqlabValueError
from seqlab.recurrent import SequenceClassifier, SequenceTagger


@pytest.mark.parametrize("cls", [SequenceTagger, SequenceClassifier])
def test_ids_equal_one_hot_times_embedding_matrix(cls):
    """Feeding ids equals feeding the vectors E[ids] to the same layer + head (brute force:
    one-hot @ E), for the tagger and the classifier, with lengths."""
    model = cls(4, 6, 3, cell="gru", vocab_size=7, seed=0).double()
    ids = torch.randint(7, (3, 5), generator=torch.Generator().manual_seed(1))
    vecs = torch.nn.functional.one_hot(ids, 7).double() @ model.embedding.weight
    lengths = [5, 2, 4]
    if cls is SequenceTagger:
        want = model.head(model.rnn(vecs, lengths=lengths)[0])
        want = want.masked_fill((torch.arange(5)[None] >= torch.tensor(lengths)[:, None])[
            ..., None], 0.0)
    else:
        plain = SequenceClassifier(4, 6, 3, cell="gru").double()
        plain.load_state_dict({k: v for k, v in model.state_dict().items()
                               if not k.startswith("embedding")})
        want = plain(vecs, lengths=lengths)
    torch.testing.assert_close(model(ids, lengths=lengths), want, atol=1e-12, rtol=0)


def test_same_seed_same_recurrent_weights_with_or_without_vocab():
    a = SequenceTagger(4, 6, 3, seed=3)
    b = SequenceTagger(4, 6, 3, seed=3, vocab_size=9)
    for k, v in a.state_dict().items():
        assert torch.equal(v, b.state_dict()[k])
    assert b.embedding.weight.shape == (9, 4) and a.embedding is None


BAD_IDS = {
    "out_of_range": (torch.tensor([[0, 7]]), SeqlabValueError, "outside \\[0, 7\\)"),
    "negative": (torch.tensor([[0, -1]]), SeqlabValueError, "token id -1"),
    "float": (torch.tensor([[0.0, 1.0]]), SeqlabTypeError, "integer token ids"),
    "bool": (torch.tensor([[True]]), SeqlabTypeError, "integer token ids"),
    "3d": (torch.zeros(1, 2, 4, dtype=torch.int64), SeqlabValueError, "2-D"),
    "1d": (torch.tensor([0, 1]), SeqlabValueError, "2-D"),
    "empty": (torch.zeros(1, 0, dtype=torch.int64), SeqlabValueError, "empty"),
    "text": ("ab", SeqlabTypeError, "token ids"),
    "none": (None, SeqlabTypeError, "token ids"),
}


@pytest.mark.parametrize("case", list(BAD_IDS))
@pytest.mark.parametrize("cls", [SequenceTagger, SequenceClassifier])
def test_bad_ids_are_refused_by_name(cls, case):
    x, err, match = BAD_IDS[case]
    with pytest.raises(err, match=match):
        cls(4, 6, 3, vocab_size=7)(x)


def test_ids_as_numpy_and_lists_are_accepted():
    model = SequenceTagger(4, 6, 3, vocab_size=7, seed=0)
    ids = np.array([[1, 2, 3]])
    torch.testing.assert_close(model(ids), model(torch.from_numpy(ids)))
    torch.testing.assert_close(model([[1, 2, 3]]), model(torch.from_numpy(ids)))


@pytest.mark.parametrize("bad", [0, -3, 2.5, "7", True])
def test_bad_vocab_size(bad):
    with pytest.raises((SeqlabValueError, SeqlabTypeError), match="vocab_size"):
        SequenceTagger(4, 6, 3, vocab_size=bad)


@pytest.mark.parametrize("cls", [SequenceTagger, SequenceClassifier])
def test_save_load_round_trip(cls, tmp_path):
    model = cls(4, 6, 7, cell="lstm", num_layers=2, vocab_size=7, seed=2).eval()
    with torch.no_grad():
        model.embedding.weight.mul_(3.0)  # trained-like weights, not the seed's
    path = tmp_path / "lm.seqlab"
    seqlab.save(model, path)
    back = seqlab.load(path)
    assert back._seqlab_init_args["vocab_size"] == 7
    ids = torch.randint(7, (2, 6), generator=torch.Generator().manual_seed(0))
    assert torch.equal(back.eval()(ids), model(ids))
