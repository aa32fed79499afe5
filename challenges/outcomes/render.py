"""The outcomes figures as a PDF (reportlab, the report fonts of challenges.reports) and as CSV.

Both read only the frozen selectors.Figures and the words describing the filters; the PDF draws each chart as
bars with its table beside it, as the page does.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from challenges.outcomes.selectors import Bar, Figures
from challenges.reports import fonts

MARGIN = 18 * mm
CHART_WIDTH = 80 * mm
BAR_HEIGHT = 5 * mm
BAR_COLOUR = colors.HexColor("#1f5f8b")


def sections(figures: Figures) -> list[tuple[str, tuple[Bar, ...], str]]:
    """(title, bars, unit) of each chart, in the order the page shows them."""
    return [
        ("Outcomes", figures.outcomes, "challenges"),
        ("Reactions by grade", figures.grades, "challenges"),
        ("Reactions by dose step (the step that elicited)", figures.steps, "challenges"),
        ("Time from dose to first symptom", figures.onset, "challenges"),
        (
            "Adrenaline and home plans",
            (
                Bar("Challenges with adrenaline", figures.adrenaline_challenges),
                Bar("Adrenaline doses given", figures.adrenaline_doses),
                Bar("Home plans", figures.home_plans),
                Bar("Home plans paused", figures.paused_plans),
                Bar("Pauses", figures.pauses),
                Bar("Home plans resumed", figures.resumed_plans),
            ),
            "",
        ),
    ]


def outcomes_csv(figures: Figures, scope: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["selection", scope])
    writer.writerow(["figure", "label", "count"])
    writer.writerow(["Challenges done", "all", figures.done])
    for title, bars, _unit in sections(figures):
        for bar in bars:
            writer.writerow([title, bar.label, bar.count])
    return out.getvalue().encode("utf-8")


def table_csv(header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _styles() -> dict[str, ParagraphStyle]:
    fonts.register()
    return {
        "title": ParagraphStyle("title", fontName=fonts.BOLD, fontSize=16, leading=20, spaceAfter=4),
        "heading": ParagraphStyle("heading", fontName=fonts.BOLD, fontSize=12, leading=15, spaceBefore=8),
        "body": ParagraphStyle("body", fontName=fonts.REGULAR, fontSize=9.5, leading=12),
    }


def _chart(bars: Sequence[Bar]) -> Drawing:
    largest = max((bar.count for bar in bars), default=0)
    height = max(len(bars), 1) * (BAR_HEIGHT + 2)
    drawing = Drawing(CHART_WIDTH, height)
    span = CHART_WIDTH - 14 * mm
    for n, bar in enumerate(bars):
        y = height - (n + 1) * (BAR_HEIGHT + 2)
        length = span * bar.count / largest if largest else 0
        drawing.add(Rect(0, y, length, BAR_HEIGHT, fillColor=BAR_COLOUR, strokeColor=None))  # type: ignore[arg-type]
        drawing.add(String(length + 3, y + 1.5 * mm, str(bar.count), fontName=fonts.REGULAR, fontSize=8))
    return drawing


def _table(bars: Sequence[Bar], styles: dict[str, ParagraphStyle]) -> Table:
    rows = [[Paragraph(fonts.markup(bar.label), styles["body"]), str(bar.count)] for bar in bars]
    table = Table(rows or [["None", "0"]], colWidths=[60 * mm, 16 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), fonts.REGULAR),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
            ]
        )
    )
    return table


def outcomes_pdf(figures: Figures, *, clinic: str, scope: str) -> bytes:
    styles = _styles()
    story: list = [
        Paragraph(fonts.markup(f"Outcomes: {clinic}"), styles["title"]),
        Paragraph(fonts.markup(scope), styles["body"]),
        Paragraph(fonts.markup(f"Challenges done: {figures.done}"), styles["body"]),
    ]
    for title, bars, _unit in sections(figures):
        story += [Paragraph(fonts.markup(title), styles["heading"]), Spacer(1, 2 * mm)]
        side_by_side = Table([[_table(bars, styles), _chart(bars)]], colWidths=[80 * mm, CHART_WIDTH])
        side_by_side.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.append(side_by_side)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, title=f"Outcomes: {clinic}")
    doc.build(story)
    return buffer.getvalue()
