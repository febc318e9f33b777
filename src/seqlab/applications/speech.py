"""Speech: Japanese Vowels speaker classification, and spoken digits when espeak-ng is here.

- ``vowels``: :func:`seqlab.data.load_japanese_vowels` (9 speakers, 12 LPC cepstrum
  coefficients per frame, 7–29 frames), the published split: 270 training and 370 test
  utterances (Kudo et al. 1999). Metric: test accuracy.
- ``digits``: :func:`seqlab.data.spoken_digits` synthesises ``budget.digits_per_class``
  clips per digit with ``espeak-ng`` + ``sox`` (random voice, speed, pitch; seeded) as MFCC
  frames; the first 70 % of the clips train, the last 30 % test. Skipped, with a note, when
  the tools are missing.

Models: ``centroid`` (each utterance's mean frame, nearest class mean: a memoryless
baseline), :class:`seqlab.reservoir.ESNClassifier` (``esn``), and pattern-3
:class:`seqlab.recurrent.SequenceClassifier` with GRU or LSTM cells on the padded frames
(``gru``, ``lstm``; the state at each sequence's last valid frame is read out).
"""

from __future__ import annotations

import time

import numpy as np

from seqlab.applications._common import ModelResult, RunContext, TaskResult, balanced_accuracy
from seqlab.applications._neural import RNN_CELLS, RNN_IMPL, fit_network, predict_network
from seqlab.applications.report import plot_curves
from seqlab.exceptions import SeqlabValueError

__all__ = ["RUNNERS", "TASK_MODELS", "classify_sequences", "run_digits", "run_vowels"]

_MODELS = ("centroid", "esn", "gru", "lstm")
TASK_MODELS: dict[str, tuple[str, ...]] = {"vowels": _MODELS, "digits": _MODELS}


def classify_sequences(ctx: RunContext, train, test, res: TaskResult, tag: str) -> None:
    """Fit every model of ``ctx.models`` on the :class:`~seqlab.data.SequenceSet`
    ``train``, score it on ``test`` and append the rows (and learning curves) to ``res``."""
    from seqlab.data import pad_sequences
    from seqlab.recurrent import SequenceClassifier
    from seqlab.reservoir import ESNClassifier

    b = ctx.budget
    allf = np.concatenate(train.sequences)
    mu, sd = allf.mean(0), allf.std(0) + 1e-12
    Xtr = [(s - mu) / sd for s in train.sequences]
    Xte = [(s - mu) / sd for s in test.sequences]
    ytr, yte = train.labels, test.labels
    n_classes = int(max(ytr.max(), yte.max())) + 1
    curves = {}
    for name in ctx.models:
        ctx.tick(name)
        start = time.perf_counter()
        if name == "centroid":
            Mtr = np.stack([x.mean(0) for x in Xtr])
            Mte = np.stack([x.mean(0) for x in Xte])
            cent = np.stack([Mtr[ytr == c].mean(0) if (ytr == c).any() else
                             np.full(Mtr.shape[1], np.inf) for c in range(n_classes)])
            pred = np.argmin(((Mte[:, None, :] - cent[None]) ** 2).sum(-1), axis=1)
        elif name == "esn":
            clf = ESNClassifier(b.esn_units, spectral_radius=0.9, leak_rate=0.2,
                                input_scaling=0.3, features="mean_last", ridge=1e-2,
                                seed=ctx.seed).fit(Xtr, ytr)
            pred = clf.predict(Xte)
        elif name in RNN_CELLS:
            rng = np.random.default_rng(ctx.seed)
            perm = rng.permutation(len(Xtr))  # utterances are exchangeable: random val
            n_val = max(1, len(Xtr) // 7)
            P, L = pad_sequences(Xtr)
            Pt, Lt = pad_sequences(Xte)
            v, f = perm[:n_val], perm[n_val:]
            net = SequenceClassifier(train.n_features, b.hidden, n_classes,
                                     cell=RNN_CELLS[name], seed=ctx.seed,
                                     impl=RNN_IMPL)
            tl, vl, _ = fit_network(net, (P[f], ytr[f], L[f]), (P[v], ytr[v], L[v]),
                                    epochs=b.epochs, loss="cross_entropy",
                                    seed=ctx.seed, lr=5e-3, batch_size=16)
            curves[name] = (tl, vl)
            pred = np.argmax(predict_network(net, Pt, Lt), axis=1)
        else:  # pragma: no cover - filtered by the runner
            raise SeqlabValueError(f"unknown model {name!r}")
        seconds = time.perf_counter() - start
        res.rows.append(ModelResult(name, {"accuracy": float(np.mean(pred == yte)),
                                           "balanced_acc": balanced_accuracy(yte, pred)},
                                    seconds))
    if curves:
        res.figures.append(("Learning curves (cross-entropy)", plot_curves(
            ctx.out_dir / f"{tag}_learning.png", curves, title=f"{tag}: training",
            ylabel="cross-entropy")))


def run_vowels(ctx: RunContext) -> TaskResult:
    """Japanese Vowels on the published split; metric: test accuracy."""
    from seqlab.data import load_japanese_vowels

    train, test = load_japanese_vowels("train"), load_japanese_vowels("test")
    res = TaskResult("vowels", "Japanese Vowels: speaker classification",
                     f"{len(train)} training and {len(test)} test utterances (the published "
                     "split), 9 speakers, 12 LPC cepstrum coefficients per frame.",
                     "accuracy", True)
    classify_sequences(ctx, train, test, res, "vowels")
    return res


def run_digits(ctx: RunContext) -> TaskResult:
    """Synthesised spoken digits (espeak-ng); metric: test accuracy."""
    from seqlab.data import spoken_digits
    from seqlab.exceptions import MissingDependencyError

    n = ctx.budget.digits_per_class
    res = TaskResult("digits", "Spoken digits (espeak-ng): digit classification",
                     f"{10 * n} synthesised clips (random voice, speed, pitch; seed "
                     f"{ctx.seed}), 13 MFCCs per 10-ms frame; first 70 % train, last 30 % "
                     "test.", "accuracy", True)
    try:
        data = spoken_digits(n, seed=ctx.seed)
    except MissingDependencyError as err:
        res.skipped.append(f"spoken digits need espeak-ng and sox ({err})")
        for _ in ctx.models:
            ctx.tick("skipped")
        return res
    cut = int(0.7 * len(data))
    classify_sequences(ctx, data[:cut], data[cut:], res, "digits")
    return res


RUNNERS = {"vowels": run_vowels, "digits": run_digits}
