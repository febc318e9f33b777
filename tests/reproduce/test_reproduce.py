"""Tests of seqlab.reproduce and ``seqlab reproduce``: registry, loop, CLI, quick budgets."""

from __future__ import annotations

import argparse
import importlib
import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab.cli import reproduce as cli_reproduce
from seqlab.data.synthetic import adding_problem
from seqlab.reproduce import REPRODUCTIONS, list_reproductions, run_reproduction
from seqlab.reproduce._report import Report, Row
from seqlab.reproduce._train import (
    StreamConfig,
    build_model,
    chrono_biases,
    length_batches,
    predict,
    train_stream,
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="seqlab")
    cli_reproduce.add_parser(parser.add_subparsers(dest="command"))
    return parser


def test_list_names_every_reproduction(capsys) -> None:
    args = _parser().parse_args(["reproduce", "--list"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    for name in ("adding", "temporal-order", "pascanu", "esn-adding", "chung2014"):
        assert name in out
    assert [r.name for r in list_reproductions()] == list(REPRODUCTIONS)


def test_cli_errors() -> None:
    args = _parser().parse_args(["reproduce"])
    with pytest.raises(ValueError, match="--list"):
        args.func(args)
    args = _parser().parse_args(["reproduce", "adding", "--seed", "-1"])
    with pytest.raises(ValueError, match="seed"):
        args.func(args)
    with pytest.raises(SystemExit):  # --quick and --full exclude each other
        _parser().parse_args(["reproduce", "adding", "--quick", "--full"])
    with pytest.raises(ValueError, match="unknown reproduction 'add'"):
        run_reproduction("add")
    with pytest.raises(ValueError, match="unknown budget 'huge'"):
        run_reproduction("adding", "huge")  # type: ignore[arg-type]


def test_every_registered_module_has_run_and_both_budgets() -> None:
    for info in list_reproductions():
        module = importlib.import_module(info.module)
        assert callable(module.run)
        assert set(module.BUDGETS) == {"quick", "full"}


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(3, 6), min_size=1, max_size=60), st.integers(1, 8))
def test_length_batches_partition_by_length(lengths: list[int], batch_size: int) -> None:
    arr = np.array(lengths)
    batches = length_batches(arr, batch_size, np.random.default_rng(0))
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(len(lengths)))
    for b in batches:
        assert 1 <= len(b) <= batch_size and len(set(arr[b].tolist())) == 1


def test_predict_by_length_equals_the_padded_batch() -> None:
    """Evaluating per length (no padding) equals the layer's own masking of padded steps."""
    X, lengths, _ = adding_problem(40, 12, seed=0)
    model = build_model("gru", 2, 5, 1, seed=0)
    ours = predict(model, X, lengths)
    with torch.no_grad():
        ref = model(torch.from_numpy(X), lengths=torch.from_numpy(lengths))
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-6)


def test_build_model_gate_bias_leak_and_skip() -> None:
    plain = build_model("lstm", 2, 4, 1, seed=0, gate_bias=0.0)
    biased = build_model("lstm", 2, 4, 1, seed=0)  # default: forget gate + 3
    diff = biased.rnn.cells[0].bias_ih - plain.rnn.cells[0].bias_ih
    torch.testing.assert_close(diff, torch.tensor([0.0] * 4 + [3.0] * 4 + [0.0] * 8))
    leaky = build_model("leaky", 2, 4, 1, seed=0, alpha=0.95)
    assert leaky.rnn.cells[0].learn_alpha
    torch.testing.assert_close(leaky.rnn.cells[0].alpha, torch.full((4,), 0.95))
    assert build_model("skip", 2, 4, 1, seed=0, skip=7).rnn.cells[0].skip == 7


def test_chrono_biases_range_seed_and_errors() -> None:
    b = chrono_biases(2000, 550, seed=3)
    assert b.shape == (2000,) and b.dtype == torch.float32
    # log(U[1, t_max - 1]): within [0, log(549)], and spread over it (not a constant)
    assert float(b.min()) >= 0.0 and float(b.max()) <= float(np.log(549.0)) + 1e-6
    assert float(b.min()) < 1.5 and float(b.max()) > float(np.log(549.0)) - 0.05
    # uniform in e^b: the mean of e^b is (1 + 549) / 2
    assert abs(float(torch.exp(b.double()).mean()) - 275.0) < 15.0
    torch.testing.assert_close(b, chrono_biases(2000, 550, seed=3))
    assert not torch.equal(b, chrono_biases(2000, 550, seed=4))
    with pytest.raises(ValueError, match="t_max >= 3"):
        chrono_biases(4, 2, seed=0)


def test_build_model_chrono_rows() -> None:
    """Chrono sets the total bias of f to b and of i to -b (LSTM), of z to b (GRU)."""
    h = 6
    b = chrono_biases(h, 110, seed=0)
    cell = build_model("lstm", 2, h, 1, seed=0, chrono=110).rnn.cells[0]
    total = (cell.bias_ih + cell.bias_hh).detach()
    torch.testing.assert_close(total[h:2 * h], b)
    torch.testing.assert_close(total[:h], -b)
    ref = build_model("lstm", 2, h, 1, seed=0, gate_bias=0.0).rnn.cells[0]
    torch.testing.assert_close(cell.weight_hh, ref.weight_hh)  # only the gate biases differ
    torch.testing.assert_close(total[2 * h:], (ref.bias_ih + ref.bias_hh).detach()[2 * h:])
    gcell = build_model("gru", 2, h, 1, seed=0, chrono=110).rnn.cells[0]
    gref = build_model("gru", 2, h, 1, seed=0, gate_bias=0.0).rnn.cells[0]
    torch.testing.assert_close((gcell.bias_ih + gcell.bias_hh).detach()[h:2 * h], b)
    torch.testing.assert_close(gcell.bias_ih[:h], gref.bias_ih[:h])  # reset gate untouched
    torch.testing.assert_close(gcell.bias_hh[2 * h:], gref.bias_hh[2 * h:])
    with pytest.raises(ValueError, match="gated cells"):
        build_model("elman", 2, h, 1, seed=0, chrono=110)
    with pytest.raises(ValueError, match="not both"):
        build_model("lstm", 2, h, 1, seed=0, chrono=110, gate_bias=3.0)


def test_chrono_lets_the_error_reach_the_first_step_at_t500() -> None:
    """At T = 500 a forget bias of +3 (memory ~21 steps) loses the first step's gradient."""
    from seqlab.reproduce import adding

    test = adding._generator(500)(64, 0)
    reach = {}
    for name, kw in (("chrono", {"chrono": 550}), ("plus3", {"gate_bias": 3.0})):
        model = build_model("lstm", 2, 16, 1, seed=0, **kw)
        reach[name] = adding.gradient_reach(model, test, 500)
    # sigm(3)^500 ~ 4e-11: the constant bias's reach is orders of magnitude below chrono's
    # (chrono's is small too -- its input gates start nearly shut, sigm(-b) -- but usable)
    assert reach["plus3"] < 1e-3 * reach["chrono"], reach
    assert reach["chrono"] > 1e-5, reach


def test_train_stream_solves_a_short_adding_problem_and_is_reproducible() -> None:
    """T = 12 is learnable in a few thousand sequences; same seed -> same run."""
    def gen(n: int, seed: int):
        return tuple(adding_problem(n, 12, seed=seed))

    def loss(p: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.mse_loss(p[:, 0], y)

    def errs(p: torch.Tensor, y: np.ndarray) -> int:
        return int((np.abs(p[:, 0].numpy() - y) >= 0.04).sum())

    test = gen(300, 99)
    runs = [train_stream(build_model("lstm", 2, 8, 1, seed=0, gate_bias=1.0), gen, loss, errs, test,
                         StreamConfig(max_sequences=n, batch_size=16, lr=1e-2, eval_every=800,
                                      chunk=800, seed=0))
            for n in (2_400, 800)]
    assert runs[0].curve[:1] == runs[1].curve  # same seed, same first 800 sequences
    last = runs[0].curve[-1]
    assert last[2] < 0.5 * 0.0417  # below the target variance (mean prediction), HS97 y
    assert last[1] < runs[0].curve[0][1]  # fewer wrong test sequences than after 800


def test_train_stream_with_the_regularizer_runs() -> None:
    from seqlab.reproduce import pascanu

    r = pascanu.run_setting("SGD-CR (clip 1, alpha 2)", 0, max_sequences=64, n_test=50,
                            eval_every=64)
    assert r.sequences == 64 and len(r.curve) == 1 and np.isfinite(r.curve[0][2])


def test_report_table_json_and_plot(tmp_path) -> None:
    rows = [Row("lstm", "1/2560 after 74,000", "0/2560 after 50,000",
                {"curve": [(100, 50, 0.1), (200, 0, 0.01)], "test_errors": 0})]
    rep = Report("demo", "Demo", "HS97", "quick", rows, "lstm wins", 1.0)
    assert "1/2560 after 74,000" in rep.table() and "0/2560 after 50,000" in rep.table()
    js, _png = rep.save(str(tmp_path))
    data = json.loads(open(js).read())
    assert data["rows"][0]["paper"] == "1/2560 after 74,000" and data["budget"] == "quick"
    assert (tmp_path / "demo-quick.png").stat().st_size > 1000


def test_quick_reproductions_gated_beats_elman(tmp_path, capsys) -> None:
    """All quick budgets; the qualitative claim of the lecture: gated cells beat plain Elman."""
    args = _parser().parse_args(["reproduce", "adding", "--quick", "--out", str(tmp_path)])
    assert args.func(args) == 0
    rep = json.loads((tmp_path / "adding-quick.json").read_text())
    wrong = {row["label"].split()[0]: row["test_errors"] for row in rep["rows"]}
    n_test = rep["rows"][0]["n_test"]
    # HS97's claim at a short lag (T = 20): gated cells nearly solve it, Elman does not;
    # leaky units keep more of the past than Elman
    assert max(wrong["lstm"], wrong["gru"]) < 0.05 * n_test, wrong
    assert wrong["elman"] > 0.5 * n_test, wrong
    assert wrong["leaky"] < wrong["elman"], wrong
    for name in ("temporal-order", "pascanu", "esn-adding"):
        rep = run_reproduction(name, "quick", out_dir=str(tmp_path))
        assert (tmp_path / f"{name}-quick.png").exists() and rep.rows
    assert "paper" in capsys.readouterr().out


def test_esn_adding_final_states_are_each_runs_last_state():
    """``_final_states`` keeps only the last state (``discard``); it must equal the last row
    of each sequence's full reservoir run, for sequences of different lengths."""
    import numpy as np

    from seqlab.data.synthetic import adding_problem
    from seqlab.reproduce.esn_adding import _final_states
    from seqlab.reservoir.esn import Reservoir

    res = Reservoir.initialize(50, 2, spectral_radius=0.9, connectivity=0.2, leak_rate=0.3,
                               seed=3)
    X, lengths, _ = adding_problem(6, 20, seed=4)
    assert len(set(lengths.tolist())) > 1
    got = _final_states(res, X, lengths)
    want = np.stack([res.run(X[i, :n].astype(np.float64))[-1] for i, n in enumerate(lengths)])
    assert got.shape == (6, 50)
    np.testing.assert_array_equal(got, want)
