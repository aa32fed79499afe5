"""After dosing: the observation period (from the protocol, or from a reaction's resolution as Resuscitation
Council UK 2021 asks), when it ends, whether it is over or was ended early by an allergist, and the discharge.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from challenges.run.facts.doses import valid_doses
from challenges.run.facts.reaction import adrenaline_times, reaction_onset
from challenges.run.models import Challenge, Discharge, EventKind, Setting, Status, VitalsKind
from clinical import observation


def observation_period(challenge: Challenge) -> observation.ObservationPeriod | None:
    """The observation after dosing ended (clinical.observation); None while dosing has not ended.

    In clinic, a reaction (a stop alert's onset, any adrenaline, or a recorded resolution) is observed from the
    time its symptoms resolved, for as long as Resuscitation Council UK 2021 asks. A home plan keeps the protocol's
    watch window after the last step: its patient is not on a ward to be observed.
    """
    if challenge.observation_started_at is None:
        return None
    doses = valid_doses(challenge)
    minutes = challenge.protocol.observation_minutes
    last_dose_at = doses[-1].given_at if doses else None
    if challenge.setting == Setting.HOME:
        minutes = max(minutes, challenge.protocol.watch_hours * 60)
        return observation.observation_period(last_dose_at=last_dose_at, protocol_minutes=minutes, reaction=None)
    return observation.observation_period(
        last_dose_at=last_dose_at, protocol_minutes=minutes, reaction=_reaction(challenge)
    )


def _reaction(challenge: Challenge) -> observation.Reaction | None:
    onset = reaction_onset(challenge)
    adrenaline = adrenaline_times(challenge)
    if onset is None and not adrenaline and challenge.symptoms_resolved_at is None:
        return None
    symptoms = [o.observed_at for o in challenge.observations.all() if not o.entered_in_error and o.severity > 0]
    # The reaction's SpO2: from its onset (or its first adrenaline); a reading judged "continue" before it is not.
    since = onset or (adrenaline[0] if adrenaline else None)
    readings = [
        v.spo2
        for v in challenge.vitals.all()
        if not v.entered_in_error
        and v.kind == VitalsKind.DURING
        and v.spo2 is not None
        and (since is None or v.taken_at >= since)
    ]
    return observation.Reaction(
        adrenaline_doses=len(adrenaline),
        good_response=challenge.adrenaline_good_response,
        severe_respiratory=challenge.severe_respiratory_compromise,
        lowest_spo2=min(readings, default=None),
        resolved_at=timezone.localtime(challenge.symptoms_resolved_at) if challenge.symptoms_resolved_at else None,
        last_symptom_at=timezone.localtime(max(symptoms)) if symptoms else None,
    )


def observation_ends_at(challenge: Challenge) -> datetime | None:
    """When the observation ends; None while dosing, with nothing to observe, or before the symptoms resolved."""
    period = observation_period(challenge)
    return period.ends_at if period else None


def observation_overridden(challenge: Challenge) -> bool:
    """True when an allergist ended the observation early, with a reason (an observation_override event)."""
    return any(e.kind == EventKind.OBSERVATION_OVERRIDE for e in challenge.events.all())


def observation_over(challenge: Challenge, at: datetime, period: observation.ObservationPeriod | None = None) -> bool:
    """True once the observation has run its course at `at`, or an allergist ended it early with a reason.

    `period`: the challenge's observation_period, when the caller has it already.
    """
    if challenge.status == Status.COMPLETED or observation_overridden(challenge):
        return True
    period = period or observation_period(challenge)
    return period is not None and observation.is_over(period, at)


def discharge(challenge: Challenge) -> Discharge | None:
    """The valid discharge record, if the patient was discharged."""
    return next((d for d in challenge.discharges.all() if not d.entered_in_error), None)
