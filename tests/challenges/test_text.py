"""clinical.text.fold: the one folding of text for matching (drug names, allergens, patient search)."""

from __future__ import annotations

import pytest

from clinical.text import fold


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Ångström-Nguyễn", "angstrom-nguyen"),
        ("Cétirizine 10 mg", "cetirizine 10 mg"),
        ("STRASSE", "strasse"),
        ("Straße", "strasse"),  # casefold, not lower
        ("", ""),
    ],
)
def test_case_and_accents_are_set_aside(text, folded):
    assert fold(text) == folded


def test_folding_twice_changes_nothing():
    assert fold(fold("Zoë Ó Briain")) == fold("Zoë Ó Briain") == "zoe o briain"
