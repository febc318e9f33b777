"""The report every reproduction returns: the paper's figures beside ours, JSON and a plot."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Report", "Row"]


@dataclass
class Row:
    """One line of the comparison: a model/setting, what the paper reported, what we got."""

    setting: str
    paper: str  # the paper's figure, as it reports it ("1/2560 wrong after 74k seqs")
    ours: str  # our figure in the same terms
    result: dict[str, Any] = field(default_factory=dict)  # machine-readable details


@dataclass
class Report:
    """Result of one reproduction (``seqlab reproduce NAME``)."""

    name: str
    title: str
    source: str
    budget: str
    rows: list[Row]
    conclusion: str
    wall_time_s: float
    settings: dict[str, Any] = field(default_factory=dict)

    def table(self) -> str:
        """The comparison as fixed-width text: setting | paper | ours."""
        w1 = max(len("setting"), *(len(r.setting) for r in self.rows))
        w2 = max(len("paper"), *(len(r.paper) for r in self.rows))
        lines = [f"{self.title}  [{self.budget} budget, {self.wall_time_s:.0f} s]",
                 f"source: {self.source}",
                 f"{'setting':<{w1}}  {'paper':<{w2}}  ours",
                 f"{'-' * w1}  {'-' * w2}  {'-' * 30}"]
        lines += [f"{r.setting:<{w1}}  {r.paper:<{w2}}  {r.ours}" for r in self.rows]
        lines.append(f"=> {self.conclusion}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "title": self.title, "source": self.source,
            "budget": self.budget, "wall_time_s": round(self.wall_time_s, 2),
            "conclusion": self.conclusion, "settings": self.settings,
            "rows": [{"setting": r.setting, "paper": r.paper, "ours": r.ours, **r.result}
                     for r in self.rows],
        }

    def save(self, out_dir: str) -> tuple[str, str]:
        """Write ``<out_dir>/<name>-<budget>.json`` and ``.png``; return both paths."""
        os.makedirs(out_dir, exist_ok=True)
        stem = os.path.join(out_dir, f"{self.name}-{self.budget}")
        with open(stem + ".json", "w", encoding="utf-8") as fh:
            json.dump(self.as_dict(), fh, indent=1)
        self.plot(stem + ".png")
        return stem + ".json", stem + ".png"

    def plot(self, path: str) -> None:
        """Learning curves (test errors against training sequences) of every row that has one."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 4.5))
        drawn = False
        for r in self.rows:
            curve = r.result.get("curve")
            color = None
            for k, run in enumerate(r.result.get("runs", [])):  # several seeds: one colour
                if run.get("curve"):
                    seen = [c[0] for c in run["curve"]]
                    err = [max(c[1], 0.5) for c in run["curve"]]
                    color = ax.plot(seen, err, marker=".", label=r.setting if k == 0 else None,
                                    color=color)[0].get_color()
                    drawn = True
            if curve:
                seen = [c[0] for c in curve]
                err = [max(c[1], 0.5) for c in curve]  # 0 errors drawn at 0.5 on the log axis
                ax.plot(seen, err, marker=".", label=r.setting)
                drawn = True
            elif "test_errors" in r.result:
                ax.axhline(max(r.result["test_errors"], 0.5), ls="--", lw=1, label=r.setting)
                drawn = True
        if drawn:
            ax.set_yscale("log")
            ax.legend(fontsize="small")
        ax.set_xlabel("training sequences")
        ax.set_ylabel("wrong test sequences")
        ax.set_title(self.title, fontsize="medium")
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)
