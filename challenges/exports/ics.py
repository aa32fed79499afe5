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
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from icalendar import Alarm, Calendar, Event

from challenges.library.facts import protocol_steps
from challenges.models import Challenge, Status
from challenges.run import facts
from challenges.run.facts import challenge_food_spec
from clinical import home_plan, premedication
from clinical.display import amount_text
from clinical.plan import StepLine, step_lines

PRODID = "-//Stepwise//Home reintroduction plan//EN"
UID_DOMAIN = "stepwise"
STEP_MINUTES = 15  # how long a step event blocks in the calendar: eating it, not the watch window
REMINDER_MINUTES = 5
CHECK_IN_MINUTES = 15


@dataclass(frozen=True)
class PlanEvent:
    uid: str
    summary: str
    description: str
    starts_at: datetime  # aware, in the clinic's time zone
    minutes: int
    alarm: str  # the text the phone shows when the event starts
    cancelled: bool = False  # the plan is paused or ended: the event stays (same UID) as cancelled, with no alarm


# A paused or ended plan takes no further step: its calendar must not remind the patient to (interop review 1).
NOT_GOING_AHEAD = (Status.PAUSED, Status.STOPPED, Status.CANCELLED, Status.COMPLETED)


def plan_events(challenge: Challenge) -> list[PlanEvent]:
    """Every event of the plan in time order: steps, premedication reminders, follow-up check-ins."""
    tz = challenge.clinic.tzinfo
    local_start = challenge.scheduled_at.astimezone(tz)
    lines = step_lines(challenge_food_spec(challenge), protocol_steps(challenge.protocol))  # the label's, when used
    days = home_plan.calendar(local_start.date(), [line.interval_minutes for line in lines], [])
    at = [_local(day.planned_on, local_start.time(), tz) for day in days]
    events: list[PlanEvent] = []
    for line, moment in zip(lines, at, strict=True):
        events += _premedications(challenge, line.number, moment)
        events.append(_step(challenge, line, len(lines), moment))
    events += _check_ins(challenge, at[-1] if at else None, tz)
    if challenge.status in NOT_GOING_AHEAD:
        taken = {d.step_number for d in facts.valid_doses(challenge)}
        events = [_cancelled(e) if _is_future_step_event(e, challenge, taken) else e for e in events]
    return sorted(events, key=lambda e: (e.starts_at, e.uid))


def _is_future_step_event(event: PlanEvent, challenge: Challenge, taken: set[int]) -> bool:
    """A step (or its premedication reminder) not taken yet; check-ins stay (a paused patient still checks in)."""
    prefix = _uid(challenge, "step-").split("@")[0]
    if not event.uid.startswith(prefix):
        return False
    number = int(event.uid.removeprefix(prefix).split("-")[0].split("@")[0])
    return number not in taken


def _cancelled(event: PlanEvent) -> PlanEvent:
    return dataclasses.replace(
        event,
        summary=f"Cancelled: {event.summary}",
        description="Your plan is paused or has ended: do not take this step. Your clinic will tell you what next.",
        cancelled=True,
    )


def render_ics(challenge: Challenge, events: list[PlanEvent], *, now: datetime) -> bytes:
    """The VCALENDAR, with VTIMEZONE blocks covering the plan's dates."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{challenge.protocol.food.name}: home plan")
    calendar.add("x-wr-timezone", challenge.clinic.time_zone)
    for item in events:
        calendar.add_component(_event(item, now))
    if events:
        first, last = events[0].starts_at.date(), events[-1].starts_at.date()
        calendar.add_missing_timezones(first_date=first - timedelta(days=366), last_date=last + timedelta(days=366))
    return calendar.to_ical()


def _event(item: PlanEvent, now: datetime) -> Event:
    event = Event()
    event.add("uid", item.uid)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", item.starts_at)
    event.add("duration", timedelta(minutes=item.minutes))
    event.add("summary", item.summary)
    event.add("description", item.description)
    if item.cancelled:
        event.add("status", "CANCELLED")
        return event
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", item.alarm)
    alarm.add("trigger", timedelta(0))  # at the start of the event
    event.add_component(alarm)
    return event


def _uid(challenge: Challenge, what: str) -> str:
    return f"challenge-{challenge.pk}-{what}@{UID_DOMAIN}"


def _local(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """The wall-clock time on that day in the clinic's zone (DST is applied per day, not carried over)."""
    return datetime.combine(day, clock, tzinfo=tz)


def _shift(moment: datetime, minutes: int) -> datetime:
    """Elapsed time, not wall-clock time: 30 min before 02:10 on a DST night is 30 real minutes earlier."""
    return (moment.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(moment.tzinfo)


def _amount(line: StepLine) -> str:
    amount = amount_text(line.food_amount, line.food_unit)
    return f"{amount} ({line.household_measure})" if line.household_measure else amount


def _step(challenge: Challenge, line: StepLine, total: int, moment: datetime) -> PlanEvent:
    protocol_food = challenge.protocol.food
    food, form = protocol_food.name.lower(), protocol_food.form
    if line.food_label and line.food_label != f"{protocol_food.name}, {protocol_food.form}":
        food, form = line.food_label.lower(), ""  # a ladder's rung of another food (X4)
    watch = challenge.protocol.watch_hours
    description = f"Eat {_amount(line)} of {food}{f' ({form})' if form else ''}. Record it in Stepwise."
    if watch:
        description += f" Watch for symptoms for {watch} hours afterwards; do not take the next step if you have any."
    if challenge.protocol.keep_eating_between_steps and line.number < total and not line.is_lip_smear:
        description += f" If you are well, keep eating {_amount(line)} of {food} daily until the next step."
    return PlanEvent(
        uid=_uid(challenge, f"step-{line.number}"),
        summary=f"Step {line.number} of {total}: {_amount(line)} of {food}",
        description=description,
        starts_at=moment,
        minutes=STEP_MINUTES,
        alarm=f"Time for step {line.number}: {_amount(line)} of {food}",
    )


def _premedications(challenge: Challenge, number: int, step_at: datetime) -> list[PlanEvent]:
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
                uid=_uid(challenge, f"step-{number}-premedication-{item.pk}"),
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
