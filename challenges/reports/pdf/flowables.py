"""Text on the page: paragraphs of escaped user text, the one-line TextLine that table cells use, struck-through
cells, bullets, a tagged figure, and a section (its heading kept with what follows)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import CondPageBreak, Flowable

from challenges.reports import fonts
from challenges.reports.fonts import markup
from challenges.reports.pdf.style import ALERT, KEEP_WITH_HEADING, STRUCK, STYLES
from challenges.reports.tagging import (
    HEADING_TAGS,
    Figure,
    Node,
    TaggedParagraph,
    list_items,
    marked,
    paragraph,
    plain_paragraph,
)


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


def section(title: str, *flowables: Flowable, keep: float = KEEP_WITH_HEADING) -> list[Flowable]:
    """A heading and its content, starting a new page when less than `keep` is left under the heading.

    Not KeepTogether: a long table (30 doses, 200 findings) would then always start on a new page, and nested
    KeepTogethers never fit anywhere. The table itself repeats its header row on each page. Pass a larger `keep`
    when the first flowable cannot split (a chart, a checklist block), so the heading is not left alone.
    """
    if not flowables:
        return []
    return [CondPageBreak(keep), heading(title), *flowables]
