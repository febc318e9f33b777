"""TextLanguageModel: round trip through a model file in a fresh process, generation and
scoring against brute-force recomputation, the TBPTT loop against a hand-written one, and
the failure cases."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import seqlab
from seqlab.data.text import ByteVocab
from seqlab.exceptions import NotFittedError, SeqlabTypeError, SeqlabValueError
from seqlab.pipelines import TextLanguageModel, read_text
from seqlab.pipelines._lm_loop import batchify

TEXT = ("ROMEO: but soft, what light through yonder window breaks?\n"
        "JULIET: o romeo, romeo, wherefore art thou romeo?\n") * 12
SMALL = dict(hidden_size=16, embedding_dim=8, bptt=16, batch_size=4, epochs=1, seed=0)


@pytest.fixture(scope="module")
def lm():
    return TextLanguageModel(**SMALL).fit(TEXT)


def test_fitted_attributes(lm):
    assert lm.n_steps_ == math.ceil((len(batchify(np.zeros(lm.n_train_tokens_), 4)[0]) - 1)
                                    / 16)
    assert lm.n_val_tokens_ == round(0.1 * len(TEXT))
    assert 0 < lm.val_bits_per_char_ < 8
    assert len(lm.vocab_) == len(set(TEXT))


def test_bits_per_char_matches_one_full_forward(lm):
    """The chunked, state-carrying score equals one forward pass over the whole text."""
    text = TEXT[:1500]  # > 2 chunks of 512
    ids = torch.as_tensor(lm.vocab_.encode(text))[None, :]
    with torch.no_grad():
        logits = lm.model_(ids[:, :-1])
    nats = torch.nn.functional.cross_entropy(logits[0].double(), ids[0, 1:])
    assert lm.bits_per_char(text) == pytest.approx(float(nats) / math.log(2), rel=1e-5)


def test_greedy_generation_matches_brute_force(lm):
    """Greedy sampling (state carried) equals re-running the whole sequence each step."""
    out = lm.generate("ROMEO: ", 25, temperature=0)
    seq = list(lm.vocab_.encode("ROMEO: "))
    with torch.no_grad():
        for _ in range(25):
            logits = lm.model_(torch.tensor([seq]))
            seq.append(int(torch.argmax(logits[0, -1])))
    assert out == lm.vocab_.decode(seq[7:])
    assert lm.generate("ROMEO: ", 25, temperature=0) == out
    assert lm.generate("ROMEO: ", 25, temperature=0.7, top_k=1, seed=3) == out


def test_seeded_sampling_is_reproducible_and_top_k_restricts(lm):
    a = lm.generate("JULIET", 60, temperature=1.0, seed=5)
    assert a == lm.generate("JULIET", 60, temperature=1.0, seed=5)
    assert len(a) == 60 and set(a) <= set(TEXT)
    assert a != lm.generate("JULIET", 60, temperature=1.0, seed=6)


def test_save_load_in_a_fresh_process(lm, tmp_path):
    path = tmp_path / "lm.seqlab"
    seqlab.save(lm, path)
    code = (
        "import json, sys, seqlab\n"
        "lm = seqlab.load(sys.argv[1])\n"
        "print(json.dumps([lm.bits_per_char(sys.argv[2]),\n"
        "                  lm.generate('ROMEO', 40, temperature=0.8, top_k=5, seed=0),\n"
        "                  lm.val_bits_per_char_]))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [os.path.abspath("src"), os.environ.get("PYTHONPATH", "")])}
    res = subprocess.run([sys.executable, "-c", code, str(path), TEXT[:300]],
                         capture_output=True, text=True, env=env, timeout=120, check=True)
    bpc, sample, val = json.loads(res.stdout)
    assert bpc == lm.bits_per_char(TEXT[:300])
    assert sample == lm.generate("ROMEO", 40, temperature=0.8, top_k=5, seed=0)
    assert val == lm.val_bits_per_char_


def test_training_matches_a_hand_written_tbptt_loop():
    """fit (Trainer + TokenStream) equals an explicit stateful TBPTT loop with Adam, from the
    same initial weights: three chunks, the state carried and detached between them."""
    params = {**SMALL, "max_steps": 3, "clip_norm": None, "lr": 0.01}
    lm = TextLanguageModel(**params).fit(TEXT)
    ids = lm.vocab_.encode(TEXT)
    data = batchify(ids[: len(ids) - lm.n_val_tokens_], 4)
    ref = TextLanguageModel(**params)._build(len(lm.vocab_))
    opt = torch.optim.Adam(ref.parameters(), lr=0.01)
    state = None
    for i in (0, 16, 32):
        logits, state = ref(data[:, i:i + 16], state=state, return_state=True)
        state = tuple(s.detach() for s in state)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                 data[:, i + 1:i + 17].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    for a, b in zip(lm.model_.parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(a, b)


def test_max_steps_stops_training():
    lm = TextLanguageModel(**{**SMALL, "epochs": 50, "max_steps": 3}).fit(TEXT)
    assert lm.n_steps_ == 3


def test_byte_level_reads_any_file(tmp_path):
    raw = (b"\xff\xfe caf\xe9 " + "naïve ".encode()) * 60
    p = tmp_path / "latin1.txt"
    p.write_bytes(raw)
    with pytest.raises(SeqlabValueError, match="--level byte"):
        TextLanguageModel.from_file(p, **SMALL)
    lm = TextLanguageModel.from_file(p, level="byte", **SMALL)
    assert isinstance(lm.vocab_, ByteVocab) and len(lm.vocab_) == 256
    assert isinstance(lm.generate("caf", 20, seed=0), str)
    assert read_text(p, "byte") == raw


def test_byte_vocab_round_trip():
    v = ByteVocab()
    assert v.decode(v.encode("héllo")) == "héllo".encode()
    assert ByteVocab.from_dict(v.to_dict()) == v
    with pytest.raises(SeqlabValueError, match="not a byte"):
        v.decode([3, 256])


def test_failures(lm, tmp_path):
    with pytest.raises(SeqlabValueError, match=r"never saw.*'Z'.*'é'"):
        lm.generate("Zé", 5)
    with pytest.raises(SeqlabValueError, match="temperature"):
        lm.generate("R", 5, temperature=-1.0)
    with pytest.raises(SeqlabValueError, match="empty"):
        lm.generate("", 5)
    with pytest.raises(SeqlabTypeError):
        lm.generate(b"ROMEO", 5)
    with pytest.raises(NotFittedError):
        TextLanguageModel().generate("a", 3)
    with pytest.raises(SeqlabValueError, match="too short"):
        TextLanguageModel(**SMALL).fit("abc")
    with pytest.raises(SeqlabValueError, match="empty"):
        (tmp_path / "e.txt").write_text("")
        read_text(tmp_path / "e.txt")
    with pytest.raises(SeqlabValueError, match="level"):
        TextLanguageModel(level="word").fit(TEXT)
