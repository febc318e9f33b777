"""Char-level language model: plain PyTorch vs seqlab's TextLanguageModel, same model, same
budget.

Both train the same network -- embedding (32) -> LSTM (128) -> linear over the characters --
from the same initial weights (seqlab's seeded initialisation, copied into the plain model
with :func:`seqlab.recurrent.interop.to_torch`) with stateful truncated BPTT (batch 32
contiguous streams, 64 steps per chunk, the state carried and detached between chunks),
Adam (lr 2e-3), gradient-norm clipping at 5, for the same number of optimiser steps. The
text is the last 10% held out; validation bits/char read the held-out tail as one stream.
Prints the validation bits/char and the training steps/s of both and the ratios (issue 15's
goal: seqlab within 2% of PyTorch's bits/char at >= 95% of its steps/s). Steps/s is timed on
the training loop only, best of ``--repeats`` interleaved timing runs.

Corpus: the Vim user manual (``usr_*.txt``) and option reference (``options.txt``) of the
Debian ``vim-runtime`` package, about 1 MB of English (Open Publication License; read, not
redistributed). seqlab does not ship it and its tests do not use it.

Usage: ``python benchmarks/charlm.py [--steps 400] [--repeats 2] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import glob
import json
import math
import platform
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from seqlab.data.text import CharVocab
from seqlab.pipelines import TextLanguageModel
from seqlab.pipelines._lm_loop import batchify
from seqlab.recurrent.interop import to_torch

DOC = "/usr/share/vim/vim90/doc"
CFG = dict(cell="lstm", hidden_size=128, num_layers=1, embedding_dim=32, bptt=64,
           batch_size=32, lr=2e-3, clip_norm=5.0, val_fraction=0.1, seed=0, epochs=100)


def corpus() -> str:
    files = [*sorted(glob.glob(f"{DOC}/usr_*.txt")), f"{DOC}/options.txt"]
    if not Path(files[-1]).exists():
        raise SystemExit(f"{DOC} not found: install the Debian package vim-runtime.")
    return "".join(Path(f).read_text(encoding="utf-8") for f in files)


class PlainLM(nn.Module):
    """Embedding -> nn.LSTM -> Linear, written directly in PyTorch."""

    def __init__(self, vocab: int, emb: int, hidden: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        out, state = self.lstm(self.embedding(x), state)
        return self.head(out), state


def plain_from(lm_model: nn.Module, vocab: int) -> PlainLM:
    """A PlainLM holding the same weights as seqlab's freshly built model."""
    m = PlainLM(vocab, CFG["embedding_dim"], CFG["hidden_size"])
    inner = getattr(lm_model, "tagger", lm_model)
    emb = lm_model.embedding if hasattr(lm_model, "embedding") else inner.embedding
    with torch.no_grad():
        m.embedding.weight.copy_(emb.weight)
        m.lstm.load_state_dict(to_torch(inner.rnn).state_dict())
        m.head.load_state_dict(inner.head.state_dict())
    return m


def plain_train(model: PlainLM, data: torch.Tensor, steps: int) -> tuple[float, float]:
    """Stateful TBPTT for ``steps`` steps (wrapping to a new epoch); returns (wall, CPU)
    seconds of the loop."""
    opt = torch.optim.Adam(model.parameters(), lr=CFG["lr"])
    bptt, done = CFG["bptt"], 0
    model.train()
    t0, c0 = time.perf_counter(), time.process_time()
    while done < steps:
        state = None
        for i in range(0, data.shape[1] - 1, bptt):
            if done >= steps:
                break
            y = data[:, i + 1 : i + 1 + bptt]
            x = data[:, i : i + y.shape[1]]
            if state is not None:
                state = tuple(s.detach() for s in state)
            logits, state = model(x, state)
            loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                               y.reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), CFG["clip_norm"])
            opt.step()
            float(loss.detach())  # as seqlab reads the loss for its progress report
            done += 1
    return time.perf_counter() - t0, time.process_time() - c0


@torch.no_grad()
def plain_bits(model: PlainLM, ids: np.ndarray, chunk: int = 512) -> float:
    model.eval()
    data = torch.as_tensor(ids, dtype=torch.long)[None, :]
    total, state = 0.0, None
    for i in range(0, data.shape[1] - 1, chunk):
        y = data[:, i + 1 : i + 1 + chunk]
        logits, state = model(data[:, i : i + y.shape[1]], state)
        total += float(nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                   y.reshape(-1), reduction="sum"))
    return total / (data.shape[1] - 1) / math.log(2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=600, help="steps of the bits/char runs")
    ap.add_argument("--repeats", type=int, default=5, help="interleaved timing rounds")
    ap.add_argument("--timing-steps", type=int, default=60, help="steps per timing round")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1: the CPU is "
                    "shared)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    text = corpus()
    vocab = CharVocab(text)
    ids = vocab.encode(text)
    split = len(ids) - round(CFG["val_fraction"] * len(ids))
    data = batchify(ids[:split], CFG["batch_size"])
    print(f"corpus: {len(text)} chars, {len(vocab)} distinct; train {split}, val "
          f"{len(ids) - split}; {args.steps} steps of batch {CFG['batch_size']} x bptt "
          f"{CFG['bptt']}; torch threads {torch.get_num_threads()}")

    def seqlab_run(steps: int) -> tuple[TextLanguageModel, float, float]:
        lm = TextLanguageModel(**CFG, max_steps=steps).fit(text)
        assert lm.n_steps_ == steps
        return lm, lm.train_seconds_, lm.train_cpu_seconds_

    def plain_run(steps: int) -> tuple[PlainLM, float, float]:
        proto = TextLanguageModel(**CFG)
        model = plain_from(proto._build(len(vocab)), len(vocab))
        return (model, *plain_train(model, data, steps))

    # timing: rounds alternating which goes first, so both see the same machine load;
    # steps/s = steps / CPU seconds of the training loop (wall clock kept for reference)
    runs: dict[str, list[tuple[int, float, float]]] = {"pytorch": [], "seqlab": []}
    plain_run(2)  # warm-up: torch's first optimiser step imports and compiles (once/process)
    for r in range(args.repeats):
        order = [("pytorch", plain_run), ("seqlab", seqlab_run)]
        for name, fn in order if r % 2 == 0 else order[::-1]:
            _, wall, cpu = fn(args.timing_steps)  # type: ignore[operator]
            runs[name].append((args.timing_steps, wall, cpu))
    plain, wall, cpu = plain_run(args.steps)
    runs["pytorch"].append((args.steps, wall, cpu))
    plain_bpc = plain_bits(plain, ids[split:])
    lm, wall, cpu = seqlab_run(args.steps)
    runs["seqlab"].append((args.steps, wall, cpu))
    res: dict[str, object] = {
        "corpus": "vim-runtime 9.0 doc: usr_*.txt + options.txt", "chars": len(text),
        "config": CFG, "steps": args.steps, "torch_threads": torch.get_num_threads(),
        "timing_rounds": args.repeats, "timing_steps": args.timing_steps,
        "machine": platform.processor() or platform.machine(),
    }
    bpc = {"pytorch": plain_bpc, "seqlab": lm.val_bits_per_char_}
    sps = {}
    for k, rows in runs.items():
        steps = sum(r[0] for r in rows)
        sps[k] = steps / sum(r[2] for r in rows)
        res[k] = {"val_bits_per_char": bpc[k], "steps_per_cpu_s": sps[k],
                  "steps_per_wall_s": steps / sum(r[1] for r in rows),
                  "runs_steps_wall_cpu": rows}
    per_round = sorted((s[0] / s[2]) / (p[0] / p[2])
                       for s, p in zip(runs["seqlab"], runs["pytorch"], strict=True))
    res["bpc_ratio"] = bpc["seqlab"] / bpc["pytorch"]
    res["speed_ratio"] = sps["seqlab"] / sps["pytorch"]
    res["speed_ratio_per_round_median"] = per_round[len(per_round) // 2]
    print(f"{'':10} {'val bits/char':>14} {'steps/CPU-s':>12} {'steps/wall-s':>13}")
    for k in ("pytorch", "seqlab"):
        d: dict = res[k]  # type: ignore[assignment]
        print(f"{k:10} {d['val_bits_per_char']:>14.4f} {d['steps_per_cpu_s']:>12.2f} "
              f"{d['steps_per_wall_s']:>13.2f}")
    print(f"seqlab / pytorch: bits/char {res['bpc_ratio']:.4f} (goal <= 1.02), steps/s "
          f"{res['speed_ratio']:.3f} (median of rounds {res['speed_ratio_per_round_median']:.3f};"
          " goal >= 0.95)")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
