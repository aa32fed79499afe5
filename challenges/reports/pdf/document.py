"""The document: page size and margins, the PDF's metadata, the running header and footer, the UNSIGNED DRAFT
watermark, "Page X of Y" (a canvas that holds its pages back), and `build_pdf`, which returns the PDF bytes.

Rendering is deterministic (reportlab's invariant mode, and every date in the snapshot), so the same snapshot always
gives the same bytes.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from io import BytesIO
from typing import Any

from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, SimpleDocTemplate

from challenges.reports import archival, fonts
from challenges.reports.pdf.style import (
    BODY_SIZE,
    FOOTER_Y,
    HEADER_Y,
    INK,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    MUTED,
    PAGE_SIZES,
    RULE,
    SMALL_SIZE,
    WATERMARK,
    WATERMARK_ANGLE,
    WATERMARK_SIZE,
)
from challenges.reports.tagging import Recorder, artifact


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
