"""The digest's chart: the week's posts, impressions against members reached, with
the 1:1 and 1:5 lines drawn, so a post far above the 1:5 line (the same small
circle seeing it again and again) stands out at a glance.

Rendered headless (Agg) with fixed fonts, sizes and no timestamps in the file, so
the same digest gives the same pixels and a test can compare them.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from bot.digest.build import ChartPost

#: Inches at DPI: 960 × 600 pixels, readable in a Slack thread.
SIZE = (8.0, 5.0)
DPI = 120
_STYLE: Mapping[str, object] = {
    "font.family": "DejaVu Sans",  # shipped with matplotlib: the same glyphs everywhere
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "narrator",
    "path.simplify": False,
}
_COLOURS = ("#1f6feb", "#d97706", "#059669", "#9333ea", "#dc2626", "#0891b2")


def render_chart(
    posts: Sequence[ChartPost],
    *,
    title: str,
    x_label: str,
    y_label: str,
    line_labels: tuple[str, str],
) -> bytes:
    """The PNG bytes of the chart (words come from the caller's template)."""
    # matplotlib is imported here, when a chart is drawn: importing it takes over a
    # second, which a clock tick with no digest due (or a check-in) need not pay.
    import matplotlib

    matplotlib.use("Agg")  # before pyplot: no display, ever
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=SIZE, dpi=DPI)
        axes = figure.add_subplot()
        reach = [p.members_reached for p in posts]
        top = max([*reach, *(p.impressions / 5 for p in posts), 10.0]) * 1.15
        axes.set_xlim(0, top)
        axes.set_ylim(0, max([*(p.impressions for p in posts), top]) * 1.1)
        axes.plot([0, top], [0, top], color="#9ca3af", linewidth=1, linestyle="--")
        axes.plot([0, top], [0, 5 * top], color="#dc2626", linewidth=1.2, linestyle="-")
        axes.annotate(
            line_labels[0],
            (top * 0.97, top * 0.97),
            ha="right",
            va="bottom",
            color="#6b7280",
            fontsize=9,
        )
        y_top = axes.get_ylim()[1]
        axes.annotate(
            line_labels[1],
            (y_top / 5 * 0.97, y_top * 0.97),
            ha="right",
            va="top",
            color="#dc2626",
            fontsize=9,
        )
        accounts = sorted({p.account for p in posts})
        for index, account in enumerate(accounts):
            mine = [p for p in posts if p.account == account]
            axes.scatter(
                [p.members_reached for p in mine],
                [p.impressions for p in mine],
                s=60,
                color=_COLOURS[index % len(_COLOURS)],
                label=account,
                zorder=3,
            )
            for p in mine:
                axes.annotate(
                    f"#{p.number}",
                    (p.members_reached, p.impressions),
                    xytext=(6, 4),
                    textcoords="offset points",
                    fontsize=9,
                )
        # A legend of more accounts than colours would hide the chart, not explain it.
        if 1 < len(accounts) <= len(_COLOURS):
            axes.legend(loc="lower right", frameon=False, fontsize=9)
        axes.set_title(title, loc="left")
        axes.set_xlabel(x_label)
        axes.set_ylabel(y_label)
        axes.grid(True, color="#e5e7eb", linewidth=0.6)
        figure.tight_layout()
        out = io.BytesIO()
        # No Software or date chunk: identical inputs give identical bytes.
        figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()
