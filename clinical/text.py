"""Text folded for matching names: case and accents set aside, so "Cétirizine" finds "cetirizine"."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower-case, accent-free text: "Ångström-Nguyễn" -> "angstrom-nguyen", "Cétirizine" -> "cetirizine"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))
