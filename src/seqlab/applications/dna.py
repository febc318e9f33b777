"""Bioinformatics on the annotated *Arabidopsis* chloroplast genome (NC_000932, 154,478 bp).

Data: :func:`seqlab.data.load_chloroplast` (sequence and a per-base gene mask). The
held-out test region is bases 0..37,999, at the start of the large single-copy region: it
has no copy elsewhere in the genome (the inverted repeats IRa/IRb lie after it, both in the
training region), so training never sees the test bases or a duplicate of them.

- ``dna-islands``: the two-state "island vs background" categorical HMM of
  :func:`seqlab.classical.hmm_tasks.dna_islands` is fitted by Baum–Welch on the training
  region and Viterbi-decodes the test region; metric ``gene_enrichment`` =
  P(gene | island) / P(gene | background) on the test bases (1 = no relation). ``naive``
  thresholds the GC fraction of a 101-base moving window at the training GC fraction.
- ``dna-genes``: classify non-overlapping windows of ``budget.dna_window`` bases as gene
  (more than half the bases annotated) or non-gene. ``markov``: one order-3 Markov chain per
  class, likelihood ratio plus class prior; ``kmer``: 3-mer frequencies with a ridge
  classifier; ``esn``: :class:`seqlab.reservoir.ESNClassifier` on one-hot bases; ``gru``,
  ``lstm``: pattern-3 :class:`seqlab.recurrent.SequenceClassifier` on one-hot bases
  (reading out the time-mean of the hidden states; the decision subtracts the log class
  prior from the logits, as balanced accuracy asks).
  Metric: balanced accuracy on the test windows (0.5 = chance).
"""

from __future__ import annotations

import time

import numpy as np

from seqlab.applications._common import ModelResult, RunContext, TaskResult, balanced_accuracy
from seqlab.applications._neural import RNN_CELLS, RNN_IMPL, fit_network, predict_network
from seqlab.applications.report import plot_curves, plot_states
from seqlab.applications.text import MarkovChain
from seqlab.exceptions import SeqlabValueError

__all__ = ["RUNNERS", "TASK_MODELS", "TEST_REGION", "kmer_features", "run_genes",
           "run_islands"]

TASK_MODELS: dict[str, tuple[str, ...]] = {
    "dna-islands": ("naive", "hmm"),
    "dna-genes": ("markov", "kmer", "esn", "gru", "lstm"),
}
#: held-out bases [start, end) of the chloroplast genome
TEST_REGION: tuple[int, int] = (0, 38_000)


def _genome():
    from seqlab.data import encode_dna, load_chloroplast

    g = load_chloroplast()
    return encode_dna(g.sequence, ambiguous="random", seed=0).astype(np.int64), g.gene_mask


def _enrichment(island: np.ndarray, genes: np.ndarray) -> dict[str, float]:
    isl, bg = genes[island].mean() if island.any() else np.nan, \
        genes[~island].mean() if (~island).any() else np.nan
    return {"gene_enrichment": float(isl / bg) if bg else float("nan"),
            "island_fraction": float(island.mean()),
            "gene_frac_island": float(isl), "gene_frac_background": float(bg)}


def run_islands(ctx: RunContext) -> TaskResult:
    """HMM island/background decoding of the held-out region."""
    from seqlab.classical.hmm_tasks import dna_islands

    bases, genes = _genome()
    a, z = TEST_REGION
    te_b, te_g = bases[a:z], genes[a:z]
    tr_b = bases[z:]
    gc_tr = float(np.isin(tr_b, (1, 2)).mean())
    res = TaskResult("dna-islands", "Chloroplast DNA: HMM island/background decoding",
                     f"Two-state categorical HMM fitted on bases {z:,}..{bases.size:,}, "
                     f"Viterbi-decoded on the held-out bases {a:,}..{z:,}; `gene_enrichment` "
                     "= P(gene | island) / P(gene | background) there (1 = unrelated).",
                     "gene_enrichment", True)
    n_iter = {"tiny": 3, "quick": 20, "full": 100}.get(ctx.budget.name, 20)
    gc = np.isin(te_b, (1, 2)).astype(np.float64)
    smooth = np.convolve(gc, np.ones(101) / 101, mode="same")
    decoded = {}
    for name in ctx.models:
        ctx.tick(name)
        start = time.perf_counter()
        if name == "naive":
            island = smooth > gc_tr
        else:
            letters = "ACGT"
            fit = dna_islands(sequence="".join(letters[i] for i in tr_b), n_iter=n_iter,
                              seed=ctx.seed)
            model = fit.model
            gc_state = int(np.argmax(model.emissionprob_[:, 1:3].sum(axis=1)))
            island = model.predict(te_b) == gc_state
        seconds = time.perf_counter() - start
        decoded[name] = island
        res.rows.append(ModelResult(name, _enrichment(island, te_g), seconds))
    if "hmm" in decoded:
        n = min(20_000, te_b.size)
        res.figures.append(("Decoded islands vs annotated genes (first 20 kb of the test "
                            "region)", plot_states(
                                ctx.out_dir / "dna_islands.png", smooth[:n],
                                decoded["hmm"][:n].astype(int), title="Chloroplast test "
                                "region: GC fraction (101-bp window), HMM state, genes",
                                signal_label="GC fraction", reference=te_g[:n].astype(int),
                                reference_label="annotation",
                                state_names=["background", "island"],
                                reference_names=["non-gene", "gene"])))
    return res


def kmer_features(windows: np.ndarray, k: int = 3) -> np.ndarray:
    """Frequencies of the ``4**k`` k-mers in each row of ``windows`` (n, W) of base codes.

    >>> kmer_features(np.array([[0, 0, 0, 1]]), k=2)[0, [0, 1]].tolist()
    [0.6666666666666666, 0.3333333333333333]
    """
    n, W = windows.shape
    code = np.zeros((n, W - k + 1), dtype=np.int64)
    for j in range(k):
        code = code * 4 + windows[:, j:W - k + 1 + j]
    out = np.zeros((n, 4**k))
    np.add.at(out, (np.repeat(np.arange(n), code.shape[1]), code.ravel()), 1.0)
    return out / code.shape[1]


def _ridge_classifier(F: np.ndarray, y: np.ndarray, Ft: np.ndarray, lam: float = 1e-2
                      ) -> np.ndarray:
    mu, sd = F.mean(0), F.std(0) + 1e-12
    A = np.c_[(F - mu) / sd, np.ones(len(F))]
    T = np.where(y[:, None] == np.arange(2), 1.0, -1.0)
    W = np.linalg.solve(A.T @ A + lam * len(F) * np.eye(A.shape[1]), A.T @ T)
    return np.argmax(np.c_[(Ft - mu) / sd, np.ones(len(Ft))] @ W, axis=1)


def run_genes(ctx: RunContext) -> TaskResult:
    """Gene vs non-gene windows: baselines against reservoir and recurrent classifiers."""
    from seqlab.recurrent import SequenceClassifier
    from seqlab.reservoir import ESNClassifier

    b = ctx.budget
    bases, genes = _genome()
    W = b.dna_window
    a, z = TEST_REGION
    starts = np.arange(0, bases.size - W + 1, W)
    win = bases[starts[:, None] + np.arange(W)]
    lab = (genes[starts[:, None] + np.arange(W)].mean(1) > 0.5).astype(np.int64)
    test = starts + W <= z
    train_idx = np.flatnonzero(starts >= z)
    rng = np.random.default_rng(ctx.seed)
    if train_idx.size > b.dna_max_windows:
        train_idx = np.sort(rng.choice(train_idx, b.dna_max_windows, replace=False))
    n_val = max(1, train_idx.size // 7)
    fit_idx, val_idx = train_idx[:-n_val], train_idx[-n_val:]
    Xte, yte = win[test], lab[test]
    res = TaskResult("dna-genes", "Chloroplast DNA: gene vs non-gene windows",
                     f"{W}-base windows labelled gene when more than half their bases are "
                     f"annotated; {train_idx.size} training windows from bases {z:,}.., "
                     f"{int(test.sum())} test windows from the held-out bases {a:,}..{z:,} "
                     f"({yte.mean():.0%} gene). Metric: balanced accuracy (0.5 = chance).",
                     "balanced_acc", True)
    eye = np.eye(4, dtype=np.float32)
    curves = {}
    for name in ctx.models:
        ctx.tick(name)
        start = time.perf_counter()
        if name == "markov":
            chains = [MarkovChain(3, 4, alpha=1.0).fit(win[train_idx][lab[train_idx] == c]
                                                        .ravel()) for c in (0, 1)]
            prior = np.log(np.bincount(lab[train_idx], minlength=2) + 1.0)
            score = np.stack([[mc.log_probs(w).sum() for w in Xte] for mc in chains], 1)
            pred = np.argmax(score + prior, axis=1)
        elif name == "kmer":
            pred = _ridge_classifier(kmer_features(win[train_idx]), lab[train_idx],
                                     kmer_features(Xte))
        elif name == "esn":
            clf = ESNClassifier(b.esn_units, spectral_radius=0.9, leak_rate=0.3,
                                input_scaling=0.5, features="mean_last", ridge=1e-2,
                                seed=ctx.seed)
            clf.fit([eye[w] for w in win[train_idx]], lab[train_idx])
            pred = clf.predict([eye[w] for w in Xte])
        elif name in RNN_CELLS:
            # mean pooling: the time-mean of the states sees the whole window's composition
            net = SequenceClassifier(4, b.hidden, 2, cell=RNN_CELLS[name], seed=ctx.seed,
                                     impl=RNN_IMPL, pooling="mean")
            tl, vl, _ = fit_network(net, (eye[win[fit_idx]], lab[fit_idx]),
                                    (eye[win[val_idx]], lab[val_idx]),
                                    epochs=b.epochs, loss="cross_entropy", seed=ctx.seed,
                                    lr=1e-2)
            curves[name] = (tl, vl)
            # balanced decision (logit adjustment): remove the training class prior
            log_prior = np.log(np.bincount(lab[fit_idx], minlength=2) + 1.0)
            pred = np.argmax(predict_network(net, eye[Xte]) - log_prior, axis=1)
        else:  # pragma: no cover - filtered by the runner
            raise SeqlabValueError(f"unknown model {name!r}")
        seconds = time.perf_counter() - start
        res.rows.append(ModelResult(name, {"balanced_acc": balanced_accuracy(yte, pred),
                                           "accuracy": float(np.mean(pred == yte))}, seconds))
    if curves:
        res.figures.append(("Learning curves (cross-entropy)", plot_curves(
            ctx.out_dir / "dna_genes_learning.png", curves, title="gene windows: training",
            ylabel="cross-entropy")))
    return res


RUNNERS = {"dna-islands": run_islands, "dna-genes": run_genes}
