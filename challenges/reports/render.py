"""What every report PDF shares: page geometry, fonts, colours and paragraph styles (the one place they are set),
the running header and footer with "Page X of Y", the UNSIGNED DRAFT watermark, and table builders.

The per-report renderers (render_challenge.py, render_sheets.py, render_summary.py) read only a snapshot and call
`build_pdf`, which returns the PDF bytes. Rendering is deterministic (reportlab's invariant mode, and every date in
the snapshot), so the same snapshot always gives the same bytes.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from io import BytesIO
from typing import Any

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import CondPageBreak, Flowable, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.tables import CellStyle

from challenges.reports import archival, fonts
from challenges.reports.fonts import markup
from challenges.reports.snapshot import Letterhead, Line, PatientBlock
from challenges.reports.tagging import (
    HEADING_TAGS,
    Figure,
    Node,
    Recorder,
    TableTagger,
    TaggedParagraph,
    TaggedTable,
    artifact,
    list_items,
    marked,
    paragraph,
    plain_paragraph,
)

# Page streams compressed and written as binary, not also ASCII85-encoded as text (reportlab's default): a quarter
# smaller, and the encoding was a tenth of a report's build time (bench/README.md). Every PDF reader takes binary.
rl_config.useA85 = 0
# The chart's shapes are not type-checked on every attribute set (reportlab's development aid: a fifth of the
# time spent building a report's flowables); the chart's tests read its drawing back instead (tests/reports).
rl_config.shapeChecking = 0

# --- geometry (points) --------------------------------------------------------------------------------------
PAGE_SIZES = {"A4": A4, "letter": LETTER}
MARGIN_X = 15 * mm
MARGIN_TOP = 24 * mm  # room for the running header
MARGIN_BOTTOM = 18 * mm  # room for the footer
HEADER_Y = 12 * mm  # running header baseline, from the top edge
FOOTER_Y = 9 * mm  # footer baseline, from the bottom edge
LABEL_WIDTH = 0.32  # share of the width taken by labels in label/value blocks
KEEP_WITH_HEADING = 32 * mm  # a section heading starts a new page unless this much room is left under it
TABLE_RIGHT_PADDING = 6  # reportlab's default cell padding, where a table does not set its own
WATERMARK_SIZE = 64
WATERMARK_ANGLE = 45

# --- type and colour ----------------------------------------------------------------------------------------
BODY_SIZE = 9
TABLE_SIZE = 7.8
SMALL_SIZE = 7
INK = colors.HexColor("#1b1b1b")
MUTED = colors.HexColor("#5a5a5a")
ACCENT = colors.HexColor("#1f4e79")
RULE = colors.HexColor("#a9b4be")
HEAD_FILL = colors.HexColor("#e4ebf2")
ZEBRA_FILL = colors.HexColor("#f6f8fa")
ALERT = colors.HexColor("#b00020")
STRUCK = colors.HexColor("#7a7a7a")
WATERMARK = colors.Color(0.75, 0.1, 0.1, alpha=0.13)


def _style(name: str, **kwargs: Any) -> ParagraphStyle:
    base = {
        "fontName": fonts.REGULAR,
        "fontSize": BODY_SIZE,
        "leading": BODY_SIZE * 1.3,
        "textColor": INK,
        "bulletFontName": fonts.REGULAR,
    }
    return ParagraphStyle(name, **{**base, **kwargs})


STYLES: dict[str, ParagraphStyle] = {
    "title": _style("title", fontName=fonts.BOLD, fontSize=15, leading=19, textColor=ACCENT, spaceAfter=2),
    "clinic": _style("clinic", fontName=fonts.BOLD, fontSize=11, leading=14),
    "h2": _style("h2", fontName=fonts.BOLD, fontSize=11, leading=14, textColor=ACCENT, spaceBefore=9, spaceAfter=3),
    "h3": _style("h3", fontName=fonts.BOLD, fontSize=9.5, leading=12, spaceBefore=5, spaceAfter=2, keepWithNext=1),
    "body": _style("body", spaceAfter=2),
    "small": _style("small", fontSize=SMALL_SIZE, leading=SMALL_SIZE * 1.3, textColor=MUTED),
    "right": _style("right", alignment=TA_RIGHT),
    "cell": _style("cell", fontSize=TABLE_SIZE, leading=TABLE_SIZE * 1.25),
    "head": _style("head", fontName=fonts.BOLD, fontSize=TABLE_SIZE, leading=TABLE_SIZE * 1.25),
    "label": _style("label", fontName=fonts.BOLD, fontSize=8.3, leading=10.5, textColor=MUTED),
    "value": _style("value", fontSize=8.3, leading=10.5),
    "bullet": _style("bullet", leftIndent=10, bulletIndent=2, spaceAfter=1.5),
    "big": _style("big", fontSize=11, leading=15, spaceAfter=4),
    "big_bullet": _style("big_bullet", fontSize=11, leading=15, leftIndent=12, bulletIndent=2, spaceAfter=2),
    "alert": _style("alert", fontName=fonts.BOLD, textColor=ALERT),
    "alert_big": _style("alert_big", fontName=fonts.BOLD, fontSize=12, leading=16, textColor=ALERT),
}


# --- text ---------------------------------------------------------------------------------------------------


def p(text: object, style: str = "body") -> Flowable:
    """A paragraph of plain (user) text: escaped, never read as markup; tagged P, or H1-H3 for the heading styles."""
    return _paragraph(text, STYLES[style])


def _paragraph(text: object, style: ParagraphStyle) -> TaggedParagraph:
    """Text that needs no markup (no line break, no character for the fallback face: fonts.markup would only
    escape it) skips reportlab's markup parser; other text is escaped and parsed."""
    line = fonts.one_line(text)
    made = None if line is None else plain_paragraph(line, style)
    return made or paragraph(markup(text), style)


def rich(parts: Sequence[tuple[str, object]], style: str = "body") -> Flowable:
    """A paragraph from (tag, text) parts, e.g. [("b", "Food: "), ("", user_text)]: tags are ours, text is escaped."""
    html = "".join(f"<{tag}>{markup(text)}</{tag}>" if tag else markup(text) for tag, text in parts)
    return paragraph(html, STYLES[style])


class TextLine(Flowable):
    """Text that is laid out as one line when it fits, and as a Paragraph (wrapped) only when it does not.

    Most table cells of a report are short ("0.5 mg", "09:30", "Nurse Ada Okafor"): a Paragraph parses its markup,
    breaks lines and draws word by word, which made table cells most of a report's build time (bench/README.md,
    "Reports against the floor"). This measures the text once with the style's font; if it fits the width it is
    given, it draws it with one text operator. The text must be drawable by the style's own font (no fallback face,
    no line break); `cell()` checks that and uses a Paragraph otherwise.
    """

    def __init__(self, text: str, style: ParagraphStyle) -> None:
        super().__init__()
        self.text = text
        self.style = style
        self.text_width = fonts.string_width(text, style.fontName, style.fontSize)
        self._paragraph: TaggedParagraph | None = None
        self.chain = (Node(HEADING_TAGS.get(style.name, "P")),)  # its structure element (tagging.py)

    def fits(self, width: float) -> bool:
        """Whether it is drawn as one line in `width`: left-aligned, no space around it, and not wider."""
        style = self.style
        return (
            self._paragraph is None
            and self.text_width <= width
            and style.alignment != TA_RIGHT
            and not style.spaceBefore
            and not style.spaceAfter
        )

    def _wrapped(self) -> TaggedParagraph:
        if self._paragraph is None:
            self._paragraph = _paragraph(self.text, self.style)
        self._paragraph.chain = self.chain  # one element, however it is drawn
        return self._paragraph

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803 (reportlab's names)
        if self._paragraph is None and self.text_width <= availWidth:
            self.width, self.height = availWidth, self.style.leading
        else:
            self.width, self.height = self._wrapped().wrap(availWidth, availHeight)
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        if self._paragraph is None and self.text_width <= availWidth:
            return []  # one line: it moves to the next page whole
        return self._wrapped().split(availWidth, availHeight)

    def getSpaceBefore(self) -> float:  # noqa: N802 (reportlab's name)
        return float(self.style.spaceBefore)

    def getSpaceAfter(self) -> float:  # noqa: N802
        return float(self.style.spaceAfter)

    def draw(self) -> None:
        if self._paragraph is not None:
            self._wrapped().drawOn(self.canv, 0, 0)
            return
        style = self.style
        with marked(self.canv, self.chain):
            self.canv.setFillColor(style.textColor)
            self.canv.setFont(style.fontName, style.fontSize)
            y = self.height - style.fontSize
            if style.alignment == TA_RIGHT:
                self.canv.drawRightString(self.width, y, self.text)
            else:
                self.canv.drawString(0, y, self.text)


def text_flowable(text: object, style: str) -> Flowable:
    """Plain user text in a table cell: a TextLine when the style's font draws every character, else a Paragraph."""
    chosen = STYLES[style]
    line = fonts.one_line(text, chosen.fontName)
    return paragraph(markup(text), chosen) if line is None else TextLine(line, chosen)


def cell(text: object, *, struck: bool = False, style: str = "cell", note: str = "") -> Flowable:
    """A table cell; struck through (entered in error) with the note beneath it, in the alert colour."""
    if not struck and not note:
        return text_flowable(text, style)
    html = markup(text)
    if struck:
        html = f'<font color="{STRUCK.hexval()}"><strike>{html}</strike></font>'
    if note:
        html += f'<br/><font color="{ALERT.hexval()}"><i>{markup(note)}</i></font>'
    return paragraph(html, STYLES[style])


def plain(text: str, *, struck: bool = False) -> str | Flowable:
    """A short table cell (a dose, a time, a reading) as a plain string: no wrapping, but about ten times cheaper
    to lay out than a Paragraph, which matters in a 200-row table. Struck-through text needs a Paragraph."""
    return cell(text, struck=True) if struck else unicodedata.normalize("NFC", text)


def time_cell(text: str, *, struck: bool = False) -> str | Flowable:
    """A time in a narrow column: "09:30" as a cheap plain string; a date and time ("Fri 27 Nov 2026 09:30", a
    challenge over several days) wraps inside its column instead of running into the next one (R9)."""
    return plain(text, struck=struck) if len(text) <= len("00:00") else cell(text, struck=struck)


def heading(text: str, level: str = "h2") -> Flowable:
    return p(text, level)


def bullets(items: Sequence[str], style: str = "bullet") -> list[Flowable]:
    """The items of one list (tagged L > LI > LBody)."""
    return list_items([markup(item) for item in items], STYLES[style], "•")


def figure(drawing: Flowable, alt: str) -> Flowable:
    """A drawing tagged as a Figure, with `alt` (what it shows, in words) for screen readers."""
    return Figure(drawing, alt)


# --- tables -------------------------------------------------------------------------------------------------


def grid(
    rows: Sequence[list[Any]],
    col_widths: Sequence[float],
    *,
    tagger: TableTagger | None = None,
    cells: dict[str, Any] | None = None,
    **options: Any,
) -> Table:
    """A reportlab Table whose rows, and the text inside a row, split across pages.

    A row taller than the space left continues on the next page (splitInRow), so no length of ordinary text in a
    cell can make a report fail with a LayoutError. Tagged as layout (its content belongs to the enclosing
    element) unless a data table's `tagger` is given. `cells`: what every cell has unless a style command says
    otherwise (CellStyle attributes: fontname, fontsize, valign, topPadding...).
    """
    if cells is not None:
        options["cellStyles"] = _cell_styles(len(rows), len(col_widths), cells)
    return TaggedTable(
        rows,
        colWidths=list(col_widths),
        hAlign="LEFT",
        splitByRow=1,
        splitInRow=1,
        renderCB=tagger or TableTagger(data=False),
        **options,
    )


def _cell_styles(rows: int, columns: int, cells: dict[str, Any]) -> list[list[CellStyle]]:
    """Each cell's CellStyle, whose class holds what every cell of the table has: the same as a style command over
    the whole table (("VALIGN", (0, 0), (-1, -1), "TOP")...), without setting it on every cell, which in a
    200-row table was a fifth of making its flowables."""
    kind = _cell_style_class(tuple(sorted(cells.items())))
    return [[kind(repr((i, j))) for j in range(columns)] for i in range(rows)]


@functools.cache
def _cell_style_class(defaults: tuple[tuple[str, Any], ...]) -> type[CellStyle]:
    for name, _ in defaults:
        if not hasattr(CellStyle, name):
            raise AttributeError(f"a table cell has no {name}")
    return type("ReportCellStyle", (CellStyle,), dict(defaults))


TABLE_FONT = {"fontname": fonts.REGULAR, "fontsize": TABLE_SIZE}  # a Table's own default is Helvetica, not embedded


def table_style(commands: Sequence[tuple]) -> TableStyle:
    """A TableStyle in the report font (a Table's own default is Helvetica, which is not embedded)."""
    return TableStyle(
        [("FONTNAME", (0, 0), (-1, -1), fonts.REGULAR), ("FONTSIZE", (0, 0), (-1, -1), TABLE_SIZE), *commands]
    )


@dataclass(frozen=True)
class Column:
    title: str
    share: float  # of the frame width


def table(
    columns: Sequence[Column], rows: Sequence[Sequence[Flowable | str]], width: float, row_height: float | None = None
) -> Table:
    """A data table: the header row repeats on every page (repeatRows=1); a row taller than a page splits (grid()).

    Cells are Paragraphs (cell(): wrapped, escaped, struck) or plain strings (plain(): short figures, drawn as is).
    `row_height` fixes the height of the body rows (blank rows to write in by hand).
    """
    header = [text_flowable(c.title, "head") for c in columns]
    body = [list(row) for row in rows]
    shares = sum(c.share for c in columns)
    heights = None if row_height is None else [None] + [row_height] * len(body)
    widths = [width * c.share / shares for c in columns]
    tagger = TableTagger(data=True, header_rows=1)
    cells, text_commands = one_line_cells([header, *body], widths, padding=3 + 3)
    every_cell = {
        **TABLE_FONT,
        "valign": "TOP",
        "topPadding": 2,
        "bottomPadding": 2.5,
        "leftPadding": 3,
        "rightPadding": 3,
    }
    result = grid(cells, widths, tagger=tagger, cells=every_cell, rowHeights=heights, repeatRows=1)
    commands: list[tuple] = [
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
    ]
    commands += [("BACKGROUND", (0, i), (-1, i), ZEBRA_FILL) for i in range(2, len(body) + 1, 2)]
    result.setStyle(TableStyle(commands + text_commands))
    return result


def one_line_cells(
    rows: Sequence[list[Any]], widths: Sequence[float], *, padding: float
) -> tuple[list[list[Any]], list[tuple]]:
    """The rows with each TextLine that fits its column as a plain string, and the style commands that draw those
    strings in the TextLine's own font, size, leading and colour.

    A Table draws a string cell itself, with one text operator; a flowable cell is measured, wrapped and drawn in a
    state of its own (save, translate, restore), which made cells most of a long report's drawing time. The string
    sits where the TextLine would (top padding + font size below the row's top) and its row is as high (one
    leading), and the table's tagger marks it as the cell's content as it marks a TextLine (tagging.TableTagger),
    so the page and its structure tree are unchanged. `padding` is the cell's left plus right padding.
    """
    out: list[list[Any]] = []
    styles: dict[tuple[int, int], ParagraphStyle] = {}
    for r, row in enumerate(rows):
        new_row = list(row)
        for c, value in enumerate(row):
            if type(value) is TextLine and value.fits(widths[c] - padding):
                new_row[c] = value.text
                styles[(r, c)] = value.style
        out.append(new_row)
    commands: list[tuple] = []
    for c in range(len(widths)):  # one set of commands per run of rows in a column drawn in the same style
        r = 0
        while r < len(rows):
            style = styles.get((r, c))
            if style is None:
                r += 1
                continue
            end = r
            while styles.get((end + 1, c)) is style:
                end += 1
            commands += [
                ("FONT", (c, r), (c, end), style.fontName, style.fontSize, style.leading),
                ("TEXTCOLOR", (c, r), (c, end), style.textColor),
            ]
            r = end + 1
    return out, commands


def label_values(lines: Sequence[Line], width: float, label_share: float = LABEL_WIDTH) -> Table:
    """A two-column block of labels and values (values may be long; labels stay narrow); tagged as a table whose
    labels are row headers."""
    rows = [[text_flowable(line.label, "label"), cell(line.value, style="value")] for line in lines]
    tagger = TableTagger(data=True, header_cols=1)
    widths = [width * label_share, width * (1 - label_share)]
    cells, text_commands = one_line_cells(rows, widths, padding=0 + TABLE_RIGHT_PADDING)
    every_cell = {**TABLE_FONT, "valign": "TOP", "topPadding": 1.2, "bottomPadding": 1.2, "leftPadding": 0}
    result = grid(cells, widths, tagger=tagger, cells=every_cell)
    result.setStyle(TableStyle(text_commands))
    return result


def tick_box() -> Table:
    """An empty square to tick by hand (drawn, not a glyph, so every printer shows it)."""
    box = TaggedTable([[""]], colWidths=[3.6 * mm], rowHeights=[3.6 * mm], renderCB=TableTagger(data=False))
    box.setStyle(table_style([("BOX", (0, 0), (-1, -1), 0.8, INK)]))
    return box


def letterhead_block(letterhead: Letterhead, title: str, patient: PatientBlock, width: float) -> list[Flowable]:
    """The top of page 1: clinic and contact on the left, the report and the patient on the right."""
    contact: list[Flowable] = [rich([("b", letterhead.clinic)], "clinic")]
    contact += [p(line, "small") for line in letterhead.address]
    if letterhead.phone:
        contact.append(p(f"Phone {letterhead.phone}", "small"))
    who = [
        p(title, "title"),
        rich([("b", patient.name)], "big"),
        p(f"Born {patient.date_of_birth} ({patient.age}) · MRN {patient.mrn}", "body"),
        p(f"Sex {patient.sex} · Weight {patient.weight}", "body"),
    ]
    block = grid([[contact, who]], [width * 0.38, width * 0.62])
    block.setStyle(
        table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("LINEBELOW", (0, 0), (-1, -1), 1, ACCENT),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return [block, Spacer(1, 4)]


def side_by_side(left: Flowable, right: Flowable, width: float, gap: float = 6 * mm) -> Table:
    """Two blocks next to each other (e.g. food and protocol), each (width - gap) / 2 wide."""
    block = grid([[left, "", right]], [(width - gap) / 2, gap, (width - gap) / 2])
    block.setStyle(
        table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return block


def boxed(
    flowables: Sequence[Flowable], width: float, *, border: colors.Color = ACCENT, fill: colors.Color | None = None
) -> Table:
    """Flowables in a ruled box (the result at a glance, the signature, the emergency advice)."""
    box = grid([[flowable] for flowable in flowables], [width])
    commands: list[tuple] = [
        ("BOX", (0, 0), (-1, -1), 1.2, border),
        ("LEFTPADDING", (0, 0), (-1, -1), 6),
        ("RIGHTPADDING", (0, 0), (-1, -1), 6),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    if fill is not None:
        commands.append(("BACKGROUND", (0, 0), (-1, -1), fill))
    box.setStyle(table_style(commands))
    return box


def section(title: str, *flowables: Flowable, keep: float = KEEP_WITH_HEADING) -> list[Flowable]:
    """A heading and its content, starting a new page when less than `keep` is left under the heading.

    Not KeepTogether: a long table (30 doses, 200 findings) would then always start on a new page, and nested
    KeepTogethers never fit anywhere. The table itself repeats its header row on each page. Pass a larger `keep`
    when the first flowable cannot split (a chart, a checklist block), so the heading is not left alone.
    """
    if not flowables:
        return []
    return [CondPageBreak(keep), heading(title), *flowables]


# --- pages --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """What the running header, footer and watermark say; identical on every page."""

    page_size: str
    header_left: str
    header_right: str
    footer: str
    watermark: str = ""  # e.g. "UNSIGNED DRAFT"; empty for none


def frame_width(page: Page) -> float:
    return PAGE_SIZES[page.page_size][0] - 2 * MARGIN_X


LANGUAGE = "en"  # every report is written in English (the /Lang screen readers and search use)


@dataclass(frozen=True)
class DocumentInfo:
    """The PDF's own metadata: what a document store files it by and a screen reader announces first."""

    title: str  # "Oral food challenge report: Samuel Adeyemi"
    author: str  # the clinic
    subject: str  # the kind of report
    created: str  # ISO 8601 from the snapshot ("" for a snapshot signed before it was kept: no date is claimed)


def build_pdf(page: Page, story: list[Flowable], *, info: DocumentInfo) -> bytes:
    """Lay out the story on pages and return the PDF bytes.

    Deterministic: reportlab's invariant mode leaves out its own timestamp and random file id, and the creation
    date written instead is the snapshot's (a signed report's is its signature time), so the same snapshot always
    gives the same bytes (interop review 12, 13, 23). Tagged (tagging.py) and made PDF/A-2b (archival.py), both
    deterministic too (docs/pdf-output.md).
    """
    fonts.register()
    buffer = BytesIO()
    tags = Recorder()
    with fonts.LOCK:  # one document at a time per process: reportlab's fonts are shared (fonts.LOCK)
        _build(page, story, info, buffer, tags)
    return archival.finish(buffer.getvalue(), structure=tags.root)


def _build(page: Page, story: list[Flowable], info: DocumentInfo, buffer: BytesIO, tags: Recorder) -> None:
    doc = SimpleDocTemplate(
        buffer,
        pagesize=PAGE_SIZES[page.page_size],
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=info.title,
        author=info.author,
        subject=info.subject,
        creator="Stepwise",
        lang=LANGUAGE,
        displayDocTitle=True,
        invariant=1,
        initialFontName=fonts.REGULAR,
        initialFontSize=BODY_SIZE,  # no unembedded Helvetica in the page resources
    )
    doc.build(
        story,
        onFirstPage=_decorator(page, first=True),
        onLaterPages=_decorator(page, first=False),
        canvasmaker=functools.partial(_NumberedCanvas, created=info.created, tags=tags),
    )


def pdf_date(iso: str) -> str:
    """ "2026-11-26T12:00:00+00:00" as a PDF date string, "D:20261126120000+00'00'" (PDF 1.7 §7.9.4)."""
    moment = datetime.fromisoformat(iso)
    offset = moment.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"D:{moment.strftime('%Y%m%d%H%M%S')}{sign}{minutes // 60:02d}'{minutes % 60:02d}'"


def _decorator(page: Page, *, first: bool) -> Callable[[Canvas, Any], None]:
    """Watermark, running header (not on page 1, which has the letterhead) and footer text."""

    def decorate(canvas: Canvas, doc: Any) -> None:
        width, height = doc.pagesize
        canvas.saveState()
        if page.watermark:
            with artifact(canvas, "Watermark"):
                canvas.setFont(fonts.BOLD, WATERMARK_SIZE)
                canvas.setFillColor(WATERMARK)
                canvas.translate(width / 2, height / 2)
                canvas.rotate(WATERMARK_ANGLE)
                canvas.drawCentredString(0, -WATERMARK_SIZE / 3, page.watermark)
                canvas.rotate(-WATERMARK_ANGLE)
                canvas.translate(-width / 2, -height / 2)
        canvas.setFont(fonts.REGULAR, SMALL_SIZE)
        canvas.setFillColor(MUTED)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        if not first:
            with artifact(canvas, "Header"):
                canvas.drawString(MARGIN_X, height - HEADER_Y, _nfc(page.header_left))
                canvas.drawRightString(width - MARGIN_X, height - HEADER_Y, _nfc(page.header_right))
                canvas.line(MARGIN_X, height - HEADER_Y - 3, width - MARGIN_X, height - HEADER_Y - 3)
        with artifact(canvas, "Footer"):
            canvas.line(MARGIN_X, FOOTER_Y + 9, width - MARGIN_X, FOOTER_Y + 9)
            canvas.drawString(MARGIN_X, FOOTER_Y, _nfc(page.footer))
        canvas.restoreState()

    return decorate


def _nfc(text: str) -> str:
    """Precomposed letters for text drawn straight on the canvas (names in the running header and footer)."""
    return unicodedata.normalize("NFC", text)


class _NumberedCanvas(Canvas):
    """A canvas that holds its pages back until the end, so each can say "Page X of Y"."""

    # reportlab's Canvas has these at run time; types-reportlab leaves its private members out.
    _pagesize: tuple[float, float]
    _startPage: Callable[[], None]

    def __init__(self, *args: Any, created: str = "", tags: Recorder | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tags = tags  # the structure recorded while drawing (tagging.py)
        self._pages: list[dict[str, Any]] = []
        if created:  # CreationDate and ModDate: the snapshot's time instead of the invariant mode's fixed one
            date = pdf_date(created)
            self.setDateFormatter(lambda *_ymdhms: date)

    def showPage(self) -> None:  # noqa: N802 (reportlab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            with artifact(self, "Footer"):
                self.setFont(fonts.BOLD, SMALL_SIZE)
                self.setFillColor(INK)
                self.drawRightString(self._pagesize[0] - MARGIN_X, FOOTER_Y, f"Page {number} of {total}")
            super().showPage()
        super().save()
