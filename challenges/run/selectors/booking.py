"""The medication check of the scheduling form, before the challenge exists: the wash-out conflicts of a
protocol and a start, the earliest start that clears them, and whether a booking moved to that start may be
saved in the same click.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from challenges.library.models import Protocol
from challenges.run import facts
from clinical import washout, washout_decisions
from clinical.dates import format_day, format_when
from patients.models import Patient


@dataclass(frozen=True)
class BookingCheck:
    """The medication check the scheduling form shows before it saves anything."""

    conflicts: list[washout_decisions.Reviewed]
    earliest: datetime | None  # when the booked start is too soon for a wash-out: the first start that is not
    fingerprint: str  # names exactly this check (protocol, start, wording), so a changed one is shown again

    @property
    def blocking(self) -> list[washout_decisions.Reviewed]:
        return [r for r in self.conflicts if r.state == washout_decisions.OPEN]

    @property
    def earliest_day(self) -> str:
        return format_day(self.earliest.date()) if self.earliest else ""

    @property
    def earliest_when(self) -> str:
        return format_when(self.earliest) if self.earliest else ""

    @property
    def earliest_value(self) -> str:
        """The earliest start as the date-and-time field takes it (the clinic's wall clock)."""
        return self.earliest.strftime("%Y-%m-%dT%H:%M") if self.earliest else ""


def moved_booking_seen(before: BookingCheck, after: BookingCheck, reviewed: str) -> bool:
    """A booking moved to the earliest date may be saved in the same click when the user saw the check for the old
    date (still the same: same medicines, same wording), the new date is not too soon for any wash-out, and no
    medicine conflicts on the new date that did not on the old one."""
    if reviewed != before.fingerprint or after.earliest is not None:
        return False
    return {r.conflict.medication for r in after.conflicts} <= {r.conflict.medication for r in before.conflicts}


def booking_check(patient: Patient, protocol: Protocol, scheduled_at: datetime) -> BookingCheck:
    """The patient's current medications against a protocol and a start, before the challenge exists."""
    patient = Patient.objects.select_related("clinic").prefetch_related("medications").get(pk=patient.pk)
    protocol = Protocol.objects.prefetch_related("premedications").get(pk=protocol.pk)
    conflicts = facts.booking_conflicts(patient, protocol, scheduled_at)
    start = scheduled_at.astimezone(patient.clinic.tzinfo)
    parts = [str(protocol.pk), start.isoformat(), *(c.message for c in conflicts)]
    fingerprint = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
    return BookingCheck(
        conflicts=washout_decisions.review(conflicts, (), start),
        earliest=washout.earliest_for_all(conflicts, start),
        fingerprint=fingerprint,
    )
