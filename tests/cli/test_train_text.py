"""The text journey on the command line: ``seqlab train --data corpus.txt --save`` then
``seqlab generate``, and its one-line errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import seqlab
from seqlab.cli import main
from seqlab.pipelines import TextLanguageModel

CORPUS = ("ROMEO: but soft, what light through yonder window breaks?\n"
          "JULIET: o romeo, romeo, wherefore art thou romeo?\n") * 15
TINY = ["--hidden", "16", "--embedding", "8", "--bptt", "16", "--batch-size", "4",
        "--epochs", "1", "--no-progress"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("text")
    corpus = folder / "corpus.txt"
    corpus.write_text(CORPUS, encoding="utf-8")
    model = folder / "lm.seqlab"
    return corpus, model


def test_train_then_generate(trained, capsys):
    corpus, model = trained
    ckpt = model.parent / "ckpt.safetensors"
    assert main(["train", "--data", str(corpus), "--cell", "gru", *TINY,
                 "--checkpoint-path", str(ckpt), "--save", str(model)]) == 0
    out = capsys.readouterr().out
    assert "validation bits/char:" in out and "saved" in out
    lm = seqlab.load(model)
    assert isinstance(lm, TextLanguageModel) and lm.cell == "gru"
    assert f"{lm.val_bits_per_char_:.4f}" in out
    assert lm.n_val_tokens_ == round(0.1 * len(CORPUS))
    from seqlab.training.checkpoint import load_checkpoint

    fresh = lm._build(len(lm.vocab_))
    assert load_checkpoint(ckpt, fresh).epoch == 1
    for a, b in zip(fresh.parameters(), lm.model_.parameters(), strict=True):
        assert bool((a == b).all())

    args = ["generate", str(model), "--prime", "ROMEO:", "--length", "50",
            "--temperature", "0.8", "--top-k", "5", "--seed", "0"]
    assert main(args) == 0
    first = capsys.readouterr().out
    assert main(args) == 0
    assert capsys.readouterr().out == first
    assert first == "ROMEO:" + lm.generate("ROMEO:", 50, temperature=0.8, top_k=5, seed=0) + "\n"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--temperature", "-0.5"], "--temperature"),
        (["--top-k", "0"], "--top-k"),
        (["--prime", "Zq"], "never saw"),
    ],
)
def test_generate_refuses_bad_options(trained, capsys, extra, message):
    corpus, model = trained
    if not model.exists():
        main(["train", "--data", str(corpus), *TINY, "--save", str(model)])
        capsys.readouterr()
    args = ["generate", str(model), "--prime", "ROMEO", *extra]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("seqlab: error:") and message in err


def test_generate_refuses_missing_and_wrong_kind_files(tmp_path, capsys):
    assert main(["generate", str(tmp_path / "none.seqlab"), "--prime", "a"]) == 2
    assert "does not exist" in capsys.readouterr().err
    from seqlab.classical import AR

    ar_file = tmp_path / "ar.seqlab"
    seqlab.save(AR(2).fit(np.sin(np.arange(100) / 3.0)), ar_file)
    assert main(["generate", str(ar_file), "--prime", "a"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "language model" in err


def test_non_utf8_text_suggests_byte_level(tmp_path, capsys):
    corpus = tmp_path / "latin1.txt"
    corpus.write_bytes("caf\xe9 au lait, s'il vous pla\xeet. ".encode("latin-1") * 40)
    assert main(["train", "--data", str(corpus), *TINY]) == 2
    assert "--level byte" in capsys.readouterr().err
    model = tmp_path / "b.seqlab"
    assert main(["train", "--data", str(corpus), "--level", "byte", *TINY, "--epochs", "9",
                 "--max-steps", "3", "--save", str(model)]) == 0
    assert "validation bits/byte:" in capsys.readouterr().out
    assert seqlab.load(model).n_steps_ == 3
    assert main(["generate", str(model), "--prime", "caf", "--length", "10", "--seed", "1"]) == 0


def test_resume_from_a_checkpoint_ends_as_the_uninterrupted_run(tmp_path, capsys):
    """--checkpoint-path then --resume-from: 2 epochs + 2 more == 4 epochs straight."""
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(CORPUS, encoding="utf-8")
    ckpt, full, resumed = tmp_path / "ck.safetensors", tmp_path / "a.seqlab", tmp_path / "b.seqlab"
    base = ["train", "--data", str(corpus), *TINY]
    assert main([*base, "--epochs", "4", "--save", str(full)]) == 0
    assert main([*base, "--epochs", "2", "--checkpoint-path", str(ckpt)]) == 0
    assert main([*base, "--epochs", "4", "--resume-from", str(ckpt), "--save",
                 str(resumed)]) == 0
    capsys.readouterr()
    a, b = seqlab.load(full), seqlab.load(resumed)
    for pa, pb in zip(a.model_.parameters(), b.model_.parameters(), strict=True):
        assert torch.equal(pa, pb)
    assert a.val_bits_per_char_ == b.val_bits_per_char_


@pytest.mark.parametrize("flag", [["--optimizer", "sgd"], ["--scheduler", "cosine"],
                                  ["--clip-value", "1.0"]])
def test_training_flags_the_journey_does_not_use_are_refused(tmp_path, capsys, flag):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(CORPUS, encoding="utf-8")
    assert main(["train", "--data", str(corpus), *TINY, *flag]) == 2
    err = capsys.readouterr().err
    assert err.startswith("seqlab: error:") and flag[0] in err and "not used" in err
