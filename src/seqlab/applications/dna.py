"""Bioinformatics on the annotated *Arabidopsis* chloroplast genome (NC_000932, 154,478 bp).

Data: :func:`seqlab.data.load_chloroplast` (sequence and a per-base gene mask). The
held-out test region of ``dna-genes`` is bases 0..37,999, at the start of the large
single-copy region: it has no copy elsewhere in the genome (the inverted repeats IRa/IRb
lie after it, both in the training region), so training never sees the test bases or a
duplicate of them.

- ``dna-islands``: CpG islands of the whole genome by the Durbin et al. 8-state HMM
  (:func:`seqlab.classical.hmm_cpg.cpg_islands`, published human parameters, nothing is
  fitted, so no base is held out) scored against the Gardiner-Garden & Frommer rule
  (:func:`~seqlab.classical.hmm_cpg.gardiner_garden_islands`: 200-bp windows with
  GC > 0.5 and CpG obs/exp > 0.6). Metric ``jaccard``: base-level Jaccard index of the
  predicted islands and the rule's; also ``rule_found`` (share of rule islands overlapped
  by a predicted island), the number and median length of the islands, and
  ``gene_enrichment`` = P(gene | island) / P(gene | background). ``naive`` thresholds
  the GC fraction of a 101-base moving window at the genome's GC fraction. The HMM's
  parameters are human (vertebrate DNA is CpG-depleted outside islands, a chloroplast is
  not), so on this plant genome it calls few islands, in the GC-rich rRNA operons, and
  the GC-window baseline, which the mostly GC-defined rule islands favour, scores higher;
  ``benchmarks/cpg_islands.py`` evaluates the model on human DNA.
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

__all__ = ["RUNNERS", "TASK_MODELS", "TEST_REGION", "island_scores", "kmer_features",
           "run_genes", "run_islands"]

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


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends (half-open) of the True runs of a bool mask."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return edges[0::2], edges[1::2]


def island_scores(island: np.ndarray, rule: np.ndarray) -> dict[str, float]:
    """Predicted island mask vs the rule's mask (both (n,) bool): base-level ``jaccard``
    (0 when neither has an island), ``rule_found`` (share of rule islands that a predicted
    island overlaps; nan without rule islands), ``n_islands`` and ``median_length``.

    >>> rule = np.zeros(10, bool); rule[2:5] = rule[7:9] = True
    >>> pred = np.zeros(10, bool); pred[3:6] = True
    >>> island_scores(pred, rule)
    {'jaccard': 0.3333333333333333, 'rule_found': 0.5, 'n_islands': 1.0, 'median_length': 3.0}
    """
    union = int((island | rule).sum())
    starts, ends = _runs(island)
    r_starts, r_ends = _runs(rule)
    found = [bool(island[s:e].any()) for s, e in zip(r_starts, r_ends)]
    return {"jaccard": float((island & rule).sum() / union) if union else 0.0,
            "rule_found": float(np.mean(found)) if found else float("nan"),
            "n_islands": float(starts.size),
            "median_length": float(np.median(ends - starts)) if starts.size else 0.0}


def run_islands(ctx: RunContext) -> TaskResult:
    """CpG islands of the whole genome (Durbin HMM, GC window) vs the rule's islands."""
    from seqlab.classical.hmm_cpg import cpg_viterbi, gardiner_garden_islands

    bases, genes = _genome()
    seq = "".join(np.array(list("ACGT"))[bases])
    rule = gardiner_garden_islands(seq)
    rule_mask = np.zeros(bases.size, dtype=bool)
    for s, e in zip(rule.start, rule.end):
        rule_mask[s:e] = True
    res = TaskResult("dna-islands", "Chloroplast DNA: CpG islands vs the Gardiner-Garden & "
                     "Frommer rule",
                     f"Durbin et al. 8-state CpG-island HMM (published parameters, Viterbi) "
                     f"on the whole genome ({bases.size:,} bases); the reference is the "
                     f"Gardiner-Garden & Frommer rule ({len(rule)} islands, "
                     f"{int(rule_mask.sum()):,} bases). `jaccard`: base-level Jaccard index "
                     "with the rule's islands; `rule_found`: share of rule islands overlapped.",
                     "jaccard", True)
    gc = np.isin(bases, (1, 2)).astype(np.float64)
    smooth = np.convolve(gc, np.ones(101) / 101, mode="same")
    decoded = {}
    for name in ctx.models:
        ctx.tick(name)
        start = time.perf_counter()
        if name == "naive":
            island = smooth > gc.mean()
        else:
            island = cpg_viterbi(seq)
        seconds = time.perf_counter() - start
        decoded[name] = island
        metrics = {**island_scores(island, rule_mask), **_enrichment(island, genes)}
        res.rows.append(ModelResult(name, metrics, seconds))
    if "hmm" in decoded:
        centre = int(rule.start[np.argmax(rule.length)]) if len(rule) else 0
        a = max(0, min(centre - 5_000, bases.size - 20_000))
        z = min(bases.size, a + 20_000)
        res.figures.append((f"Decoded CpG islands vs the rule (bases {a:,}..{z:,})",
                            plot_states(
                                ctx.out_dir / "dna_islands.png", smooth[a:z],
                                decoded["hmm"][a:z].astype(int), title="Chloroplast: GC "
                                "fraction (101-bp window), Durbin HMM, rule islands",
                                signal_label="GC fraction",
                                reference=rule_mask[a:z].astype(int),
                                reference_label="rule",
                                state_names=["background", "island"],
                                reference_names=["no island", "rule island"])))
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
