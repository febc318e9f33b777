"""Stateful truncated BPTT on token streams: the layout of PyTorch's word_language_model
``batchify`` / ``get_batch``, and training equal to the same loop written in plain PyTorch."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab.training import TokenStream, TrainConfig, Trainer


def _batchify_reference(data: torch.Tensor, bsz: int, bptt: int):
    """word_language_model/main.py: batchify + get_batch, turned to (B, T) by .t()."""
    nbatch = data.size(0) // bsz
    source = data.narrow(0, 0, nbatch * bsz).view(bsz, -1).t().contiguous()  # (nbatch, bsz)
    out = []
    for i in range(0, source.size(0) - 1, bptt):
        seq_len = min(bptt, len(source) - 1 - i)
        out.append((source[i : i + seq_len].t(), source[i + 1 : i + 1 + seq_len].t()))
    return out


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 200), bsz=st.integers(1, 9), bptt=st.integers(1, 12))
def test_layout_matches_batchify_token_by_token(n, bsz, bptt):
    ids = torch.arange(n) * 7 % 101
    if n // bsz < 2:
        with pytest.raises(ValueError, match="too little data"):
            TokenStream(ids, bsz, bptt)
        return
    stream = TokenStream(ids, bsz, bptt)
    chunks = list(stream)
    ref = _batchify_reference(ids, bsz, bptt)
    assert len(chunks) == len(ref) == len(stream)
    per_row = n // bsz
    pos = 0
    for (x, y), (rx, ry) in zip(chunks, ref, strict=True):
        assert torch.equal(x, rx) and torch.equal(y, ry)
        assert x.shape == y.shape and x.shape[0] == bsz and x.shape[1] <= bptt
        for b in range(bsz):  # brute force: row b is the b-th contiguous slice of the corpus
            for t in range(x.shape[1]):
                assert int(x[b, t]) == int(ids[b * per_row + pos + t])
                assert int(y[b, t]) == int(ids[b * per_row + pos + t + 1])
        pos += x.shape[1]
    assert pos == per_row - 1 and stream.n_tokens == bsz * (per_row - 1)


def test_bad_streams_are_clear_errors():
    with pytest.raises(ValueError, match=r"too little data: 5 tokens .* batch_size=3"):
        TokenStream(np.arange(5), 3, 4)
    with pytest.raises(TypeError, match="integer token ids"):
        TokenStream(np.linspace(0, 1, 20), 2, 4)
    with pytest.raises(TypeError, match="integer token ids"):
        TokenStream(["a", "b", "c", "d"], 1, 2)
    with pytest.raises(ValueError, match="1-D"):
        TokenStream(np.zeros((4, 5), dtype=int), 2, 2)
    with pytest.raises(ValueError, match=">= 0"):
        TokenStream(np.array([1, -2, 3, 4]), 1, 2)
    with pytest.raises(ValueError, match="bptt"):
        TokenStream(np.arange(10), 2, 0)


class TinyLM(torch.nn.Module):
    """nn.Embedding + nn.LSTM + nn.Linear with the (x, state=, return_state=) protocol."""

    def __init__(self, vocab=11, emb=5, hidden=7):
        super().__init__()
        self.emb = torch.nn.Embedding(vocab, emb)
        self.lstm = torch.nn.LSTM(emb, hidden, batch_first=True)
        self.out = torch.nn.Linear(hidden, vocab)

    def forward(self, x, state=None, return_state=False):
        h, state = self.lstm(self.emb(x), state)
        logits = self.out(h)
        return (logits, state) if return_state else logits


def _corpus(n=403, vocab=11, seed=0):
    g = np.random.default_rng(seed)
    return torch.as_tensor(g.integers(0, vocab, n))


def _plain_pytorch(model, ids, bsz, bptt, epochs, lr):
    """The word_language_model training loop, by hand: hidden carried and detached, reset
    every epoch; returns the per-epoch mean training loss per token."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    means = []
    for _ in range(epochs):
        hidden, total, count = None, 0.0, 0
        for x, y in _batchify_reference(ids, bsz, bptt):
            if hidden is not None:
                hidden = tuple(h.detach() for h in hidden)
            opt.zero_grad()
            logits, hidden = model(x, hidden, return_state=True)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            loss.backward()
            opt.step()
            total += float(loss.detach()) * y.numel()
            count += y.numel()
        means.append(total / count)
    return means


def _plain_eval(model, ids, bsz, bptt):
    hidden, total, count = None, 0.0, 0
    with torch.no_grad():
        for x, y in _batchify_reference(ids, bsz, bptt):
            logits, hidden = model(x, hidden, return_state=True)
            total += float(F.cross_entropy(logits.reshape(-1, 11), y.reshape(-1))) * y.numel()
            count += y.numel()
    return total / count


def test_training_on_a_stream_equals_the_plain_pytorch_loop():
    torch.manual_seed(0)
    model = TinyLM()
    ref = copy.deepcopy(model)
    ids, val_ids = _corpus(), _corpus(150, seed=1)
    cfg = TrainConfig(epochs=3, lr=0.01, progress=False, seed=None, restore_best=False)
    hist = Trainer(model, cfg).fit(TokenStream(ids, 4, 9), TokenStream(val_ids, 3, 5))
    means = _plain_pytorch(ref, ids, 4, 9, epochs=3, lr=0.01)
    for p, q in zip(model.parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(p, q, atol=1e-6, rtol=0)
    assert [e.train_loss for e in hist.epochs] == pytest.approx(means, rel=1e-6)
    assert hist.steps == 3 * len(TokenStream(ids, 4, 9))
    val = _plain_eval(ref, val_ids, 3, 5)
    last = hist.epochs[-1]
    assert last.val_loss == pytest.approx(val, rel=1e-6)
    assert last.val_bits == pytest.approx(val / math.log(2), rel=1e-6)
    assert last.train_bits == pytest.approx(means[-1] / math.log(2), rel=1e-6)


def test_state_is_carried_not_reset_per_chunk():
    """A loop that resets the state at every chunk gives other weights: the test above can
    tell the two apart."""
    torch.manual_seed(0)
    model = TinyLM()
    ref = copy.deepcopy(model)
    ids = _corpus()
    Trainer(model, TrainConfig(epochs=1, lr=0.01, progress=False, seed=None)).fit(
        TokenStream(ids, 4, 9))
    opt = torch.optim.Adam(ref.parameters(), lr=0.01)
    for x, y in _batchify_reference(ids, 4, 9):
        opt.zero_grad()
        F.cross_entropy(ref(x).reshape(-1, 11), y.reshape(-1)).backward()
        opt.step()
    diff = max(float((p - q).detach().abs().max()) for p, q in
               zip(model.parameters(), ref.parameters(), strict=True))
    assert diff > 1e-5


def test_sequence_tagger_with_token_ids_equals_the_loop_by_hand():
    """Our pattern-1 model (token-id input) through the Trainer vs the same model driven by
    hand: state carried and detached, SGD, two epochs."""
    from seqlab.recurrent import SequenceTagger

    model = SequenceTagger(6, 8, 11, cell="gru", vocab_size=11, seed=3)
    ref = copy.deepcopy(model)
    ids = _corpus(301)
    cfg = TrainConfig(epochs=2, lr=0.3, optimizer="sgd", progress=False, seed=None)
    hist = Trainer(model, cfg).fit(TokenStream(ids, 3, 7))
    opt = torch.optim.SGD(ref.parameters(), lr=0.3)
    for _ in range(2):
        state = None
        for x, y in _batchify_reference(ids, 3, 7):
            opt.zero_grad()
            logits, state = ref(x, state=state, return_state=True)
            state = state.detach() if torch.is_tensor(state) else tuple(t.detach() for t in state)
            F.cross_entropy(logits.reshape(-1, 11), y.reshape(-1)).backward()
            opt.step()
    for p, q in zip(model.parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(p, q, atol=1e-6, rtol=0)
    assert hist.epochs[-1].train_bits == pytest.approx(hist.epochs[-1].train_loss / math.log(2))


def test_a_model_without_the_state_protocol_is_a_clear_error():
    model = torch.nn.Sequential(torch.nn.Embedding(11, 4), torch.nn.Linear(4, 11))
    with pytest.raises(TypeError, match="return_state=True"):
        Trainer(model, TrainConfig(epochs=1, progress=False)).fit(TokenStream(_corpus(), 2, 4))
