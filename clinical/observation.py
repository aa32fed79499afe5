"""How long a patient stays under observation after a challenge, and from when (docs/clinical-sources.md §6.3).

- No reaction (a negative challenge, or one stopped for another reason): the protocol's observation period after the
  last dose.
- After a reaction: observation starts when the symptoms have resolved, and lasts as long as the reaction calls for
  (Resuscitation Council UK 2021, observation after anaphylaxis, docs/clinical-sources.md §6.3):
  - 2 h: no adrenaline, or a single dose with a good response (RCUK's fast-track; its footnote allows 2 h after a
    supervised challenge in a specialist allergy setting);
  - at least 6 h: two doses of adrenaline (a single dose without a good response is treated the same, as it does
    not meet the fast-track: project choice);
  - at least 12 h: more than two doses, or severe respiratory compromise (SpO2 below 92 % at any point counts as
    severe, docs/clinical-sources.md §7).
  It never ends before the protocol's period after the last dose.

A symptom recorded after the stated resolution means the symptoms had not resolved: the observation waits for a new
resolution time. No Django here: the caller passes plain values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from clinical.dates import format_clock
from clinical.durations import format_duration, format_minutes
from clinical.errors import DomainError

# Resuscitation Council UK 2021, observation after resolution of symptoms (docs/clinical-sources.md §6.3).
FAST_TRACK = timedelta(hours=2)
AFTER_TWO_DOSES = timedelta(hours=6)
AFTER_SEVERE = timedelta(hours=12)
MAX_DOSES_BEFORE_SEVERE = 2  # "more than two doses" is the 12 h tier
# SpO2 below 92 % is severe (docs/clinical-sources.md §7): read as severe respiratory compromise.
SEVERE_SPO2_BELOW = 92


class ObservationError(DomainError, ValueError):
    """Values that cannot describe an observation period."""


class Basis(StrEnum):
    """Why the observation lasts as long as it does."""

    NOTHING_GIVEN = "nothing_given"  # no dose was given: nothing to observe
    PROTOCOL = "protocol"  # no reaction: the protocol's time after the last dose
    AWAITING_RESOLUTION = "awaiting_resolution"  # a reaction whose symptoms have not (validly) resolved yet
    FAST_TRACK = "rcuk_2h"
    TWO_DOSES = "rcuk_6h"
    SEVERE = "rcuk_12h"


@dataclass(frozen=True)
class Reaction:
    """What RCUK's observation times depend on: the adrenaline given, the response, the airway, the resolution."""

    adrenaline_doses: int
    good_response: bool | None  # to a single dose (within 10-15 min); None when not stated
    severe_respiratory: bool
    lowest_spo2: int | None
    resolved_at: datetime | None
    last_symptom_at: datetime | None  # the latest symptom recorded (a resolution before it is void)


@dataclass(frozen=True)
class ObservationPeriod:
    """From when to when the patient is observed; `ends_at` None means there is no end yet (or nothing to observe)."""

    starts_at: datetime | None
    ends_at: datetime | None
    basis: Basis
    explanation: str

    @property
    def awaiting_resolution(self) -> bool:
        return self.basis == Basis.AWAITING_RESOLUTION


def after_resolution(*, adrenaline_doses: int, good_response: bool | None, severe_respiratory: bool) -> Basis:
    """The RCUK 2021 tier for a reaction whose symptoms have resolved."""
    if isinstance(adrenaline_doses, bool) or not isinstance(adrenaline_doses, int) or adrenaline_doses < 0:
        raise ObservationError(
            f"Adrenaline doses must be a whole number, 0 or more, not {adrenaline_doses!r}.", code="bad_count"
        )
    if severe_respiratory or adrenaline_doses > MAX_DOSES_BEFORE_SEVERE:
        return Basis.SEVERE
    if adrenaline_doses == MAX_DOSES_BEFORE_SEVERE or (adrenaline_doses == 1 and good_response is not True):
        return Basis.TWO_DOSES
    return Basis.FAST_TRACK


LENGTHS: dict[Basis, timedelta] = {
    Basis.FAST_TRACK: FAST_TRACK,
    Basis.TWO_DOSES: AFTER_TWO_DOSES,
    Basis.SEVERE: AFTER_SEVERE,
}


def observation_period(
    *, last_dose_at: datetime | None, protocol_minutes: int, reaction: Reaction | None
) -> ObservationPeriod:
    """The observation after dosing ended: the protocol's, or the reaction's from resolution (see the module)."""
    if protocol_minutes < 0:
        raise ObservationError(f"Observation minutes cannot be negative ({protocol_minutes}).", code="bad_minutes")
    protocol_end = last_dose_at + timedelta(minutes=protocol_minutes) if last_dose_at else None
    if reaction is None:
        if last_dose_at is None:
            return ObservationPeriod(None, None, Basis.NOTHING_GIVEN, "No dose was given")
        return ObservationPeriod(
            last_dose_at,
            protocol_end,
            Basis.PROTOCOL,
            f"{format_minutes(protocol_minutes)} after the last dose (protocol)",
        )
    waiting, resolved = _waiting(reaction), reaction.resolved_at
    if waiting or resolved is None:
        return ObservationPeriod(None, None, Basis.AWAITING_RESOLUTION, waiting)
    basis = after_resolution(
        adrenaline_doses=reaction.adrenaline_doses,
        good_response=reaction.good_response,
        severe_respiratory=reaction.severe_respiratory
        or (reaction.lowest_spo2 is not None and reaction.lowest_spo2 < SEVERE_SPO2_BELOW),
    )
    ends = resolved + LENGTHS[basis]
    explanation = f"{format_duration(LENGTHS[basis])} after the symptoms resolved ({_why(basis, reaction)})"
    if protocol_end is not None and protocol_end > ends:
        ends = protocol_end
        explanation += f"; the protocol's {format_minutes(protocol_minutes)} after the last dose ends later"
    return ObservationPeriod(resolved, ends, basis, explanation)


def is_over(period: ObservationPeriod, at: datetime) -> bool:
    """True once the observation has run its course at `at` (at its end exactly it has), or there was none."""
    if period.basis == Basis.NOTHING_GIVEN:
        return True
    return period.ends_at is not None and at >= period.ends_at


def _waiting(reaction: Reaction) -> str:
    """Why observation has not started ('' when it has)."""
    if reaction.resolved_at is None:
        return "Observation starts when the symptoms have resolved: record the time they resolved"
    if reaction.last_symptom_at is not None and reaction.resolved_at < reaction.last_symptom_at:
        return (
            f"Observation starts when the symptoms have resolved: a symptom was recorded at "
            f"{format_clock(reaction.last_symptom_at)}, after the resolution recorded at "
            f"{format_clock(reaction.resolved_at)}; record the time they resolved again"
        )
    return ""


def _why(basis: Basis, reaction: Reaction) -> str:
    doses = reaction.adrenaline_doses
    if basis == Basis.SEVERE:
        if doses > MAX_DOSES_BEFORE_SEVERE:
            return f"{doses} doses of adrenaline"
        return "severe respiratory compromise"
    if basis == Basis.TWO_DOSES:
        if doses == MAX_DOSES_BEFORE_SEVERE:
            return "2 doses of adrenaline"
        return "1 dose of adrenaline, response not good"
    return "1 dose of adrenaline with a good response" if doses == 1 else "no adrenaline"
