"""The food actually used for a challenge, and how each dose was prepared, checked and given.

Pure: no Django, Decimal arithmetic. Three rules (docs/clinical-sources.md §12):

- The label of the jar or pack in use: when its protein per 100 g differs from the library figure by more than
  10 %, the doses are worked out from the label (the protein per step stays as planned; the amount of food
  changes); at 10 % or less the library figure stays. Either way the difference is shown.
- A lot past its expiry date on the challenge day is not used.
- A diluted dose is checked by a second person before it is given (two-person check), and what it delivered is
  the volume of the mix given times the mix's concentration, not the target.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Final

from clinical.errors import DomainError
from clinical.units import format_decimal

_CONTEXT: Final = Context(prec=34)

# docs/clinical-sources.md §12: above a 10 % difference between the label and the library figure, the label is used.
# A project choice: food-composition tables differ from one another and from products by up to about 10 % for the
# same food, while label tolerances allowed by regulators are wider (±20 %), so 10 % separates noise from a
# different product.
LABEL_TOLERANCE_PCT: Final = Decimal(10)
_PCT_SHOWN: Final = Decimal("0.1")


class FoodLotError(DomainError):
    """The food in use, or the preparation of a dose, breaks a rule."""


@dataclass(frozen=True)
class LabelComparison:
    """The label's protein figure against the library's, and which one the doses use."""

    library_g_per_100: Decimal
    label_g_per_100: Decimal | None
    difference_pct: Decimal | None  # signed: (label - library) / library × 100, unrounded; None without a label
    per: str  # "100 g" or "100 mL"
    # A composite food dosed in its allergen's protein (a baked-milk muffin's milk protein): the label states the
    # whole food's protein, never the allergen's, so it is compared but cannot change the doses.
    allergen_g_per_100: Decimal | None = None
    protein_name: str = "protein"

    @property
    def uses_label(self) -> bool:
        """True when the label differs from the library by more than 10 % (the doses are worked out from it)."""
        if self.allergen_g_per_100 is not None:
            return False
        return self.difference_pct is not None and abs(self.difference_pct) > LABEL_TOLERANCE_PCT

    @property
    def protein_g_per_100(self) -> Decimal:
        """The figure the doses are worked out from."""
        if self.allergen_g_per_100 is not None:
            return self.allergen_g_per_100
        if self.uses_label and self.label_g_per_100 is not None:
            return self.label_g_per_100
        return self.library_g_per_100

    @property
    def note(self) -> str:
        """The difference in words: "label 25 g/100 g vs library 22.21 g/100 g (+12.6 %): amounts recalculated
        from the label"."""
        library = _per(self.library_g_per_100, self.per)
        if self.allergen_g_per_100 is not None:
            allergen = f"{_per(self.allergen_g_per_100, self.per)} of {self.protein_name}"
            if self.label_g_per_100 is None or self.difference_pct is None:
                return f"no label value recorded: the library figure ({allergen}) is used"
            return (
                f"label {_per(self.label_g_per_100, self.per)} vs library {library} of whole-food protein "
                f"({_signed(self.difference_pct)}): the doses are counted in {self.protein_name}, which a label does "
                f"not state, so the library figure ({allergen}) is kept"
            )
        if self.label_g_per_100 is None or self.difference_pct is None:
            return f"no label value recorded: the library figure ({library}) is used"
        comparison = (
            f"label {_per(self.label_g_per_100, self.per)} vs library {library} ({_signed(self.difference_pct)})"
        )
        if self.uses_label:
            return f"{comparison}: amounts recalculated from the label"
        return f"{comparison}: within {format_decimal(LABEL_TOLERANCE_PCT)} %, the library figure is kept"


def compare_label(
    library_g_per_100: Decimal,
    label_g_per_100: Decimal | None,
    *,
    per: str = "100 g",
    allergen_g_per_100: Decimal | None = None,
    protein_name: str = "protein",
) -> LabelComparison:
    """Compare the label's protein per 100 g (or 100 mL) with the library's (docs/clinical-sources.md §12).

    `allergen_g_per_100`: a composite food dosed in its allergen's protein; the doses keep that library figure.
    """
    _require_protein(library_g_per_100, "library")
    if allergen_g_per_100 is not None:
        _require_protein(allergen_g_per_100, "allergen")
    if label_g_per_100 is None:
        return LabelComparison(library_g_per_100, None, None, per, allergen_g_per_100, protein_name)
    _require_protein(label_g_per_100, "label")
    with localcontext(_CONTEXT):
        difference = (label_g_per_100 - library_g_per_100) / library_g_per_100 * 100
    return LabelComparison(library_g_per_100, label_g_per_100, difference, per, allergen_g_per_100, protein_name)


def _require_protein(value: Decimal, which: str) -> None:
    if not isinstance(value, Decimal):
        raise TypeError(f"the {which} protein must be a Decimal, not {type(value).__name__}")
    if not (value.is_finite() and Decimal(0) < value <= Decimal(100)):
        raise FoodLotError(
            f"The {which} protein must be more than 0 g and at most 100 g per 100 g (got {value}).",
            code="label_protein_out_of_range",
        )


def _per(value: Decimal, per: str) -> str:
    return f"{format_decimal(value)} g/{per}"


def _signed(pct: Decimal) -> str:
    shown = pct.quantize(_PCT_SHOWN, rounding=ROUND_HALF_UP)
    sign = "+" if shown > 0 else ("−" if shown < 0 else "")  # noqa: RUF001 - a real minus sign, as printed
    return f"{sign}{format_decimal(abs(shown))} %"


def expiry_problem(expires_on: date, challenge_day: date) -> str | None:
    """Why a lot cannot be used on the challenge day: it expired before it (it may be used on its expiry date)."""
    if expires_on >= challenge_day:
        return None
    return (
        f"This lot expired on {expires_on:%d %b %Y}, before the challenge on {challenge_day:%d %b %Y}: "
        "use an in-date pack."
    )


# --- the two-person check ----------------------------------------------------------------------------------


def needs_second_check(*, diluted: bool, in_clinic: bool) -> bool:
    """A diluted dose prepared in clinic is checked by a second person before it is given (docs/clinical-sources.md
    §12); for a dose weighed or measured directly the check is recorded when it was done, and not required."""
    return diluted and in_clinic


def checker_problem(preparer_id: int | None, checker_id: int | None) -> str | None:
    """Why the check does not count: the checker is the preparer (an independent check needs two people)."""
    if checker_id is not None and checker_id == preparer_id:
        return "The person who checks a dose must be someone other than the person who prepared it."
    return None


# --- what a diluted dose delivered ---------------------------------------------------------------------------


def mix_concentration_mg_per_ml(food_protein_mg: Decimal, mix_ml: Decimal) -> Decimal:
    """mg of protein in 1 mL of a mix holding `food_protein_mg` of protein in `mix_ml` mL, unrounded."""
    if mix_ml <= 0 or food_protein_mg <= 0:
        raise FoodLotError("A mix needs food and a volume above 0.", code="mix_not_positive")
    with localcontext(_CONTEXT):
        return food_protein_mg / mix_ml


def delivered_protein_mg(volume_ml: Decimal, concentration_mg_per_ml: Decimal) -> Decimal:
    """The protein `volume_ml` of the mix delivered (volume × concentration), unrounded."""
    if volume_ml <= 0:
        raise FoodLotError("The volume of the mix given must be more than 0 mL.", code="volume_not_positive")
    with localcontext(_CONTEXT):
        return volume_ml * concentration_mg_per_ml
