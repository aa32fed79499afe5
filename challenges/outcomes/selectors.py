"""A clinic's outcomes, counted in the database: one aggregate query per figure, whatever the number of challenges.

Every figure starts from `finished_challenges`: the clinic's challenges (never another clinic's), not entered in
error, whose dosing is over (completed or stopped), scheduled within the date range, of the chosen food, age band
and kind. Home-plan pauses count every home plan of the range, finished or not (a plan under way can be paused).

The eliciting-dose distributions read, per food, what the threshold rule needs of each challenge's doses
(`threshold_summaries`: counted, summed and grouped in the database, one row per distinct combination, so 50,000
challenges come back as a few hundred rows). The research export reads one row per challenge with its doses in
order (`threshold_rows`): two queries, whatever the number of challenges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Count,
    DateField,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.utils import timezone

from challenges.models import Challenge, ChallengeEvent, Dose, Observation, Setting, Status, Treatment, TreatmentKind
from challenges.run.models import Outcome
from clinical.threshold_intervals import DoseSummary, GivenDose

FINISHED = (Status.COMPLETED, Status.STOPPED)

# Age at the challenge in completed years, in bands a paediatric allergy clinic reports by. The challenge's day is
# its UTC date (a challenge booked just after midnight local time may count a day early).
AGE_BANDS: dict[str, tuple[str, int, int | None]] = {
    "under_2": ("Under 2 years", 0, 2),
    "2_5": ("2 to 5 years", 2, 6),
    "6_11": ("6 to 11 years", 6, 12),
    "12_17": ("12 to 17 years", 12, 18),
    "adult": ("18 years and over", 18, None),
}


class YearsBefore(Func):
    """The calendar date `years` years before a timestamp's (UTC) date, in the database's own date arithmetic.

    Native functions on both databases (no per-row Python function, as TruncDate minus a date is on SQLite), so
    the age filter stays fast at 50,000 challenges.
    """

    output_field = DateField()

    def __init__(self, expression: str, years: int) -> None:
        super().__init__(F(expression))
        self.years = years

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date({sql}, %s)", [*params, f"-{self.years} years"]

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(({sql}) - make_interval(years => %s))::date", [*params, self.years]


# Time from the last dose before the first symptom to that symptom, in bands (minutes: from, to).
ONSET_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("under 5 min", 0, 5),
    ("5 to 14 min", 5, 15),
    ("15 to 29 min", 15, 30),
    ("30 to 59 min", 30, 60),
    ("1 to 2 h", 60, 120),
    ("2 h or more", 120, None),
)


@dataclass(frozen=True)
class Filters:
    """What the allergist chose; None means all."""

    date_from: date | None = None
    date_to: date | None = None
    food: str | None = None  # an allergen group (challenges.library.models.AllergenGroup)
    age_band: str | None = None
    kind: str | None = None


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def in_scope(challenges: QuerySet[Challenge], filters: Filters) -> QuerySet[Challenge]:
    """The clinic's challenges (the caller passes access.challenges_for) narrowed by the filters; never in error."""
    rows = challenges.filter(entered_in_error=False)
    if filters.date_from:
        rows = rows.filter(scheduled_at__gte=_start_of(filters.date_from))
    if filters.date_to:
        rows = rows.filter(scheduled_at__lt=_start_of(filters.date_to + timedelta(days=1)))
    if filters.food:
        rows = rows.filter(protocol__food__allergen_group=filters.food)
    if filters.kind:
        rows = rows.filter(protocol__kind=filters.kind)
    if filters.age_band:
        _, low, high = AGE_BANDS[filters.age_band]
        if low:  # at least `low` years old: born on or before the day `low` years before the challenge
            rows = rows.filter(patient__date_of_birth__lte=YearsBefore("scheduled_at", low))
        if high is not None:
            rows = rows.filter(patient__date_of_birth__gt=YearsBefore("scheduled_at", high))
    return rows


def finished_challenges(challenges: QuerySet[Challenge], filters: Filters) -> QuerySet[Challenge]:
    return in_scope(challenges, filters).filter(status__in=FINISHED)


# --- the figures ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One bar of a chart and one row of its table."""

    label: str
    count: int


@dataclass(frozen=True)
class Figures:
    done: int
    outcomes: tuple[Bar, ...]
    grades: tuple[Bar, ...]
    adrenaline_challenges: int
    adrenaline_doses: int
    reacted: int  # finished challenges that failed
    steps: tuple[Bar, ...]
    onset: tuple[Bar, ...]
    home_plans: int
    paused_plans: int
    pauses: int
    resumed_plans: int


def figures(challenges: QuerySet[Challenge], filters: Filters) -> Figures:
    """Every figure of the outcomes page, in seven queries."""
    done = finished_challenges(challenges, filters)
    outcomes = _outcomes(done)
    adrenaline = _adrenaline(done)
    home = _home_pauses(in_scope(challenges, filters))
    return Figures(
        done=sum(bar.count for bar in outcomes),
        outcomes=outcomes,
        grades=_grades(done),
        adrenaline_challenges=adrenaline["challenges"],
        adrenaline_doses=adrenaline["doses"],
        reacted=next((bar.count for bar in outcomes if bar.label == str(Outcome.FAILED.label)), 0),
        steps=_eliciting_steps(done),
        onset=_onset(done),
        home_plans=home["plans"],
        paused_plans=home["paused_plans"],
        pauses=home["pauses"],
        resumed_plans=home["resumed_plans"],
    )


def _outcomes(done: QuerySet[Challenge]) -> tuple[Bar, ...]:
    counts = dict(done.order_by().values_list("outcome").annotate(n=Count("pk")))
    bars = [Bar(str(choice.label), counts.get(choice.value, 0)) for choice in Outcome]
    if counts.get(""):
        bars.append(Bar("Not yet confirmed", counts[""]))
    return tuple(bars)


def _grades(done: QuerySet[Challenge]) -> tuple[Bar, ...]:
    """Confirmed reaction grades, by scale and grade (clinics may grade with more than one scale)."""
    rows = (
        done.exclude(grade="")
        .order_by()
        .values_list("grade_scale", "grade")
        .annotate(n=Count("pk"))
        .order_by("grade_scale", "grade")
    )
    return tuple(Bar(f"{scale.upper() or 'Grade'} {grade}".strip(), n) for scale, grade, n in rows)


def _adrenaline(done: QuerySet[Challenge]) -> dict[str, int]:
    given = Treatment.objects.filter(challenge__in=done, kind=TreatmentKind.ADRENALINE, entered_in_error=False)
    result = given.aggregate(challenges=Count("challenge", distinct=True), doses=Count("pk"))
    return {"challenges": result["challenges"] or 0, "doses": result["doses"] or 0}


def _active_doses() -> QuerySet[Dose]:
    return Dose.objects.filter(entered_in_error=False, is_placebo=False)


def _eliciting_steps(done: QuerySet[Challenge]) -> tuple[Bar, ...]:
    """Failed challenges by the protocol step of the last active dose given (the one that elicited)."""
    last_step = _active_doses().filter(challenge=OuterRef("pk")).order_by("-sequence").values("step_number")[:1]
    rows = (
        done.filter(outcome=Outcome.FAILED)
        .order_by()
        .annotate(step=Subquery(last_step, output_field=IntegerField()))
        .values_list("step")
        .annotate(n=Count("pk"))
        .order_by("step")
    )
    return tuple(Bar(f"Step {step}" if step else "No dose recorded", n) for step, n in rows)


# The minutes between two timestamp columns, per database (SQLite stores text; PostgreSQL has intervals).
_MINUTES_BETWEEN = {
    "sqlite": "(julianday({later}) - julianday({earlier})) * 1440.0",
    "postgresql": "EXTRACT(EPOCH FROM ({later} - {earlier})) / 60.0",
}


def _onset(done: QuerySet[Challenge]) -> tuple[Bar, ...]:
    """Challenges with a symptom, by the time from the last dose before the first symptom to that symptom.

    One query, written in SQL: the first symptom of each challenge is computed once in a derived table (the ORM
    would repeat the correlated subquery in every CASE branch, 7 s at 50,000 challenges), then its last dose.
    """
    challenge_ids, params = done.order_by().values("pk").query.sql_with_params()
    minutes = _MINUTES_BETWEEN[connection.vendor].format(later="s.first_at", earlier="s.dose_at")
    bands = " ".join(
        "WHEN w.m >= %d" % low + (" AND w.m < %d" % high if high is not None else "") + " THEN %d" % n  # noqa: UP031
        for n, (_label, low, high) in enumerate(ONSET_BANDS)
    )
    observation, dose = Observation._meta.db_table, Dose._meta.db_table
    # Three layers, each computed once per row: the first symptom of each challenge, its last dose, the minutes.
    sql = f"""
        SELECT CASE {bands} END AS band, COUNT(*) FROM (
            SELECT {minutes} AS m FROM (
                SELECT f.first_at AS first_at, (
                    SELECT MAX(d.given_at) FROM {dose} d
                    WHERE d.challenge_id = f.challenge_id AND d.entered_in_error = %s AND d.given_at <= f.first_at
                ) AS dose_at
                FROM (
                    SELECT o.challenge_id AS challenge_id, MIN(o.observed_at) AS first_at FROM {observation} o
                    WHERE o.challenge_id IN ({challenge_ids}) AND o.severity >= 1 AND o.entered_in_error = %s
                    GROUP BY o.challenge_id
                ) f
            ) s
            WHERE s.dose_at IS NOT NULL
        ) w
        GROUP BY band
    """  # noqa: S608 - table names are ours; every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [False, *params, False])
        counts = {band: n for band, n in cursor.fetchall() if band is not None}
    return tuple(Bar(label, counts.get(n, 0)) for n, (label, _low, _high) in enumerate(ONSET_BANDS))


def _home_pauses(scope: QuerySet[Challenge]) -> dict[str, int]:
    """Home plans of the range; how many were paused for symptoms (and how often), and how many resumed."""
    plans = scope.filter(setting=Setting.HOME).exclude(status__in=(Status.PLANNED, Status.CANCELLED))
    paused = Q(kind="status", to_status=Status.PAUSED)
    resumed = Q(kind="status", from_status=Status.PAUSED, to_status=Status.DOSING)
    result = plans.aggregate(plans=Count("pk", distinct=True))
    events = ChallengeEvent.objects.filter(challenge__in=plans).aggregate(
        paused_plans=Count("challenge", distinct=True, filter=paused),
        pauses=Count("pk", filter=paused),
        resumed_plans=Count("challenge", distinct=True, filter=resumed),
    )
    return {"plans": result["plans"] or 0, **{key: value or 0 for key, value in events.items()}}


# --- the threshold data ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThresholdRow:
    """One finished challenge with a confirmed outcome, for the threshold intervals and the research export."""

    pk: int
    allergen_group: str
    food: str
    kind: str
    outcome: str
    scheduled_on: date
    date_of_birth: date
    blinded: bool
    doses: tuple[GivenDose, ...]


def threshold_rows(challenges: QuerySet[Challenge], filters: Filters) -> list[ThresholdRow]:
    """The finished challenges with an outcome and every dose given (placebos included, flagged), in two queries."""
    confirmed = finished_challenges(challenges, filters).exclude(outcome="")
    rows = list(
        confirmed.order_by("scheduled_at", "pk").values_list(
            "pk",
            "protocol__food__allergen_group",
            "protocol__food__name",
            "protocol__kind",
            "outcome",
            "scheduled_at",
            "patient__date_of_birth",
            "blinded",
        )
    )
    doses: dict[int, list[GivenDose]] = {}
    given = (
        Dose.objects.filter(challenge__in=confirmed.values("pk"), entered_in_error=False)
        .order_by("challenge_id", "sequence")
        .values_list("challenge_id", "protein_mg", "is_placebo")
    )
    for challenge_id, protein_mg, is_placebo in given:
        doses.setdefault(challenge_id, []).append(GivenDose(Decimal(protein_mg), is_placebo=is_placebo))
    return [
        ThresholdRow(
            pk=pk,
            allergen_group=group,
            food=food,
            kind=kind,
            outcome=outcome,
            scheduled_on=timezone.localdate(scheduled_at),
            date_of_birth=born,
            blinded=blinded,
            doses=tuple(doses.get(pk, ())),
        )
        for pk, group, food, kind, outcome, scheduled_at, born, blinded in rows
    ]


# --- the eliciting-dose distributions ----------------------------------------------------------------------------


def threshold_foods(challenges: QuerySet[Challenge], filters: Filters) -> list[tuple[str, str, int]]:
    """(allergen group, food name, challenges) of the finished challenges with a confirmed outcome, in one query."""
    confirmed = finished_challenges(challenges, filters).exclude(outcome="")
    rows = (
        confirmed.order_by()
        .values_list("protocol__food__allergen_group", "protocol__food__name")
        .annotate(count=Count("pk"))
    )
    return [(group, food, count) for group, food, count in rows]


def threshold_summaries(
    challenges: QuerySet[Challenge], filters: Filters, foods: Q
) -> list[tuple[str, DoseSummary, int]]:
    """(outcome, what the threshold rule reads of the doses, how many challenges) for the chosen foods, in one query.

    Each challenge's figures are correlated subqueries on its doses (the index on challenge and sequence), and
    the challenges are then grouped by them, so only the distinct combinations leave the database.
    """
    confirmed = finished_challenges(challenges, filters).exclude(outcome="").filter(foods)
    valid = Dose.objects.filter(challenge=OuterRef("pk"), entered_in_error=False).order_by()
    active = valid.filter(is_placebo=False, protein_mg__gt=0)

    def total(doses: QuerySet[Dose], aggregate: Any) -> Subquery:
        return Subquery(doses.values("challenge").annotate(value=aggregate).values("value")[:1])

    rows = (
        confirmed.annotate(
            last_is_placebo=Subquery(valid.order_by("-sequence").values("is_placebo")[:1]),
            active_count=total(active, Count("pk")),
            active_total=total(active, Sum("protein_mg")),
            active_max=total(active, Max("protein_mg")),
            last_sequence=Subquery(active.order_by("-sequence").values("sequence")[:1]),
            last_active=Subquery(active.order_by("-sequence").values("protein_mg")[:1]),
        )
        .annotate(before_last_max=total(active.filter(sequence__lt=OuterRef("last_sequence")), Max("protein_mg")))
        .order_by()
        .values_list(
            "outcome",
            "last_is_placebo",
            "active_count",
            "active_total",
            "active_max",
            "last_active",
            "before_last_max",
        )
        .annotate(count=Count("pk"))
    )
    return [(outcome, _summary(figures), count) for outcome, *figures, count in rows]


def _summary(figures: list[Any]) -> DoseSummary:
    last_is_placebo, active_count, active_total, active_max, last_active, before_last_max = figures
    return DoseSummary(
        last_is_placebo=bool(last_is_placebo),
        active_count=active_count or 0,
        active_total=_mg(active_total),
        active_max=_mg(active_max),
        last_active=_mg(last_active),
        before_last_max=_mg(before_last_max),
    )


def _mg(value: Decimal | float | None) -> Decimal:
    """A protein figure as the database returns it (None: no such dose, 0), to the model field's 3 decimal places:
    SQLite sums decimals in floating point."""
    return Decimal(0) if value is None else Decimal(str(value)).quantize(Decimal("0.001"))
