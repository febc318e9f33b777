"""CpG islands: Durbin 8-state HMM (Viterbi) vs the Gardiner-Garden & Frommer rule.

Real human sequences available offline, all from the Biopython test data (Debian package
``python-biopython-doc``, ``/usr/share/doc/python-biopython-doc/Tests/``):

- ``codonalign/egfr_nucl.fa.gz``: EGFR mRNA NM_005228.3 (5,616 bp);
- ``Blat/hg38.fa.gz``: two genomic regions of GRCh38, chr13:75,549,820-75,605,809
  (55,989 bp) and chr4:41,257,605-41,263,290 (5,685 bp);
- ``BWA/human_g1k_v37_truncated.fasta.gz``: the first 239,940 bp of chromosome 1
  (GRCh37; it starts with 10 kb of N, which the HMM skips and the rule never calls).

Reports, per sequence, base-level Jaccard and the share of rule islands the HMM overlaps,
also for the rule islands that meet Takai & Jones's stricter criteria (PNAS 2002: length
>= 500, GC >= 0.55, CpG obs/exp >= 0.65; the 1987 rule also accepts Alu-like GC-rich
stretches);
writes benchmarks/results/cpg_islands.json. Run: PYTHONPATH=src python benchmarks/cpg_islands.py
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from seqlab.classical.hmm_cpg import base_jaccard, cpg_islands, gardiner_garden_islands
from seqlab.data.seqfiles import read_sequence_records

TESTS = Path("/usr/share/doc/python-biopython-doc/Tests")
SOURCES = [
    ("codonalign/egfr_nucl.fa.gz", "gi|41327737|ref|NM_005228.3|",
     "Homo sapiens EGFR mRNA NM_005228.3"),
    ("Blat/hg38.fa.gz", "chr13:75549820-75605809", "human genomic, GRCh38 chr13:75.55-75.61 Mb"),
    ("Blat/hg38.fa.gz", "chr4:41257605-41263290", "human genomic, GRCh38 chr4:41.258-41.263 Mb"),
    ("BWA/human_g1k_v37_truncated.fasta.gz", "1", "human genomic, GRCh37 chr1:1-239,940"),
]


def evaluate(seq: str, label: str) -> dict:
    t0 = time.perf_counter()
    hmm = cpg_islands(seq, min_length=50)
    t_hmm = time.perf_counter() - t0
    rule = gardiner_garden_islands(seq)
    hit = [any(min(e, he) > max(s, hs) for hs, he in zip(hmm.start, hmm.end))
           for s, e in zip(rule.start, rule.end)]
    strong = ((rule.length >= 500) & (rule.gc >= 0.55) & (rule.cpg_oe >= 0.65)).tolist()
    return {
        "sequence": label,
        "length": len(seq),
        "hmm_islands": hmm.astype(object).to_dict(orient="records"),
        "rule_islands": rule.astype(object).to_dict(orient="records"),
        "base_jaccard": base_jaccard(hmm, rule, len(seq)),
        "rule_islands_found": sum(hit), "rule_islands_total": len(rule),
        "strong_rule_islands_found": sum(h and k for h, k in zip(hit, strong)),
        "strong_rule_islands_total": sum(strong),
        "hmm_median_length": float(hmm.length.median()) if len(hmm) else 0.0,
        "hmm_seconds": t_hmm,
    }


def main() -> None:
    results = []
    for path, record, label in SOURCES:
        seq = read_sequence_records(TESTS / path)[record].upper()
        r = evaluate(seq, f"{label} (Biopython test data {path})")
        results.append(r)
        print(f"{label:<46} {r['length']:>8,} bp  HMM {len(r['hmm_islands']):>3} islands "
              f"(median {r['hmm_median_length']:.0f} bp)  rule {r['rule_islands_total']:>3}  "
              f"found {r['rule_islands_found']:>3}  Jaccard {r['base_jaccard']:.3f}  strong "
              f"found {r['strong_rule_islands_found']}/{r['strong_rule_islands_total']}")
    out = Path(__file__).parent / "results" / "cpg_islands.json"
    out.write_text(json.dumps(results, indent=1, default=float) + "\n")


if __name__ == "__main__":
    main()
