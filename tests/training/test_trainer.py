"""The training loop: resume equality, early stopping, clipping and regularizer hooks, losses,
and the three patterns (engineer A's models) trained on the synthetic tasks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from seqlab.recurrent import bptt
from seqlab.training import (
    TrainConfig,
    Trainer,
    masked_cross_entropy,
    masked_mse,
    train,
)


class TinyElman(torch.nn.Module):
    """Pattern 1 with explicit BPTT and dropout (so the global RNG matters on resume)."""

    def __init__(self, I=2, H=6, O=1):
        super().__init__()
        self.w_ih = torch.nn.Parameter(0.5 * torch.randn(H, I))
        self.w_hh = torch.nn.Parameter(0.3 * torch.randn(H, H))
        self.b = torch.nn.Parameter(torch.zeros(H))
        self.drop = torch.nn.Dropout(0.2)
        self.head = torch.nn.Linear(H, O)

    def forward(self, x, lengths=None):
        mask = None
        if lengths is not None:
            mask = torch.arange(x.shape[1])[None, :] < lengths[:, None]
        h_all, _ = bptt.elman_sequence(x, None, self.w_ih, self.w_hh, self.b, None, mask=mask)
        return self.head(self.drop(h_all))


def _data(n=40, T=9, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, T, 2, generator=g)
    y = torch.cumsum(x[..., :1], dim=1) * 0.3
    lengths = torch.randint(3, T + 1, (n,), generator=g)
    return x, y, lengths


def _cfg(**kw):
    base = dict(epochs=4, batch_size=8, lr=0.01, progress=False, seed=3)
    base.update(kw)
    return TrainConfig(**base)


def test_resume_is_bit_identical(tmp_path):
    data, val = _data(), _data(16, seed=1)
    torch.manual_seed(0)
    m_full = TinyElman()
    init = {k: v.clone() for k, v in m_full.state_dict().items()}
    h_full = Trainer(m_full, _cfg(epochs=4, restore_best=False)).fit(data, val)

    m_a = TinyElman()
    m_a.load_state_dict(init)
    path = tmp_path / "ck.safetensors"
    Trainer(m_a, _cfg(epochs=2, checkpoint_path=str(path), restore_best=False)).fit(data, val)
    torch.manual_seed(12345)  # disturb the global RNG: the checkpoint must restore it
    m_b = TinyElman()  # fresh objects
    trainer_b = Trainer(m_b, _cfg(epochs=4, restore_best=False))
    trainer_b.load(str(path))
    h_b = trainer_b.fit(data, val)
    for k, v in m_full.state_dict().items():
        assert torch.equal(v, m_b.state_dict()[k]), k
    assert [e.train_loss for e in h_full.epochs] == [e.train_loss for e in h_b.epochs]
    assert [e.val_loss for e in h_full.epochs] == [e.val_loss for e in h_b.epochs]


def test_config_resume_from_equals_an_uninterrupted_run(tmp_path):
    """TrainConfig.resume_from (the CLI's --resume-from) continues a checkpointed run so that
    it ends bit-identical to a run that was never interrupted; a second fit() does not reload."""
    data, val = _data(), _data(16, seed=1)
    torch.manual_seed(0)
    m_full = TinyElman()
    init = {k: v.clone() for k, v in m_full.state_dict().items()}
    Trainer(m_full, _cfg(epochs=4, restore_best=False)).fit(data, val)
    m_a = TinyElman()
    m_a.load_state_dict(init)
    path = tmp_path / "ck.safetensors"
    Trainer(m_a, _cfg(epochs=2, checkpoint_path=str(path), restore_best=False)).fit(data, val)
    m_b = TinyElman()
    trainer = Trainer(m_b, _cfg(epochs=4, restore_best=False, resume_from=str(path)))
    h = trainer.fit(data, val)
    assert [e.epoch for e in h.epochs] == [1, 2, 3, 4]  # the checkpoint's history goes on
    for k, v in m_full.state_dict().items():
        assert torch.equal(v, m_b.state_dict()[k]), k
    trainer.config.epochs = 5
    trainer.fit(data, val)  # continues in memory from epoch 4, not from the file's epoch 2
    assert trainer.epoch == 5


def test_resume_from_a_missing_file_is_a_clear_error(tmp_path):
    from seqlab.exceptions import SeqlabError

    trainer = Trainer(TinyElman(), _cfg(resume_from=str(tmp_path / "nope.safetensors")))
    with pytest.raises(SeqlabError, match="nope"):
        trainer.fit(_data())


def test_same_seed_same_result_and_loss_decreases():
    data = _data()
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        h = train(TinyElman(), data, config=_cfg(epochs=6))
        runs.append([e.train_loss for e in h.epochs])
    assert runs[0] == runs[1]
    assert runs[0][-1] < runs[0][0]


def test_early_stopping_restores_best_weights():
    x, y, _ = _data()
    torch.manual_seed(0)
    init = TinyElman().state_dict()
    model = TinyElman()
    model.load_state_dict(init)
    # validation targets are the negated training targets: fitting one hurts the other
    h = Trainer(model, _cfg(epochs=20, early_stopping_patience=2, lr=0.05)).fit((x, y), (x, -y))
    assert h.stopped_early and h.best_epoch is not None
    assert len(h.epochs) == h.best_epoch + 2
    best = TinyElman()
    best.load_state_dict(init)
    Trainer(best, _cfg(epochs=h.best_epoch, lr=0.05)).fit((x, y))
    for k, v in best.state_dict().items():
        assert torch.equal(v, model.state_dict()[k])


def test_clip_norm_bounds_each_sgd_step():
    x, y, _ = _data(8)
    torch.manual_seed(0)
    model = TinyElman()
    before = torch.cat([p.detach().flatten().clone() for p in model.parameters()])
    h = Trainer(model, _cfg(epochs=1, batch_size=8, optimizer="sgd", lr=1.0, clip_norm=1e-3)).fit(
        (x, y)
    )
    after = torch.cat([p.detach().flatten() for p in model.parameters()])
    assert h.epochs[0].grad_norm > 1e-3  # the logged norm is the pre-clip one
    assert float((after - before).norm()) <= 1e-3 * (1 + 1e-5)


def test_clip_value_and_val_fraction_and_logs():
    data = _data()
    torch.manual_seed(0)
    h = train(TinyElman(), data, config=_cfg(epochs=2, clip_value=0.01, val_fraction=0.25))
    assert all(e.val_loss is not None and math.isfinite(e.val_loss) for e in h.epochs)
    assert all(e.max_grad_norm >= e.grad_norm > 0 for e in h.epochs)
    assert "epoch" in h.table()


def test_losses_with_masks():
    pred = torch.tensor([[[1.0], [2.0], [9.0]]])
    target = torch.zeros(1, 3, 1)
    mask = torch.tensor([[True, True, False]])
    assert float(masked_mse(pred, target, mask)) == pytest.approx(2.5)
    logits = torch.randn(2, 3, 4)
    labels = torch.randint(0, 4, (2, 3))
    m = torch.tensor([[1, 1, 0], [1, 0, 0]])
    ref = torch.nn.functional.cross_entropy(logits[m.bool()], labels[m.bool()])
    torch.testing.assert_close(masked_cross_entropy(logits, labels, m), ref)
    with pytest.raises(ValueError, match="target shape"):
        masked_mse(torch.zeros(2, 3), torch.zeros(3, 2))


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown loss"):
        Trainer(TinyElman(), _cfg(), loss="hinge")
    with pytest.raises(ValueError, match="optimizer"):
        TrainConfig(optimizer="adagradd")
    with pytest.raises(ValueError, match="clip_norm"):
        TrainConfig(clip_norm=0.0)
    with pytest.raises(ValueError, match="val_fraction"):
        TrainConfig(val_fraction=1.0)
    with pytest.raises(TypeError, match="train_data"):
        train(TinyElman(), torch.zeros(3), config=_cfg())
    with pytest.raises(ValueError, match="Elman"):
        train(TinyElman(), _data(), config=_cfg(regularizer_alpha=1.0))


# ------------------------------------------------------------------ with engineer A's patterns
def test_pattern3_adding_problem_runs_and_learns():
    from seqlab.data.synthetic import adding_problem
    from seqlab.recurrent.patterns import SequenceClassifier

    data = adding_problem(64, 20, seed=0)
    model = SequenceClassifier(2, 16, 1, cell="gru", seed=0)
    h = train(model, data, config=_cfg(epochs=5, lr=0.01, batch_size=16))
    assert h.epochs[-1].train_loss < h.epochs[0].train_loss


def test_pattern1_elman_with_pascanu_regularizer():
    from seqlab.recurrent.patterns import SequenceTagger

    x, y, lengths = _data()
    model = SequenceTagger(2, 8, 1, cell="elman", seed=0)
    h = train(model, (x, y, lengths), config=_cfg(epochs=2, regularizer_alpha=0.5))
    assert all(e.regularizer > 0 and math.isfinite(e.train_loss) for e in h.epochs)


def test_pattern2_teacher_forcing():
    from seqlab.recurrent.patterns import OutputFeedbackRNN

    t = torch.linspace(0, 6 * np.pi, 60)
    y = torch.sin(t)[None, :, None].repeat(8, 1, 1) * torch.linspace(0.5, 1.0, 8)[:, None, None]
    x = torch.zeros(8, 60, 1)
    model = OutputFeedbackRNN(1, 16, 1, seed=0)
    h = train(model, (x, y), config=_cfg(epochs=15, lr=0.02, batch_size=4))
    assert h.epochs[-1].train_loss < 0.5 * h.epochs[0].train_loss


def test_step_callbacks_see_every_step_and_do_not_change_training(tmp_path):
    """A per-step callback (here the gradient monitor every 3 steps) is called after each
    optimiser step with the running step count, survives a checkpoint, and leaves the
    trained weights bit-identical to a run without it."""
    from seqlab.diagnostics import GradientMonitor
    from seqlab.recurrent.patterns import SequenceTagger

    data = _data()
    x_probe, y_probe, _ = _data(4, seed=5)

    def run(callbacks):
        torch.manual_seed(0)
        model = SequenceTagger(2, 5, 1, cell="elman", seed=0)
        trainer = Trainer(model, _cfg(epochs=2, restore_best=False), callbacks=callbacks)
        trainer.fit(data)
        return model, trainer

    seen: list[int] = []
    monitor = GradientMonitor(x_probe, lambda p: ((p - y_probe) ** 2).mean(), every=3)
    m_cb, trainer = run([lambda step, model: seen.append(step), monitor])
    m_plain, _ = run([])
    steps_per_epoch = math.ceil(40 / 8)
    assert seen == list(range(1, 2 * steps_per_epoch + 1))
    assert trainer.step == 2 * steps_per_epoch
    assert [r.step for r in monitor.records] == [3, 6, 9]
    assert all(np.isfinite(r.grad_norms).all() for r in monitor.records)
    for k, v in m_plain.state_dict().items():
        assert torch.equal(v, m_cb.state_dict()[k]), k
    path = tmp_path / "ck.safetensors"
    trainer.save(str(path))
    resumed = Trainer(SequenceTagger(2, 5, 1, cell="elman", seed=0), _cfg(epochs=3))
    resumed.load(str(path))
    assert resumed.step == trainer.step
    with pytest.raises(TypeError, match="callable"):
        Trainer(SequenceTagger(2, 5, 1, cell="elman", seed=0), _cfg(), callbacks=[3])


def _linear_model(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3, 1)).double()


def test_epoch_with_every_step_skipped_raises_divergence():
    """Every gradient non-finite: no step taken. The loss used to be reported as 0.0."""
    from seqlab.exceptions import DivergenceError

    x = torch.randn(8, 3, 1, dtype=torch.float64)
    x[:, 0] = float("nan")  # NaN inputs reach an unchecked model: every loss is NaN
    y = torch.zeros(8, dtype=torch.float64)
    trainer = Trainer(_linear_model(), _cfg(epochs=1, batch_size=4))
    with pytest.raises(DivergenceError, match="all 2 steps had a non-finite gradient"):
        trainer.fit((x, y))


def test_epoch_loss_is_the_mean_over_steps_taken():
    """One good batch, one skipped: the epoch's loss is the good batch's (not half of it)."""
    import copy

    g = torch.Generator().manual_seed(1)
    x = torch.randn(8, 3, 1, dtype=torch.float64, generator=g)
    y = torch.randn(8, dtype=torch.float64, generator=g)
    x[4:, 0] = float("nan")  # the second batch of 4 has non-finite gradients
    model = _linear_model()
    start = copy.deepcopy(model)
    hist = Trainer(model, _cfg(epochs=1, batch_size=4, shuffle=False)).fit((x, y))
    log = hist.epochs[0]
    with torch.no_grad():  # the loss of the first batch, before its step
        expected = float(masked_mse(start(x[:4]), y[:4]))
    assert log.skipped_steps == 1
    assert log.train_loss == pytest.approx(expected, rel=1e-12)


def test_nan_targets_are_refused_by_the_trainer():
    """A NaN target used to give a skipped step and a reported loss of 0.0."""
    x = torch.randn(8, 3, 1, dtype=torch.float64)
    y = torch.zeros(8, dtype=torch.float64)
    y[5] = float("nan")
    with pytest.raises(ValueError, match="NaN or infinite"):
        Trainer(_linear_model(), _cfg(epochs=1, batch_size=4)).fit((x, y))
