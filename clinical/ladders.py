"""Dose schedules for a clinic challenge, in mg of protein unless said otherwise: PRACTALL, geometric ladders
and their rounding, weight-based FPIES portions and household-measure ladders.

A pure module: no Django, Decimal for every amount; sources are cited as docs/clinical-sources.md §n.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_DOWN, Decimal, localcontext
from fractions import Fraction
from typing import Final

from clinical.dosing import (
    DECIMAL_CONTEXT,
    MG_PER_G,
    DosingError,
    fraction_to_decimal,
    max_rise,
    plain_amount,
    require_decimal,
    require_positive,
    round_significant,
    strictly_rising,
)
from clinical.units import format_decimal, format_quantity

# docs/clinical-sources.md §1.1: PRACTALL 7 steps, mg protein (allergyguide food_protein_index.js,
# practall_seven_doses_mg);
# cumulative 4,443 mg.
PRACTALL_7_MG: Final = tuple(Decimal(dose) for dose in ("3", "10", "30", "100", "300", "1000", "3000"))
# docs/clinical-sources.md §1.1: allergyguide's "PRACTALL-5" (practall_five_doses_mg); cumulative 4,430 mg. Whether
# PRACTALL
# itself publishes a 5-step variant is unconfirmed, so this is allergyguide's label.
PRACTALL_5_MG: Final = tuple(Decimal(dose) for dose in ("30", "100", "300", "1000", "3000"))


def practall_7() -> list[Decimal]:
    """PRACTALL 7-step doses in mg protein: 3, 10, 30, 100, 300, 1000, 3000."""
    return list(PRACTALL_7_MG)


def practall_5() -> list[Decimal]:
    """allergyguide's PRACTALL-5 doses in mg protein: 30, 100, 300, 1000, 3000."""
    return list(PRACTALL_5_MG)


# Not clinical: bounds the work. Published schedules use 6-10 increments (docs/clinical-sources.md §1.2).
MAX_LADDER_STEPS: Final = 50
LADDER_SIGNIFICANT_FIGURES: Final = 2


def geometric_ladder(
    start: Decimal, top: Decimal, *, steps: int | None = None, factor: Decimal | None = None
) -> list[Decimal]:
    """Doses rising geometrically from start to top; both ends exact, the rest rounded to 2 significant figures.

    With `steps`, the ladder has exactly that many doses. With `factor`, each dose is the previous one times
    the factor until the next would pass `top`, then `top`; so no rise exceeds the factor before rounding.
    Rounding moves a dose by at most 5 %; if it would make two doses equal, more figures are kept.
    """
    require_positive(start, "start", code="start_not_positive")
    require_decimal(top, "top")
    if top <= start:
        raise DosingError("The top dose must be above the start dose.", code="top_not_above_start")
    if steps is not None and factor is None:
        raw = _ladder_by_steps(start, top, steps)
    elif factor is not None and steps is None:
        raw = _ladder_by_factor(start, top, factor)
    else:
        raise DosingError("Give either the number of steps or the factor, not both.", code="steps_or_factor")
    return _round_between_ends(raw)


def _ladder_by_steps(start: Decimal, top: Decimal, steps: int) -> list[Decimal]:
    """`steps` doses evenly spaced on a log scale, unrounded."""
    if not 2 <= steps <= MAX_LADDER_STEPS:
        raise DosingError(f"A ladder needs 2 to {MAX_LADDER_STEPS} steps (got {steps}).", code="too_few_steps")
    with localcontext(DECIMAL_CONTEXT):
        ratio = top / start
        middle = [start * ratio ** (Decimal(i) / (steps - 1)) for i in range(1, steps - 1)]
    return [start, *middle, top]


def _ladder_by_factor(start: Decimal, top: Decimal, factor: Decimal) -> list[Decimal]:
    """start, start×factor, … while below top, then top; unrounded."""
    require_decimal(factor, "factor")
    if factor <= 1:
        raise DosingError("The factor must be more than 1.", code="factor_too_small")
    doses = [start]
    with localcontext(DECIMAL_CONTEXT):
        while doses[-1] * factor < top:
            if len(doses) >= MAX_LADDER_STEPS - 1:
                raise DosingError(
                    f"That factor needs more than {MAX_LADDER_STEPS} steps; use a larger one.", code="too_many_steps"
                )
            doses.append(doses[-1] * factor)
    return [*doses, top]


def _round_between_ends(doses: list[Decimal]) -> list[Decimal]:
    """Round the inner doses to as few significant figures (from 2) as keeps the ladder strictly rising."""
    for figures in range(LADDER_SIGNIFICANT_FIGURES, DECIMAL_CONTEXT.prec + 1):
        rounded = [doses[0], *(round_significant(dose, figures) for dose in doses[1:-1]), doses[-1]]
        if strictly_rising(rounded):
            return rounded
    return doses


# docs/clinical-sources.md §1.1, §11.3: clinicians' doses are semi-logarithmic, 1 and 3 in each decade (3, 10, 30, 100,
# 300, 1,000, 3,000 mg, PRACTALL). When 1-3 would make two doses equal, the finer 1-2-5 series, then
# 1-1.5-2-3-5-7, is used [project choice: the usual preferred-number series].
SEMILOG_SERIES: Final[tuple[tuple[Decimal, ...], ...]] = (
    (Decimal(1), Decimal(3)),
    (Decimal(1), Decimal(2), Decimal(5)),
    tuple(Decimal(v) for v in ("1", "1.5", "2", "3", "5", "7")),
)

# Not clinical: rounding may widen the largest rise of the ladder by at most 30 % (3.16× -> 3.33× for PRACTALL,
# 2× -> 2.5× for a doubling ladder); otherwise a finer series is tried.
SEMILOG_RISE_TOLERANCE: Final = Decimal("1.3")


def round_ladder_semilog(doses: Sequence[Decimal]) -> list[Decimal]:
    """The inner doses rounded to the nearest (on a log scale) number of the coarsest series that keeps the ladder
    strictly rising; the first and last doses stay as given. 9.5 -> 10, 95 -> 100, 949 -> 1000; unchanged when no
    series keeps it rising."""
    for value in doses:
        require_positive(value, "dose", code="dose_not_positive")
    if len(doses) < 3:
        return list(doses)
    largest = max_rise(doses)
    assert largest is not None  # noqa: S101 - three or more positive doses
    for series in SEMILOG_SERIES:
        rounded = [doses[0], *(_nearest_in_series(dose, series) for dose in doses[1:-1]), doses[-1]]
        rise = max_rise(rounded)
        if strictly_rising(rounded) and rise is not None and rise <= largest * SEMILOG_RISE_TOLERANCE:
            return rounded
    return list(doses)


def _nearest_in_series(value: Decimal, series: Sequence[Decimal]) -> Decimal:
    """The number of the series (repeated in every decade) nearest to value on a log scale."""
    with localcontext(DECIMAL_CONTEXT):
        decade = Decimal(1).scaleb(value.adjusted())
        candidates = [base * decade for base in series] + [series[0] * decade * 10]
        best = min(candidates, key=lambda candidate: abs((candidate / value).ln()))
        return plain_amount(best)


# docs/clinical-sources.md §1.5: FPIES OFC total 0.06-0.6 g food protein per kg body weight.
FPIES_MIN_G_PER_KG: Final = Decimal("0.06")
FPIES_MAX_G_PER_KG: Final = Decimal("0.6")
# docs/clinical-sources.md §1.5: "usual total 0.3 g protein/kg" is marked unconfirmed there; a seeded default only.
FPIES_DEFAULT_G_PER_KG: Final = Decimal("0.3")
# docs/clinical-sources.md §1.5: cap for an initial feeding, 3 g protein (Dimov; 2017 international guidelines).
FPIES_CAP_G: Final = Decimal(3)
# docs/clinical-sources.md §1.5: the total is split into 3 equal portions (Dimov; fpies.org).
FPIES_PORTIONS: Final = 3
# Not clinical: portions are rounded down to 0.1 mg and the last portion takes the remainder.
PORTION_RESOLUTION_MG: Final = Decimal("0.1")


def fpies_weight_based(
    weight_kg: Decimal,
    *,
    protein_g_per_kg: Decimal = FPIES_DEFAULT_G_PER_KG,
    cap_g: Decimal = FPIES_CAP_G,
    portions: int = FPIES_PORTIONS,
) -> list[Decimal]:
    """FPIES portions in mg protein: weight × g/kg (capped), split equally; they sum exactly to the total.

    Each portion is rounded down to 0.1 mg and the last takes the remainder, so it is the same or slightly
    larger (never smaller) than the others.
    """
    require_positive(weight_kg, "weight_kg", code="weight_not_positive")
    _check_fpies_dose_per_kg(protein_g_per_kg)
    require_positive(cap_g, "cap_g", code="cap_not_positive")
    if portions < 1:
        raise DosingError("There must be at least one portion.", code="portions_not_positive")
    with localcontext(DECIMAL_CONTEXT):
        total_mg = min(weight_kg * protein_g_per_kg, cap_g) * MG_PER_G
        portion = (total_mg / portions).quantize(PORTION_RESOLUTION_MG, rounding=ROUND_DOWN)
        return [portion] * (portions - 1) + [total_mg - portion * (portions - 1)]


def _check_fpies_dose_per_kg(protein_g_per_kg: Decimal) -> None:
    """The g/kg must lie in the published 0.06-0.6 g/kg range (docs/clinical-sources.md §1.5)."""
    require_decimal(protein_g_per_kg, "protein_g_per_kg")
    if not FPIES_MIN_G_PER_KG <= protein_g_per_kg <= FPIES_MAX_G_PER_KG:
        allowed = f"{format_decimal(FPIES_MIN_G_PER_KG)} to {format_quantity(FPIES_MAX_G_PER_KG, 'g/kg')}"
        got = format_quantity(protein_g_per_kg, "g/kg")
        raise DosingError(f"An FPIES challenge uses {allowed} of protein (got {got}).", code="dose_per_kg_out_of_range")


# docs/clinical-sources.md §1.3: ASCIA peanut challenge (2011), peanut butter 1/8, 1/4, 1/2, 1, then 2 teaspoons.
ASCIA_PEANUT_TSP: Final = (Fraction(1, 8), Fraction(1, 4), Fraction(1, 2), Fraction(1), Fraction(2))
# docs/clinical-sources.md §1.3: ASCIA equivalence, 1 teaspoon of peanut butter = 5 g.
ASCIA_GRAMS_PER_TSP: Final = Decimal(5)


def household_ladder(measures: Iterable[Fraction | int], *, grams_per_measure: Decimal) -> list[Decimal]:
    """Grams of food per step for a ladder in household measures, e.g. ASCIA_PEANUT_TSP at 5 g per tsp."""
    require_positive(grams_per_measure, "grams_per_measure", code="measure_not_positive")
    grams = []
    for measure in measures:
        if isinstance(measure, float) or not Fraction(measure) > 0:
            raise DosingError(f"A measure must be a positive fraction (got {measure}).", code="measure_not_positive")
        grams.append(fraction_to_decimal(Fraction(measure)) * grams_per_measure)
    return grams
