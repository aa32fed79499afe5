"""Wording shared by the report builders: dates and times in the clinic's zone, people, vitals, corrections.

Quantities go through clinical.display and clinical.units, dates and ages through clinical.dates, durations through
clinical.durations; this module adds no formatting of its own, only the dash for a missing value.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal

from challenges.models import VitalSigns
from challenges.reports.snapshot import Letterhead, PatientBlock
from clinical.dates import format_age, format_clock, format_day, format_when
from clinical.durations import format_minutes
from clinical.units import format_decimal, format_quantity
from clinics.models import Clinic, ClinicalRecord, User
from patients.models import Patient, Sex

DASH = "—"


def letterhead(clinic: Clinic) -> Letterhead:
    address = tuple(line.strip() for line in clinic.address.splitlines() if line.strip())
    return Letterhead(clinic=clinic.name, address=address, phone=clinic.phone, page_size=clinic.report_page_size)


def patient_block(patient: Patient, on: date) -> PatientBlock:
    weight = DASH
    if patient.weight_kg is not None:
        weight = format_quantity(patient.weight_kg, "kg")
        if patient.weight_measured_on:
            weight += f" (measured {format_day(patient.weight_measured_on)})"
    # A date before the birth (a data error) shows no age rather than a made-up one.
    age = format_age(patient.date_of_birth, on) if on >= patient.date_of_birth else DASH
    return PatientBlock(
        name=patient.full_name,
        date_of_birth=format_day(patient.date_of_birth),
        mrn=patient.mrn,
        age=age,
        sex=str(Sex(patient.sex).label) if patient.sex in Sex.values else DASH,
        weight=weight,
    )


def when(moment: datetime | None, zone: tzinfo) -> str:
    """ "Thu 26 Nov 2026 09:00" in the clinic's zone."""
    return DASH if moment is None else format_when(moment, zone)


def created(moment: datetime, zone: tzinfo) -> str:
    """ISO 8601 with the clinic's offset, to the second: a snapshot's creation time (the PDF's CreationDate)."""
    return moment.astimezone(zone).isoformat(timespec="seconds")


def day(moment: datetime | date, zone: tzinfo | None = None) -> str:
    if isinstance(moment, datetime):
        moment = moment.astimezone(zone).date() if zone else moment.date()
    return format_day(moment)


class Clock:
    """Times of one challenge: "09:30" when everything happened on its day, else "Fri 27 Nov 2026 09:30"."""

    def __init__(self, zone: tzinfo, day_of: date, moments: list[datetime]) -> None:
        self.zone = zone
        self.day_of = day_of
        self.one_day = all(m.astimezone(zone).date() == day_of for m in moments)

    def __call__(self, moment: datetime | None) -> str:
        if moment is None:
            return DASH
        return format_clock(moment, self.zone) if self.one_day else format_when(moment, self.zone)


def relative_to_doses(moment: datetime, doses: list[tuple[int, datetime]]) -> str:
    """Where a moment sits among the doses: "30 min before dose 1", "with dose 3", "10 min after dose 5"."""
    if not doses:
        return "no dose given"
    following = next(((n, at) for n, at in doses if at >= moment), None)
    if following is not None and (following[1] - moment).total_seconds() < 60:
        return f"with dose {following[0]}"
    previous = [(n, at) for n, at in doses if at <= moment]
    if previous or following is None:
        number, at = previous[-1]
        return f"{format_minutes(_whole_minutes(moment - at))} after dose {number}"
    return f"{format_minutes(_whole_minutes(following[1] - moment))} before dose {following[0]}"


def _whole_minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def person(user: User | None) -> str:
    return user.display_name if user is not None else DASH


def yes_no(value: bool | None) -> str:
    return DASH if value is None else ("Yes" if value else "No")


def error_note(record: ClinicalRecord, zone: tzinfo, names: dict[int, str]) -> str:
    """ "Entered in error by Sam Lee on Thu 26 Nov 2026 10:02: wrong patient" ("" for a valid record)."""
    if not record.entered_in_error:
        return ""
    by = names.get(record.entered_in_error_by_id) if record.entered_in_error_by_id else None
    who = f" by {by}" if by else ""
    at = f" on {when(record.entered_in_error_at, zone)}" if record.entered_in_error_at else ""
    return f"Entered in error{who}{at}: {record.entered_in_error_reason or 'no reason given'}"


def number(value: int | Decimal | None) -> str:
    return DASH if value is None else format_decimal(value)


def blood_pressure(systolic: int | None, diastolic: int | None) -> str:
    if systolic is None and diastolic is None:
        return DASH
    return f"{number(systolic)}/{number(diastolic)}"


def vitals_summary(vitals: VitalSigns) -> str:
    """ "HR 88/min · BP 120/75 mmHg · RR 16/min · SpO₂ 98 % · 36.8 °C · PEF 400 L/min" (recorded values only)."""
    parts = []
    if vitals.heart_rate is not None:
        parts.append(f"HR {number(vitals.heart_rate)}/min")
    if vitals.systolic is not None or vitals.diastolic is not None:
        parts.append(f"BP {blood_pressure(vitals.systolic, vitals.diastolic)} mmHg")
    if vitals.resp_rate is not None:
        parts.append(f"RR {number(vitals.resp_rate)}/min")
    if vitals.spo2 is not None:
        parts.append(f"SpO₂ {format_quantity(vitals.spo2, '%')}")
    if vitals.temperature_c is not None:
        parts.append(format_quantity(vitals.temperature_c, "°C"))
    if vitals.pef is not None:
        parts.append(f"PEF {format_quantity(vitals.pef, 'L/min')}")
    return " · ".join(parts) or DASH
