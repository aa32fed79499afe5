"""Dose arithmetic for food challenges: schedules, food/protein conversion, and preparing one dose.

The checks on a protocol's planned steps live in clinical.step_checks, which uses the conversions here.

A pure module: no Django, and Decimal (never float) for every amount. Clinical numbers cite the project's
sources ("docs/clinical-sources.md §n"), where each section names the primary source.

Conventions
- Doses are mg of food PROTEIN, not mg of food (docs/clinical-sources.md §1.1).
- `FoodSpec.protein_g_per_100` is g protein per 100 g for a solid and per 100 mL for a liquid. The fact
  sheet's table (§2) is per 100 g; allergyguide treats 100 g of a liquid as about 100 mL (docs/clinical-sources.md §2,
  "Liquids: 100 g treated as ≈100 mL"), so a liquid's table value can be used as per 100 mL. A density is
  needed only to convert an amount typed in the other unit (g of a liquid, mL of a solid).
- Food amounts are g for a solid and mL for a liquid (the food's `unit`).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import (
    ROUND_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from fractions import Fraction
from typing import Final, Literal

from clinical.display import amount_text
from clinical.durations import format_hours
from clinical.units import QuantityError, format_decimal, format_quantity

# All internal arithmetic runs in this context, whatever the caller's context is: 34 digits (IEEE decimal128)
# keeps conversions exact far beyond any measurable amount, and stray NaN/zero division raise.
_CONTEXT: Final = Context(prec=34, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow])

MG_PER_G: Final = Decimal(1000)


class DosingError(QuantityError):
    """A dosing input or rule that cannot be met; like QuantityError it carries a stable `code`."""


# ---------------------------------------------------------------------------------------------------------
# Foods and conversion
# ---------------------------------------------------------------------------------------------------------

# Physical sanity bound, not a clinical number: foods lie around 0.3-1.5 g/mL; above 2 is a typo.
MAX_DENSITY_G_PER_ML: Final = Decimal(2)

# The physical form of a food decides how a dose too small to weigh can be prepared (docs/clinical-sources.md §2.1):
# only a liquid or a free-flowing powder disperses evenly in water; a fat-based paste (peanut butter, tahini) or a
# solid (egg, cake) does not, so a "dilution" of one can hold almost nothing or a clump of many doses.
LIQUID: Final = "liquid"
POWDER: Final = "powder"
PASTE: Final = "paste"
SOLID: Final = "solid"
PHYSICAL_FORMS: Final = (LIQUID, POWDER, PASTE, SOLID)
DISPERSIBLE_FORMS: Final = frozenset({LIQUID, POWDER})

# Household measures a food can carry a weight for (g, or mL for a liquid, in one level measure).
HOUSEHOLD_MEASURES: Final = {
    "tsp": "level teaspoon",
    "tbsp": "level tablespoon",
    "slice": "slice",
    "biscuit": "biscuit",
    "muffin": "muffin",
    "cup": "cup",
}


@dataclass(frozen=True)
class FoodSpec:
    """A challenge food: g protein per 100 g (solid) or per 100 mL (liquid).

    `protein_g_per_100` is the protein doses are counted in: the whole food's, or, for a composite food that
    declares it (a baked-milk muffin), the allergen's own protein; `protein_name` says which ("milk protein").
    `physical_form` is one of PHYSICAL_FORMS; left empty it follows `is_liquid` (liquid, else solid, the form
    that may never be diluted). `measures` maps a HOUSEHOLD_MEASURES name to its weight in the food's unit.
    """

    protein_g_per_100: Decimal
    is_liquid: bool = False
    density_g_per_ml: Decimal | None = None
    name: str = ""
    physical_form: str = ""
    allergen: str = ""
    protein_name: str = "protein"
    measures: tuple[tuple[str, Decimal], ...] = ()

    def __post_init__(self) -> None:
        _require_decimal(self.protein_g_per_100, "protein_g_per_100")
        if not self.physical_form:
            object.__setattr__(self, "physical_form", LIQUID if self.is_liquid else SOLID)
        if self.physical_form not in PHYSICAL_FORMS:
            raise DosingError(f"Unknown physical form “{self.physical_form}”.", code="unknown_physical_form")
        if (self.physical_form == LIQUID) != self.is_liquid:
            object.__setattr__(self, "is_liquid", self.physical_form == LIQUID)
        # docs/clinical-sources.md §2 (allergyguide OIT checks): protein <= 0, or more protein than food, is critical.
        if not Decimal(0) < self.protein_g_per_100 <= Decimal(100):
            raise DosingError(
                f"Protein must be more than 0 g and at most 100 g per 100 {self.unit} "
                f"(got {format_decimal(self.protein_g_per_100)}).",
                code="protein_out_of_range",
            )
        if self.density_g_per_ml is not None:
            _require_decimal(self.density_g_per_ml, "density_g_per_ml")
            if not Decimal(0) < self.density_g_per_ml <= MAX_DENSITY_G_PER_ML:
                raise DosingError(
                    f"Density must be more than 0 and at most {format_quantity(MAX_DENSITY_G_PER_ML, 'g/mL')}.",
                    code="density_out_of_range",
                )
        for measure, weight in self.measures:
            _require_positive(weight, f"weight of 1 {measure}", code="measure_not_positive")

    @property
    def unit(self) -> str:
        """The unit food amounts are in: "mL" for a liquid, "g" for a solid."""
        return "mL" if self.is_liquid else "g"

    @property
    def disperses(self) -> bool:
        """True for a liquid or a free-flowing powder: the only foods a water dilution may be made of."""
        return self.physical_form in DISPERSIBLE_FORMS

    @property
    def label(self) -> str:
        """The food's name for instructions."""
        return self.name or ("the liquid" if self.is_liquid else "the food")

    @property
    def protein_mg_per_unit(self) -> Decimal:
        """mg of protein in 1 g (solid) or 1 mL (liquid)."""
        with localcontext(_CONTEXT):
            return self.protein_g_per_100 / 100 * MG_PER_G

    def measure_weight(self, measure: str) -> Decimal:
        """The food's own weight (g, or mL for a liquid) of one household measure; refused when it has none.

        No food-independent default: a level teaspoon is 5 g of peanut butter (ASCIA) but about half that of a
        light powder (docs/clinical-sources.md §2.2), so a guessed weight would misstate every dose typed in it.
        """
        for name, weight in self.measures:
            if name == measure:
                return weight
        raise DosingError(self.measure_error(measure), code="no_household_weight")

    def measure_error(self, measure: str) -> str:
        """Why a step in `measure` is refused for this food: it has no weight for that measure."""
        what = HOUSEHOLD_MEASURES.get(measure, measure)
        return (
            f"{self.label} has no weight for one {what}; weigh one and add it to the food's household measures, "
            f"or plan the step in {self.unit}."
        )


def parse_household_measures(data: object, *, strict: bool = True) -> tuple[tuple[str, Decimal], ...]:
    """A food's stored household measures ({"tsp": "5"}) as checked pairs; raises DosingError for bad data.

    `strict=False` (reading rows stored before the measures were checked) skips what is not a known measure with a
    weight above 0 instead of raising: a step in a skipped measure is then refused as having no weight.
    """
    if not isinstance(data, dict):
        if strict:
            raise DosingError(
                "Household measures must be a table of measure and weight.", code="bad_household_measures"
            )
        return ()
    pairs = []
    for name, value in data.items():
        try:
            pairs.append((name, _measure_weight(name, value)))
        except DosingError:
            if strict:
                raise
    return tuple(pairs)


def _measure_weight(name: object, value: object) -> Decimal:
    """The checked weight of one household measure."""
    if name not in HOUSEHOLD_MEASURES:
        known = ", ".join(HOUSEHOLD_MEASURES)
        raise DosingError(f"Unknown household measure “{name}”; use one of {known}.", code="unknown_household_measure")
    try:
        weight = Decimal(str(value))
    except InvalidOperation:
        raise DosingError(
            f"The weight of 1 {name} is not a number (got {value}).", code="bad_household_measures"
        ) from None
    if not weight.is_finite() or weight <= 0:
        raise DosingError(f"The weight of 1 {name} must be more than 0.", code="measure_not_positive")
    return weight


def food_amount_for_protein(protein_mg: Decimal, food: FoodSpec) -> Decimal:
    """Food holding protein_mg of protein: g for a solid, mL for a liquid; exact, not rounded."""
    _require_amount(protein_mg, "protein_mg")
    # docs/clinical-sources.md §2: food g = protein mg × 0.001 ÷ (protein g per 100 g ÷ 100) (allergyguide
    # food_protein_index.js)
    with localcontext(_CONTEXT):
        return protein_mg / MG_PER_G / (food.protein_g_per_100 / 100)


def protein_for_food_amount(amount: Decimal, food: FoodSpec) -> Decimal:
    """mg of protein in `amount` g (solid) or mL (liquid) of food; the inverse of food_amount_for_protein."""
    _require_amount(amount, "amount")
    with localcontext(_CONTEXT):
        return amount * (food.protein_g_per_100 / 100) * MG_PER_G


# docs/clinical-sources.md §2: allergyguide's PRACTALL tables show food to 0.01 g, the kitchen-scale resolution it
# assumes.
SCALE_RESOLUTION_G: Final = Decimal("0.01")
# docs/clinical-sources.md §2: allergyguide assumes a 0.1 mL oral syringe for liquids.
SYRINGE_RESOLUTION_ML: Final = Decimal("0.1")


def grams_rounded(protein_mg: Decimal, food: FoodSpec) -> Decimal:
    """Food for protein_mg rounded half-up to 0.01, as in the table of grams of food per PRACTALL step
    (docs/clinical-sources.md §2).

    For a liquid the result is mL (100 g is taken as 100 mL, docs/clinical-sources.md §2).
    """
    with localcontext(_CONTEXT):
        return food_amount_for_protein(protein_mg, food).quantize(SCALE_RESOLUTION_G, rounding=ROUND_HALF_UP)


def cumulative(doses: Sequence[Decimal]) -> list[Decimal]:
    """Running total after each dose (exact Decimal sums)."""
    for dose in doses:
        _require_decimal(dose, "dose")
    with localcontext(_CONTEXT):
        return list(itertools.accumulate(doses))


# ---------------------------------------------------------------------------------------------------------
# Schedules (mg protein unless said otherwise)
# ---------------------------------------------------------------------------------------------------------

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
    _require_positive(start, "start", code="start_not_positive")
    _require_decimal(top, "top")
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
    with localcontext(_CONTEXT):
        ratio = top / start
        middle = [start * ratio ** (Decimal(i) / (steps - 1)) for i in range(1, steps - 1)]
    return [start, *middle, top]


def _ladder_by_factor(start: Decimal, top: Decimal, factor: Decimal) -> list[Decimal]:
    """start, start×factor, … while below top, then top; unrounded."""
    _require_decimal(factor, "factor")
    if factor <= 1:
        raise DosingError("The factor must be more than 1.", code="factor_too_small")
    doses = [start]
    with localcontext(_CONTEXT):
        while doses[-1] * factor < top:
            if len(doses) >= MAX_LADDER_STEPS - 1:
                raise DosingError(
                    f"That factor needs more than {MAX_LADDER_STEPS} steps; use a larger one.", code="too_many_steps"
                )
            doses.append(doses[-1] * factor)
    return [*doses, top]


def _round_between_ends(doses: list[Decimal]) -> list[Decimal]:
    """Round the inner doses to as few significant figures (from 2) as keeps the ladder strictly rising."""
    for figures in range(LADDER_SIGNIFICANT_FIGURES, _CONTEXT.prec + 1):
        rounded = [doses[0], *(round_significant(dose, figures) for dose in doses[1:-1]), doses[-1]]
        if _strictly_rising(rounded):
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
        _require_positive(value, "dose", code="dose_not_positive")
    if len(doses) < 3:
        return list(doses)
    largest = max_rise(doses)
    assert largest is not None  # noqa: S101 - three or more positive doses
    for series in SEMILOG_SERIES:
        rounded = [doses[0], *(_nearest_in_series(dose, series) for dose in doses[1:-1]), doses[-1]]
        rise = max_rise(rounded)
        if _strictly_rising(rounded) and rise is not None and rise <= largest * SEMILOG_RISE_TOLERANCE:
            return rounded
    return list(doses)


def _nearest_in_series(value: Decimal, series: Sequence[Decimal]) -> Decimal:
    """The number of the series (repeated in every decade) nearest to value on a log scale."""
    with localcontext(_CONTEXT):
        decade = Decimal(1).scaleb(value.adjusted())
        candidates = [base * decade for base in series] + [series[0] * decade * 10]
        best = min(candidates, key=lambda candidate: abs((candidate / value).ln()))
        return plain_amount(best)


def round_significant(value: Decimal, figures: int) -> Decimal:
    """value rounded half-up to `figures` significant figures, without an exponent: 1174 -> 1200 (2 figures)."""
    with localcontext(_CONTEXT):
        exponent = value.adjusted() - figures + 1
        rounded = value.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP).normalize()
        return rounded.quantize(Decimal(1)) if rounded == rounded.to_integral_value() else rounded  # 1.2E+3 -> 1200


def _strictly_rising(values: Sequence[Decimal]) -> bool:
    """True if each value is larger than the one before."""
    return all(a < b for a, b in itertools.pairwise(values))


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
    _require_positive(weight_kg, "weight_kg", code="weight_not_positive")
    _check_fpies_dose_per_kg(protein_g_per_kg)
    _require_positive(cap_g, "cap_g", code="cap_not_positive")
    if portions < 1:
        raise DosingError("There must be at least one portion.", code="portions_not_positive")
    with localcontext(_CONTEXT):
        total_mg = min(weight_kg * protein_g_per_kg, cap_g) * MG_PER_G
        portion = (total_mg / portions).quantize(PORTION_RESOLUTION_MG, rounding=ROUND_DOWN)
        return [portion] * (portions - 1) + [total_mg - portion * (portions - 1)]


def _check_fpies_dose_per_kg(protein_g_per_kg: Decimal) -> None:
    """The g/kg must lie in the published 0.06-0.6 g/kg range (docs/clinical-sources.md §1.5)."""
    _require_decimal(protein_g_per_kg, "protein_g_per_kg")
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
    _require_positive(grams_per_measure, "grams_per_measure", code="measure_not_positive")
    grams = []
    for measure in measures:
        if isinstance(measure, float) or not Fraction(measure) > 0:
            raise DosingError(f"A measure must be a positive fraction (got {measure}).", code="measure_not_positive")
        grams.append(_fraction_to_decimal(Fraction(measure)) * grams_per_measure)
    return grams


def _fraction_to_decimal(value: Fraction) -> Decimal:
    """A Fraction as a Decimal (exact for halves, quarters, eighths…)."""
    with localcontext(_CONTEXT):
        return Decimal(value.numerator) / Decimal(value.denominator)


# ---------------------------------------------------------------------------------------------------------
# Slow home reintroduction (MCAS / non-IgE), amounts in g of FOOD
# ---------------------------------------------------------------------------------------------------------

CRUMB: Final = "crumb"
HomeFraction = Fraction | Literal["crumb"]
# Not from a source: docs/clinical-sources.md §5.4 only says "a small sample" first. We record a crumb as 0.1 g. It is
# below the 0.2 g a home scale can weigh (docs/clinical-sources.md §2) on purpose: a crumb is picked, not weighed.
CRUMB_G: Final = Decimal("0.1")
HOME_FRACTIONS: Final[tuple[HomeFraction, ...]] = (
    CRUMB,
    Fraction(1, 16),
    Fraction(1, 8),
    Fraction(1, 4),
    Fraction(1, 2),
    Fraction(1),
)
# docs/clinical-sources.md §11.1: a home step rises at most about 3× over the one before (the gentle ladder below;
# the step checks warn above HOME_MAX_RISE for home protocols too).
HOME_MAX_RISE: Final = Decimal(3)
# docs/clinical-sources.md §11.1: the top of the gentle ladder halves the serving (each rise 2×) down to 1/16 …
HOME_HALVINGS: Final[tuple[Fraction, ...]] = (
    Fraction(1, 16),
    Fraction(1, 8),
    Fraction(1, 4),
    Fraction(1, 2),
    Fraction(1),
)
# … and below that the amounts are 1, 2.5 and 5 in each decade (0.25, 0.5, 1, 2.5 g …): numbers a scale shows.
HOME_SMALL_SERIES: Final[tuple[Decimal, ...]] = (Decimal(1), Decimal("2.5"), Decimal(5))
# docs/clinical-sources.md §5.4: a new amount every 3-5 days (SM Companion); the default is the shortest.
HOME_DAYS_BETWEEN: Final = 3
# docs/clinical-sources.md §5.4: watch 24-48 h after each test for delayed symptoms; the default is the longest.
HOME_WATCH_HOURS: Final = 48


@dataclass(frozen=True)
class HomeStep:
    """One step of a home reintroduction: eat food_g on day day_offset, then watch for watch_hours."""

    number: int
    food_g: Decimal
    fraction_label: str
    day_offset: int
    watch_hours: int


def home_serving_ladder(
    serving_g: Decimal,
    fractions: Sequence[HomeFraction] | None = None,
    *,
    crumb_g: Decimal = CRUMB_G,
    days_between: int = HOME_DAYS_BETWEEN,
    watch_hours: int = HOME_WATCH_HOURS,
) -> list[HomeStep]:
    """Steps from a crumb to a full serving, one every `days_between` days, amounts in g of food (0.01 g).

    Without `fractions` the ladder is the gentle one (gentle_home_amounts): no step more than about 3× the one
    before. With `fractions` (e.g. HOME_FRACTIONS) the steps are exactly those fractions of the serving.
    """
    _require_positive(serving_g, "serving_g", code="serving_not_positive")
    _require_positive(crumb_g, "crumb_g", code="crumb_not_positive")
    _check_home_timing(days_between, watch_hours)
    if fractions is None:
        return _gentle_home_steps(serving_g, crumb_g, days_between, watch_hours)
    amounts = [_home_amount(fraction, serving_g, crumb_g, index) for index, fraction in enumerate(fractions)]
    if not amounts or not _strictly_rising(amounts):
        raise DosingError(
            "Each step must be larger than the one before (is the crumb bigger than the first fraction?).",
            code="not_increasing",
        )
    return [
        HomeStep(
            number=index + 1,
            food_g=amount,
            fraction_label=_fraction_label(fraction),
            day_offset=index * days_between,
            watch_hours=watch_hours,
        )
        for index, (fraction, amount) in enumerate(zip(fractions, amounts, strict=True))
    ]


def gentle_home_amounts(serving_g: Decimal, *, crumb_g: Decimal = CRUMB_G) -> list[tuple[Decimal, str]]:
    """The gentle home ladder as (grams, label) pairs, from the crumb up to the full serving.

    From the top: the serving halved down to 1/16 (HOME_HALVINGS); below that, from the smallest amount so far,
    the smallest 1-2.5-5 number at least a third of it (so no rise exceeds HOME_MAX_RISE), until the crumb is
    within 3× of it. A 100 g serving gives 0.1, 0.25, 0.5, 1, 2.5, 6.25, 12.5, 25, 50, 100 g
    (docs/clinical-sources.md §11.1). Halvings not above the crumb are left out.
    """
    _require_positive(serving_g, "serving_g", code="serving_not_positive")
    _require_positive(crumb_g, "crumb_g", code="crumb_not_positive")
    if serving_g <= crumb_g:
        raise DosingError("The serving must be larger than the crumb.", code="not_increasing")
    with localcontext(_CONTEXT):
        upper = [
            ((_fraction_to_decimal(f) * serving_g).quantize(SCALE_RESOLUTION_G, rounding=ROUND_HALF_UP), f)
            for f in HOME_HALVINGS
        ]
        upper = [(grams, fraction) for grams, fraction in upper if grams > crumb_g]
        lower: list[Decimal] = []
        smallest = upper[0][0]
        while smallest > crumb_g * HOME_MAX_RISE:
            smallest = _series_at_least(smallest / HOME_MAX_RISE)
            lower.insert(0, smallest)
    labelled = [(crumb_g, CRUMB), *((grams, "") for grams in lower)]
    return labelled + [(plain_amount(grams), _fraction_label(fraction)) for grams, fraction in upper]


def plain_amount(value: Decimal) -> Decimal:
    """value without trailing zeros or an exponent: 12.50 -> 12.5, 1E+1 -> 10."""
    with localcontext(_CONTEXT):
        normal = value.normalize()
        return normal.quantize(Decimal(1)) if normal.as_tuple().exponent > 0 else normal  # type: ignore[operator]


def _series_at_least(value: Decimal) -> Decimal:
    """The smallest 1-2.5-5 number (…, 0.25, 0.5, 1, 2.5, 5, 10, …) that is at least `value`."""
    with localcontext(_CONTEXT):
        decade = Decimal(1).scaleb(value.adjusted())
        for base in (*HOME_SMALL_SERIES, Decimal(10)):
            if base * decade >= value:
                return plain_amount(base * decade)
    raise AssertionError("unreachable: 10 × the decade is always above the value")  # pragma: no cover


def _gentle_home_steps(serving_g: Decimal, crumb_g: Decimal, days_between: int, watch_hours: int) -> list[HomeStep]:
    return [
        HomeStep(
            number=index + 1,
            food_g=grams,
            fraction_label=label,
            day_offset=index * days_between,
            watch_hours=watch_hours,
        )
        for index, (grams, label) in enumerate(gentle_home_amounts(serving_g, crumb_g=crumb_g))
    ]


def max_rise(amounts: Sequence[Decimal]) -> Decimal | None:
    """The largest factor by which an amount exceeds the one before (None for fewer than two amounts)."""
    with localcontext(_CONTEXT):
        rises = [b / a for a, b in itertools.pairwise(amounts) if a > 0]
    return max(rises) if rises else None


def _check_home_timing(days_between: int, watch_hours: int) -> None:
    """The watch window must end before the next step starts (docs/clinical-sources.md §5.4)."""
    if days_between < 1 or watch_hours < 1:
        raise DosingError("Days between steps and watch hours must be at least 1.", code="timing_not_positive")
    if watch_hours > days_between * 24:
        raise DosingError(
            f"A watch of {format_hours(watch_hours)} does not end before the next step, "
            f"{format_hours(days_between * 24)} later.",
            code="watch_overlaps_next_step",
        )


def _home_amount(fraction: HomeFraction, serving_g: Decimal, crumb_g: Decimal, index: int) -> Decimal:
    """Grams of food for one home step, rounded half-up to the 0.01 g scale (docs/clinical-sources.md §2)."""
    if fraction == CRUMB:
        if index != 0:
            raise DosingError("Only the first step can be a crumb.", code="crumb_not_first")
        return crumb_g
    if not isinstance(fraction, Fraction) or not 0 < fraction <= 1:
        raise DosingError(
            f"Fractions of a serving must be above 0 and at most 1 (got {fraction}).", code="bad_fraction"
        )
    with localcontext(_CONTEXT):
        grams = _fraction_to_decimal(fraction) * serving_g
        return grams.quantize(SCALE_RESOLUTION_G, rounding=ROUND_HALF_UP)


def _fraction_label(fraction: HomeFraction) -> str:
    """ "crumb", "1/16", … or "full serving"."""
    if fraction == CRUMB:
        return CRUMB
    return "full serving" if fraction == 1 else str(fraction)


# ---------------------------------------------------------------------------------------------------------
# Preparing one dose
# ---------------------------------------------------------------------------------------------------------

# docs/clinical-sources.md §2 (allergyguide OIT docs): below 0.2 g or 0.2 mL the undiluted amount cannot be measured;
# dilute.
MIN_DIRECT_AMOUNT: Final = Decimal("0.2")
# docs/clinical-sources.md §2 (allergyguide OIT checks): a calculated dose more than 5 % from the target is critical.
MAX_DEVIATION_PCT: Final = Decimal(5)
# docs/clinical-sources.md §2 (allergyguide OIT docs): a powder's volume is negligible below 5 % w/v of the water.
MAX_NEGLIGIBLE_SOLID_W_V_PCT: Final = Decimal(5)
# Not clinical: round, easy-to-measure totals for a mix (mL). The largest is 500 mL because docs/clinical-sources.md §2
# (allergyguide OIT checks) calls more than 500 mL of dilution water impractical.
MIX_VOLUMES_ML: Final = tuple(Decimal(v) for v in ("10", "20", "25", "50", "100", "200", "250", "500"))
# Amount of food put into a mix: 1 g or 1 mL, above the 0.2 g/0.2 mL that can be measured (docs/clinical-sources.md §2).
DILUTION_FOOD_AMOUNT: Final = Decimal(1)
# Smallest volume of mix to give: from 1 mL up, reading a 0.1 mL syringe (docs/clinical-sources.md §2) is within 5 %.
MIN_GIVE_ML: Final = Decimal(1)
DISPLAY_SIGNIFICANT_FIGURES: Final = 3

Method = Literal["weigh", "measure", "dilution"]


@dataclass(frozen=True)
class Preparation:
    """How to prepare one dose. `amount`/`unit` is what the patient takes (food, or mL of the mix)."""

    method: Method
    amount: Decimal
    unit: str
    target_protein_mg: Decimal
    delivered_protein_mg: Decimal
    deviation_pct: Decimal  # signed: (delivered - target) / target × 100, unrounded
    food_amount: Decimal  # g or mL of food weighed or measured (put into the mix, for a dilution)
    food_unit: str
    instructions: str
    diluent_ml: Decimal | None = None  # water for a dilution
    mix_ml: Decimal | None = None  # total volume of the mix
    give_ml: Decimal | None = None  # mL of the mix to give
    as_planned: bool = False  # the step names the food amount itself: nothing was rounded from a protein target

    @property
    def within_tolerance(self) -> bool:
        """True if the delivered protein is within 5 % of the target (docs/clinical-sources.md §2)."""
        return abs(self.deviation_pct) <= MAX_DEVIATION_PCT


def prepare_dose(
    protein_mg: Decimal, food: FoodSpec, *, alternatives: Callable[[], Sequence[FoodSpec]] | None = None
) -> Preparation:
    """How to give protein_mg of food protein: weigh or measure it, or make a dilution when that is too small.

    Order: a direct amount of at least 0.2 g/mL within 5 % of the target; else, for a food that disperses (a
    liquid or a free-flowing powder), a dilution of 1 g/1 mL of food within 5 %; else (a liquid of 0.2-1 mL that
    no mix fits) the direct amount with its deviation.
    Raises DosingError("food_does_not_disperse") for a paste or a solid below 0.2 g, naming the powder forms of
    the same allergen that `alternatives()` (the clinic's food list) offers; DosingError("dilution_not_possible")
    when the dose is too small for one dilution.
    """
    _require_positive(protein_mg, "protein_mg", code="dose_not_positive")
    exact = food_amount_for_protein(protein_mg, food)
    direct = _direct(protein_mg, food, exact) if exact >= MIN_DIRECT_AMOUNT else None
    if direct is not None and direct.within_tolerance:
        return direct
    if not food.disperses:
        if direct is not None:
            return direct
        raise not_dispersible_error(protein_mg, food, exact, alternatives() if alternatives else ())
    dilution = _dilution(protein_mg, food)
    if dilution is not None:
        return dilution
    if direct is not None:
        return direct
    smallest = _smallest_dilutable_mg(food)
    raise DosingError(
        f"{format_quantity(_display(protein_mg), 'mg')} of {food.protein_name} is too small to prepare from one "
        f"dilution of {food.label} (the smallest is about {format_quantity(_display(smallest), 'mg')}); "
        "it needs a two-stage dilution.",
        code="dilution_not_possible",
    )


def powder_alternatives(food: FoodSpec, candidates: Iterable[FoodSpec]) -> list[FoodSpec]:
    """The powder forms of the same allergen among `candidates` (the clinic's foods), richest in protein first."""
    if not food.allergen:
        return []
    found = [
        other
        for other in candidates
        if other.allergen == food.allergen and other.physical_form == POWDER and other.label != food.label
    ]
    return sorted(found, key=lambda other: (-other.protein_g_per_100, other.label))


def not_dispersible_error(
    protein_mg: Decimal, food: FoodSpec, exact: Decimal, candidates: Iterable[FoodSpec]
) -> DosingError:
    """The refusal for a paste or solid dose under 0.2 g, proposing powder forms of the same allergen.

    A paste or a solid cannot be diluted in water (docs/clinical-sources.md §2.1), and under 0.2 g it cannot be
    weighed either (docs/clinical-sources.md §2).
    """
    amount = format_quantity(_display(exact), food.unit)
    text = (
        f"{_mg(protein_mg)} of {food.protein_name} is {amount} of {food.label}: too little to weigh "
        f"(under {format_quantity(MIN_DIRECT_AMOUNT, food.unit)}), and a {food.physical_form} does not mix evenly "
        "into water, so it cannot be diluted."
    )
    powders = powder_alternatives(food, candidates)
    if powders:
        names = "; ".join(powder.label for powder in powders[:3])
        text += f" Use a powder form of the same allergen for this step: {names}."
    else:
        text += (
            " Add a powder form of the same allergen to the food list (a flour or dried powder with its label "
            "protein) and use it for this step, or start at a dose of at least "
            f"{_mg(protein_for_food_amount(MIN_DIRECT_AMOUNT, food))}."
        )
    return DosingError(text, code="food_does_not_disperse")


def _direct(protein_mg: Decimal, food: FoodSpec, exact: Decimal) -> Preparation:
    """Weigh (solid, 0.01 g) or measure (liquid, 0.1 mL) the food itself."""
    resolution = SYRINGE_RESOLUTION_ML if food.is_liquid else SCALE_RESOLUTION_G
    with localcontext(_CONTEXT):
        amount = exact.quantize(resolution, rounding=ROUND_HALF_UP)
    return _weigh(amount, food, protein_mg, as_planned=False)


def food_preparation(food_amount: Decimal, food: FoodSpec, *, target_protein_mg: Decimal | None = None) -> Preparation:
    """A step planned as an amount of food: weigh or measure exactly that (no rounding, no dilution).

    Against `target_protein_mg` (when the step also names a protein dose) the sentence says how far off it is.
    """
    _require_positive(food_amount, "food_amount", code="amount_not_positive")
    return _weigh(food_amount, food, target_protein_mg, as_planned=True)


def _weigh(amount: Decimal, food: FoodSpec, target_protein_mg: Decimal | None, *, as_planned: bool) -> Preparation:
    """Weigh (solid) or measure (liquid) `amount` of the food itself."""
    delivered = protein_for_food_amount(amount, food)
    target = delivered if target_protein_mg is None else target_protein_mg
    preparation = Preparation(
        method="measure" if food.is_liquid else "weigh",
        amount=amount,
        unit=food.unit,
        target_protein_mg=target,
        delivered_protein_mg=delivered,
        deviation_pct=_deviation_pct(delivered, target),
        food_amount=amount,
        food_unit=food.unit,
        instructions="",
        as_planned=as_planned,
    )
    return dataclasses.replace(preparation, instructions=preparation_text(preparation, food))


def _dilution(protein_mg: Decimal, food: FoodSpec) -> Preparation | None:
    """The smallest mix of 1 g/1 mL of food from which ≥ 1 mL gives protein_mg within 5 %, or None."""
    mix_protein = protein_for_food_amount(DILUTION_FOOD_AMOUNT, food)
    for mix_ml in MIX_VOLUMES_ML:
        if not _mix_is_valid(mix_ml, food):
            continue
        with localcontext(_CONTEXT):
            give_exact = protein_mg * mix_ml / mix_protein
            give_ml = give_exact.quantize(SYRINGE_RESOLUTION_ML, rounding=ROUND_HALF_UP)
            delivered = mix_protein * give_ml / mix_ml
        if MIN_GIVE_ML <= give_exact <= mix_ml and abs(_deviation_pct(delivered, protein_mg)) <= MAX_DEVIATION_PCT:
            return _dilution_preparation(protein_mg, food, mix_ml, give_ml, delivered)
    return None


def _mix_is_valid(mix_ml: Decimal, food: FoodSpec) -> bool:
    """A liquid needs room for water; a powder must stay under 5 % w/v so its volume can be ignored.

    Only foods that disperse reach here (prepare_dose refuses pastes and solids first).
    """
    if food.is_liquid:
        return mix_ml > DILUTION_FOOD_AMOUNT
    with localcontext(_CONTEXT):
        return DILUTION_FOOD_AMOUNT / mix_ml * 100 < MAX_NEGLIGIBLE_SOLID_W_V_PCT


def _dilution_preparation(
    protein_mg: Decimal, food: FoodSpec, mix_ml: Decimal, give_ml: Decimal, delivered: Decimal
) -> Preparation:
    """The Preparation for a chosen mix, with plain-English instructions."""
    # A liquid food is part of the mix volume; a powder under 5 % w/v is not (docs/clinical-sources.md §2).
    water_ml = mix_ml - DILUTION_FOOD_AMOUNT if food.is_liquid else mix_ml
    preparation = Preparation(
        method="dilution",
        amount=give_ml,
        unit="mL",
        target_protein_mg=protein_mg,
        delivered_protein_mg=delivered,
        deviation_pct=_deviation_pct(delivered, protein_mg),
        food_amount=DILUTION_FOOD_AMOUNT,
        food_unit=food.unit,
        instructions="",
        diluent_ml=water_ml,
        mix_ml=mix_ml,
        give_ml=give_ml,
    )
    return dataclasses.replace(preparation, instructions=preparation_text(preparation, food))


def preparation_text(preparation: Preparation, food: FoodSpec, *, household_measure: str = "") -> str:
    """How to prepare one dose: the one sentence the protocol page, the preparation sheet and the run page show.

    "Weigh 13.51 g of peanut butter (about 3,000 mg of protein)." for a protein dose (the "about" is the protein
    in the amount as rounded to the scale); "Weigh 0.1 g (crumb) of cheesecake." for a step planned as that amount
    of food, whose protein the step's own column shows; for a dilution, "Mix 1 g of peanut flour into 200 mL of
    water; stir well; give 1.1 mL of the mix (about 2.9 mg of protein). Throw the rest away." Only a liquid or a
    powder is ever diluted (prepare_dose).
    A dose more than 5 % from its protein target says so (docs/clinical-sources.md §2).
    """
    about = f" (about {_mg(preparation.delivered_protein_mg)} of {food.protein_name})"
    if preparation.method == "dilution":
        text = f"{_mixing(preparation, food)}; stir well; give {_ml(preparation.give_ml)} of the mix{about}."
        text += " Throw the rest away."
        if household_measure:
            text += f" Household measure planned: {household_measure}."
    else:
        verb = "Measure" if preparation.method == "measure" else "Weigh"
        measure = f" ({household_measure})" if household_measure else ""
        amount = amount_text(preparation.amount, preparation.unit)
        text = f"{verb} {amount}{measure} of {food.label}{'' if preparation.as_planned else about}."
    if not preparation.within_tolerance:
        away = format_decimal(_display(abs(preparation.deviation_pct)))
        text += f" This is {away} % away from the {_mg(preparation.target_protein_mg)} planned."
    return text


def _mixing(preparation: Preparation, food: FoodSpec) -> str:
    """'Mix 1 g of peanut flour into 200 mL of water' (a liquid food: 'with 19 mL of water (20 mL in total)')."""
    food_part = f"Mix {format_quantity(preparation.food_amount, preparation.food_unit)} of {food.label}"
    if food.is_liquid:
        return f"{food_part} with {_ml(preparation.diluent_ml)} of water ({_ml(preparation.mix_ml)} in total)"
    return f"{food_part} into {_ml(preparation.diluent_ml)} of water"


def _ml(value: Decimal | None) -> str:
    assert value is not None  # noqa: S101 - a dilution always has its water, mix and dose volumes
    return format_quantity(value, "mL")


def _smallest_dilutable_mg(food: FoodSpec) -> Decimal:
    """Protein in 1 mL of the most dilute mix allowed: the floor for prepare_dose."""
    with localcontext(_CONTEXT):
        return protein_for_food_amount(DILUTION_FOOD_AMOUNT, food) * MIN_GIVE_ML / MIX_VOLUMES_ML[-1]


def _deviation_pct(delivered: Decimal, target: Decimal) -> Decimal:
    """Signed percentage by which delivered differs from target."""
    with localcontext(_CONTEXT):
        return (delivered - target) / target * 100


def _display(value: Decimal) -> Decimal:
    """A derived amount shortened for people: 3 significant figures (299.835 -> 300)."""
    return round_significant(value, DISPLAY_SIGNIFICANT_FIGURES) if value else value


def _mg(value: Decimal) -> str:
    """A protein amount as text, e.g. "1,000 mg"."""
    return format_quantity(_display(value), "mg")


# ---------------------------------------------------------------------------------------------------------
# Input guards
# ---------------------------------------------------------------------------------------------------------


def _require_decimal(value: object, name: str) -> None:
    """Refuse floats (and anything else not a finite Decimal): doses are exact."""
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    if not value.is_finite():
        raise DosingError(f"{name} must be a finite number (got {value}).", code="not_finite")


def _require_amount(value: Decimal, name: str) -> None:
    """A Decimal amount of zero or more."""
    _require_decimal(value, name)
    if value < 0:
        raise DosingError(f"{name} cannot be negative (got {format_decimal(value)}).", code="negative_amount")


def _require_positive(value: Decimal, name: str, *, code: str) -> None:
    """A Decimal amount above zero."""
    _require_decimal(value, name)
    if value <= 0:
        raise DosingError(f"{name} must be more than 0 (got {format_decimal(value)}).", code=code)
