"""The ``seqlab arima --plot`` figure: the history, the forecast mean and one band per level."""

from __future__ import annotations

from typing import Any

__all__ = ["plot_forecast"]


def plot_forecast(path: str, y: Any, table: Any, levels: list[float], title: str) -> None:
    """Save the last (at most) 300 observations of ``y`` (a dated Series), the forecast mean
    of ``table`` (:func:`seqlab.cli.arima.forecast_table`) and its bands, wider ones paler."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    hist = y.iloc[-300:]
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(hist.index, hist.to_numpy(), color="k", lw=1, label=str(y.name or "series"))
    for i, lev in enumerate(sorted(levels, reverse=True)):
        ax.fill_between(table.index, table[f"lower_{lev:g}"], table[f"upper_{lev:g}"],
                        color="C0", alpha=0.15 + 0.15 * i, lw=0, label=f"{lev:g}% interval")
    ax.plot(table.index, table["mean"], color="C0", lw=1.5, label="forecast")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(str(y.index.name or "date"))
    ax.legend(loc="upper left")
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(str(path))
    plt.close(fig)
