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
    files = sorted(glob.glob(f"{DOC}/usr_*.txt")) + [f"{DOC}/options.txt"]
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


def plain_train(model: PlainLM, data: torch.Tensor, steps: int) -> float:
    """Stateful TBPTT for ``steps`` steps (wrapping to a new epoch); returns seconds."""
    opt = torch.optim.Adam(model.parameters(), lr=CFG["lr"])
    bptt, done = CFG["bptt"], 0
    model.train()
    t0 = time.perf_counter()
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
    return time.perf_counter() - t0


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
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--repeats", type=int, default=2, help="timing runs of --timing-steps")
    ap.add_argument("--timing-steps", type=int, default=100)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    text = corpus()
    vocab = CharVocab(text)
    ids = vocab.encode(text)
    split = len(ids) - round(CFG["val_fraction"] * len(ids))
    data = batchify(ids[:split], CFG["batch_size"])
    print(f"corpus: {len(text)} chars, {len(vocab)} distinct; train {split}, val "
          f"{len(ids) - split}; {args.steps} steps of batch {CFG['batch_size']} x bptt "
          f"{CFG['bptt']}; torch threads {torch.get_num_threads()}")

    def seqlab_run(steps: int) -> TextLanguageModel:
        return TextLanguageModel(**CFG, max_steps=steps).fit(text)

    def plain_run(steps: int) -> tuple[PlainLM, float]:
        proto = TextLanguageModel(**CFG)
        torch.manual_seed(CFG["seed"])
        model = plain_from(proto._build(len(vocab)), len(vocab))
        return model, plain_train(model, data, steps)

    timing: dict[str, list[float]] = {"pytorch": [], "seqlab": []}
    for _ in range(args.repeats):  # interleaved, so both see the same machine load
        timing["pytorch"].append(args.timing_steps / plain_run(args.timing_steps)[1])
        timing["seqlab"].append(args.timing_steps / seqlab_run(args.timing_steps).train_seconds_)
    plain, plain_sec = plain_run(args.steps)
    plain_bpc = plain_bits(plain, ids[split:])
    lm = seqlab_run(args.steps)
    assert lm.n_steps_ == args.steps
    timing["pytorch"].append(args.steps / plain_sec)
    timing["seqlab"].append(args.steps / lm.train_seconds_)
    sps = {k: max(v) for k, v in timing.items()}
    res = {
        "corpus": "vim-runtime usr_*.txt + options.txt", "chars": len(text),
        "config": CFG, "steps": args.steps, "torch_threads": torch.get_num_threads(),
        "machine": platform.processor() or platform.machine(),
        "pytorch": {"val_bits_per_char": plain_bpc, "steps_per_s": sps["pytorch"],
                    "steps_per_s_runs": timing["pytorch"]},
        "seqlab": {"val_bits_per_char": lm.val_bits_per_char_, "steps_per_s": sps["seqlab"],
                   "steps_per_s_runs": timing["seqlab"]},
        "bpc_ratio": lm.val_bits_per_char_ / plain_bpc,
        "speed_ratio": sps["seqlab"] / sps["pytorch"],
    }
    print(f"{'':10} {'val bits/char':>14} {'steps/s':>9}")
    for k in ("pytorch", "seqlab"):
        print(f"{k:10} {res[k]['val_bits_per_char']:>14.4f} {res[k]['steps_per_s']:>9.2f}")
    print(f"seqlab / pytorch: bits/char {res['bpc_ratio']:.4f} (goal <= 1.02), "
          f"steps/s {res['speed_ratio']:.3f} (goal >= 0.95)")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
