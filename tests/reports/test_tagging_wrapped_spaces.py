"""A wrapped paragraph keeps the space between the words on either side of each line break in its drawn text, so
text read from the tags (a screen reader, a copy) does not run two words together; struck-through text (a record
entered in error), underlined text and links too, without the rule growing under the space."""

from __future__ import annotations

from io import BytesIO

import pytest
from pypdf import PdfReader
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas

from challenges.reports import fonts
from challenges.reports.tagging import TaggedParagraph, _keep_breaking_spaces, paragraph

WORDS = "Dose given in error to the wrong patient and recorded again"
NARROW = 60  # points: a few words a line


@pytest.fixture(scope="module")
def style() -> ParagraphStyle:
    fonts.register()
    return ParagraphStyle("body", fontName=fonts.REGULAR, fontSize=8, leading=10)


def _laid_out(markup: str, style: ParagraphStyle) -> TaggedParagraph:
    result = paragraph(markup, style)
    result.wrap(NARROW, 1000)
    assert len(result.blPara.lines) > 2  # it wraps
    return result


def _line_texts(laid_out: TaggedParagraph) -> list[str]:
    return ["".join(f.text for f in line.words) for line in laid_out.blPara.lines]


def _drawn_text(laid_out: TaggedParagraph) -> str:
    """The text the page's content stream shows, in order, line breaks left out (as the tags read it)."""
    buffer = BytesIO()
    canvas = Canvas(buffer)
    laid_out.drawOn(canvas, 72, 600)
    canvas.save()
    pieces: list[str] = []
    PdfReader(BytesIO(buffer.getvalue())).pages[0].extract_text(visitor_text=lambda text, *_: pieces.append(text))
    return "".join(pieces).replace("\n", "")


@pytest.mark.parametrize(
    "markup",
    [
        f"Was: <strike>{WORDS}</strike>",  # text in two styles: reportlab lays it out as fragments (kind 1)
        f"Was: <u>{WORDS}</u>",
        f'See <a href="https://example.org/">{WORDS}</a>',
        f'Was: <font color="#888888"><strike>{WORDS}</strike></font>',
        f"Plain start, <b>then bold</b> and <strike>{WORDS}</strike>",
    ],
)
def test_rich_text_keeps_the_space_at_each_line_break(style, markup):
    laid_out = _laid_out(markup, style)
    assert laid_out.blPara.kind == 1
    before = _line_texts(laid_out)
    last_fragments = [line.words[-1] for line in laid_out.blPara.lines[:-1]]
    undo = _keep_breaking_spaces(laid_out.blPara)
    assert all(text.endswith(" ") for text in _line_texts(laid_out)[:-1])
    for line, last in zip(laid_out.blPara.lines[:-1], last_fragments, strict=True):
        if last.us_lines or last.link:  # ruled: the space is a plain fragment after it, and its rule does not grow
            assert not last.text.endswith(" ")
            assert (line.words[-1].text, line.words[-1].us_lines, line.words[-1].link) == (" ", [], [])
    undo()
    assert _line_texts(laid_out) == before


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        (WORDS, WORDS),  # one style: laid out as words (kind 0)
        (f"<strike>{WORDS}</strike>", WORDS),
        (f"Was: <strike>{WORDS}</strike>", f"Was: {WORDS}"),  # two styles: fragments (kind 1)
        (f"Was: <u>{WORDS}</u>", f"Was: {WORDS}"),
    ],
)
def test_the_drawn_text_reads_every_word_apart(style, markup, text):
    drawn = _drawn_text(_laid_out(markup, style))
    assert " ".join(drawn.split()) == text


def test_without_the_spaces_a_struck_paragraph_would_run_words_together(style, monkeypatch):
    """The check above can fail: with the spaces not put back, reportlab's drawn text joins the lines' words."""
    monkeypatch.setattr("challenges.reports.tagging._keep_breaking_spaces", lambda laid_out: lambda: None)
    drawn = _drawn_text(_laid_out(f"Was: <strike>{WORDS}</strike>", style))
    assert " ".join(drawn.split()) != f"Was: {WORDS}"


def test_a_paragraph_on_one_line_is_left_alone(style):
    laid_out = paragraph("Was: <strike>Short</strike>", style)
    laid_out.wrap(400, 1000)
    undo = _keep_breaking_spaces(laid_out.blPara)
    assert _line_texts(laid_out) == ["Was: Short"]
    undo()
