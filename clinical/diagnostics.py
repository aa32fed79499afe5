"""Allergy test results: what each kind measures, its fixed unit, the values accepted, which results a report shows.

No interpretation thresholds live here (no "positive above x"): the report shows values with their units and dates,
and the allergist reads them. The accepted ranges are plausibility guards against a slip (a decimal point in the
wrong place, a unit typed for another one), not clinical cut-offs; the upper limits of the two laboratory kinds are
the measuring ranges of the usual assay (docs/clinical-sources.md, "Allergy test results").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from clinical.text import fold
from clinical.units import format_quantity

SPECIFIC_IGE = "specific_ige"
SKIN_PRICK = "skin_prick"
COMPONENT_IGE = "component_ige"
TRYPTASE = "tryptase"


@dataclass(frozen=True)
class Kind:
    label: str
    unit: str
    min_value: Decimal
    max_value: Decimal
    places: int  # decimal places a value may have
    needs_allergen: bool  # sIgE, a skin prick and a component name a food; baseline tryptase does not
    needs_component: bool


KINDS: dict[str, Kind] = {
    # ImmunoCAP specific IgE: reported 0.10-100 kU/L; "<0.10" is entered as 0, ">100" as 100.
    SPECIFIC_IGE: Kind("Specific IgE", "kU/L", Decimal("0"), Decimal("100"), 2, True, False),
    # Mean wheal diameter; 0 mm is a negative test. 50 mm is a guard against cm/mm slips, not a clinical number.
    SKIN_PRICK: Kind("Skin-prick test wheal", "mm", Decimal("0"), Decimal("50"), 1, True, False),
    COMPONENT_IGE: Kind("Component specific IgE", "kU/L", Decimal("0"), Decimal("100"), 2, True, True),
    # ImmunoCAP Tryptase measuring range 1-200 µg/L (= ng/mL); below 1 is entered as 0.
    TRYPTASE: Kind("Baseline serum tryptase", "ng/mL", Decimal("0"), Decimal("200"), 1, False, False),
}


# A laboratory result outside the assay's measuring range is entered at the range's end (docs/clinical-sources.md
# §15.2): 0 stands for "below the lowest reportable value" (of the laboratory kinds: a wheal of 0 mm is a real,
# negative reading), and the top of the IgE range for "at or above it" (tryptase above 200 is diluted and measured by
# the laboratory, so 200 is a measured value).
BELOW_RANGE: dict[str, Decimal] = {SPECIFIC_IGE: Decimal("0.1"), COMPONENT_IGE: Decimal("0.1"), TRYPTASE: Decimal("1")}
TOP_OF_RANGE: dict[str, Decimal] = {SPECIFIC_IGE: Decimal("100"), COMPONENT_IGE: Decimal("100")}


@dataclass(frozen=True)
class Reading:
    """What a stored value says: `comparator` "" (measured), "<" (below `value`) or ">=" (at or above `value`)."""

    comparator: str
    value: Decimal


def reading(kind: str, value: Decimal) -> Reading:
    """The stored value of a result read back: 0 of a laboratory kind is "< the lowest reportable value", the top of
    the IgE range is ">= 100", anything else is the measured value."""
    if value == 0 and kind in BELOW_RANGE:
        return Reading("<", BELOW_RANGE[kind])
    if kind in TOP_OF_RANGE and value >= TOP_OF_RANGE[kind]:
        return Reading(">=", TOP_OF_RANGE[kind])
    return Reading("", value)


def reading_text(kind: str, value: Decimal) -> str:
    """The value as a report and the record show it: "2.1 kU/L", "<0.10 kU/L", "≥100 kU/L"."""
    read = reading(kind, value)
    sign = {"": "", "<": "<", ">=": "≥"}[read.comparator]
    return f"{sign}{format_quantity(read.value, KINDS[kind].unit)}"


class DiagnosticValueError(ValueError):
    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message, self.code = message, code


def check_value(kind: str, value: Decimal) -> None:
    """Raise DiagnosticValueError unless `value` is a plausible result of `kind` in its fixed unit."""
    spec = KINDS.get(kind)
    if spec is None:
        raise DiagnosticValueError("Choose the kind of test.", code="unknown_kind")
    if not value.is_finite():
        raise DiagnosticValueError("Enter a number.", code="not_a_number")
    if value < spec.min_value or value > spec.max_value:
        raise DiagnosticValueError(
            f"{spec.label} must be from {spec.min_value} to {spec.max_value} {spec.unit}.", code="out_of_range"
        )
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > spec.places:
        raise DiagnosticValueError(
            f"{spec.label} takes at most {spec.places} decimal place{'s' if spec.places != 1 else ''}.",
            code="too_precise",
        )


# WHO/IUIS allergen nomenclature: a component is named from its source's genus (3 letters) and species (1 letter),
# then a number (Ara h 2: Arachis hypogaea). The prefixes of the standard allergen groups' usual components.
COMPONENT_SOURCES: dict[str, str] = {
    "ara h": "peanut",
    "gal d": "egg",
    "bos d": "milk",
    "ses i": "sesame",
    "tri a": "wheat",
    "gly m": "soy",
    "gad c": "fish",
    "cyp c": "fish",
    "pen a": "shellfish",
    "pen m": "shellfish",
    "cor a": "tree_nut",
    "jug r": "tree_nut",
    "ana o": "tree_nut",
    "ber e": "tree_nut",
    "pis v": "tree_nut",
    "pru du": "tree_nut",
    "car i": "tree_nut",
}


def names_food(text: str, terms: Iterable[str]) -> bool:
    """Whether free text (an allergen, a trigger) names the food by one of its terms, as a word ("peanuts" too)."""
    folded = fold(text)
    return any(re.search(rf"\b{re.escape(fold(term))}s?\b", folded) for term in terms if term.strip())


def component_group(component: str) -> str:
    """The allergen group a component's WHO/IUIS name points to ("Ara h 2" -> "peanut"), or ""."""
    folded = " ".join(fold(component).split())
    for prefix, group in COMPONENT_SOURCES.items():
        if folded.startswith(prefix + " ") or folded == prefix:
            return group
    return ""


def is_relevant(*, kind: str, allergen: str, component: str, food_terms: Iterable[str], group: str) -> bool:
    """Whether a result belongs on the report of a challenge to a food (named by `food_terms`, in `group`).

    Baseline tryptase belongs to every challenge (it is not about one food); a food of the "other" group (an MCAS
    trigger) cannot be matched reliably, so every result is shown; otherwise the result's allergen must name the
    food or its group, or its component must come from that group.
    """
    if kind == TRYPTASE or group == "other":
        return True
    if component and component_group(component) == group:
        return True
    return names_food(allergen, food_terms) or names_food(component, food_terms)
