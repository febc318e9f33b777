"""Benchmark: stateful truncated BPTT through :class:`seqlab.training.Trainer` on a
:class:`seqlab.training.TokenStream` against the same loop written in plain PyTorch
(word_language_model style: batchify, hidden carried and detached, Adam, cross-entropy).

Both train copies of one model (nn.Embedding + nn.LSTM + nn.Linear) on the same chunks for
``--steps`` optimiser steps; runs alternate (``--repeats``) and the median steps/second of
each is reported with their ratio (seqlab / plain). The final weights of the two are also
compared (they must agree to float32 round-off). Results: benchmarks/results/trainer_stream.json.

Usage: ``python benchmarks/trainer_stream.py [--steps 60] [--repeats 3] [--threads 1]``.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from seqlab.training import TokenStream, TrainConfig, Trainer

VOCAB, EMB, HIDDEN, BATCH, BPTT = 64, 32, 256, 32, 64


class LM(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = torch.nn.Embedding(VOCAB, EMB)
        self.lstm = torch.nn.LSTM(EMB, HIDDEN, batch_first=True)
        self.out = torch.nn.Linear(HIDDEN, VOCAB)

    def forward(self, x, state=None, return_state=False):
        h, state = self.lstm(self.emb(x), state)
        logits = self.out(h)
        return (logits, state) if return_state else logits


def plain(model: LM, stream: TokenStream, steps: int) -> float:
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    t0 = time.perf_counter()
    hidden, done = None, 0
    while done < steps:
        hidden = None
        for x, y in stream:
            if hidden is not None:
                hidden = tuple(h.detach() for h in hidden)
            opt.zero_grad(set_to_none=True)
            logits, hidden = model(x, hidden, return_state=True)
            loss = F.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1))
            loss.backward()
            opt.step()
            float(loss.detach())  # the trainer logs every loss: read it here too
            done += 1
            if done == steps:
                break
    return steps / (time.perf_counter() - t0)


def seqlab_run(model: LM, stream: TokenStream, steps: int) -> float:
    cfg = TrainConfig(epochs=10**6, max_steps=steps, lr=2e-3, progress=False, seed=None)
    trainer = Trainer(model, cfg)
    t0 = time.perf_counter()
    trainer.fit(stream)
    return steps / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, VOCAB, (BATCH * (BPTT * 40 + 1),), generator=g)
    stream = TokenStream(ids, BATCH, BPTT)
    torch.manual_seed(0)
    base = LM()
    ours, theirs = [], []
    for _ in range(args.repeats):
        a, b = copy.deepcopy(base), copy.deepcopy(base)
        theirs.append(plain(a, stream, args.steps))
        ours.append(seqlab_run(b, stream, args.steps))
        diff = max(float((p - q).detach().abs().max())
                   for p, q in zip(a.parameters(), b.parameters(), strict=True))
    res = {
        "model": f"Embedding({VOCAB},{EMB})+LSTM({HIDDEN})+Linear, batch {BATCH}, bptt {BPTT}",
        "steps": args.steps, "repeats": args.repeats, "threads": args.threads,
        "plain_steps_per_s": statistics.median(theirs),
        "seqlab_steps_per_s": statistics.median(ours),
        "ratio_seqlab_over_plain": statistics.median(ours) / statistics.median(theirs),
        "max_abs_weight_difference": diff,
    }
    for k, v in res.items():
        print(f"{k:>26}: {v:.4g}" if isinstance(v, float) else f"{k:>26}: {v}")
    out = Path(__file__).parent / "results" / "trainer_stream.json"
    out.write_text(json.dumps(res, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
