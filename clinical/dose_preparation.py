"""Preparing one dose: weigh it, measure it, or make a dilution (a mix) when it is too small to weigh, and the
preparation text the nurse follows.

A pure module: no Django, Decimal for every amount; sources are cited as docs/clinical-sources.md §n.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Final, Literal

from clinical.display import amount_text
from clinical.dosing import (
    DECIMAL_CONTEXT,
    POWDER,
    SCALE_RESOLUTION_G,
    SYRINGE_RESOLUTION_ML,
    DosingError,
    FoodSpec,
    food_amount_for_protein,
    protein_for_food_amount,
    require_positive,
    round_significant,
)
from clinical.units import format_decimal, format_quantity

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
    require_positive(protein_mg, "protein_mg", code="dose_not_positive")
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
    with localcontext(DECIMAL_CONTEXT):
        amount = exact.quantize(resolution, rounding=ROUND_HALF_UP)
    return _weigh(amount, food, protein_mg, as_planned=False)


def food_preparation(food_amount: Decimal, food: FoodSpec, *, target_protein_mg: Decimal | None = None) -> Preparation:
    """A step planned as an amount of food: weigh or measure exactly that (no rounding, no dilution).

    Against `target_protein_mg` (when the step also names a protein dose) the sentence says how far off it is.
    """
    require_positive(food_amount, "food_amount", code="amount_not_positive")
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
        with localcontext(DECIMAL_CONTEXT):
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
    with localcontext(DECIMAL_CONTEXT):
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
    with localcontext(DECIMAL_CONTEXT):
        return protein_for_food_amount(DILUTION_FOOD_AMOUNT, food) * MIN_GIVE_ML / MIX_VOLUMES_ML[-1]


def _deviation_pct(delivered: Decimal, target: Decimal) -> Decimal:
    """Signed percentage by which delivered differs from target."""
    with localcontext(DECIMAL_CONTEXT):
        return (delivered - target) / target * 100


def _display(value: Decimal) -> Decimal:
    """A derived amount shortened for people: 3 significant figures (299.835 -> 300)."""
    return round_significant(value, DISPLAY_SIGNIFICANT_FIGURES) if value else value


def _mg(value: Decimal) -> str:
    """A protein amount as text, e.g. "1,000 mg"."""
    return format_quantity(_display(value), "mg")
