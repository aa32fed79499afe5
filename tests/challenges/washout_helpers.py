"""Helpers for the medication-check tests (clinical.washout): a fixed challenge start and "now", and the check run
on a few medications.

Wash-out boundaries: the hour of the last dose is not recorded, so a last dose on day D may have been taken just
before midnight. For an N-day drug and a 09:00 challenge, a last dose N + 1 calendar days before is in time and
one N days before is too late (`boundary`).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from clinical.washout import Medication, check_washout
from clinical.washout_rules import DEFAULT_WASHOUT

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
# Monday 9 March 2026, 09:00 GMT: no DST change in the weeks before.
START = datetime(2026, 3, 9, 9, 0, tzinfo=LONDON)
EARLY = datetime(2026, 2, 20, 12, 0, tzinfo=LONDON)  # "now" well before every stop-by date


def check(*medications: Medication, diagnostic: bool = True, rules=DEFAULT_WASHOUT, **kwargs) -> list:
    kwargs.setdefault("now", EARLY)
    return check_washout(medications=medications, rules=rules, challenge_start=START, diagnostic=diagnostic, **kwargs)


def kinds(conflicts) -> list[tuple[str, str, str]]:
    return [(c.kind, c.severity, c.medication) for c in conflicts]


def days_before_start(days: int) -> date:
    return START.date() - timedelta(days=days)


def boundary(med: Medication, days: int, **kwargs) -> tuple[list, list]:
    """The conflicts with the last dose days + 1 calendar days before (in time) and days before (too late)."""
    in_time = Medication(med.name, med.med_class, days_before_start(days + 1), med.route, med.medication_id)
    too_late = Medication(med.name, med.med_class, days_before_start(days), med.route, med.medication_id)
    return check(in_time, **kwargs), check(too_late, **kwargs)


def no_stop(text: str) -> bool:
    return re.search(r"\bstop", text, re.IGNORECASE) is None
