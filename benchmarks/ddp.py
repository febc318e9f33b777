"""Data-parallel training speed: a small LSTM character model, 1 process vs 2 processes.

seqlab: :class:`seqlab.training.Trainer` on a :class:`TokenStream` (stateful truncated BPTT,
global batch 32 x 64 characters), run plainly in one process and data-parallel in two
(:func:`seqlab.scale.distributed.spawn`, gloo on 127.0.0.1, 1 thread per process). Peer: the
same-sized ``torch.nn.LSTM`` model with a plain torch loop, 1 process and 2 processes under
``DistributedDataParallel`` (each with half of the global batch). Steps/s are timed inside
the workers after 3 warm-up steps (process start and rendezvous excluded); rounds are
interleaved (peer, seqlab, peer, seqlab) and the medians reported. Also prints the largest
parameter difference between seqlab's 1- and 2-process runs in float64.

    python benchmarks/ddp.py           # 3 rounds of 40 steps
    python benchmarks/ddp.py --quick   # 1 round of 8 steps
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import torch

from seqlab.scale.distributed import spawn

HIDDEN, EMBED, BATCH, BPTT = 128, 16, 32, 64


def _ids() -> torch.Tensor:
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    vocab = sorted(set(text))
    return torch.tensor([vocab.index(c) for c in text] * 4)


def seqlab_run(steps: int, dtype: str = "float32") -> tuple[float, list[torch.Tensor]]:
    """(steps/s after 3 warm-up steps, final parameters) of seqlab's Trainer."""
    from seqlab.recurrent.patterns import SequenceTagger
    from seqlab.training import TokenStream, TrainConfig, Trainer

    torch.set_num_threads(1)
    ids = _ids()
    vocab = int(ids.max()) + 1
    model = SequenceTagger(EMBED, HIDDEN, vocab, cell="lstm", vocab_size=vocab, seed=0)
    model = model.to(getattr(torch, dtype))
    stream = TokenStream(ids, batch_size=BATCH, bptt=BPTT)
    trainer = Trainer(model, TrainConfig(max_steps=3, epochs=100, progress=False, lr=2e-3))
    trainer.fit(stream)  # warm-up (and any first-call compilation)
    trainer.config.max_steps = 3 + steps
    t0 = time.perf_counter()
    trainer.fit(stream)
    return steps / (time.perf_counter() - t0), [p.detach().clone() for p in model.parameters()]


class _Peer(torch.nn.Module):
    def __init__(self, vocab: int) -> None:
        super().__init__()
        self.emb = torch.nn.Embedding(vocab, EMBED)
        self.lstm = torch.nn.LSTM(EMBED, HIDDEN, batch_first=True)
        self.head = torch.nn.Linear(HIDDEN, vocab)

    def forward(self, x: torch.Tensor, state: tuple | None) -> tuple[torch.Tensor, tuple]:
        h, state = self.lstm(self.emb(x), state)
        return self.head(h), state


def peer_run(steps: int) -> float:
    """steps/s of a plain torch loop (DDP when started in a group; half the rows each)."""
    import torch.distributed as dist

    torch.set_num_threads(1)
    torch.manual_seed(0)
    ids = _ids()
    vocab = int(ids.max()) + 1
    rows = ids[: len(ids) // BATCH * BATCH].reshape(BATCH, -1)
    net: torch.nn.Module = _Peer(vocab)
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    if "RANK" in os.environ:
        dist.init_process_group("gloo")
        rows = torch.tensor_split(rows, dist.get_world_size())[dist.get_rank()]
        net = torch.nn.parallel.DistributedDataParallel(net)
    state, k, t0 = None, 0, 0.0
    for step in range(3 + steps):
        if step == 3:
            t0 = time.perf_counter()
        if (k + 1) * BPTT + 1 > rows.shape[1]:
            k, state = 0, None
        x, y = rows[:, k * BPTT:(k + 1) * BPTT], rows[:, k * BPTT + 1:(k + 1) * BPTT + 1]
        state = None if state is None else tuple(s.detach() for s in state)
        pred, state = net(x, state)
        loss = torch.nn.functional.cross_entropy(pred.reshape(-1, vocab), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        k += 1
    return steps / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds, steps = (1, 8) if args.quick else (3, 40)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import ddp as me  # spawned processes import this module by name

    torch.set_num_threads(1)
    rates: dict[str, list[float]] = {k: [] for k in ("peer_1", "seqlab_1", "peer_2", "seqlab_2")}
    for _ in range(rounds):
        rates["peer_1"].append(me.peer_run(steps))
        rates["seqlab_1"].append(me.seqlab_run(steps)[0])
        rates["peer_2"].append(spawn(me.peer_run, 2, (steps,), threads=1)[0])
        rates["seqlab_2"].append(spawn(me.seqlab_run, 2, (steps,), threads=1)[0][0])
    med = {k: statistics.median(v) for k, v in rates.items()}
    one = me.seqlab_run(5, "float64")[1]
    two = spawn(me.seqlab_run, 2, (5, "float64"), threads=1)[0][1]
    diff = max(float((a - b).abs().max()) for a, b in zip(one, two, strict=True))
    result = {
        "model": f"char LSTM, embedding {EMBED}, hidden {HIDDEN}, batch {BATCH} x bptt {BPTT}",
        "steps_per_s": med, "rounds": rates,
        "speedup_seqlab_2_vs_1": med["seqlab_2"] / med["seqlab_1"],
        "speedup_peer_2_vs_1": med["peer_2"] / med["peer_1"],
        "ratio_seqlab_over_peer_1proc_time": med["peer_1"] / med["seqlab_1"],
        "ratio_seqlab_over_peer_2proc_time": med["peer_2"] / med["seqlab_2"],
        "max_param_diff_1_vs_2_float64_after_8_steps": diff,
        "machine": f"{os.cpu_count()} cores, shared with other jobs (timings noisy)",
    }
    for k, v in med.items():
        print(f"{k:>9}: {v:7.2f} steps/s")
    print(f"2 vs 1 process: seqlab x{result['speedup_seqlab_2_vs_1']:.2f}, "
          f"peer x{result['speedup_peer_2_vs_1']:.2f}; time ratio seqlab/peer: "
          f"{result['ratio_seqlab_over_peer_1proc_time']:.2f} (1 proc), "
          f"{result['ratio_seqlab_over_peer_2proc_time']:.2f} (2 procs)")
    print(f"max |param 1 proc - param 2 procs| (float64): {diff:.2e}")
    if not args.quick:
        out = Path(__file__).resolve().parent / "results" / "ddp.json"
        out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
