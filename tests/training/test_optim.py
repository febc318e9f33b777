"""Optimisers by name or object, and learning-rate schedules, checked against the same torch
optimiser and schedule applied by hand."""

from __future__ import annotations

import pytest
import torch

from seqlab.training import TrainConfig, Trainer


def _model(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3, 1)).double()


def _data(n=24, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, 1, dtype=torch.float64, generator=g)
    return x, x.sum(dim=(1, 2)) + 0.1 * torch.randn(n, dtype=torch.float64, generator=g)


def _cfg(**kw):
    base = dict(epochs=4, batch_size=8, lr=0.05, progress=False, seed=1, shuffle=False)
    base.update(kw)
    return TrainConfig(**base)


def _by_hand(model, opt, epochs, sched=None, per_step=False, data=None, val=None):
    """Unshuffled mini-batches of 8, MSE; the schedule stepped per step or per epoch."""
    x, y = data if data is not None else _data()
    for _ in range(epochs):
        for s in range(0, len(x), 8):
            opt.zero_grad()
            torch.nn.functional.mse_loss(model(x[s : s + 8]).squeeze(-1), y[s : s + 8]).backward()
            opt.step()
            if sched is not None and per_step:
                sched.step()
        if sched is not None and not per_step:
            if isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau):
                with torch.no_grad():
                    vx, vy = val
                    sched.step(float(torch.nn.functional.mse_loss(model(vx).squeeze(-1), vy)))
            else:
                sched.step()
    return model


def _same(a, b, atol=1e-12):
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(p, q, atol=atol, rtol=0)


@pytest.mark.parametrize(("name", "cls"), [
    ("adamw", torch.optim.AdamW), ("AdamW", torch.optim.AdamW), ("sgd", torch.optim.SGD),
    ("rmsprop", torch.optim.RMSprop), ("adagrad", torch.optim.Adagrad),
    ("NAdam", torch.optim.NAdam), ("adamax", torch.optim.Adamax),
])
def test_any_torch_optimizer_by_name_equals_it_by_hand(name, cls):
    trainer = Trainer(_model(), _cfg(optimizer=name, weight_decay=0.01))
    assert type(trainer.optimizer) is cls
    trainer.fit(_data())
    ref = _model()
    _same(trainer.model, _by_hand(ref, cls(ref.parameters(), lr=0.05, weight_decay=0.01), 4))


def test_unknown_optimizer_and_momentum_without_momentum_are_errors():
    with pytest.raises(ValueError, match=r"valid options are: .*'adamw'.*'sgd'"):
        TrainConfig(optimizer="adamm")
    with pytest.raises(ValueError, match="lbfgs"):
        TrainConfig(optimizer="lbfgs")
    with pytest.raises(TypeError, match="optimizer"):
        TrainConfig(optimizer=torch.optim.SGD)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="takes no momentum"):
        TrainConfig(optimizer="adam", momentum=0.9)


def test_optimizer_object_or_factory_overrides_the_config():
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.5)
    Trainer(model, _cfg(optimizer="adam", lr=1e-4), optimizer=opt).fit(_data())
    ref = _model()
    _same(model, _by_hand(ref, torch.optim.SGD(ref.parameters(), lr=0.2, momentum=0.5), 4))
    model2 = _model()
    Trainer(model2, _cfg(), optimizer=lambda ps: torch.optim.SGD(ps, lr=0.2, momentum=0.5)).fit(
        _data())
    _same(model2, model)
    with pytest.raises(ValueError, match="every trainable parameter"):
        Trainer(_model(), _cfg(), optimizer=torch.optim.SGD(_model().parameters(), lr=0.1))
    with pytest.raises(TypeError, match="optimizer"):
        Trainer(_model(), _cfg(), optimizer="sgd")


@pytest.mark.parametrize(("cfg", "make", "per_step"), [
    (dict(scheduler="cosine", min_lr=0.001),
     lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=4, eta_min=0.001), False),
    (dict(scheduler="cosine", max_steps=10, epochs=9),
     lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10), True),
    (dict(scheduler="step", step_size=2, gamma=0.5),
     lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5), False),
])
def test_named_schedules_equal_torch_schedules_by_hand(cfg, make, per_step):
    trainer = Trainer(_model(), _cfg(optimizer="sgd", lr=0.1, **cfg))
    hist = trainer.fit(_data())
    ref = _model()
    opt = torch.optim.SGD(ref.parameters(), lr=0.1)
    sched = make(opt)
    lrs = []
    x, y = _data()
    steps = 0
    for _ in range(len(hist.epochs)):
        for s in range(0, len(x), 8):
            if steps == cfg.get("max_steps", 10**9):
                break
            opt.zero_grad()
            torch.nn.functional.mse_loss(ref(x[s : s + 8]).squeeze(-1), y[s : s + 8]).backward()
            opt.step()
            steps += 1
            if per_step:
                sched.step()
        if not per_step:
            sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    _same(trainer.model, ref)
    assert [e.lr for e in hist.epochs] == pytest.approx(lrs, rel=1e-12)
    assert len(set(lrs)) > 1  # the schedule did change the rate


def test_plateau_steps_on_the_validation_loss():
    val = _data(12, seed=7)
    cfg = _cfg(optimizer="sgd", lr=0.3, scheduler="plateau", gamma=0.5, plateau_patience=1,
               epochs=8, restore_best=False)
    hist = Trainer(_model(), cfg).fit(_data(), val)
    ref = _model()
    opt = torch.optim.SGD(ref.parameters(), lr=0.3)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    lrs = []
    for _ in range(8):
        _by_hand(ref, opt, 1, sched, val=val)
        lrs.append(opt.param_groups[0]["lr"])
    assert [e.lr for e in hist.epochs] == pytest.approx(lrs, rel=1e-12)
    with pytest.raises(ValueError, match=r"plateau .* validation loss"):
        Trainer(_model(), cfg).fit(_data())


def test_scheduler_object_or_factory_is_stepped_each_epoch():
    def make(o):
        return torch.optim.lr_scheduler.LambdaLR(o, lambda e: 1.0 / (1 + e))

    hist = Trainer(_model(), _cfg(optimizer="sgd", lr=0.1), scheduler=make).fit(_data())
    assert [e.lr for e in hist.epochs] == pytest.approx([0.1 / k for k in (2, 3, 4, 5)])
    with pytest.raises(TypeError, match="scheduler"):
        Trainer(_model(), _cfg(), scheduler=3)


@pytest.mark.parametrize("kind", ["cosine", "step", "plateau"])
def test_schedule_state_is_checkpointed_and_resume_is_identical(tmp_path, kind):
    path = str(tmp_path / "ck.safetensors")
    val = _data(12, seed=7)
    cfg = dict(optimizer="sgd", lr=0.2, scheduler=kind, step_size=1, gamma=0.5,
               plateau_patience=1, restore_best=False)
    full = Trainer(_model(), _cfg(epochs=6, **cfg))
    full.fit(_data(), val)
    class Crash(Exception):
        pass

    def crash(step, _model):
        if step == 10:  # in epoch 4 (3 steps per epoch): the checkpoint holds epoch 3
            raise Crash

    first = Trainer(_model(), _cfg(epochs=6, checkpoint_path=path, **cfg), callbacks=[crash])
    with pytest.raises(Crash):
        first.fit(_data(), val)
    second = Trainer(_model(seed=5), _cfg(epochs=6, **cfg))
    second.load(path)
    second.fit(_data(), val)
    _same(second.model, full.model)
    assert [e.lr for e in second.history.epochs] == [e.lr for e in full.history.epochs]

