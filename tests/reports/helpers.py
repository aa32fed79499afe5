"""Reading generated PDFs back: the text of each page, as pypdf extracts it."""

from __future__ import annotations

from io import BytesIO

from pypdf import PdfReader


def pages(pdf: bytes) -> list[str]:
    """The text of every page, whitespace runs collapsed to one space."""
    reader = PdfReader(BytesIO(pdf))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def text(pdf: bytes) -> str:
    return " ".join(pages(pdf))
