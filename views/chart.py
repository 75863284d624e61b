"""The digest chart: share of TPS that filed each kind, per region, readable on a phone.

About 1080 px wide, large type, one group of bars per region (at most `MAX_REGIONS`, the
worst first, so the picture stays legible however large the desk). matplotlib is imported
lazily with the Agg backend: nothing opens a window and start-up stays fast.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from domain.figures import COVERAGE_KINDS, Figures, worst_rows

MAX_REGIONS = 30
WIDTH_PX = 1080
DPI = 120
COLOURS = {"logistik": "#1f77b4", "siap": "#2ca02c", "banjir": "#17becf", "sinyal": "#9467bd"}


def render_chart(figures: Figures, *, labels: dict[str, str], title: str) -> bytes:
    """A PNG of the filed share per kind per region."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    rows = worst_rows(figures, MAX_REGIONS)
    kinds: Sequence[str] = COVERAGE_KINDS
    bar = 0.8 / len(kinds)
    height_in = max(5.0, 1.4 + len(rows) * (0.22 * len(kinds) + 0.25))
    fig, ax = plt.subplots(figsize=(WIDTH_PX / DPI, height_in), dpi=DPI)
    try:
        positions = range(len(rows))
        for index, kind in enumerate(kinds):
            ax.barh(
                [p + (index - (len(kinds) - 1) / 2) * bar for p in positions],
                [round(100 * r.share(kind), 1) for r in rows],
                height=bar,
                label=labels.get(kind, kind),
                color=COLOURS.get(kind),
            )
        ax.set_yticks(list(positions))
        ax.set_yticklabels([r.name[:22] for r in rows], fontsize=12)
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel("%", fontsize=13)
        ax.tick_params(axis="x", labelsize=12)
        ax.grid(axis="x", alpha=0.3)
        fig.suptitle(title, fontsize=15, x=0.02, ha="left")
        ax.legend(
            fontsize=12,
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            ncols=len(kinds),
            frameon=False,
        )
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", bbox_inches="tight")
    finally:
        plt.close(fig)
    return buffer.getvalue()
