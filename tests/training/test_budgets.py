"""Step and time budgets (``max_steps``, ``max_time``), ``History.stopped_by`` and the device
check of the Trainer."""

from __future__ import annotations

import pytest
import torch

from seqlab.exceptions import SeqlabValueError
from seqlab.training import TrainConfig, Trainer, load_checkpoint


def _model(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3, 1)).double()


def _data(n=40, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, 1, dtype=torch.float64, generator=g)
    return x, x.sum(dim=(1, 2))


def _cfg(**kw):
    base = dict(epochs=5, batch_size=8, lr=0.05, progress=False, seed=1, shuffle=False)
    base.update(kw)
    return TrainConfig(**base)


def test_max_steps_stops_mid_epoch_validates_and_checkpoints(tmp_path):
    path = tmp_path / "ck.safetensors"
    # 40 sequences / 8 = 5 steps per epoch: 7 steps = one full epoch + 2 steps of the second
    trainer = Trainer(_model(), _cfg(max_steps=7, checkpoint_path=str(path),
                                     checkpoint_every=10))
    hist = trainer.fit(_data(), _data(seed=5))
    assert hist.stopped_by == "max_steps" and not hist.stopped_early
    assert hist.steps == trainer.step == 7
    assert [e.steps for e in hist.epochs] == [5, 2]
    assert hist.epochs[-1].val_loss == pytest.approx(trainer.evaluate(_data(seed=5)))
    # the same 7 SGD-free Adam steps by hand, in the same (unshuffled) order
    ref = _model()
    opt = torch.optim.Adam(ref.parameters(), lr=0.05)
    x, y = _data()
    for k in range(7):
        s = (k % 5) * 8
        opt.zero_grad()
        torch.nn.functional.mse_loss(ref(x[s : s + 8]).squeeze(-1), y[s : s + 8]).backward()
        opt.step()
    for p, q in zip(trainer.model.parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(p, q, atol=1e-12, rtol=0)
    ck = load_checkpoint(path, _model())
    assert ck.info["step"] == 7 and ck.info["stopped_by"] == "max_steps" and ck.epoch == 2


def test_resumed_run_honours_the_total_step_budget(tmp_path):
    path = str(tmp_path / "ck.safetensors")
    Trainer(_model(), _cfg(max_steps=7, checkpoint_path=path)).fit(_data())
    again = Trainer(_model(), _cfg(max_steps=7))
    again.load(path)
    hist = again.fit(_data())
    assert hist.stopped_by == "max_steps" and again.step == 7  # nothing left to do
    more = Trainer(_model(), _cfg(max_steps=9))
    more.load(path)
    assert more.fit(_data()).steps == 9


def test_max_time_stops_after_the_step_that_exceeds_it():
    trainer = Trainer(_model(), _cfg(max_time=1e-9))
    hist = trainer.fit(_data())
    assert hist.stopped_by == "max_time" and hist.steps == 1 and len(hist.epochs) == 1


def test_stopped_by_epochs_and_early_stopping():
    hist = Trainer(_model(), _cfg(epochs=2)).fit(_data())
    assert hist.stopped_by == "epochs" and hist.steps == 10
    # lr so large that the validation loss never improves after epoch 1
    hist = Trainer(_model(), _cfg(epochs=50, lr=5.0, early_stopping_patience=2)).fit(
        _data(), _data(seed=3))
    assert hist.stopped_by == "early_stopping" and hist.stopped_early
    assert len(hist.epochs) < 50


@pytest.mark.parametrize(("name", "value"), [
    ("max_steps", 0), ("max_steps", -3), ("max_steps", 2.0), ("max_steps", True),
    ("max_steps", "10"), ("max_time", 0.0), ("max_time", -1.0), ("max_time", True),
    ("max_time", "60"), ("max_time", float("nan")),
])
def test_budgets_are_validated(name, value):
    with pytest.raises((ValueError, TypeError), match=name):
        TrainConfig(**{name: value})


@pytest.mark.parametrize("device", ["tpu", "cuda:999", "nonsense"])
def test_trainer_refuses_unknown_or_absent_devices_naming_valid_ones(device):
    if device == "cuda:999" and torch.cuda.device_count() > 999:
        pytest.skip("this machine has 1000 GPUs")
    with pytest.raises(SeqlabValueError, match="valid on this machine: cpu"):
        Trainer(_model(), _cfg(device=device))

