"""CpG islands: Durbin 8-state HMM (Viterbi) vs the Gardiner-Garden & Frommer rule.

Real human sequence available offline: EGFR mRNA NM_005228.3 (5,616 bp) from the
Biopython test data (Debian python-biopython-doc, Tests/codonalign/egfr_nucl.fa.gz).
Reports base-level Jaccard and the share of rule islands the HMM overlaps; writes
benchmarks/results/cpg_islands.json. Run: PYTHONPATH=src python benchmarks/cpg_islands.py
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from seqlab.classical.hmm_cpg import base_jaccard, cpg_islands, gardiner_garden_islands
from seqlab.data.seqfiles import read_sequence_records

SOURCE = "/usr/share/doc/python-biopython-doc/Tests/codonalign/egfr_nucl.fa.gz"
RECORD = "gi|41327737|ref|NM_005228.3|"


def main() -> None:
    seq = read_sequence_records(SOURCE)[RECORD].upper()
    t0 = time.perf_counter()
    hmm = cpg_islands(seq, min_length=50)
    t_hmm = time.perf_counter() - t0
    rule = gardiner_garden_islands(seq)
    found = sum(
        any(min(e, he) > max(s, hs) for hs, he in zip(hmm.start, hmm.end))
        for s, e in zip(rule.start, rule.end))
    result = {
        "sequence": "Homo sapiens EGFR mRNA NM_005228.3 (Biopython test data)",
        "length": len(seq),
        "hmm_islands": hmm.astype(object).to_dict(orient="records"),
        "rule_islands": rule.astype(object).to_dict(orient="records"),
        "base_jaccard": base_jaccard(hmm, rule, len(seq)),
        "rule_islands_found": found, "rule_islands_total": len(rule),
        "hmm_seconds": t_hmm,
    }
    print(json.dumps(result, indent=1, default=float))
    out = Path(__file__).parent / "results" / "cpg_islands.json"
    out.write_text(json.dumps(result, indent=1, default=float) + "\n")


if __name__ == "__main__":
    main()
