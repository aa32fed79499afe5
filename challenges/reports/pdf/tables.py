"""Tables: the splitting grid every table and block is built on, the data table with its repeating header, the
label/value block, cells drawn as plain strings when they fit on one line, and the blocks made of tables (the
letterhead, two blocks side by side, a ruled box, a tick box)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, Table, TableStyle
from reportlab.platypus.tables import CellStyle

from challenges.reports import fonts
from challenges.reports.pdf.flowables import TextLine, cell, p, rich, text_flowable
from challenges.reports.pdf.style import (
    ACCENT,
    HEAD_FILL,
    INK,
    LABEL_WIDTH,
    RULE,
    TABLE_RIGHT_PADDING,
    TABLE_SIZE,
    ZEBRA_FILL,
)
from challenges.reports.snapshot import Letterhead, Line, PatientBlock
from challenges.reports.tagging import TableTagger, TaggedTable


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
