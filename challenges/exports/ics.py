"""A home plan as an iCalendar file a phone can import: each step, the premedication before it, the check-ins.

Two stages, like the reports: `plan_events` reads the challenge's prefetched rows (load with
selectors.with_run_data) into frozen PlanEvents in the clinic's time zone; `render_ics` turns them into bytes.

Times carry the clinic's TZID with a VTIMEZONE, so a step planned for 09:00 stays at 09:00 local time on both sides
of a daylight-saving change. UIDs are stable per challenge and step, so importing the file again updates the
events instead of duplicating them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from icalendar import Alarm, Calendar, Event

from challenges.home import selectors as home_selectors
from challenges.library.facts import protocol_steps
from challenges.models import Challenge
from challenges.run.facts import challenge_food_spec
from clinical import premedication
from clinical.display import amount_text
from clinical.plan import StepLine, step_lines

PRODID = "-//Stepwise//Home reintroduction plan//EN"
UID_DOMAIN = "stepwise"
STEP_MINUTES = 15  # how long a step event blocks in the calendar: eating it, not the watch window
REMINDER_MINUTES = 5
CHECK_IN_MINUTES = 15
REFRESH_HOURS = 1  # how often a subscribed phone is asked to fetch the plan again (RFC 7986 REFRESH-INTERVAL)


@dataclass(frozen=True)
class PlanEvent:
    uid: str
    summary: str
    description: str
    starts_at: datetime  # aware, in the clinic's time zone
    minutes: int
    alarm: str  # the text the phone shows when the event starts ("" for a step already taken: no reminder)
    cancelled: bool = False  # the plan is paused or ended: the event stays (same UID) as cancelled, with no alarm


def plan_events(challenge: Challenge) -> list[PlanEvent]:
    """Every event of the plan in time order: steps, premedication reminders, follow-up check-ins (load with
    selectors.with_run_data).

    Dated from the plan's real progress (home.selectors.projected_steps, the same dates as the patient's page and
    the printed plan): a step taken moves to when it was taken, a late or repeated step moves the ones after it,
    and a plan that does not go ahead (paused, waiting for the clinic, ended) cancels the steps still to come
    (interop review 1, 11).
    """
    tz = challenge.clinic.tzinfo
    plan = step_lines(challenge_food_spec(challenge), protocol_steps(challenge.protocol))  # the label's, when used
    lines = {line.number: line for line in plan}
    projection = home_selectors.projected_steps(challenge, zone=tz)
    events: list[PlanEvent] = []
    takings: dict[int, int] = {}
    for row in projection:
        takings[row.number] = takings.get(row.number, 0) + 1
        uid = _uid(challenge, _step_key(row.number, takings[row.number]))
        line = lines[row.number]
        if row.taken_at is not None:  # done: kept at its real time (same UIDs), with no reminder
            done = _premedications(challenge, row.number, row.taken_at, uid)
            events += [dataclasses.replace(r, alarm="") for r in done]
            events.append(_taken(challenge, line, len(lines), row.taken_at, uid))
            continue
        step = _step(challenge, line, len(lines), row.due_at, uid)
        reminders = _premedications(challenge, row.number, row.due_at, uid)
        if row.on_hold:
            step, reminders = _cancelled(step), [_cancelled(r) for r in reminders]
        events += [*reminders, step]
    last = projection[-1] if projection else None
    events += _check_ins(challenge, (last.taken_at or last.due_at) if last and not last.on_hold else None, tz)
    return sorted(events, key=lambda e: (e.starts_at, e.uid))


def _step_key(number: int, taking: int) -> str:
    """ "step-3" for a step's first taking, "step-3-repeat-1" for its first repeat: stable while the plan runs."""
    return f"step-{number}" if taking == 1 else f"step-{number}-repeat-{taking - 1}"


def _cancelled(event: PlanEvent) -> PlanEvent:
    return dataclasses.replace(
        event,
        summary=f"Cancelled: {event.summary}",
        description="Your plan is paused or has ended: do not take this step. Your clinic will tell you what next.",
        alarm="",
        cancelled=True,
    )


def _taken(challenge: Challenge, line: StepLine, total: int, moment: datetime, uid: str) -> PlanEvent:
    """A step already taken, at the time it was taken (no reminder)."""
    food = _food(challenge, line)[0]
    return PlanEvent(
        uid=uid,
        summary=f"Taken: step {line.number} of {total}, {_amount(line)} of {food}",
        description=f"You recorded step {line.number} at {moment.strftime('%H:%M')} on this day.",
        starts_at=moment,
        minutes=STEP_MINUTES,
        alarm="",
    )


def plan_revision(challenge: Challenge) -> int:
    """The calendar's SEQUENCE: a count that only grows as the plan moves on (records are never deleted, only
    marked in error), so a moved or cancelled event always carries a higher SEQUENCE than before (RFC 5545
    §3.8.7.4). Reads prefetched rows (with_run_data)."""
    doses = list(challenge.doses.all())
    findings = list(challenge.observations.all())
    return (
        len(challenge.events.all())
        + len(doses)
        + sum(d.entered_in_error for d in doses)
        + len(findings)
        + sum(o.entered_in_error for o in findings)
        + len(challenge.releases.all())
        + sum(f.is_done for f in challenge.follow_ups.all())
    )


def render_ics(challenge: Challenge, events: list[PlanEvent], *, now: datetime, sequence: int = 0) -> bytes:
    """One plan's VCALENDAR (the one-off download). `sequence` is plan_revision: every event carries it, so a
    re-import replaces the events the plan moved or cancelled."""
    name = f"{challenge.protocol.food.name}: home plan"
    return _calendar(name, challenge.clinic.time_zone, [(e, sequence) for e in events], now=now)


def render_feed(plans: list[Challenge], *, now: datetime, time_zone: str) -> bytes:
    """A patient's subscription: every home plan's events in one calendar, each with its own plan's SEQUENCE, so
    the phone's next refresh moves or cancels what changed (load the plans with with_run_data)."""
    items = [(e, plan_revision(plan)) for plan in plans for e in plan_events(plan)]
    return _calendar("Stepwise: my home plan", time_zone, items, now=now)


def _calendar(name: str, time_zone: str, items: list[tuple[PlanEvent, int]], *, now: datetime) -> bytes:
    """The VCALENDAR, with VTIMEZONE blocks covering the plan's dates.

    No METHOD: a published feed with METHOD:PUBLISH needs an ORGANIZER (RFC 5546), and a plain file or subscription
    needs neither (interop review 14).
    """
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", time_zone)
    calendar.add("refresh-interval", timedelta(hours=REFRESH_HOURS), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", timedelta(hours=REFRESH_HOURS))
    for item, sequence in items:
        calendar.add_component(_event(item, now, sequence))
    if items:
        moments = [item.starts_at.date() for item, _sequence in items]
        calendar.add_missing_timezones(
            first_date=min(moments) - timedelta(days=366), last_date=max(moments) + timedelta(days=366)
        )
    for zone in calendar.walk("VTIMEZONE"):
        zone.pop("COMMENT", None)  # RFC 5545 §3.6.5 allows COMMENT in STANDARD/DAYLIGHT only (interop review 15)
    return calendar.to_ical()


def _event(item: PlanEvent, now: datetime, sequence: int) -> Event:
    event = Event()
    event.add("uid", item.uid)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("sequence", sequence)
    event.add("dtstart", _unambiguous(item.starts_at))
    event.add("duration", timedelta(minutes=item.minutes))
    event.add("summary", item.summary)
    event.add("description", item.description)
    if item.cancelled:
        event.add("status", "CANCELLED")
        return event
    if item.alarm:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", item.alarm)
        alarm.add("trigger", timedelta(0))  # at the start of the event
        event.add_component(alarm)
    return event


def _unambiguous(moment: datetime) -> datetime:
    """A local time the clocks pass twice (the hour repeated when they go back) in UTC, which every reader takes
    the same way; readers disagree on a bare local time there (interop review 16). Every other time stays local.

    A time in the hour skipped when the clocks go forward never reaches here: the dates are real instants
    (clinical.home_plan.after), which show in the hour after the gap."""
    if moment.replace(fold=0).utcoffset() != moment.replace(fold=1).utcoffset():
        return moment.astimezone(UTC)
    return moment


def _uid(challenge: Challenge, what: str) -> str:
    return f"challenge-{challenge.pk}-{what}@{UID_DOMAIN}"


def _shift(moment: datetime, minutes: int) -> datetime:
    """Elapsed time, not wall-clock time: 30 min before 02:10 on a DST night is 30 real minutes earlier."""
    return (moment.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(moment.tzinfo)


def _amount(line: StepLine) -> str:
    amount = amount_text(line.food_amount, line.food_unit)
    return f"{amount} ({line.household_measure})" if line.household_measure else amount


def _food(challenge: Challenge, line: StepLine) -> tuple[str, str]:
    """(food, form) of a step: the protocol's, or a ladder rung's own food (X4)."""
    protocol_food = challenge.protocol.food
    if line.food_label and line.food_label != f"{protocol_food.name}, {protocol_food.form}":
        return line.food_label.lower(), ""
    return protocol_food.name.lower(), protocol_food.form


def _step(challenge: Challenge, line: StepLine, total: int, moment: datetime, uid: str) -> PlanEvent:
    food, form = _food(challenge, line)
    watch = challenge.protocol.watch_hours
    description = f"Eat {_amount(line)} of {food}{f' ({form})' if form else ''}. Record it in Stepwise."
    if watch:
        description += f" Watch for symptoms for {watch} hours afterwards; do not take the next step if you have any."
    if challenge.protocol.keep_eating_between_steps and line.number < total and not line.is_lip_smear:
        description += f" If you are well, keep eating {_amount(line)} of {food} daily until the next step."
    return PlanEvent(
        uid=uid,
        summary=f"Step {line.number} of {total}: {_amount(line)} of {food}",
        description=description,
        starts_at=moment,
        minutes=STEP_MINUTES,
        alarm=f"Time for step {line.number}: {_amount(line)} of {food}",
    )


def _premedications(challenge: Challenge, number: int, step_at: datetime, step_uid: str) -> list[PlanEvent]:
    """A reminder `minutes_before` each step for premedication the protocol gives before every step."""
    events = []
    age = challenge.patient.age_on(timezone.localdate(challenge.scheduled_at))
    for item in challenge.protocol.premedications.all():
        if not item.before_each_step:
            continue
        dose = premedication.planned_dose(item.dose_rule, item.dose, age)  # by age where the label gives one
        text = f"Take {item.drug} {dose.text}" if not dose.clinician_decides else f"Ask your clinic: {item.drug}"
        events.append(
            PlanEvent(
                uid=step_uid.replace("@", f"-premedication-{item.pk}@", 1),
                summary=f"{text} (before step {number})",
                description=f"{text} {item.minutes_before} minutes before step {number}. {item.notes}".strip(),
                starts_at=_shift(step_at, -item.minutes_before),
                minutes=REMINDER_MINUTES,
                alarm=text,
            )
        )
    return events


def _check_ins(challenge: Challenge, last_step_at: datetime | None, tz: ZoneInfo) -> list[PlanEvent]:
    """Follow-up check-ins: the scheduled ones still to do, and the protocol's times not scheduled yet.

    Check-ins are scheduled when the last step is taken (services.runs.follow_ups_schedule); until then they are
    shown after the last step's planned time, and a new download moves them to the real time.
    """
    scheduled = {f.hours_after: f for f in challenge.follow_ups.all() if not f.entered_in_error}
    events = []
    for hours in sorted(set(challenge.protocol.follow_up_hours) | set(scheduled)):
        follow_up = scheduled.get(hours)
        if follow_up is not None and follow_up.is_done:
            continue
        if follow_up is not None:
            due, when = follow_up.due_at.astimezone(tz), ""
        elif last_step_at is not None:
            due, when = _shift(last_step_at, hours * 60), " This time assumes the last step is taken as planned."
        else:
            continue
        events.append(
            PlanEvent(
                uid=_uid(challenge, f"check-in-{hours}h"),
                summary=f"Check-in {hours} h after your last step",
                description=f"Tell your clinic how you are {hours} hours after your last step.{when}",
                starts_at=due,
                minutes=CHECK_IN_MINUTES,
                alarm=f"Check-in: {hours} h after your last step",
            )
        )
    return events
