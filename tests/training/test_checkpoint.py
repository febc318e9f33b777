"""safetensors checkpoints: round trip of model, optimizer state and RNG; no pickle."""

from __future__ import annotations

import json
import struct

import pytest
import torch

from seqlab.training import load_checkpoint, save_checkpoint


def _stepped(opt_name):
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    opt = {
        "adam": lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.95)),
        "sgd": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
        "rmsprop": lambda p: torch.optim.RMSprop(p, lr=0.01, momentum=0.5),
    }[opt_name](m.parameters())
    for _ in range(3):
        opt.zero_grad()
        m(torch.randn(8, 3)).pow(2).mean().backward()
        opt.step()
    return m, opt


def _fresh(opt_name):
    m = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    opt = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop}[
        opt_name
    ](m.parameters(), lr=1.0)
    return m, opt


def _assert_state_equal(a, b):
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _assert_state_equal(a[k], b[k])
    elif isinstance(a, list | tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_state_equal(x, y)
    else:
        assert a == b


@pytest.mark.parametrize("opt_name", ["adam", "sgd", "rmsprop"])
def test_round_trip(tmp_path, opt_name):
    m, opt = _stepped(opt_name)
    rng = {"torch": torch.get_rng_state()}
    path = save_checkpoint(
        tmp_path / "c.safetensors",
        m,
        opt,
        epoch=7,
        rng=rng,
        extra={"best/w": torch.ones(2)},
        info={"a": [1, 2]},
    )
    m2, opt2 = _fresh(opt_name)
    ck = load_checkpoint(path, m2, opt2)
    assert ck.epoch == 7 and ck.info == {"a": [1, 2]}
    assert torch.equal(ck.rng["torch"], rng["torch"]) and torch.equal(
        ck.extra["best/w"], torch.ones(2)
    )
    _assert_state_equal(m.state_dict(), m2.state_dict())
    _assert_state_equal(opt.state_dict(), opt2.state_dict())
    # one more identical step on both
    x = torch.randn(5, 3)
    for mm, oo in ((m, opt), (m2, opt2)):
        oo.zero_grad()
        mm(x).sum().backward()
        oo.step()
    _assert_state_equal(m.state_dict(), m2.state_dict())


def test_file_is_plain_safetensors_with_json_header(tmp_path):
    m, opt = _stepped("adam")
    path = save_checkpoint(tmp_path / "c.safetensors", m, opt, epoch=1)
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])  # safetensors: u64 header size, then JSON
    header = json.loads(raw[8 : 8 + n])
    assert json.loads(header["__metadata__"]["seqlab"])["epoch"] == 1
    assert not list(tmp_path.glob("*.tmp"))  # atomic write left nothing behind


def test_errors(tmp_path):
    m, opt = _fresh("sgd")
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.safetensors", m)
    from safetensors.torch import save_file

    save_file({"x": torch.zeros(1)}, str(tmp_path / "other.safetensors"))
    with pytest.raises(ValueError, match="not a seqlab checkpoint"):
        load_checkpoint(tmp_path / "other.safetensors", m)
    path = save_checkpoint(tmp_path / "noopt.safetensors", m)
    with pytest.raises(ValueError, match="no optimizer state"):
        load_checkpoint(path, m, opt)
    with pytest.raises(TypeError, match="JSON"):
        save_checkpoint(tmp_path / "bad.safetensors", m, info={"x": object()})
