"""The emergency adrenaline dose for a patient's weight, and the rule in words for printed sheets.

Every number below: docs/clinical-sources.md §10 (standard IM dosing, ASCIA and EAACI anaphylaxis guidance). The
printed rule
(`dose_rule_text`) is built from these constants, so a sheet can never say one rule while the dose follows another.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from clinical.errors import DomainError
from clinical.units import format_quantity

ADRENALINE_MG_PER_KG = Decimal("0.01")  # IM (docs/clinical-sources.md §10)
ADRENALINE_MAX_MG = Decimal("0.5")  # single IM dose cap (docs/clinical-sources.md §10)
ADRENALINE_MG_PER_ML = Decimal(1)  # 1 mg/mL (1:1000) (docs/clinical-sources.md §10)
ADRENALINE_DOSE_STEP = Decimal("0.01")  # round to 0.01 mg
# Auto-injector bands (docs/clinical-sources.md §10). 0.15 mg from 7.5 kg
# (some guidance starts at 10 kg) to under 25 kg; 0.3 mg from 25 kg. A 0.5 mg device is sold for adults in some
# markets; we do not suggest it.
AUTOINJECTOR_MIN_KG = Decimal("7.5")
AUTOINJECTOR_ADULT_FROM_KG = Decimal(25)
AUTOINJECTOR_JUNIOR_MG = Decimal("0.15")
AUTOINJECTOR_ADULT_MG = Decimal("0.3")
NO_AUTOINJECTOR = "none"
MAX_WEIGHT_KG = Decimal(500)  # sanity bound on input


class AdrenalineError(DomainError, ValueError):
    """A weight no adrenaline dose can be worked out from."""


def _check_weight(weight_kg: Decimal) -> Decimal:
    """The weight as a Decimal, or AdrenalineError if it is not a plausible body weight."""
    if isinstance(weight_kg, bool) or not isinstance(weight_kg, (Decimal, int)):
        raise AdrenalineError("Weight must be a Decimal number of kg.", code="bad_weight")
    weight = Decimal(weight_kg)
    if not weight.is_finite() or not 0 < weight <= MAX_WEIGHT_KG:
        raise AdrenalineError(
            f"Weight must be more than 0 and at most {format_quantity(MAX_WEIGHT_KG, 'kg')}.", code="bad_weight"
        )
    return weight


def adrenaline_dose_mg(weight_kg: Decimal) -> Decimal:
    """IM adrenaline dose in mg: ADRENALINE_MG_PER_KG, at most ADRENALINE_MAX_MG, rounded half-up to 0.01 mg."""
    dose = min(_check_weight(weight_kg) * ADRENALINE_MG_PER_KG, ADRENALINE_MAX_MG)
    return dose.quantize(ADRENALINE_DOSE_STEP, rounding=ROUND_HALF_UP)


def adrenaline_autoinjector(weight_kg: Decimal) -> str:
    """The auto-injector strength for this weight ('0.15 mg' or '0.3 mg'), or 'none' under 7.5 kg."""
    weight = _check_weight(weight_kg)
    if weight < AUTOINJECTOR_MIN_KG:
        return NO_AUTOINJECTOR
    strength = AUTOINJECTOR_JUNIOR_MG if weight < AUTOINJECTOR_ADULT_FROM_KG else AUTOINJECTOR_ADULT_MG
    return format_quantity(strength, "mg")


def dose_rule_text() -> str:
    """The dose rule as printed: '0.01 mg/kg, at most 0.5 mg', from the constants above."""
    return f"{format_quantity(ADRENALINE_MG_PER_KG, 'mg/kg')}, at most {format_quantity(ADRENALINE_MAX_MG, 'mg')}"


ADRENALINE_SITE = "anterolateral thigh"  # IM into the mid-outer thigh (docs/clinical-sources.md §10)


def dose_text(dose_mg: Decimal) -> str:
    """'0.24 mg (0.24 mL of 1 mg/mL, 1:1000)': the dose and the volume to draw up."""
    volume = (dose_mg / ADRENALINE_MG_PER_ML).quantize(ADRENALINE_DOSE_STEP, rounding=ROUND_HALF_UP)
    return (
        f"{format_quantity(dose_mg, 'mg')} ({format_quantity(volume, 'mL')} of "
        f"{format_quantity(ADRENALINE_MG_PER_ML, 'mg/mL')}, 1:1000)"
    )


def ordinal(number: int) -> str:
    """'1st', '2nd', '3rd', '4th', '11th', '21st': which adrenaline dose this is."""
    if number < 1:
        raise AdrenalineError(f"A dose number is 1 or more, not {number}.", code="bad_number")
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"
