"""The cheaper ways a report is laid out and drawn (bench/README.md, "Reports against the floor, fourth pass") give
what reportlab's general ones give: a plain paragraph has the parser's fragments, a one-line table cell is drawn by
the table in its TextLine's style, and the chart paints what reportlab's node renderer paints."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from reportlab.graphics import renderPDF
from reportlab.pdfgen.canvas import Canvas

from challenges.reports import fonts
from challenges.reports.chart import vitals_drawing
from challenges.reports.fonts import markup
from challenges.reports.pdf.flowables import TextLine, text_flowable
from challenges.reports.pdf.style import STYLES
from challenges.reports.pdf.tables import one_line_cells
from challenges.reports.snapshot import ChartSeries, DoseMark, Point, VitalsChart
from challenges.reports.tagging import paragraph, plain_paragraph


@pytest.mark.parametrize("style", ["body", "cell", "head", "title", "small", "alert"])
@pytest.mark.parametrize(
    "text",
    ["Urticaria, 3 hives on the chest", "  two   spaces  inside ", "Nguyễn Thị Minh Khai", "4\u00a0mg, 40\u00a0mg"],
)
def test_a_plain_paragraph_is_the_one_the_markup_parser_makes(text, style):
    fonts.register()
    made = plain_paragraph(text, STYLES[style])
    parsed = paragraph(markup(text), STYLES[style])
    assert made is not None
    assert [f.__dict__ for f in made.frags] == [f.__dict__ for f in parsed.frags]
    assert (made.text, made.chain[0].tag) == (parsed.text, parsed.chain[0].tag)


@pytest.mark.parametrize("text", ["Tom & Jerry", "a < b", "b > a", "two\nlines", "   "])
def test_text_with_anything_to_parse_is_left_to_the_parser(text):
    assert plain_paragraph(text, STYLES["body"]) is None


def test_a_one_line_cell_becomes_a_string_drawn_in_its_style_and_a_long_one_stays_a_flowable():
    fonts.register()
    short, bold = text_flowable("0.5 mg", "cell"), text_flowable("Dose", "head")
    long = text_flowable("a finding described at length " * 4, "cell")
    assert [type(flowable) for flowable in (short, bold, long)] == [TextLine, TextLine, TextLine]
    rows, commands = one_line_cells([[bold, short], [long, "plain"]], [60, 60], padding=6)
    assert rows == [["Dose", "0.5\u00a0mg"], [long, "plain"]]
    head, cell = STYLES["head"], STYLES["cell"]
    assert commands == [
        ("FONT", (0, 0), (0, 0), head.fontName, head.fontSize, head.leading),
        ("TEXTCOLOR", (0, 0), (0, 0), head.textColor),
        ("FONT", (1, 0), (1, 0), cell.fontName, cell.fontSize, cell.leading),
        ("TEXTCOLOR", (1, 0), (1, 0), cell.textColor),
    ]


_PAINTING = {"m", "l", "c", "re", "h", "S", "f", "B", "f*", "B*", "n", "Tj", "Tm"}


def _painting(draw) -> list[tuple[str, tuple[str, ...]]]:  # type: ignore[no-untyped-def]
    """The path and text operators a drawing paints, with their operands; state (colours, widths, q/Q) left out."""
    canvas = Canvas(BytesIO(), invariant=1, pageCompression=0)
    draw(canvas)
    tokens = re.findall(r"\((?:\\.|[^\\)])*\)|<[0-9a-fA-F]*>|[^\s()<>\[\]]+", "\n".join(canvas._code))
    painted, operands = [], []
    for token in tokens:
        if token in _PAINTING:
            painted.append((token, tuple(operands)))
            operands = []
        elif re.fullmatch(r"-?[\d.]+", token) or token[0] in "(<":
            operands.append(token)
        else:
            operands = []
    return painted


def test_the_chart_paints_what_reportlabs_node_renderer_paints():
    fonts.register()
    chart = VitalsChart(
        circulation=(
            ChartSeries("Heart rate", "/min", (Point(0, 80), Point(15, 84), Point(30, 88), Point(150, 120))),
            ChartSeries("Systolic BP", "mmHg", (Point(0, 110), Point(150, 100))),
            ChartSeries("Diastolic BP", "mmHg", (Point(0, 70), Point(15, 72))),
        ),
        oxygen=(ChartSeries("SpO₂", "%", (Point(0, 98), Point(15, 97))),),
        doses=(DoseMark(0, "D1"), DoseMark(15, "D2")),
        x_label="minutes from dose 1",
    )
    drawing = vitals_drawing(chart, 500)
    reference = _painting(lambda canvas: renderPDF.draw(drawing, canvas, 0, 0))
    assert len(reference) > 100
    assert _painting(lambda canvas: drawing.drawOn(canvas, 0, 0)) == reference
