"""Data-parallel training (DistributedDataParallel on gloo, 2 real processes on 127.0.0.1).

Two processes sharing each global batch must take the same steps as one process with that
batch: DDP averages the gradients (also those of the hand-written BPTT), and seqlab weights
each process's mean loss by its share of rows (or of real steps under padding). Dropout is
off in that comparison: each process draws its own masks (an independent stream per rank),
so they cannot equal one process's masks; the resume test uses dropout to prove that every
rank's stream is checkpointed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from seqlab.scale.distributed import check_nproc, spawn
from seqlab.training._ddp import DataParallel

sys.path.insert(0, str(Path(__file__).parent))  # spawned processes import the workers by name
import _ddp_workers as workers


@pytest.fixture(scope="module")
def two_process_results() -> list[dict]:
    return spawn(workers.equality_runs, 2, threads=1)


def _max_diff(a: list[torch.Tensor], b: list[torch.Tensor]) -> float:
    assert len(a) == len(b)
    return max(float((p - q).abs().max()) for p, q in zip(a, b, strict=True))


def test_two_processes_match_one_with_the_same_global_batch(two_process_results) -> None:
    torch.set_num_threads(1)
    one = workers.equality_runs()
    rank0, rank1 = two_process_results
    assert torch.equal(rank1["big"], torch.arange(200_000, dtype=torch.float64))
    for key, ref in one.items():
        if key.endswith(("-rows", "-loss", "big")):
            continue
        assert _max_diff(rank0[key], ref) < 1e-6, key
        assert _max_diff(rank0[key], rank1[key]) == 0.0, key  # DDP keeps the replicas equal
    # the logged loss (and Omega) is the global batch's, not one process's share
    assert rank0["stream-loss"] == pytest.approx(one["stream-loss"], rel=1e-12)
    assert rank0["elman-regularized-loss"] == pytest.approx(one["elman-regularized-loss"],
                                                            rel=1e-12)


def test_each_process_runs_its_share_of_every_global_batch(two_process_results) -> None:
    rank0, rank1 = two_process_results
    # 33 rows in batches of 8: 4 x (4 + 4) then the last row on rank 0 alone; rank 1 runs one
    # row with weight 0 so that it still joins the gradient all-reduce
    assert rank0["lstm-bptt-rows"] == [4, 4, 4, 4, 1] * 2
    assert rank1["lstm-bptt-rows"] == [4, 4, 4, 4, 1] * 2


def test_time_budget_and_batch_order_agree_across_processes() -> None:
    rank0, rank1 = spawn(workers.misc_runs, 2, threads=1)
    # rank 1's clock stands still: it stops when rank 0's budget runs out, after the same step
    assert rank0["stopped_by"] == rank1["stopped_by"] == "max_time"
    assert rank0["steps"] == rank1["steps"] > 0
    for r in (rank0, rank1):
        assert "read different batches from the training data" in r["mismatch"]


def test_resumed_run_continues_identically_and_rank_0_alone_writes(tmp_path: Path) -> None:
    rank0, rank1 = spawn(workers.resume_runs, 2, args=(str(tmp_path),), threads=1)
    for r in (rank0, rank1):
        assert _max_diff(r["whole"], r["resumed"]) == 0.0
        assert r["resumed_forwards"] == 2 * 3  # epochs 2 and 3 only: 24 rows in batches of 8
    assert rank1["writes"] == []
    assert len(rank0["writes"]) == 3 + 1 + 2  # one checkpoint per epoch
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "part.safetensors", "resumed.safetensors", "whole.safetensors"]
    from safetensors import safe_open

    with safe_open(str(tmp_path / "part.safetensors"), framework="pt") as f:
        assert {"rng/torch", "rng/torch_rank1", "rng/shuffle"} <= set(f.keys())


def test_a_token_stream_needs_a_row_per_process() -> None:
    dp = DataParallel(rank=0, world=4, device=torch.device("cpu"))
    chunk = (torch.zeros(3, 5, dtype=torch.long), torch.zeros(3, 5, dtype=torch.long))
    with pytest.raises(ValueError, match="batch_size 3 cannot be shared by 4 processes"):
        dp.shard(chunk, stream=True)


@pytest.mark.parametrize("bad", [0, -2])
def test_bad_process_counts(bad: int) -> None:
    with pytest.raises(ValueError, match=f"--nproc must be >= 1 .*; got {bad}"):
        check_nproc(bad)
    with pytest.raises(TypeError, match="--nproc must be an integer"):
        check_nproc(2.0)


def test_more_processes_than_gpus_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(ValueError, match=r"--nproc 2 with --device cuda needs 2 GPUs .* has 1"):
        check_nproc(2, "cuda")
    with pytest.raises(ValueError, match="name no GPU index; use --device cuda"):
        check_nproc(2, "cuda:0")
    assert check_nproc(1, "cuda:0") == 1
