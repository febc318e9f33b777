"""Training on any re-iterable of batches or a torch DataLoader, equal to the same batches
given as in-memory tensors; bad batches are clear errors."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from seqlab.training import TrainConfig, Trainer


def _model(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(6, 1)).double()


def _data(n=24, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, 2, dtype=torch.float64, generator=g)
    return x, x.sum(dim=(1, 2))


def _cfg(**kw):
    base = dict(epochs=3, batch_size=8, lr=0.05, progress=False, seed=1, shuffle=False)
    base.update(kw)
    return TrainConfig(**base)


def _same(a, b):
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(p, q, atol=1e-12, rtol=0)


def _tensor_run():
    trainer = Trainer(_model(), _cfg())
    hist = trainer.fit(_data(), _data(10, seed=4))
    return trainer, hist


def test_list_of_batches_equals_tensors():
    x, y = _data()
    batches = [(x[s : s + 8], y[s : s + 8]) for s in range(0, 24, 8)]
    trainer = Trainer(_model(), _cfg())
    hist = trainer.fit(batches, _data(10, seed=4))
    ref, ref_hist = _tensor_run()
    _same(trainer.model, ref.model)
    assert [e.train_loss for e in hist.epochs] == pytest.approx(
        [e.train_loss for e in ref_hist.epochs], rel=1e-12)


def test_dataloader_equals_tensors_and_is_reiterated_each_epoch():
    x, y = _data()
    calls = []

    class Counting(DataLoader):
        def __iter__(self):
            calls.append(1)
            return super().__iter__()

    loader = Counting(TensorDataset(x, y), batch_size=8, shuffle=False)
    val = DataLoader(TensorDataset(*_data(10, seed=4)), batch_size=4)
    trainer = Trainer(_model(), _cfg())
    hist = trainer.fit(loader, val)
    ref, ref_hist = _tensor_run()
    _same(trainer.model, ref.model)
    assert len(calls) == 3 and hist.steps == 9
    assert [e.val_loss for e in hist.epochs] == pytest.approx(
        [e.val_loss for e in ref_hist.epochs], rel=1e-12)
    assert trainer.evaluate(val) == pytest.approx(ref.evaluate(_data(10, seed=4)), rel=1e-12)


def test_batches_with_lengths():
    x, y = _data()
    y = y[:, None].expand(24, 3).unsqueeze(-1).clone()  # per-step targets (B, T, 1)
    lengths = torch.tensor([3, 2, 1] * 8)

    class PerStep(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(2, 1).double()

        def forward(self, x, lengths=None):
            return self.lin(x)

    torch.manual_seed(0)
    a = PerStep()
    b = PerStep()
    b.load_state_dict(a.state_dict())
    loader = DataLoader(TensorDataset(x, y, lengths), batch_size=8)
    Trainer(a, _cfg()).fit(loader)
    Trainer(b, _cfg()).fit((x, y, lengths))
    _same(a, b)


@pytest.mark.parametrize(("batches", "error", "match"), [
    ([(torch.zeros(8, 3, 2),)], TypeError, "batch 0 must be"),
    ([(torch.zeros(8, 3, 2), torch.zeros(8), torch.ones(8), torch.ones(8))], TypeError,
     "batch 0 must be"),
    ([(torch.zeros(8, 3, 2, dtype=torch.float64), torch.zeros(8, dtype=torch.float64)),
      (torch.zeros(8, 3, 2, dtype=torch.float64), torch.zeros(5, dtype=torch.float64))],
     ValueError, "batch 1: x has 8 sequences but y has 5"),
    ([("abc", "def")], TypeError, "numeric"),
    ([], ValueError, "empty|no batches"),
])
def test_bad_batches_are_clear_errors(batches, error, match):
    with pytest.raises(error, match=match):
        Trainer(_model(), _cfg()).fit(batches)


def test_one_shot_iterators_and_val_fraction_are_refused():
    x, y = _data()
    with pytest.raises(TypeError, match="one-shot iterator"):
        Trainer(_model(), _cfg()).fit(b for b in [(x, y)])
    with pytest.raises(ValueError, match="val_fraction"):
        Trainer(_model(), _cfg(val_fraction=0.2)).fit([(x, y), (x, y)])


def test_xy_as_nested_python_lists_is_still_one_dataset():
    x = [[[1.0], [2.0]], [[3.0], [4.0]]]
    y = [3.0, 7.0]
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(2, 1))
    hist = Trainer(model, _cfg(epochs=1, batch_size=2)).fit([x, y])
    assert hist.steps == 1 and hist.epochs[0].steps == 1
