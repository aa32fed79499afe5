"""How a wait reads at the bedside and on the board: a countdown that can never be taken for a clock time.

"19 min 25 s left", "1 h 05 min left", "2 days 23 h left" before the due time; "Due now" for the first minute
after it; then "overdue 4 min" (amber) and, past OVERDUE_RED_AFTER, "overdue 25 min" (red). Never a bare "19:25"
next to a due time "18:40" (UX walk 28 Nov 2026, sections 3 and 8.1), and a long wait is in days and hours so it
fits a phone's card at 390 px.

static/stepwise/countdown.js words the live countdown the same way; it reads the two thresholds from the data
attributes the `countdown` template tag writes from the constants here, so they are set in one place.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

# The first minute past the due time reads "Due now" (green): the nurse is on time.
DUE_NOW_FOR = timedelta(minutes=1)
# Overdue up to 10 min reads amber; beyond, red. A PRACTALL or ASCIA interval is 15-30 min, so a dose 10 min late
# has stretched the interval by a third or more: the board should make it stand out.
OVERDUE_RED_AFTER = timedelta(minutes=10)

_SECOND = timedelta(seconds=1)
_MINUTE = timedelta(minutes=1)
_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)


class Urgency(StrEnum):
    WAITING = "waiting"  # before the due time
    DUE = "due"  # the first minute after it
    OVERDUE = "overdue"  # amber
    LATE = "late"  # overdue past OVERDUE_RED_AFTER: red


def urgency(left: timedelta) -> Urgency:
    """How urgent a wait is, from the time left until it is due (negative once it is past)."""
    if left > timedelta(0):
        return Urgency.WAITING
    over = -left
    if over < DUE_NOW_FOR:
        return Urgency.DUE
    if over <= OVERDUE_RED_AFTER:
        return Urgency.OVERDUE
    return Urgency.LATE


def countdown_text(left: timedelta) -> str:
    """'19 min 25 s left', 'Due now', 'overdue 10 min': a dose's countdown from the time left (negative: past)."""
    state = urgency(left)
    if state == Urgency.WAITING:
        return f"{_span(-(-left // _SECOND) * _SECOND)} left"  # rounded up: never "0 s left" before the due time
    if state == Urgency.DUE:
        return "Due now"
    return f"overdue {_span((-left // _MINUTE) * _MINUTE)}"  # whole minutes, rounded down


def _span(value: timedelta) -> str:
    """The two largest units that matter: '2 days 23 h', '1 h 05 min', '19 min 25 s', '25 s'."""
    days, rest = divmod(value, _DAY)
    hours, rest = divmod(rest, _HOUR)
    minutes, rest = divmod(rest, _MINUTE)
    seconds = rest // _SECOND
    if days:
        return f"{days} {'day' if days == 1 else 'days'} {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {seconds:02d} s" if seconds else f"{minutes} min"
    return f"{seconds} s"
