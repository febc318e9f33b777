"""Real-data tasks for the hidden Markov models: DNA "islands" and Seattle weather regimes.

1. :func:`dna_islands`: a two-state categorical HMM ("island" vs "background", in the
   spirit of Durbin et al. 1998, "Biological Sequence Analysis", ch. 3, CpG islands) is fitted
   by Baum–Welch to a real genome, decoded with Viterbi, and the decoded segments are compared
   with the annotated genes (the *Arabidopsis* chloroplast genome, NC_000932) or reported alone
   (the bacterial contig). Symbols are nucleotides (4) or overlapping dinucleotides (16, so
   the emission can see CpG steps directly).
2. :func:`weather_regimes`: a Gaussian HMM on standardised daily Seattle weather
   (log precipitation, temperatures, wind) whose decoded hidden states are compared with the
   recorded weather labels (contingency table, adjusted Rand index), next to the same
   emission model without memory (a Gaussian mixture: transitions fixed to uniform).

The data come from :mod:`seqlab.data` (imported when a task runs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.special import comb

from seqlab._validation import SeedLike, check_choice, check_int
from seqlab.classical.hmm_emissions import CategoricalHMM, GaussianHMM

__all__ = [
    "DnaIslandResult",
    "WeatherRegimeResult",
    "adjusted_rand_index",
    "dna_islands",
    "segments",
    "weather_regimes",
]


def segments(states: np.ndarray) -> pd.DataFrame:
    """Runs of equal values in ``states``: columns ``start``, ``end`` (exclusive), ``state``,
    ``length``.

    >>> segments(np.array([0, 0, 1, 1, 1, 0])).to_numpy().tolist()
    [[0, 2, 0, 2], [2, 5, 1, 3], [5, 6, 0, 1]]
    """
    states = np.asarray(states)
    if states.size == 0:
        return pd.DataFrame(columns=["start", "end", "state", "length"], dtype=np.int64)
    change = np.flatnonzero(np.diff(states)) + 1
    start = np.r_[0, change]
    end = np.r_[change, states.size]
    return pd.DataFrame({"start": start, "end": end, "state": states[start],
                         "length": end - start})


def adjusted_rand_index(a: Any, b: Any) -> float:
    """Adjusted Rand index of two labellings (Hubert & Arabie 1985): 1 = identical
    partitions, about 0 = chance agreement.

    >>> adjusted_rand_index([0, 0, 1, 1], [1, 1, 0, 0])
    1.0
    """
    _, ia = np.unique(np.asarray(a), return_inverse=True)
    _, ib = np.unique(np.asarray(b), return_inverse=True)
    table = np.zeros((ia.max() + 1, ib.max() + 1))
    np.add.at(table, (ia, ib), 1)
    n = ia.size
    sum_cells = comb(table, 2).sum()
    sum_a, sum_b = comb(table.sum(axis=1), 2).sum(), comb(table.sum(axis=0), 2).sum()
    expected = sum_a * sum_b / comb(n, 2)
    top = 0.5 * (sum_a + sum_b)
    return 1.0 if top == expected else float((sum_cells - expected) / (top - expected))


@dataclass
class DnaIslandResult:
    """What :func:`dna_islands` found.

    ``segments`` has one row per decoded run (``start``, ``end`` 0-based half-open,
    ``state`` 1 = island, ``length``, ``gc`` fraction, and ``gene_fraction`` when genes are
    known). ``gene_enrichment`` = P(gene | island) / P(gene | background).
    """

    genome: str
    model: CategoricalHMM
    states: np.ndarray  # (T,) 1 = island (the GC-richer state), 0 = background
    segments: pd.DataFrame
    gc_island: float
    gc_background: float
    island_fraction: float
    gene_fraction_island: float | None = None
    gene_fraction_background: float | None = None

    @property
    def gene_enrichment(self) -> float | None:
        if self.gene_fraction_island is None or not self.gene_fraction_background:
            return None
        return self.gene_fraction_island / self.gene_fraction_background

    def summary(self) -> str:
        """A few lines for the command line."""
        isl = self.segments[self.segments.state == 1]
        median = int(isl.length.median()) if len(isl) else 0
        lines = [
            f"{self.genome}: {len(self.states):,} bp, {len(isl)} island segment(s) covering "
            f"{self.island_fraction:.1%} (median length {median} bp); GC "
            f"{self.gc_island:.1%} in islands vs {self.gc_background:.1%} elsewhere",
        ]
        if self.gene_fraction_island is not None:
            lines.append(
                f"annotated genes cover {self.gene_fraction_island:.1%} of island bases vs "
                f"{self.gene_fraction_background:.1%} of background bases "
                f"(enrichment {self.gene_enrichment:.2f})"
            )
        return "\n".join(lines)


def dna_islands(
    genome: Literal["chloroplast", "contig"] = "chloroplast",
    *,
    features: Literal["nucleotide", "dinucleotide"] = "nucleotide",
    sequence: str | None = None,
    n_iter: int = 50,
    seed: SeedLike = 0,
) -> DnaIslandResult:
    """Fit a two-state "island vs background" HMM to real DNA and decode it.

    Baum–Welch starts from a GC-poor background state and a GC-rich island state with
    persistent transitions (mean run 1,000 and 100 bases; held fixed for dinucleotide
    symbols, whose overlap would otherwise teach EM base-to-base switching); Viterbi then
    gives the segments.
    ``sequence`` overrides the bundled genome (any A/C/G/T string; ambiguity codes are
    replaced at random with ``seed``).

    >>> r = dna_islands(sequence="AT" * 300 + "GC" * 200 + "AT" * 300, n_iter=5)
    >>> r.segments[["start", "end", "state"]].to_numpy().tolist()
    [[0, 600, 0], [600, 1000, 1], [1000, 1600, 0]]
    """
    from seqlab.data import encode_dna

    check_choice(genome, "genome", ("chloroplast", "contig"))
    check_choice(features, "features", ("nucleotide", "dinucleotide"))
    n_iter = check_int(n_iter, "n_iter", minimum=1)
    gene_mask = None
    name: str = genome if sequence is None else "sequence"
    if sequence is None:
        from seqlab.data import load_chloroplast, load_contig

        if genome == "chloroplast":
            record = load_chloroplast()
            sequence, gene_mask = record.sequence, record.gene_mask
        else:
            sequence = load_contig()
    bases = encode_dna(sequence, ambiguous="random", seed=seed).astype(np.int64)
    gc = np.isin(bases, (1, 2))
    at_rich, gc_rich = np.array([0.3, 0.2, 0.2, 0.3]), np.array([0.2, 0.3, 0.3, 0.2])
    if features == "dinucleotide":  # symbol = 4 * previous base + base; first base: itself
        symbols = np.r_[bases[0] * 5, 4 * bases[:-1] + bases[1:]]
        emit = np.array([np.outer(at_rich, at_rich).ravel(), np.outer(gc_rich, gc_rich).ravel()])
    else:
        symbols, emit = bases, np.array([at_rich, gc_rich])
    # overlapping dinucleotides break the HMM's independence assumption and EM then learns
    # base-to-base switching; holding the transitions at the persistent start keeps segments
    fixed = ("transmat",) if features == "dinucleotide" else ()
    model = CategoricalHMM(2, n_features=emit.shape[1], n_iter=n_iter, tol=1e-3,
                           init_params=(), fixed=fixed, seed=seed)
    model.startprob_ = np.array([0.5, 0.5])
    model.transmat_ = np.array([[0.999, 0.001], [0.01, 0.99]])
    model.emissionprob_ = emit
    model.fit(symbols)
    states = model.predict(symbols)
    if gc[states == 1].mean() < gc[states == 0].mean() if (states == 1).any() else False:
        states = 1 - states  # keep 1 = the GC-richer state
    segs = segments(states)
    csum = np.r_[0, np.cumsum(gc)]
    segs["gc"] = (csum[segs.end] - csum[segs.start]) / segs.length
    result = DnaIslandResult(
        genome=name, model=model, states=states, segments=segs,
        gc_island=float(gc[states == 1].mean()) if (states == 1).any() else float("nan"),
        gc_background=float(gc[states == 0].mean()) if (states == 0).any() else float("nan"),
        island_fraction=float((states == 1).mean()),
    )
    if gene_mask is not None:
        gsum = np.r_[0, np.cumsum(gene_mask)]
        segs["gene_fraction"] = (gsum[segs.end] - gsum[segs.start]) / segs.length
        result.gene_fraction_island = float(gene_mask[states == 1].mean())
        result.gene_fraction_background = float(gene_mask[states == 0].mean())
    return result


@dataclass
class WeatherRegimeResult:
    """What :func:`weather_regimes` found: decoded states against the recorded labels."""

    model: GaussianHMM
    states: np.ndarray  # (n_days,)
    labels: pd.Series  # recorded weather label per day
    contingency: pd.DataFrame  # states x labels, day counts
    ari: float  # adjusted Rand index, HMM states vs labels
    ari_mixture: float  # the same emissions without memory (transitions uniform, fixed)
    state_means: pd.DataFrame  # per state, the mean of each raw variable

    def summary(self) -> str:
        """A few lines for the command line."""
        return (
            f"{self.model.n_components} hidden regimes over {len(self.states)} days; "
            f"adjusted Rand index vs recorded labels: HMM {self.ari:.3f}, "
            f"memoryless mixture {self.ari_mixture:.3f}\n"
            f"days per state and label:\n{self.contingency.to_string()}\n"
            f"state means:\n{self.state_means.round(2).to_string()}"
        )


def weather_regimes(
    n_states: int = 3, *, covariance_type: str = "full", n_iter: int = 200, seed: SeedLike = 0
) -> WeatherRegimeResult:
    """Hidden weather regimes of Seattle 2012–2015, compared with the recorded labels.

    Features per day: ``log1p(precipitation)``, ``temp_max``, ``temp_min``, ``wind``, each
    standardised. A :class:`GaussianHMM` with ``n_states`` states is fitted (k-means start,
    ``seed``) and Viterbi-decoded; the contingency table counts days per (state, label).

    >>> r = weather_regimes(2, covariance_type="diag", n_iter=30)
    >>> int(r.contingency.to_numpy().sum()), r.ari > 0.2
    (1461, True)
    """
    from seqlab.data import load_seattle_weather

    n_states = check_int(n_states, "n_states", minimum=1)
    df = load_seattle_weather()
    raw = df[["precipitation", "temp_max", "temp_min", "wind"]].copy()
    feats = raw.assign(precipitation=np.log1p(raw.precipitation)).to_numpy()
    X = (feats - feats.mean(axis=0)) / feats.std(axis=0)
    model = GaussianHMM(n_states, covariance_type=covariance_type, n_iter=n_iter, tol=1e-4,
                        seed=seed).fit(X)
    states = model.predict(X)
    mixture = GaussianHMM(n_states, covariance_type=covariance_type, n_iter=n_iter, tol=1e-4,
                          seed=seed, init_params=("means", "covars"),
                          fixed=("startprob", "transmat"))
    mixture.startprob_ = np.full(n_states, 1.0 / n_states)
    mixture.transmat_ = np.full((n_states, n_states), 1.0 / n_states)
    mix_states = mixture.fit(X).predict(X)
    labels = df["weather"]
    table = pd.crosstab(pd.Series(states, name="state", index=df.index), labels)
    return WeatherRegimeResult(
        model=model, states=states, labels=labels, contingency=table,
        ari=adjusted_rand_index(states, labels.cat.codes),
        ari_mixture=adjusted_rand_index(mix_states, labels.cat.codes),
        state_means=raw.groupby(states).mean().rename_axis("state"),
    )
