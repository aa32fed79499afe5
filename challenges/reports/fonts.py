"""The report typeface: FiraGO (TrueType, embedded), with Noto Sans for the few characters FiraGO lacks and
WenQuanYi Micro Hei for Chinese, Japanese and Korean names.

Both come from the pymupdf-fonts wheel (see requirements.txt): static TrueType outlines, which reportlab needs
(it cannot read CFF/OpenType-PostScript or variable fonts), covering Latin with Vietnamese, Greek and Cyrillic,
plus the ≤ ≥ → ± × signs of clinical text. The PDF core fonts cover Latin-1 only and would draw "Nguyễn" or
"Παπαδοπούλου" as black boxes.
"""

from __future__ import annotations

import functools
import io
import re
import threading
import unicodedata
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape

import pymupdf_fonts
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR = "FiraGO"
BOLD = "FiraGO-Bold"
ITALIC = "FiraGO-Italic"
BOLD_ITALIC = "FiraGO-BoldItalic"
FALLBACK = "NotoSans"

# reportlab face name -> pymupdf_fonts buffer name
_FACES = {REGULAR: "figo", BOLD: "figbo", ITALIC: "figit", BOLD_ITALIC: "figbi"}
# (bold, italic, face) for reportlab's font mapping, which takes 0 or 1 for bold and italic
_STYLES: tuple[tuple[Literal[0, 1], Literal[0, 1], str], ...] = (
    (0, 0, REGULAR),
    (1, 0, BOLD),
    (0, 1, ITALIC),
    (1, 1, BOLD_ITALIC),
)


# reportlab's fonts are shared by every document the process draws, and a font file is read through one cursor
# (TTFontFile.seek/read while a document's subset is made at save): two documents saved at once by two threads of a
# gunicorn worker read each other's glyphs, which gave a 500 (IndexError in makeSubset) and, worse, PDFs whose
# embedded fonts differ from a build alone. Registering fonts and building a document hold this lock
# (pdf/document.build_pdf); tests/reports/test_concurrent_render.py builds reports in eight threads at once. The faces
# themselves are registered when this module is imported (at the end of it; Python lets no other thread use a module
# before its import is done): registered on first use, a thread laying out "<b>Purpose: </b>" while another was
# half-way through registering found no bold face mapped and printed the label in the regular face.
LOCK = threading.RLock()


@functools.cache
def register() -> None:
    """Register the report fonts with reportlab (once per process)."""
    with LOCK:
        for face, buffer_name in _FACES.items():
            pdfmetrics.registerFont(TTFont(face, io.BytesIO(pymupdf_fonts.myfont(buffer_name))))
        for bold, italic, face in _STYLES:
            addMapping(REGULAR, bold, italic, face)


# CJK names (Chinese, Japanese kana and kanji, Korean hangul): WenQuanYi Micro Hei, TrueType from Debian's
# fonts-wqy-microhei (`make run` and `make test` install it); without it, such characters print as empty boxes and
# missing() names them.
CJK = "WenQuanYiMicroHei"
CJK_FONT_FILES = (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),)


@functools.cache
def _fallbacks() -> tuple[tuple[str, frozenset[int]], ...]:
    """The faces that draw what FiraGO lacks, in order, with their code points (loaded on first need)."""
    with LOCK:  # not while another thread's document is being saved with these names
        noto = TTFont(FALLBACK, io.BytesIO(pymupdf_fonts.myfont("notos")))
        pdfmetrics.registerFont(noto)
        faces = [(FALLBACK, frozenset(noto.face.charToGlyph))]
        for path in CJK_FONT_FILES:
            if path.is_file():
                cjk = TTFont(CJK, str(path), subfontIndex=0)
                pdfmetrics.registerFont(cjk)
                faces.append((CJK, frozenset(cjk.face.charToGlyph)))
                break
        return tuple(faces)


def _fallback_face(char: str) -> str | None:
    return next((face for face, covered in _fallbacks() if ord(char) in covered), None)


def glyphs(face: str = REGULAR) -> frozenset[int] | dict[int, int]:
    """The code points a registered face can draw."""
    register()
    font = pdfmetrics.getFont(face)
    if not isinstance(font, TTFont):  # every face register() adds is a TrueType font
        raise TypeError(f"{face} is not a registered TrueType font")
    return font.face.charToGlyph


def missing(text: str, face: str = REGULAR) -> list[str]:
    """Characters of `text` (after NFC) that neither the face nor the fallback can draw; [] means no black boxes."""
    covered = glyphs(face)
    gaps = [c for c in unicodedata.normalize("NFC", text) if not c.isspace() and ord(c) not in covered]
    return [c for c in gaps if _fallback_face(c) is None]


# A number and its unit stay on one line ("4,443 mg", never "4,443" / "mg"): a no-break space joins them.
_NUMBER_UNIT = re.compile(r"(?<=\d) (?=(?:mcg|mg|g|kg|mL|L|mmHg|°C|%|h|min|days?)(?:/\w+)?(?!\w))")


def one_line(text: object, face: str = REGULAR) -> str | None:
    """The text as drawn on one line by `face` (NFC, a number kept with its unit), or None when it needs a Paragraph:
    a line break in it, or a character the face cannot draw (the fallback face is a Paragraph's job)."""
    line = _NUMBER_UNIT.sub("\u00a0", unicodedata.normalize("NFC", str(text)))
    if "\n" in line or not _covered(face).issuperset(map(ord, line)):
        return None
    return line


@functools.cache
def _covered(face: str) -> frozenset[int]:
    return frozenset(glyphs(face))


@functools.lru_cache(maxsize=8192)
def string_width(text: str, face: str, size: float) -> float:
    """The width of `text` in points, in a registered face. Remembered: a report measures the same cell text
    ("Nurse Sam Lee", "1 (mild)") on many rows, and reportlab sums it glyph by glyph in Python."""
    register()
    return float(pdfmetrics.stringWidth(text, face, size))


def markup(text: object) -> str:
    """User text made safe for a reportlab Paragraph: NFC, XML-escaped, missing glyphs drawn by the fallback face.

    NFC first: a name typed in decomposed form (e + combining marks) becomes the precomposed letters the font has.
    """
    plain = _NUMBER_UNIT.sub("\u00a0", unicodedata.normalize("NFC", str(text)))
    covered = glyphs()
    if all(ord(c) in covered or c in "\n\t" for c in plain):
        return escape(plain).replace("\n", "<br/>")
    parts = []
    for char in plain:
        if char == "\n":
            parts.append("<br/>")
        elif ord(char) in covered or (face := _fallback_face(char)) is None:
            parts.append(escape(char))
        else:
            parts.append(f'<font name="{face}">{escape(char)}</font>')
    return "".join(parts)


register()  # now, before any thread lays out text (see LOCK above)
