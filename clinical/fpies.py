"""FPIES oral food challenges: the caps on the initial feeding, the patient's weight, and the rescue plan.

A pure module (no Django, Decimal arithmetic). The portions themselves are ladders.fpies_weight_based; this module
holds the rules a protocol and a booking are checked against (docs/clinical-sources.md §1.5, §11.2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext
from typing import Final

from clinical.dose_preparation import _display
from clinical.dosing import DECIMAL_CONTEXT, MG_PER_G, FoodSpec, protein_for_food_amount
from clinical.home_ladder import plain_amount
from clinical.ladders import FPIES_CAP_G, FPIES_MAX_G_PER_KG, PORTION_RESOLUTION_MG
from clinical.units import format_decimal, format_quantity

# docs/clinical-sources.md §1.5: an initial feeding generally does not exceed 3 g of protein OR 10 g of food
# (100 mL of a liquid), whichever is reached first.
FPIES_FOOD_CAP_G: Final = Decimal(10)
FPIES_LIQUID_CAP_ML: Final = Decimal(100)
# docs/clinical-sources.md §11.2 [project choice]: FPIES doses follow the weight, and FPIES patients are mostly infants
# and young children whose weight changes within weeks; a weight older than 30 days at booking is warned about.
FPIES_WEIGHT_MAX_AGE_DAYS: Final = 30
# docs/clinical-sources.md §1.5: if the portions are tolerated, an age-appropriate serving 2-3 h later; the generator
# waits 2.5 h (the middle) before the serving step.
FPIES_SERVING_WAIT_MINUTES: Final = 150

# docs/clinical-sources.md §1.5 (Dimov; fpies.org): FPIES rescue. Normal saline bolus 20 mL/kg; ondansetron 0.15 mg/kg,
# at most 16 mg a dose; methylprednisolone 1 mg/kg IV in severe reactions, at most 60-80 mg (we print the lower 60 mg).
SALINE_ML_PER_KG: Final = Decimal(20)
ONDANSETRON_MG_PER_KG: Final = Decimal("0.15")
ONDANSETRON_MAX_MG: Final = Decimal(16)
METHYLPREDNISOLONE_MG_PER_KG: Final = Decimal(1)
METHYLPREDNISOLONE_MAX_MG: Final = Decimal(60)
# Not clinical: rounding a syringe and a bag can be read to (docs/clinical-sources.md §11.2 [project choice]).
SALINE_RESOLUTION_ML: Final = Decimal(1)
DRUG_RESOLUTION_MG: Final = Decimal("0.1")


@dataclass(frozen=True)
class CapIssue:
    code: str
    message: str


def food_cap(food: FoodSpec) -> Decimal:
    """The most food an initial FPIES feeding gives: 10 g of a solid or 100 mL of a liquid, in the food's unit."""
    return FPIES_LIQUID_CAP_ML if food.is_liquid else FPIES_FOOD_CAP_G


def total_cap_mg(food: FoodSpec) -> Decimal:
    """The protein cap for this food in mg: 3 g, or the protein in 10 g / 100 mL of it, whichever is lower;
    rounded down to 0.1 mg (the portions' resolution), so the portions stay under both caps."""
    with localcontext(DECIMAL_CONTEXT):
        cap = min(FPIES_CAP_G * MG_PER_G, protein_for_food_amount(food_cap(food), food))
        return plain_amount(cap.quantize(PORTION_RESOLUTION_MG, rounding=ROUND_DOWN))


def cap_issues(total_protein_mg: Decimal, total_food: Decimal, food: FoodSpec | None) -> list[CapIssue]:
    """Errors for an initial FPIES feeding above 3 g of protein, or above 10 g (100 mL) of food.

    Both caps are inclusive: exactly 3 g of protein or exactly 10 g of food is allowed.
    """
    issues = []
    if total_protein_mg > FPIES_CAP_G * MG_PER_G:
        issues.append(
            CapIssue(
                "fpies_protein_cap",
                f"The FPIES portions add up to {format_quantity(_show(total_protein_mg), 'mg')} of protein; "
                f"an initial feeding is at most {format_quantity(FPIES_CAP_G, 'g')} of protein.",
            )
        )
    if food is not None and total_food > food_cap(food):
        issues.append(
            CapIssue(
                "fpies_food_cap",
                f"The FPIES portions add up to {format_quantity(_show(total_food), food.unit)} of {food.label}; "
                f"an initial feeding is at most {format_quantity(food_cap(food), food.unit)} of food.",
            )
        )
    return issues


def dose_per_kg_issue(total_protein_mg: Decimal, weight_kg: Decimal) -> CapIssue | None:
    """An error when the portions give more than 0.6 g of protein per kg (inclusive limit)."""
    with localcontext(DECIMAL_CONTEXT):
        per_kg = total_protein_mg / MG_PER_G / weight_kg
    if per_kg <= FPIES_MAX_G_PER_KG:
        return None
    return CapIssue(
        "dose_per_kg_too_high",
        f"The portions give {format_quantity(_show(per_kg), 'g/kg')} of protein for "
        f"{format_quantity(weight_kg, 'kg')}; an FPIES challenge gives at most "
        f"{format_quantity(FPIES_MAX_G_PER_KG, 'g/kg')}.",
    )


def weight_age_days(measured_on: date | None, today: date) -> int | None:
    """Days since the weight was measured (None when the date is not known)."""
    return None if measured_on is None else (today - measured_on).days


def weight_is_stale(measured_on: date | None, today: date, *, max_age_days: int = FPIES_WEIGHT_MAX_AGE_DAYS) -> bool:
    """True when the weight is older than max_age_days, or its date is unknown (safe default: re-weigh)."""
    age = weight_age_days(measured_on, today)
    return age is None or age > max_age_days


def stale_weight_text(weight_kg: Decimal, measured_on: date | None, today: date) -> str:
    """The warning for a weight that may be out of date."""
    age = weight_age_days(measured_on, today)
    when = "on an unknown date" if age is None else f"{age} days ago"
    return (
        f"The doses are worked out from a weight of {format_quantity(weight_kg, 'kg')} measured {when} "
        f"(more than {FPIES_WEIGHT_MAX_AGE_DAYS} days): weigh the patient again before the challenge."
    )


@dataclass(frozen=True)
class RescuePlan:
    weight_kg: Decimal
    saline_ml: Decimal
    ondansetron_mg: Decimal
    methylprednisolone_mg: Decimal

    def lines(self) -> tuple[str, ...]:
        """The plan as the preparation sheet and the bedside page print it."""
        kg = format_quantity(self.weight_kg, "kg")
        return (
            f"FPIES rescue for {kg}: IV normal saline (0.9 %) bolus {format_quantity(self.saline_ml, 'mL')} "
            f"({format_decimal(SALINE_ML_PER_KG)} mL/kg), repeat if needed.",
            f"Ondansetron {format_quantity(self.ondansetron_mg, 'mg')} IV or IM "
            f"({format_decimal(ONDANSETRON_MG_PER_KG)} mg/kg, at most {format_quantity(ONDANSETRON_MAX_MG, 'mg')}).",
            f"Severe reaction: methylprednisolone {format_quantity(self.methylprednisolone_mg, 'mg')} IV "
            f"({format_decimal(METHYLPREDNISOLONE_MG_PER_KG)} mg/kg, at most "
            f"{format_quantity(METHYLPREDNISOLONE_MAX_MG, 'mg')}).",
        )


def rescue_plan(weight_kg: Decimal) -> RescuePlan:
    """Fluids and drugs for an FPIES reaction, for this weight (docs/clinical-sources.md §1.5)."""
    if not isinstance(weight_kg, Decimal) or not weight_kg > 0:
        raise ValueError("The weight must be a Decimal above 0 kg.")
    with localcontext(DECIMAL_CONTEXT):
        saline = (weight_kg * SALINE_ML_PER_KG).quantize(SALINE_RESOLUTION_ML, rounding=ROUND_HALF_UP)
        ondansetron = min(weight_kg * ONDANSETRON_MG_PER_KG, ONDANSETRON_MAX_MG)
        steroid = min(weight_kg * METHYLPREDNISOLONE_MG_PER_KG, METHYLPREDNISOLONE_MAX_MG)
        return RescuePlan(
            weight_kg=weight_kg,
            saline_ml=saline,
            ondansetron_mg=plain_amount(ondansetron.quantize(DRUG_RESOLUTION_MG, rounding=ROUND_HALF_UP)),
            methylprednisolone_mg=plain_amount(steroid.quantize(DRUG_RESOLUTION_MG, rounding=ROUND_HALF_UP)),
        )


def initial_feeding_totals(
    amounts: Sequence[tuple[Decimal, Decimal]],
) -> tuple[Decimal, Decimal]:
    """(protein mg, food) summed over the portions of the initial feeding, given as (protein mg, food) pairs."""
    with localcontext(DECIMAL_CONTEXT):
        return sum((p for p, _ in amounts), Decimal(0)), sum((f for _, f in amounts), Decimal(0))


def _show(value: Decimal) -> Decimal:
    return _display(value)


# docs/clinical-sources.md §1.5 (Leonard 2018, Table 4): a neutrophil rise of at least 1,500 cells/µL over the baseline
# (about 6 h after the food) is a minor criterion of a positive FPIES challenge; the limit is inclusive.
NEUTROPHIL_RISE_CELLS_PER_UL: Final = 1500


def neutrophil_rise(baseline: int | None, later: int | None) -> int | None:
    """The rise in neutrophils (cells/µL) from the baseline to the later count; None when either is missing."""
    return None if baseline is None or later is None else later - baseline


def neutrophil_criterion_met(baseline: int | None, later: int | None) -> bool:
    """True when the later count is at least 1,500 cells/µL above the baseline."""
    rise = neutrophil_rise(baseline, later)
    return rise is not None and rise >= NEUTROPHIL_RISE_CELLS_PER_UL
