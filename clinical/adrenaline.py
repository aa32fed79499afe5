"""The emergency adrenaline dose for a patient's weight, how it is given, and the check of a recorded dose.

Every number below: docs/clinical-sources.md §10 (standard IM dosing, ASCIA and EAACI anaphylaxis guidance, the
Resuscitation Council UK 2021 guideline). The printed rule (`dose_rule_text`) and the instruction
(`emergency_text`: mg, mL of 1 mg/mL, site, repeat) are built from these constants, so a sheet can never say one rule
while the dose follows another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from clinical.errors import DomainError
from clinical.units import format_quantity

ADRENALINE_MG_PER_KG = Decimal("0.01")  # IM (docs/clinical-sources.md §10)
ADRENALINE_MAX_MG = Decimal("0.5")  # single IM dose cap (docs/clinical-sources.md §10)
ADRENALINE_MG_PER_ML = Decimal(1)  # 1 mg/mL (1:1000) (docs/clinical-sources.md §10)
ADRENALINE_DOSE_STEP = Decimal("0.01")  # round to 0.01 mg
ADRENALINE_SITE = "anterolateral thigh"  # IM, the outer mid-thigh (docs/clinical-sources.md §10)
REPEAT_AFTER_MINUTES = 5  # repeat the IM dose after 5 min if no improvement (docs/clinical-sources.md §10)
# Auto-injector bands (ASCIA, docs/clinical-sources.md §10): 0.15 mg from 7.5 kg (7.5-10 kg after a considered
# assessment; 10-20 kg as standard) up to and including 20 kg; 0.3 mg over 20 kg. A 0.5 mg device is sold for adults
# in some markets; we do not suggest it.
AUTOINJECTOR_MIN_KG = Decimal("7.5")
AUTOINJECTOR_JUNIOR_UP_TO_KG = Decimal(20)
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
    strength = AUTOINJECTOR_JUNIOR_MG if weight <= AUTOINJECTOR_JUNIOR_UP_TO_KG else AUTOINJECTOR_ADULT_MG
    return format_quantity(strength, "mg")


def dose_rule_text() -> str:
    """The dose rule as printed: '0.01 mg/kg, at most 0.5 mg', from the constants above."""
    return f"{format_quantity(ADRENALINE_MG_PER_KG, 'mg/kg')}, at most {format_quantity(ADRENALINE_MAX_MG, 'mg')}"


def adrenaline_volume_ml(dose_mg: Decimal) -> Decimal:
    """The volume of 1 mg/mL (1:1000) adrenaline that holds `dose_mg`: 0.24 mg is 0.24 mL."""
    return (dose_mg / ADRENALINE_MG_PER_ML).quantize(ADRENALINE_DOSE_STEP, rounding=ROUND_HALF_UP)


def dose_with_volume(dose_mg: Decimal) -> str:
    """ "0.24 mg = 0.24 mL of 1 mg/mL (1:1000)": the dose and the volume to draw up, never mg alone."""
    volume = format_quantity(adrenaline_volume_ml(dose_mg), "mL")
    return f"{format_quantity(dose_mg, 'mg')} = {volume} of {format_quantity(ADRENALINE_MG_PER_ML, 'mg/mL')} (1:1000)"


def repeat_text() -> str:
    return f"Repeat after {REPEAT_AFTER_MINUTES} minutes if no improvement."


def emergency_text(dose_mg: Decimal) -> str:
    """The whole instruction for a clinician: dose, volume, route and site, and when to repeat."""
    return f"Adrenaline {dose_with_volume(dose_mg)} IM into the {ADRENALINE_SITE}. {repeat_text()}"


# --- a recorded dose against the weight-based maximum --------------------------------------------------------

_DOSE = re.compile(r"^\s*(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>mg|milligrams?|mcg|µg|micrograms?)\b", re.IGNORECASE)
_MICROGRAMS = ("mcg", "µg", "microgram", "micrograms")


def parse_dose_mg(text: str) -> Decimal | None:
    """A recorded dose ("0.3 mg", "300 micrograms") in mg, or None when it does not start with one."""
    match = _DOSE.match(text)
    if match is None or match.group("value").startswith("."):
        return None
    value = Decimal(match.group("value"))
    return value / 1000 if match.group("unit").lower() in _MICROGRAMS else value


def max_recorded_mg(weight_kg: Decimal | None) -> Decimal:
    """The most one recorded dose may be: the weight-based dose (0.01 mg/kg, at most 0.5 mg) or the auto-injector
    for the weight, whichever is more (a 0.15 mg device at 7.5-15 kg gives more than 0.01 mg/kg, by design). Without
    a weight, the 0.5 mg cap."""
    if weight_kg is None:
        return ADRENALINE_MAX_MG
    device = adrenaline_autoinjector(weight_kg)
    device_mg = Decimal(device.split()[0]) if device != NO_AUTOINJECTOR else Decimal(0)
    return max(adrenaline_dose_mg(weight_kg), device_mg)


ABOVE_MAX = "adrenaline_above_max"
UNREADABLE = "adrenaline_dose_unreadable"


@dataclass(frozen=True)
class DoseProblem:
    code: str  # ABOVE_MAX or UNREADABLE
    message: str


def check_recorded_dose(text: str, weight_kg: Decimal | None) -> DoseProblem | None:
    """What is wrong with a recorded adrenaline dose, if anything: not in mg, or above `max_recorded_mg`."""
    dose = parse_dose_mg(text)
    if dose is None:
        return DoseProblem(UNREADABLE, 'Write the adrenaline dose in mg, with its unit (for example "0.3 mg").')
    limit = max_recorded_mg(weight_kg)
    if dose <= limit:
        return None
    basis = (
        f"the most for {format_quantity(weight_kg, 'kg')} ({dose_rule_text()}, or the auto-injector for the weight)"
        if weight_kg is not None
        else f"the single-dose cap ({dose_rule_text()}; no weight is recorded)"
    )
    return DoseProblem(
        ABOVE_MAX, f"Adrenaline {format_quantity(dose, 'mg')} is more than {format_quantity(limit, 'mg')}, {basis}."
    )


def ordinal(number: int) -> str:
    """'1st', '2nd', '3rd', '4th', '11th', '21st': which adrenaline dose this is."""
    if number < 1:
        raise AdrenalineError(f"A dose number is 1 or more, not {number}.", code="bad_number")
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"
