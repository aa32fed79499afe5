"""Charts as SVG drawn on the server: horizontal bars, one per row of the table shown beside the chart.

Accessible by construction: role="img", a <title> and a <desc> that says in words what the bars show, and every
text escaped. No script and no inline style (the strict CSP); colours are attributes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from django.utils.safestring import SafeString, mark_safe

from challenges.outcomes.selectors import Bar

WIDTH = 560
LABEL_WIDTH = 170
BAR_HEIGHT = 22
GAP = 8
TOP = 8
BAR_COLOUR = "#1f5f8b"  # 7.3:1 against white
TEXT_COLOUR = "#212529"


def describe(bars: Sequence[Bar], unit: str) -> str:
    """The chart in words: "Passed (tolerated): 40 challenges; Failed: 10 challenges." (or that it is empty)."""
    if not any(bar.count for bar in bars):
        return f"No {unit} in this selection."
    return "; ".join(f"{bar.label}: {bar.count} {unit}" for bar in bars) + "."


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar], *, unit: str = "challenges") -> SafeString:
    """A horizontal bar chart of the bars, scaled to the largest count."""
    largest = max((bar.count for bar in bars), default=0)
    span = WIDTH - LABEL_WIDTH - 60
    height = TOP * 2 + max(len(bars), 1) * (BAR_HEIGHT + GAP)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="outcome-chart" width="100%" '
        f'viewBox="0 0 {WIDTH} {height}" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f"data-testid={quoteattr(chart_id)}>",
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(describe(bars, unit))}</desc>',
    ]
    for n, bar in enumerate(bars):
        y = TOP + n * (BAR_HEIGHT + GAP)
        length = 0 if largest == 0 else max(1, math.floor(span * bar.count / largest)) if bar.count else 0
        middle = y + BAR_HEIGHT / 2 + 5
        parts += [
            f'<text x="{LABEL_WIDTH - 6}" y="{middle}" text-anchor="end" font-size="13" fill="{TEXT_COLOUR}">'
            f"{escape(_clip(bar.label))}</text>",
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" fill="{BAR_COLOUR}"/>',
            f'<text x="{LABEL_WIDTH + length + 6}" y="{middle}" font-size="13" fill="{TEXT_COLOUR}">{bar.count}</text>',
        ]
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped, every number is ours


def _clip(label: str, limit: int = 26) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
