"""Today's board: the clinic challenges on it (booked today, running, or yesterday's not yet discharged), a row
for each (the next step, a waiting alert or override, the observation until discharge), what waits on it,
counted, and whether a challenge is still under way at the bedside.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from challenges import access
from challenges.run import facts
from challenges.run.models import Challenge, Setting, Status, StopAlert
from challenges.run.selectors.queries import with_board_data
from challenges.run.selectors.state import ObservationState, observation_state
from clinical import countdown, run_rules, washout_decisions
from clinics.models import User

BOARD_RUNNING = (Status.CHECKED_IN, Status.DOSING, Status.OBSERVING)


BEFORE_DOSING = (Status.PLANNED, Status.CHECKED_IN)


def board_challenges(user: User, day: date) -> QuerySet[Challenge]:
    """The clinic challenges on today's board: booked for `day` (in the clinic's time zone), running now, or booked
    the day before and not yet discharged (a 12 h observation runs past midnight).

    The union of id queries, each on its own index (clinic+scheduled_at, clinic+status): an OR of the conditions
    makes SQLite and PostgreSQL read every challenge the clinic ever had (bench/README.md).
    """
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    clinic = access.challenges_for(user).filter(setting=Setting.CLINIC, entered_in_error=False)
    booked = clinic.filter(scheduled_at__gte=start, scheduled_at__lt=start + timedelta(days=1))
    running = clinic.filter(status__in=BOARD_RUNNING)
    ended = clinic.filter(status__in=(Status.STOPPED, Status.COMPLETED))
    yesterday = ended.filter(scheduled_at__gte=start - timedelta(days=1), scheduled_at__lt=start).exclude(
        discharges__entered_in_error=False
    )
    ids = booked.values("pk").order_by().union(running.values("pk").order_by(), yesterday.values("pk").order_by())
    return with_board_data(Challenge.objects.filter(pk__in=ids)).order_by("scheduled_at")


def board_versions(user: User, day: date) -> list[tuple[int, int]]:
    """The board's challenges and their page versions, in one query: the board's own version (page_cache)."""
    rows = board_challenges(user, day).prefetch_related(None).select_related(None).order_by("pk")
    return list(rows.values_list("pk", "page_version"))


@dataclass(frozen=True)
class BoardRow:
    challenge: Challenge
    next_step: run_rules.NextStep
    due_at: datetime | None
    open_alert: StopAlert | None
    observation: ObservationState | None  # after dosing, until the patient is discharged
    medication_hold: washout_decisions.Refusal | None = None  # the first dose waits for a medication decision
    checks_waiting_override: bool = False  # the pre-challenge check failed: the allergist to override (or not)
    checks_passed: bool = False  # passed, or overridden: the first dose may be given

    @property
    def override_needed(self) -> bool:
        """The first dose waits for the allergist: a failed check, or a medication conflict not yet decided."""
        hold = self.medication_hold
        return self.checks_waiting_override or (hold is not None and hold.code in OVERRIDE_CODES)

    @property
    def dose_overdue(self) -> bool:
        """The next dose is past its due time by more than a minute ("overdue" on the countdown) and nothing
        holds it back."""
        if self.due_at is None or self.open_alert is not None or self.override_needed:
            return False
        return countdown.urgency(self.due_at - timezone.now()) in (countdown.Urgency.OVERDUE, countdown.Urgency.LATE)


# The medication holds that wait for the allergist (a deferral is a decision already taken).
OVERRIDE_CODES = ("washout_unresolved", "medication_review_required")


def board_row(challenge: Challenge) -> BoardRow:
    """A row of today's board: the next step, when it is due, a waiting stop alert, the end of the observation until
    discharge (load with with_board_data).

    The same figures as run_state's, without the plan, outcome and grade that only the challenge page shows.
    """
    step = facts.upcoming_step(challenge)
    due = step.due_at if challenge.status in (Status.DOSING, Status.CHECKED_IN, Status.PLANNED) else None
    state = observation_state(challenge)
    return BoardRow(
        challenge=challenge,
        next_step=step,
        due_at=due,
        open_alert=facts.open_alert(challenge),
        observation=state if state and not state.discharge else None,
        medication_hold=facts.first_dose_refusal(challenge) if challenge.status in BEFORE_DOSING else None,
        checks_waiting_override=challenge.status in BEFORE_DOSING and facts.checks_waiting_override(challenge),
        checks_passed=facts.checks_passed(challenge),
    )


@dataclass(frozen=True)
class BoardCounts:
    """What waits on today's board, counted (the board's header and the staff home page)."""

    overrides: int  # pre-challenge checks or medication conflicts waiting for the allergist's override
    decisions: int  # stop rules (or holds) met, waiting for a decision
    observations: int  # observations after dosing not yet ended by a discharge
    overdue: int  # next doses past their due time

    @property
    def alerts(self) -> int:
        return self.overrides + self.decisions + self.overdue


def board_counts(rows: Sequence[BoardRow]) -> BoardCounts:
    return BoardCounts(
        overrides=sum(1 for r in rows if r.override_needed),
        decisions=sum(1 for r in rows if r.open_alert is not None),
        observations=sum(1 for r in rows if r.observation is not None),
        overdue=sum(1 for r in rows if r.dose_overdue),
    )


def board(user: User, day: date) -> tuple[list[BoardRow], BoardCounts]:
    """Today's board for a member of staff: its rows (their clinic's only) and what waits on it, counted."""
    rows = [board_row(c) for c in board_challenges(user, day)]
    return rows, board_counts(rows)


def bedside_open(challenge: Challenge) -> bool:
    """A clinic challenge under way at the bedside: checked in, dosing or observing, or ended and the patient not
    yet discharged. While its page is open the session is kept alive (views.keepalive)."""
    if challenge.setting != Setting.CLINIC or challenge.entered_in_error or challenge.is_signed:
        return False
    if challenge.status in BOARD_RUNNING:
        return True
    return challenge.status in (Status.STOPPED, Status.COMPLETED) and facts.discharge(challenge) is None
