"""Reads for home plans: the patient's plan page, and the clinic's list of plans needing attention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from challenges import access
from challenges.home.models import CalendarFeed, calendar_token_digest
from challenges.library.facts import protocol_steps
from challenges.run import facts
from challenges.run.models import (
    Challenge,
    FollowUp,
    Observation,
    Setting,
    Status,
    StopAlert,
)
from challenges.run.selectors import RunState, run_state, with_run_data
from clinical import home_plan
from clinical.display import amount_text
from clinical.plan import PlannedStep, StepLine
from clinics.models import User
from patients.models import Patient

ENDED = (Status.CANCELLED, Status.COMPLETED, Status.STOPPED)
RECENT = timedelta(hours=72)  # symptoms this recent put a plan on the clinic's attention list
FEED_TOKEN_MAX = 100  # a calendar link's secret is 43 characters; anything much longer is not one


def plan_in_progress(patient: Patient) -> Challenge | None:
    """The patient's latest home plan that has not ended (a paused plan is still in progress)."""
    return (
        patient.challenges.filter(setting=Setting.HOME, entered_in_error=False)
        .exclude(status__in=ENDED)
        .order_by("-scheduled_at")
        .first()
    )


@dataclass(frozen=True)
class HomePlanState:
    run: RunState
    calendar: list[home_plan.CalendarStep]
    watch_until: datetime | None  # the watch window after the latest step
    unlocks_at: datetime | None  # when the next step may be taken
    waiting_for_release: bool
    waiting_for_medication_review: bool  # the allergist's medication decision comes before the first step
    can_take_step: bool
    paused: bool
    symptom_pause: tuple[datetime, datetime] | None  # (last symptom, end of the pause) while a symptom pauses the plan
    step_in_clinic: bool  # the next step is the first, taken in clinic under supervision (not by the patient)
    advice: tuple[str, ...]  # the safety framing around each step (clinical.home_plan.safety_advice)
    maintenance: home_plan.Maintenance | None = None  # keep eating the last tolerated amount daily (X11)


def home_plan_state(challenge: Challenge) -> HomePlanState:
    """What the patient's plan page shows (load with with_run_data)."""
    run = run_state(challenge)
    doses = facts.valid_doses(challenge)
    watch_until = doses[-1].given_at + timedelta(hours=challenge.protocol.watch_hours) if doses else None
    waiting = facts.needs_release(challenge, run.next_step)
    now = timezone.now()
    can_take = (
        challenge.status in (Status.PLANNED, Status.DOSING)
        and run.next_step.number is not None
        and run.open_alert is None
        and not waiting
        and run.first_dose_refusal is None
        and (run.next_step.due_at is None or run.next_step.due_at <= now)
    )
    in_clinic = challenge.first_step_in_clinic and not doses and run.next_step.number is not None
    return HomePlanState(
        run=run,
        step_in_clinic=in_clinic,
        advice=plan_advice(challenge),
        calendar=home_plan.calendar_from(projected_steps(challenge, zone=timezone.get_current_timezone())),
        watch_until=watch_until,
        unlocks_at=run.next_step.due_at,
        waiting_for_release=waiting,
        waiting_for_medication_review=run.first_dose_refusal is not None,
        can_take_step=can_take,
        paused=challenge.status == Status.PAUSED or run.open_alert is not None,
        symptom_pause=_local_pair(facts.symptom_pause(challenge)),
        maintenance=maintenance(challenge, run),
    )


GOING_AHEAD = (Status.PLANNED, Status.CHECKED_IN, Status.DOSING)


def goes_ahead(challenge: Challenge) -> bool:
    """False for a plan that takes no further step for now: paused, ended, or waiting for the allergist's decision
    on symptoms (an open stop alert)."""
    return challenge.status in GOING_AHEAD and facts.open_alert(challenge) is None


def projected_steps(challenge: Challenge, *, zone: tzinfo) -> list[home_plan.ProjectedStep]:
    """Every taking and every step still to come, dated from the plan's real progress in `zone` (load with
    with_run_data): the one source of dates for "My steps", the printed plan and the calendar."""
    watch = challenge.protocol.watch_hours * 60
    waits = [max(step.interval_minutes, watch) for step in challenge.protocol.steps.all()]
    doses = facts.valid_doses(challenge)
    upcoming = facts.upcoming_step(challenge)
    return home_plan.project(
        challenge.scheduled_at.astimezone(zone),
        waits,
        [home_plan.TakenStep(d.step_number, d.given_at.astimezone(zone)) for d in doses if not d.is_placebo],
        next_number=upcoming.number,
        next_due=upcoming.due_at.astimezone(zone) if upcoming.due_at else None,
        going_ahead=goes_ahead(challenge),
    )


def maintenance(challenge: Challenge, run: RunState) -> home_plan.Maintenance | None:
    """ "Keep eating N g of FOOD daily until the next step" (X11): the last tolerated step's amount, from the current
    plan (so a repeat or a changed plan is followed). None while symptoms hold the plan or once it has ended."""
    if challenge.status in ENDED or challenge.status == Status.PAUSED or run.open_alert is not None:
        return None
    active = [line.dose for line in run.doses if not line.dose.entered_in_error and not line.dose.is_placebo]
    rungs = [home_plan.RungAmount(line.number, rung_amount_text(line), line.food_label) for line in run.plan]
    last = active[-1].step_number if active else None
    return home_plan.maintenance(rungs, last, keep_eating=challenge.protocol.keep_eating_between_steps)


def rung_amount_text(line: StepLine) -> str:
    """ "1/2 muffin (25 g)", "100 mL"; empty for a lip smear (nothing to keep eating)."""
    if line.is_lip_smear:
        return ""
    amount = amount_text(line.food_amount, line.food_unit)
    return f"{line.household_measure} ({amount})" if line.household_measure else amount


def _local_pair(pair: tuple[datetime, datetime] | None) -> tuple[datetime, datetime] | None:
    return (timezone.localtime(pair[0]), timezone.localtime(pair[1])) if pair else None


def plan_advice(challenge: Challenge) -> tuple[str, ...]:
    """The safety framing of a home plan: supervised first step, adult present, cofactors, maintenance, composite."""
    protocol, food = challenge.protocol, challenge.protocol.food
    return home_plan.safety_advice(
        food=food.name.lower(),
        keep_eating=protocol.keep_eating_between_steps,
        composite=food.is_composite,
        first_step_in_clinic=challenge.first_step_in_clinic,
    )


@dataclass(frozen=True)
class AttentionRow:
    challenge: Challenge
    reasons: tuple[str, ...]
    findings: tuple[Observation, ...]


def attention_row(challenge: Challenge, now: datetime) -> AttentionRow:
    """Why a home plan needs the clinic: paused, symptoms reported, a step waiting for release."""
    reasons: list[str] = []
    if challenge.status == Status.PAUSED or facts.open_alert(challenge):
        reasons.append(_("Paused: symptoms met a stop rule"))
    recent = tuple(
        o
        for o in challenge.observations.all()
        if not o.entered_in_error and o.severity > 0 and o.observed_at >= now - RECENT
    )
    if recent:
        reasons.append(_("Symptoms reported in the last 72 h"))
    step = facts.upcoming_step(challenge)
    if facts.needs_release(challenge, step) and (step.due_at is None or step.due_at <= now):
        reasons.append(_("Step %(n)s is waiting for release") % {"n": step.number})
    return AttentionRow(challenge, tuple(reasons), recent)


def plans_needing_attention(user: User, now: datetime) -> list[AttentionRow]:
    """The clinic's home plans that need it now, each with its reasons.

    A stopped plan has no step left to release (home.step_release refuses it), so it can need attention only for
    an undecided alert or a symptom in the last 72 h: the years of stopped plans a clinic keeps are not loaded to
    find that out. A union of id queries, each on an index (bench/README.md).
    """
    plans = access.challenges_for(user).filter(setting=Setting.HOME, entered_in_error=False)
    recent_symptoms = Observation.objects.filter(
        entered_in_error=False, severity__gt=0, observed_at__gte=now - RECENT
    ).values("challenge_id")
    open_alerts = StopAlert.objects.filter(decision="").values("challenge_id")
    under_way = plans.filter(status__in=[s for s in Status.values if s not in ENDED])
    stopped = plans.filter(status=Status.STOPPED).filter(Q(pk__in=recent_symptoms) | Q(pk__in=open_alerts))
    # The ids first (one query): as a subquery, PostgreSQL expects a thousand rows and joins every challenge.
    ids = list(under_way.values_list("pk", flat=True).order_by().union(stopped.values_list("pk", flat=True).order_by()))
    rows = (attention_row(c, now) for c in with_run_data(Challenge.objects.filter(pk__in=ids)))
    return [row for row in rows if row.reasons]


def overdue_follow_ups(user: User, now: datetime) -> QuerySet[FollowUp]:
    """Follow-up check-ins of the user's challenges that were due before `now` and are not done."""
    return (
        FollowUp.objects.filter(challenge__in=access.challenges_for(user), done_at__isnull=True, due_at__lt=now)
        .select_related("challenge__patient", "challenge__protocol__food")
        .order_by("due_at")
    )


def remaining_steps(challenge: Challenge) -> list[PlannedStep]:
    """The plan's steps not taken yet (a dose entered in error does not count): what "Change the plan" starts from.
    The steps taken stay as they are (home.services.plan_change keeps them)."""
    taken = {dose.step_number for dose in facts.valid_doses(challenge)}
    return [step for step in protocol_steps(challenge.protocol) if step.number not in taken]


def calendar_feed_patient(token: str) -> Patient | None:
    """The patient whose live calendar link has this secret, or None (unknown, revoked, or malformed)."""
    if not token or len(token) > FEED_TOKEN_MAX:
        return None
    feed = (
        CalendarFeed.objects.filter(token_sha256=calendar_token_digest(token), revoked_at__isnull=True)
        .select_related("patient")
        .first()
    )
    return feed.patient if feed else None


def live_calendar_feed(patient: Patient) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(patient=patient, revoked_at__isnull=True).first()


def feed_plans(patient: Patient) -> QuerySet[Challenge]:
    """The home plans a patient's calendar link serves: every home plan not entered in error (an ended plan's
    events stay, cancelled where they did not happen). Load with with_run_data."""
    return patient.challenges.filter(setting=Setting.HOME, entered_in_error=False).order_by("scheduled_at", "pk")
