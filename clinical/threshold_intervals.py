"""Where one person's eliciting-dose threshold lies, from one food challenge.

A challenge does not measure a person's threshold; it brackets it (docs/clinical-sources.md §17). The person
tolerated every dose before the one that elicited the reaction, so the threshold lies above the highest tolerated
dose and at or below the eliciting dose: an interval. A person who passed tolerated everything given: the threshold
is above the top dose (right-censored). A person who reacted to the first dose: the threshold is at or below it
(left-censored). Doses are counted in mg of food protein, either cumulatively (everything eaten so far, the usual
basis of the VITAL reference doses) or as the discrete dose at which the reaction began.

The rule is `summary_interval`; `threshold_interval` applies it to a list of doses, and the database computes the
same summary per challenge (challenges.outcomes.selectors.threshold_summaries). The population distribution fitted
to the intervals is clinical.thresholds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

CUMULATIVE = "cumulative"
DISCRETE = "discrete"
BASES = (CUMULATIVE, DISCRETE)

INTERVAL = "interval"
LEFT = "left"  # the first active dose elicited: threshold at or below it
RIGHT = "right"  # passed (or stopped for another reason): threshold above everything given


@dataclass(frozen=True)
class GivenDose:
    """A dose actually given, in the order given: its food protein and whether it was a placebo."""

    protein_mg: Decimal
    is_placebo: bool = False


@dataclass(frozen=True)
class ThresholdInterval:
    """Where one person's threshold lies: above `lower_mg`, at or below `upper_mg` (None: no upper bound)."""

    lower_mg: Decimal  # the highest tolerated dose; 0 when the first active dose elicited (left-censored)
    upper_mg: Decimal | None  # the eliciting dose; None when passed (right-censored)

    @property
    def censoring(self) -> str:
        if self.upper_mg is None:
            return RIGHT
        return LEFT if self.lower_mg == 0 else INTERVAL


@dataclass(frozen=True)
class Excluded:
    """A challenge that gives no threshold interval, and why (a stable code, documented in §17)."""

    code: str


# Outcome codes as challenges.run.models.Outcome stores them.
PASSED = "passed"
FAILED = "failed"
EQUIVOCAL = "equivocal"
DOSE_NOT_REACHED = "dose_not_reached"


@dataclass(frozen=True)
class DoseSummary:
    """What the threshold rule reads of a challenge's doses (entered-in-error doses left out).

    An active dose carries food: not a placebo, protein above 0. The database computes these per challenge with
    aggregates (challenges.outcomes.selectors), so a clinic's 50,000 challenges are not walked dose by dose in
    Python; `of` computes the same from a list of doses.
    """

    last_is_placebo: bool  # the last dose given was a placebo
    active_count: int
    active_total: Decimal  # protein of every active dose
    active_max: Decimal  # the largest active dose (0 when none)
    last_active: Decimal  # the last active dose given (0 when none)
    before_last_max: Decimal  # the largest active dose before that one (0 when none)

    @classmethod
    def of(cls, doses: Sequence[GivenDose]) -> DoseSummary:
        active = [d.protein_mg for d in doses if not d.is_placebo and d.protein_mg > 0]
        return cls(
            last_is_placebo=bool(doses) and doses[-1].is_placebo,
            active_count=len(active),
            active_total=sum(active, Decimal(0)),
            active_max=max(active, default=Decimal(0)),
            last_active=active[-1] if active else Decimal(0),
            before_last_max=max(active[:-1], default=Decimal(0)),
        )


def threshold_interval(doses: Sequence[GivenDose], *, outcome: str, basis: str) -> ThresholdInterval | Excluded:
    """The threshold interval a challenge gives, or why it gives none (see `summary_interval`)."""
    return summary_interval(DoseSummary.of(doses), outcome=outcome, basis=basis)


def summary_interval(doses: DoseSummary, *, outcome: str, basis: str) -> ThresholdInterval | Excluded:
    """The threshold interval a challenge gives, or why it gives none.

    - Placebo doses carry no food: they are left out of every count, and a reaction after a placebo gives no
      interval (`reaction_after_placebo`), since the eliciting dose would be a dose of nothing.
    - Equivocal outcomes give none (`equivocal`): whether the threshold was reached is not known.
    - Passed, and stopped before the top dose without a reaction (dose not reached), are right-censored at what was
      eaten: the person tolerated it, and the threshold, if any, is above.
    - Failed: the last active dose given elicited the reaction (dosing stops at the reaction); everything before
      it was tolerated.
    """
    if basis not in BASES:
        raise ValueError(f"unknown dose basis {basis!r}")
    if outcome == EQUIVOCAL:
        return Excluded("equivocal")
    if outcome not in (PASSED, FAILED, DOSE_NOT_REACHED):
        return Excluded("no_outcome")
    if outcome == FAILED and doses.last_is_placebo:
        return Excluded("reaction_after_placebo")
    if not doses.active_count:
        return Excluded("no_active_dose")
    cumulative = basis == CUMULATIVE
    if outcome in (PASSED, DOSE_NOT_REACHED):
        return ThresholdInterval(lower_mg=doses.active_total if cumulative else doses.active_max, upper_mg=None)
    if doses.active_count == 1:
        lower = Decimal(0)
    else:
        lower = doses.active_total - doses.last_active if cumulative else doses.before_last_max
    upper = doses.active_total if cumulative else doses.last_active
    if upper <= lower:  # a discrete eliciting dose no larger than one tolerated before: the bracket is empty
        return Excluded("eliciting_not_above_tolerated")
    return ThresholdInterval(lower_mg=lower, upper_mg=upper)
