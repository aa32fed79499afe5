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
from reportlab.lib.units import mm
from reportlab.platypus import Flowable

from challenges.outcomes.selectors import Bar, Figures
from challenges.reports import fonts
from challenges.reports.pdf.document import DocumentInfo, Page, build_pdf, frame_width
from challenges.reports.pdf.flowables import cell, figure, p, plain, section
from challenges.reports.pdf.tables import Column, side_by_side, table

BAR_HEIGHT = 5 * mm
GAP = 6 * mm
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


def _chart(bars: Sequence[Bar], width: float) -> Drawing:
    largest = max((bar.count for bar in bars), default=0)
    height = max(len(bars), 1) * (BAR_HEIGHT + 2)
    drawing = Drawing(width, height, initialFontName=fonts.REGULAR, initialFontSize=8)
    span = width - 14 * mm
    for n, bar in enumerate(bars):
        y = height - (n + 1) * (BAR_HEIGHT + 2)
        length = span * bar.count / largest if largest else 0
        drawing.add(Rect(0, y, length, BAR_HEIGHT, fillColor=BAR_COLOUR, strokeColor=None))  # type: ignore[arg-type]
        drawing.add(String(length + 3, y + 1.5 * mm, str(bar.count), fontName=fonts.REGULAR, fontSize=8))
    return drawing


def _alt(title: str, bars: Sequence[Bar]) -> str:
    """The chart in words, for a screen reader (the table beside it holds the same figures)."""
    counts = "; ".join(f"{bar.label}: {bar.count}" for bar in bars) or "no challenges"
    return f"Bar chart, {title}: {counts}."


def outcomes_pdf(figures: Figures, *, clinic: str, scope: str, created: str) -> bytes:
    """The outcomes figures on A4 in the report layout (fonts, header and footer, tagged, PDF/A-2b: reports/pdf/)."""
    page = Page(
        page_size="A4",
        header_left=f"Outcomes: {clinic}",
        header_right=scope,
        footer=f"Stepwise clinic outcomes · {clinic}",
    )
    width = frame_width(page)
    half = (width - GAP) / 2  # side_by_side: two equal columns
    story: list[Flowable] = [
        p(f"Outcomes: {clinic}", "title"),
        p(scope),
        p(f"Challenges done: {figures.done}"),
    ]
    for title, bars, _unit in sections(figures):
        columns = (Column(title, 4), Column("Count", 1))
        rows = [[cell(bar.label), plain(str(bar.count))] for bar in bars] or [["None", "0"]]
        story += section(
            title,
            side_by_side(
                table(columns, rows, half),
                figure(_chart(bars, half), _alt(title, bars)),
                width,
                gap=GAP,
            ),
        )
    info = DocumentInfo(
        title=f"Outcomes: {clinic}", author=clinic, subject="Clinic outcomes of food challenges", created=created
    )
    return build_pdf(page, story, info=info)
