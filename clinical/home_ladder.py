"""The slow home reintroduction (MCAS / non-IgE): amounts in g of FOOD, days between steps, watch windows.

A pure module: no Django, Decimal for every amount; sources are cited as docs/clinical-sources.md §n.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Final, Literal

from clinical.dosing import (
    DECIMAL_CONTEXT,
    SCALE_RESOLUTION_G,
    DosingError,
    fraction_to_decimal,
    plain_amount,
    require_positive,
    strictly_rising,
)
from clinical.durations import format_hours

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
    require_positive(serving_g, "serving_g", code="serving_not_positive")
    require_positive(crumb_g, "crumb_g", code="crumb_not_positive")
    _check_home_timing(days_between, watch_hours)
    if fractions is None:
        return _gentle_home_steps(serving_g, crumb_g, days_between, watch_hours)
    amounts = [_home_amount(fraction, serving_g, crumb_g, index) for index, fraction in enumerate(fractions)]
    if not amounts or not strictly_rising(amounts):
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
    require_positive(serving_g, "serving_g", code="serving_not_positive")
    require_positive(crumb_g, "crumb_g", code="crumb_not_positive")
    if serving_g <= crumb_g:
        raise DosingError("The serving must be larger than the crumb.", code="not_increasing")
    with localcontext(DECIMAL_CONTEXT):
        upper = [
            ((fraction_to_decimal(f) * serving_g).quantize(SCALE_RESOLUTION_G, rounding=ROUND_HALF_UP), f)
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


def _series_at_least(value: Decimal) -> Decimal:
    """The smallest 1-2.5-5 number (…, 0.25, 0.5, 1, 2.5, 5, 10, …) that is at least `value`."""
    with localcontext(DECIMAL_CONTEXT):
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


def watch_missing(watch_hours: int) -> bool:
    """A home plan with no watch window after its steps: it would never watch for a delayed reaction, so such a
    protocol is not saved. How long is the allergist's choice: 24-48 h for a slow reintroduction (docs/clinical-
    sources.md §5.4), a couple of hours for daily home doses after a negative clinic challenge (ASCIA, §1.3)."""
    return watch_hours < 1


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
    with localcontext(DECIMAL_CONTEXT):
        grams = fraction_to_decimal(fraction) * serving_g
        return grams.quantize(SCALE_RESOLUTION_G, rounding=ROUND_HALF_UP)


def _fraction_label(fraction: HomeFraction) -> str:
    """ "crumb", "1/16", … or "full serving"."""
    if fraction == CRUMB:
        return CRUMB
    return "full serving" if fraction == 1 else str(fraction)
