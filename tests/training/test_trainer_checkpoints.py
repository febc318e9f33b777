"""Trainer checkpoints: best weights in the final checkpoint, optimiser kind checked on
resume, and the new config's learning rate kept by Trainer.load."""

from __future__ import annotations

import copy

import pytest
import torch

from seqlab.training import TrainConfig, Trainer, load_checkpoint


def _model(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3, 1)).double()


def _data(n=24, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, 1, dtype=torch.float64, generator=g)
    return x, x.sum(dim=(1, 2))


def _cfg(**kw):
    base = dict(epochs=3, batch_size=8, lr=0.05, progress=False, seed=1, shuffle=False)
    base.update(kw)
    return TrainConfig(**base)


def test_final_checkpoint_holds_the_best_weights(tmp_path):
    path = str(tmp_path / "ck.safetensors")
    # lr too large: the validation loss gets worse after the first epoch
    trainer = Trainer(_model(), _cfg(epochs=30, lr=1.5, optimizer="sgd",
                                     early_stopping_patience=3, checkpoint_path=path))
    snapshots = []
    trainer.callbacks.append(lambda step, m: snapshots.append(copy.deepcopy(m.state_dict())))
    hist = trainer.fit(_data(), _data(12, seed=3))
    assert hist.stopped_by == "early_stopping" and hist.best_epoch < len(hist.epochs)
    best = snapshots[hist.best_epoch * 3 - 1]  # 3 steps per epoch
    last = snapshots[-1]
    fresh = _model(seed=9)
    load_checkpoint(path, fresh)
    for k, v in fresh.state_dict().items():
        assert torch.equal(v, best[k]) and torch.equal(v, trainer.model.state_dict()[k])
        assert not torch.equal(v, last[k])


def test_resuming_with_another_optimizer_kind_is_refused(tmp_path):
    path = str(tmp_path / "ck.safetensors")
    Trainer(_model(), _cfg(optimizer="adam", checkpoint_path=path)).fit(_data())
    other = Trainer(_model(seed=4), _cfg(optimizer="sgd"))
    before = copy.deepcopy(other.model.state_dict())
    with pytest.raises(ValueError, match="optimizer Adam, but this trainer uses SGD"):
        other.load(path)
    for k, v in other.model.state_dict().items():  # left untouched
        assert torch.equal(v, before[k])
    custom = Trainer(_model(), _cfg(), optimizer=lambda ps: torch.optim.RMSprop(ps, lr=0.1))
    with pytest.raises(ValueError, match="RMSprop"):
        custom.load(path)


def test_load_keeps_the_new_learning_rate(tmp_path):
    path = str(tmp_path / "ck.safetensors")
    first = Trainer(_model(), _cfg(lr=0.01, checkpoint_path=path))
    first.fit(_data())
    resumed = Trainer(_model(seed=4), _cfg(lr=0.5, epochs=4))
    resumed.load(path)
    assert resumed.optimizer.param_groups[0]["lr"] == 0.5
    # everything else is the checkpoint's: weights and Adam's moments
    for p, q in zip(resumed.model.parameters(), first.model.parameters(), strict=True):
        assert torch.equal(p, q)
        s, t = resumed.optimizer.state[p], first.optimizer.state[q]
        assert torch.equal(s["exp_avg"], t["exp_avg"]) and torch.equal(s["step"], t["step"])
    # the next epoch is the first trainer's epoch 4 with lr 0.5: by hand
    ref_model = copy.deepcopy(first.model)
    opt = torch.optim.Adam(ref_model.parameters(), lr=0.01)
    opt.load_state_dict(first.optimizer.state_dict())
    for g in opt.param_groups:
        g["lr"] = 0.5
    x, y = _data()
    for s in range(0, 24, 8):
        opt.zero_grad()
        torch.nn.functional.mse_loss(ref_model(x[s : s + 8]).squeeze(-1), y[s : s + 8]).backward()
        opt.step()
    resumed.fit(_data())
    for p, q in zip(resumed.model.parameters(), ref_model.parameters(), strict=True):
        torch.testing.assert_close(p, q, atol=1e-12, rtol=0)
    assert resumed.history.epochs[-1].lr == 0.5
