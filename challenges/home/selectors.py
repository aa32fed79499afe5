"""Reads for home plans: the patient's plan page, and the clinic's list of plans needing attention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from challenges import access
from challenges.home.models import CalendarFeed, calendar_token_digest
from challenges.library.facts import protocol_steps
from challenges.run import facts
from challenges.run.models import (
    Challenge,
    Decision,
    EventKind,
    FollowUp,
    Observation,
    Setting,
    Status,
    StopAlert,
)
from challenges.run.selectors import RunState, run_state, with_run_data
from clinical import home_plan
from clinical.display import amount_text
from clinical.home_plan import timing_label
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
    lock_reason: str = ""  # why the next step is locked until `unlocks_at`: "watch", "wait", "clinic" or "symptom"
    messages: tuple[ClinicMessage, ...] = ()  # the clinic's decisions, newest first
    pause_reasons: tuple[Observation, ...] = ()  # what the patient recorded that paused the plan (not yet decided)
    steps: tuple[MyStep, ...] = ()  # "My steps": taken, next (a repeat too), later, from the current plan
    other_plans: tuple[Challenge, ...] = ()  # the patient's other home plans: earlier ones stay readable


@dataclass(frozen=True)
class ClinicMessage:
    """A decision of the clinic, as the patient reads it: what was decided, the clinician's reason, who and when."""

    at: datetime
    kind: str  # repeat, continue, wait, stop, cancel, release, change
    text: str
    reason: str
    by: str


@dataclass(frozen=True)
class MyStep:
    """A line of "My steps": a step taken, the next one (perhaps a repeat), or a later one with its earliest day."""

    number: int
    amount: str
    food: str
    state: str  # "taken", "next", "later" or "not_taken" (the plan ended)
    at: datetime | None  # taken at, or the earliest time of the next step
    on: date | None  # the earliest day of a later step
    timing: str = ""  # a step taken: "on the planned day", "1 day late"
    repeat: bool = False


MESSAGE_TEXT = {
    Decision.REPEAT: _("Your clinic reviewed your symptoms and decided: take the same step again (do not move up)."),
    Decision.CONTINUE: _("Your clinic reviewed your symptoms and decided: carry on with your plan."),
    Decision.WAIT: _("Your clinic reviewed your symptoms and decided: wait longer before your next step."),
    "stop": _("Your clinic has stopped this plan. Do not eat any more of this food until your clinic tells you."),
    "cancel": _("Your clinic has cancelled this plan."),
    "release": _("Your clinic has released your next step."),
    "change": _("Your clinic has changed your plan from here on."),
}


def clinic_messages(challenge: Challenge) -> tuple[ClinicMessage, ...]:
    """The clinic's decisions on this plan, newest first (load with with_run_data): the allergist's decision on
    reported symptoms, a released step, a changed plan, a stop or a cancellation, each with its reason."""
    found: list[ClinicMessage] = []
    for alert in challenge.alerts.all():
        if alert.decision and alert.decision != Decision.STOP and alert.decided_at:  # a stop: its status event
            by = alert.decided_by.display_name if alert.decided_by else ""
            text = MESSAGE_TEXT[alert.decision]
            found.append(ClinicMessage(alert.decided_at, alert.decision, text, alert.reason, by))
    for release in challenge.releases.all():
        by = release.released_by.display_name
        found.append(ClinicMessage(release.released_at, "release", MESSAGE_TEXT["release"], release.reason, by))
    reasons = _plan_change_reasons(challenge)
    for row in challenge.events.all():
        kind = _message_kind(row.kind, row.to_status)
        if kind and row.by is not None and not row.by.is_patient:
            reason = reasons.get(row.pk, row.reason)
            found.append(ClinicMessage(row.at, kind, MESSAGE_TEXT[kind], reason, row.by.display_name))
    return tuple(sorted(found, key=lambda m: m.at, reverse=True))


def _message_kind(kind: str, to_status: str) -> str:
    if kind == EventKind.PLAN_CHANGED:
        return "change"
    if kind == EventKind.STATUS and to_status == Status.STOPPED:
        return "stop"
    if kind == EventKind.STATUS and to_status == Status.CANCELLED:
        return "cancel"
    return ""


def _plan_change_reasons(challenge: Challenge) -> dict[int, str]:
    """The allergist's own reason of each plan change. Its event reads "old plan → new plan: reason"
    (home.plan_change), and plan names may hold ": ": each new plan is the next change's old one, and the last is
    the plan the challenge runs now."""
    changes = sorted(
        (e for e in challenge.events.all() if e.kind == EventKind.PLAN_CHANGED), key=lambda e: (e.at, e.pk)
    )
    olds = [e.reason.partition(" → ")[0] for e in changes]
    news = [*olds[1:], str(challenge.protocol)][: len(olds)]
    reasons = {}
    for row, old, new in zip(changes, olds, news, strict=True):
        prefix = f"{old} → {new}: "
        reasons[row.pk] = row.reason.removeprefix(prefix) if row.reason.startswith(prefix) else row.reason
    return reasons


def pause_reasons(challenge: Challenge) -> tuple[Observation, ...]:
    """What paused the plan, in the patient's own records: the symptoms recorded since the clinic's last decision
    (a symptom the clinic has already decided on is not listed again, ux-walk 4.7)."""
    decided = [a.decided_at for a in challenge.alerts.all() if a.decided_at]
    since = max(decided, default=None)
    return tuple(
        o
        for o in challenge.observations.all()
        if not o.entered_in_error and o.severity > 0 and (since is None or o.created_at > since)
    )


def my_steps(challenge: Challenge, run: RunState, calendar: list[home_plan.CalendarStep]) -> tuple[MyStep, ...]:
    """ "My steps" from the current plan and the clinic's decisions (ux-walk 4.6): each step taken (a repeated step
    on each of its days), then the next step when it may be taken (the same step again after a "repeat"), then the
    later steps from that day on, each after its planned wait."""
    lines = {line.number: line for line in run.plan}
    planned = {day.number: day.planned_on for day in calendar}
    rows: list[MyStep] = []
    for dose in facts.valid_doses(challenge):
        line = lines.get(dose.step_number)
        if line is None:
            continue
        at = timezone.localtime(dose.given_at)
        planned_on = planned.get(line.number)
        days_off = (at.date() - planned_on).days if planned_on is not None else None
        timing = timing_label(days_off)
        rows.append(MyStep(line.number, rung_amount_text(line), line.food_label, "taken", at, None, timing))
    ended = challenge.status in ENDED
    step = run.next_step
    if step.number is None:
        return tuple(rows)
    first_later = step.number
    if not ended:
        due = timezone.localtime(step.due_at) if step.due_at else None
        line = lines[step.number]
        amount = rung_amount_text(line)
        rows.append(MyStep(step.number, amount, line.food_label, "next", due, None, repeat=step.is_repeat))
        first_later = step.number + 1
    day = timezone.localdate(step.due_at) if step.due_at and not ended else None
    for number in range(first_later, len(run.plan) + 1):
        line = lines[number]
        if day is not None:
            day = day + timedelta(days=lines[number - 1].interval_minutes // (24 * 60))
        state = "not_taken" if ended else "later"
        rows.append(MyStep(number, rung_amount_text(line), line.food_label, state, None, None if ended else day))
    return tuple(rows)


def lock_reason(challenge: Challenge, run: RunState, watch_until: datetime | None) -> str:
    """Why the next step waits until run.next_step.due_at, so "locked until" and "watch until" never disagree:
    "symptom" (a recorded symptom), "clinic" (the clinic said wait longer), "watch" (the watch window of the last
    step), or "wait" (the plan's days between steps, longer than the watch window)."""
    due = run.next_step.due_at
    if due is None:
        return ""
    pause = facts.symptom_pause(challenge)
    if pause is not None and pause[1] >= due:
        return "symptom"
    wait_until = facts.wait_requested(challenge, facts.valid_doses(challenge))
    if wait_until is not None and wait_until >= due:
        return "clinic"
    return "watch" if watch_until is not None and due <= watch_until else "wait"


def other_plans(challenge: Challenge) -> tuple[Challenge, ...]:
    """The patient's other home plans (earlier or later ones): a replaced or stopped plan stays readable."""
    plans = challenge.patient.challenges.filter(setting=Setting.HOME, entered_in_error=False).exclude(pk=challenge.pk)
    return tuple(plans.select_related("protocol__food").order_by("-scheduled_at"))


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
    calendar = home_plan.calendar_from(projected_steps(challenge, zone=timezone.get_current_timezone()))
    return HomePlanState(
        run=run,
        step_in_clinic=in_clinic,
        advice=plan_advice(challenge),
        calendar=calendar,
        watch_until=watch_until,
        unlocks_at=run.next_step.due_at,
        waiting_for_release=waiting,
        waiting_for_medication_review=run.first_dose_refusal is not None,
        can_take_step=can_take,
        paused=challenge.status == Status.PAUSED or run.open_alert is not None,
        symptom_pause=_local_pair(facts.symptom_pause(challenge)),
        maintenance=maintenance(challenge, run),
        lock_reason=lock_reason(challenge, run, watch_until),
        messages=clinic_messages(challenge),
        pause_reasons=pause_reasons(challenge),
        steps=my_steps(challenge, run, calendar),
        other_plans=other_plans(challenge),
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
