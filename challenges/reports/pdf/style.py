"""The report's geometry, type sizes, colours and paragraph styles: the one place they are set (STYLE §10)."""

from __future__ import annotations

from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm

from challenges.reports import fonts

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
