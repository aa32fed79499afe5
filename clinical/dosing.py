"""Dose arithmetic for food challenges: the food (protein content, form, household measures), food/protein
conversion, and the input guards every dose calculation uses.

Schedules are in clinical.ladders, the home reintroduction in clinical.home_ladder, preparing one dose (weighing
or a dilution) in clinical.dose_preparation; the checks on a protocol's planned steps in clinical.step_checks.

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

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import (
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
from typing import Final

from clinical.units import QuantityError, format_decimal, format_quantity

# All internal arithmetic runs in this context, whatever the caller's context is: 34 digits (IEEE decimal128)
# keeps conversions exact far beyond any measurable amount, and stray NaN/zero division raise.
DECIMAL_CONTEXT: Final = Context(prec=34, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow])

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
        require_decimal(self.protein_g_per_100, "protein_g_per_100")
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
            require_decimal(self.density_g_per_ml, "density_g_per_ml")
            if not Decimal(0) < self.density_g_per_ml <= MAX_DENSITY_G_PER_ML:
                raise DosingError(
                    f"Density must be more than 0 and at most {format_quantity(MAX_DENSITY_G_PER_ML, 'g/mL')}.",
                    code="density_out_of_range",
                )
        for measure, weight in self.measures:
            require_positive(weight, f"weight of 1 {measure}", code="measure_not_positive")

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
        with localcontext(DECIMAL_CONTEXT):
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
    require_amount(protein_mg, "protein_mg")
    # docs/clinical-sources.md §2: food g = protein mg × 0.001 ÷ (protein g per 100 g ÷ 100) (allergyguide
    # food_protein_index.js)
    with localcontext(DECIMAL_CONTEXT):
        return protein_mg / MG_PER_G / (food.protein_g_per_100 / 100)


def protein_for_food_amount(amount: Decimal, food: FoodSpec) -> Decimal:
    """mg of protein in `amount` g (solid) or mL (liquid) of food; the inverse of food_amount_for_protein."""
    require_amount(amount, "amount")
    with localcontext(DECIMAL_CONTEXT):
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
    with localcontext(DECIMAL_CONTEXT):
        return food_amount_for_protein(protein_mg, food).quantize(SCALE_RESOLUTION_G, rounding=ROUND_HALF_UP)


def cumulative(doses: Sequence[Decimal]) -> list[Decimal]:
    """Running total after each dose (exact Decimal sums)."""
    for dose in doses:
        require_decimal(dose, "dose")
    with localcontext(DECIMAL_CONTEXT):
        return list(itertools.accumulate(doses))


def fraction_to_decimal(value: Fraction) -> Decimal:
    """A Fraction as a Decimal (exact for halves, quarters, eighths…)."""
    with localcontext(DECIMAL_CONTEXT):
        return Decimal(value.numerator) / Decimal(value.denominator)


def strictly_rising(values: Sequence[Decimal]) -> bool:
    """True if each value is larger than the one before."""
    return all(a < b for a, b in itertools.pairwise(values))


def max_rise(amounts: Sequence[Decimal]) -> Decimal | None:
    """The largest factor by which an amount exceeds the one before (None for fewer than two amounts)."""
    with localcontext(DECIMAL_CONTEXT):
        rises = [b / a for a, b in itertools.pairwise(amounts) if a > 0]
    return max(rises) if rises else None


def plain_amount(value: Decimal) -> Decimal:
    """value without trailing zeros or an exponent: 12.50 -> 12.5, 1E+1 -> 10."""
    with localcontext(DECIMAL_CONTEXT):
        normal = value.normalize()
        return normal.quantize(Decimal(1)) if normal.as_tuple().exponent > 0 else normal  # type: ignore[operator]


def round_significant(value: Decimal, figures: int) -> Decimal:
    """value rounded half-up to `figures` significant figures, without an exponent: 1174 -> 1200 (2 figures)."""
    with localcontext(DECIMAL_CONTEXT):
        exponent = value.adjusted() - figures + 1
        rounded = value.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP).normalize()
        return rounded.quantize(Decimal(1)) if rounded == rounded.to_integral_value() else rounded  # 1.2E+3 -> 1200


# ---------------------------------------------------------------------------------------------------------
# Input guards
# ---------------------------------------------------------------------------------------------------------


def require_decimal(value: object, name: str) -> None:
    """Refuse floats (and anything else not a finite Decimal): doses are exact."""
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    if not value.is_finite():
        raise DosingError(f"{name} must be a finite number (got {value}).", code="not_finite")


def require_amount(value: Decimal, name: str) -> None:
    """A Decimal amount of zero or more."""
    require_decimal(value, name)
    if value < 0:
        raise DosingError(f"{name} cannot be negative (got {format_decimal(value)}).", code="negative_amount")


def require_positive(value: Decimal, name: str, *, code: str) -> None:
    """A Decimal amount above zero."""
    require_decimal(value, name)
    if value <= 0:
        raise DosingError(f"{name} must be more than 0 (got {format_decimal(value)}).", code=code)
