"""The eliciting-dose distributions of a clinic, per food, and the de-identified research rows (docs/outcomes.md).

Computed from what challenges.outcomes.selectors returns, with the rules in clinical.thresholds; nothing here reads
the database.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q

from challenges.library.models import AllergenGroup
from challenges.outcomes.selectors import Bar, ThresholdRow
from clinical import threshold_intervals, thresholds
from clinical.dates import completed_years
from clinical.threshold_intervals import DoseSummary, Excluded, ThresholdInterval
from clinical.thresholds import Distribution, NotEstimable
from clinical.units import format_decimal, format_quantity

# Tree nuts, fish, shellfish and "other" are different foods under one group: their thresholds are never pooled.
SPLIT_BY_FOOD = {AllergenGroup.TREE_NUT, AllergenGroup.FISH, AllergenGroup.SHELLFISH, AllergenGroup.OTHER}

EXCLUSION_LABELS = {
    "equivocal": "equivocal outcome",
    "no_outcome": "no outcome",
    "reaction_after_placebo": "reaction after a placebo dose",
    "no_active_dose": "no active dose given",
    "eliciting_not_above_tolerated": "eliciting dose not above a dose tolerated before (discrete basis)",
}

# Ages above this are written as "90 or over" in the research export (a rare age can identify a person).
TOP_CODED_AGE = 90
# The research export moves every date by the same random number of days, drawn anew for each export.
DATE_SHIFT_DAYS = 365


def food_label(row: ThresholdRow) -> str:
    return group_food_label(row.allergen_group, row.food)


def group_food_label(allergen_group: str, food: str) -> str:
    """How thresholds are pooled: by allergen group, except the groups whose foods differ (SPLIT_BY_FOOD)."""
    group = AllergenGroup(allergen_group)
    return f"{group.label}: {food}" if group in SPLIT_BY_FOOD else str(group.label)


@dataclass(frozen=True)
class FoodThresholds:
    food: str
    basis: str
    intervals: tuple[ThresholdInterval, ...]
    excluded: tuple[tuple[str, int], ...]  # (reason label, how many)
    result: Distribution | NotEstimable

    @property
    def censoring(self) -> dict[str, int]:
        counts = Counter(i.censoring for i in self.intervals)
        return {
            kind: counts.get(kind, 0)
            for kind in (threshold_intervals.LEFT, threshold_intervals.INTERVAL, threshold_intervals.RIGHT)
        }


def bracket_bars(intervals: Sequence[ThresholdInterval]) -> tuple[Bar, ...]:
    """How many challenges gave each interval, lowest first: "up to 3 mg", "13 mg to 43 mg", "over 4,443 mg"."""
    counts = Counter((i.lower_mg, i.upper_mg) for i in intervals)

    def key(pair: tuple[Decimal, Decimal | None]) -> tuple[Decimal, Decimal]:
        return pair[0], pair[1] if pair[1] is not None else Decimal("Infinity")

    return tuple(Bar(_bracket_label(lower, upper), counts[(lower, upper)]) for lower, upper in sorted(counts, key=key))


def _bracket_label(lower: Decimal, upper: Decimal | None) -> str:
    if upper is None:
        return f"over {format_quantity(lower, 'mg')}"
    if lower == 0:
        return f"up to {format_quantity(upper, 'mg')}"
    return f"{format_quantity(lower, 'mg')} to {format_quantity(upper, 'mg')}"


def food_thresholds(
    summaries: Sequence[tuple[str, DoseSummary, int]], *, food: str, basis: str, replicates: int
) -> FoodThresholds:
    """The threshold intervals of one food's challenges (selectors.threshold_summaries: outcome, what the rule
    reads of the doses, how many challenges), what was left out and why, and the fitted distribution."""
    intervals: list[ThresholdInterval] = []
    excluded: Counter[str] = Counter()
    for outcome, doses, count in summaries:
        found = threshold_intervals.summary_interval(doses, outcome=outcome, basis=basis)
        if isinstance(found, Excluded):
            excluded[EXCLUSION_LABELS.get(found.code, found.code)] += count
        else:
            intervals += [found] * count
    return FoodThresholds(
        food=food,
        basis=basis,
        intervals=tuple(intervals),
        excluded=tuple(sorted(excluded.items())),
        result=thresholds.distribution(intervals, basis=basis, replicates=replicates),
    )


def foods(rows: Sequence[tuple[str, str, int]]) -> list[tuple[str, int]]:
    """The foods with challenges (selectors.threshold_foods: group, food, count), most challenged first."""
    counts: Counter[str] = Counter()
    for group, food, count in rows:
        counts[group_food_label(group, food)] += count
    return counts.most_common()


def food_query(rows: Sequence[tuple[str, str, int]], label: str) -> Q:
    """The challenges whose food is shown under `label` (a whole allergen group, or one food of a split group)."""
    query = Q(pk__in=[])
    for group, food, _ in rows:
        if group_food_label(group, food) == label:
            query |= Q(protocol__food__allergen_group=group, protocol__food__name=food)
    return query


# --- the de-identified research export -----------------------------------------------------------------------


RESEARCH_HEADER = (
    "record",
    "food",
    "challenge_kind",
    "blinded",
    "outcome",
    "age_years",
    "shifted_date",
    "cumulative_lower_mg",
    "cumulative_upper_mg",
    "cumulative_censoring",
    "discrete_lower_mg",
    "discrete_upper_mg",
    "discrete_censoring",
    "excluded_because",
)


def research_rows(rows: Sequence[ThresholdRow], *, shift_days: int | None = None) -> list[tuple[str, ...]]:
    """One line per challenge, without names, record numbers, challenge ids or true dates.

    Age is whole years at the challenge (90 and over as "90+"); the date is moved by one random number of days for
    the whole export (intervals between challenges stay true, the calendar does not); lines are numbered 1, 2, 3
    in the order of the shifted dates, so the number says nothing about the record.
    """
    shift = timedelta(days=shift_days if shift_days is not None else _random_shift())
    lines = [_research_line(row, shift) for row in rows]
    lines.sort(key=lambda line: (line[5], line[0], line[1]))
    return [(str(n), *line) for n, line in enumerate(lines, start=1)]


def _random_shift() -> int:
    return secrets.choice([d for d in range(-DATE_SHIFT_DAYS, DATE_SHIFT_DAYS + 1) if d != 0])


def _age(born: date, on: date) -> str:
    years = completed_years(born, on)
    return f"{TOP_CODED_AGE}+" if years >= TOP_CODED_AGE else str(years)


def _research_line(row: ThresholdRow, shift: timedelta) -> tuple[str, ...]:
    cells = []
    reasons = []
    for basis in threshold_intervals.BASES:
        found = threshold_intervals.threshold_interval(row.doses, outcome=row.outcome, basis=basis)
        if isinstance(found, Excluded):
            cells += ["", "", ""]
            reasons.append(f"{basis}: {EXCLUSION_LABELS.get(found.code, found.code)}")
        else:
            upper = "" if found.upper_mg is None else _mg(found.upper_mg)
            cells += [_mg(found.lower_mg), upper, found.censoring]
    return (
        food_label(row),
        row.kind,
        "yes" if row.blinded else "no",
        row.outcome,
        _age(row.date_of_birth, row.scheduled_on),
        (row.scheduled_on + shift).isoformat(),
        *cells,
        "; ".join(reasons),
    )


def _mg(value: Decimal) -> str:
    """A dose for a machine to read: plain digits, no grouping comma ("4443", "0.5")."""
    return format_decimal(value).replace(",", "")
