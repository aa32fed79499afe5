"""Booking a challenge, checking the patient in, cancelling."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from challenges.library.facts import food_spec, powder_alternatives, protocol_steps
from challenges.library.models import Protocol
from challenges.run.models import Challenge, EventKind, Status
from challenges.run.services._guards import (
    ChallengeRuleError,
    event,
    locked,
    require_open,
    require_reason,
    save_new,
    transition,
)
from clinical.kinds import KINDS
from clinical.plan import preparation_problems
from clinics.models import User
from patients.models import Patient


@transaction.atomic
def challenge_schedule(
    *,
    patient: Patient,
    protocol: Protocol,
    scheduled_at: datetime,
    allergist: User,
    nurse: User | None,
    by: User,
    indication: str = "",
    placebo_steps: Sequence[int] = (),
) -> Challenge:
    """Book a challenge on the current version of a protocol; the version is frozen for this challenge."""
    if patient.clinic_id != by.clinic_id or patient.entered_in_error:
        raise ChallengeRuleError(_("Choose a patient of your clinic."), code="bad_patient")
    if protocol.clinic_id not in (None, by.clinic_id) or not protocol.is_current:
        raise ChallengeRuleError(
            _("Choose a current protocol of your clinic or the standard library."), code="bad_protocol"
        )
    if not allergist.is_allergist or allergist.clinic_id != by.clinic_id:
        raise ChallengeRuleError(
            _("The supervising allergist must be an allergist of your clinic."), code="bad_allergist"
        )
    if nurse is not None and (not nurse.is_clinic_staff or nurse.clinic_id != by.clinic_id):
        raise ChallengeRuleError(_("The nurse must work in your clinic."), code="bad_nurse")
    _require_preparable(protocol, by.clinic_id)
    steps = protocol.steps.count()
    if any(not 1 <= n <= steps for n in placebo_steps):
        raise ChallengeRuleError(_("Placebo steps must be step numbers of the protocol."), code="bad_placebo")
    challenge = Challenge(
        clinic_id=patient.clinic_id,
        patient=patient,
        protocol=protocol,
        setting=KINDS[protocol.kind].setting,
        scheduled_at=scheduled_at,
        allergist=allergist,
        nurse=nurse,
        indication=indication,
        blinded=bool(placebo_steps),
        placebo_steps=sorted(set(placebo_steps)),
        status=Status.PLANNED,
    )
    save_new(challenge, by)
    event(challenge, EventKind.SCHEDULED, by)
    return challenge


def _require_preparable(protocol: Protocol, clinic_id: int | None) -> None:
    """Every dose must be preparable as the rules stand today: a protocol saved before a rule changed (a paste
    "diluted" in water, P1) is refused at booking, naming the step and the powder the clinic could use instead."""
    problems = preparation_problems(
        food_spec(protocol.food), protocol_steps(protocol), alternatives=powder_alternatives(protocol.food, clinic_id)
    )
    if problems:
        details = " ".join(problem.message for problem in problems)
        raise ChallengeRuleError(
            _("This protocol has doses that cannot be prepared; correct it (or a copy) first. %(details)s")
            % {"details": details},
            code="dose_not_preparable",
        )


@transaction.atomic
def challenge_check_in(*, challenge: Challenge, by: User) -> Challenge:
    challenge = locked(challenge)
    require_open(challenge)
    transition(challenge, Status.CHECKED_IN, by)
    return challenge


@transaction.atomic
def challenge_cancel(*, challenge: Challenge, by: User, reason: str) -> Challenge:
    challenge = locked(challenge)
    require_open(challenge)
    transition(challenge, Status.CANCELLED, by, reason=require_reason(reason))
    return challenge
