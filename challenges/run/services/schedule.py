"""Booking a challenge, checking the patient in, cancelling."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from challenges.library.facts import food_spec, powder_alternatives, protocol_steps
from challenges.library.models import Protocol
from challenges.library.services.protocols import draft_from_protocol, protocol_create
from challenges.run import notify
from challenges.run.models import Challenge, EventKind, Setting, Status, StopKind
from challenges.run.services._guards import (
    ChallengeRuleError,
    event,
    locked,
    require_open,
    require_reason,
    save_new,
    transition,
)
from challenges.run.services.ending import challenge_stop
from clinical import blinding, continuation, fpies, home_ladder, plan
from clinical.dates import format_when
from clinical.kinds import KINDS
from clinical.plan import preparation_problems
from clinical.units import format_decimal, format_quantity
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
    purpose: str = "",
    placebo_doses: int = 0,
    first_step_in_clinic: bool | None = None,
    continues: Challenge | None = None,
    continuation_kind: str = "",
    replace_reason: str = "",
) -> Challenge:
    """Book a challenge on the current version of a protocol; the version is frozen for this challenge.

    An FPIES challenge needs the patient's weight: a protocol dosed per kg gets the patient's own version, its
    portions generated for that weight, and any FPIES protocol is refused above 0.6 g of protein per kg
    (docs/clinical-sources.md §1.5, §11.2). A home plan's first step is taken in clinic unless
    `first_step_in_clinic` is False (None: as the protocol says). `placebo_doses` placebo doses are added to the
    full active series of a blinded protocol, at places drawn at random now (clinical.blinding). A continuation (X5)
    names the earlier challenge of the same patient and how it continues it (clinical.continuation).

    One home plan at a time per food: while the patient has a home plan for the food that is planned, running or
    paused, another is refused (`home_plan_open`), unless an allergist replaces it with a reason (`replace_reason`):
    the earlier plan is then stopped (or cancelled before its first step) with that reason, and stays readable.
    """
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
    try:
        blinding.check_placebo_count(protocol.kind, steps, placebo_doses)
    except blinding.BlindingError as refused:
        raise ChallengeRuleError(refused.message, code=refused.code) from refused
    setting = KINDS[protocol.kind].setting
    if setting == Setting.HOME and home_ladder.watch_missing(protocol.watch_hours):
        # A protocol saved before the editor refused this: the plan would never watch for a delayed reaction.
        raise ChallengeRuleError(
            _("This home protocol has no watch window after its steps. Edit the protocol to give one, then book."),
            code="home_watch_missing",
        )
    _require_continuable(patient, continues, continuation_kind, setting)
    if protocol.kind == "fpies":
        protocol = _fpies_protocol_for(patient, protocol, by)
    if setting == Setting.HOME:
        _replace_open_home_plans(patient, protocol, by, replace_reason)
    in_clinic = protocol.first_step_in_clinic if first_step_in_clinic is None else first_step_in_clinic
    challenge = Challenge(
        clinic_id=patient.clinic_id,
        patient=patient,
        protocol=protocol,
        setting=setting,
        first_step_in_clinic=setting == "home" and in_clinic,
        dose_weight_kg=patient.weight_kg if protocol.kind == "fpies" else None,
        dose_weight_measured_on=patient.weight_measured_on if protocol.kind == "fpies" else None,
        scheduled_at=scheduled_at,
        allergist=allergist,
        nurse=nurse,
        indication=indication,
        purpose=purpose,
        blinded=bool(placebo_doses),
        # Drawn here, server-side, once: the page never carries it (clinical.blinding).
        blind_order=blinding.draw_placebo_steps(steps, placebo_doses) if placebo_doses else [],
        status=Status.PLANNED,
        continues=continues,
        continuation_kind=continuation_kind if continues is not None else "",
    )
    save_new(challenge, by)
    event(challenge, EventKind.SCHEDULED, by)
    return challenge


BLINDED_KINDS = ("dbpcfc", "single_blind")
ENDED = (Status.CANCELLED, Status.COMPLETED, Status.STOPPED)


def _replace_open_home_plans(patient: Patient, protocol: Protocol, by: User, replace_reason: str) -> None:
    """Refuse a second home plan for a food with one open (ux-walk 4.1), or end the open one when an allergist
    replaces it with a reason (stopped with its undecided alerts decided "stop", or cancelled if not started)."""
    open_plans = list(
        Challenge.objects.select_for_update()
        .filter(patient=patient, setting=Setting.HOME, entered_in_error=False, protocol__food_id=protocol.food_id)
        .exclude(status__in=ENDED)
        .order_by("scheduled_at")
    )
    if not open_plans:
        return
    replace_reason = replace_reason.strip()
    if not replace_reason:
        earlier = open_plans[0]
        raise ChallengeRuleError(
            _(
                "%(patient)s already has a home plan for %(food)s (%(status)s, booked for %(when)s). Finish or stop "
                "it first, or, as an allergist, give a reason to replace it."
            )
            % {
                "patient": patient.full_name,
                "food": protocol.food.name,
                "status": earlier.get_status_display().lower(),
                "when": format_when(earlier.scheduled_at, timezone.get_current_timezone()),
            },
            code="home_plan_open",
        )
    if not by.is_allergist:
        raise ChallengeRuleError(_("Only an allergist can replace an open home plan."), code="replace_needs_allergist")
    reason = _("Replaced by a new home plan: %(reason)s") % {"reason": replace_reason}
    for earlier in open_plans:
        if earlier.status == Status.PLANNED:
            challenge_cancel(challenge=earlier, by=by, reason=reason)
        else:
            challenge_stop(challenge=earlier, by=by, reason=reason, kind=StopKind.OTHER)


def _require_continuable(patient: Patient, earlier: Challenge | None, kind: str, setting: str) -> None:
    """A continuation (X5): the same patient's challenge, in a state the kind of continuation allows."""
    if earlier is None:
        if kind:
            raise ChallengeRuleError(
                _("Choose the challenge this one continues, or no kind of continuation."), code="continuation_kind"
            )
        return
    earlier = Challenge.objects.select_related("protocol").get(pk=earlier.pk)  # as it is now, not as it was read
    facts_of = continuation.Earlier(
        same_patient=earlier.patient_id == patient.pk and earlier.clinic_id == patient.clinic_id,
        status=earlier.status,
        outcome=earlier.outcome,
        blinded_kind=earlier.blinded or earlier.protocol.kind in BLINDED_KINDS,
        entered_in_error=earlier.entered_in_error,
    )
    refusal = continuation.continuation_refusal(kind, facts_of, new_setting=setting)
    if refusal is not None:
        raise ChallengeRuleError(refusal.message, code=refusal.code)


def _fpies_protocol_for(patient: Patient, protocol: Protocol, by: User) -> Protocol:
    """The protocol an FPIES challenge runs: the patient's own when doses are per kg; refused above 0.6 g/kg."""
    weight = patient.weight_kg
    if weight is None:
        raise ChallengeRuleError(
            _("Record the patient's weight before booking an FPIES challenge: its doses are worked out from it."),
            code="weight_missing",
        )
    spec = food_spec(protocol.food)
    if protocol.fpies_protein_g_per_kg is not None:
        steps = plan.fpies_steps_for_weight(
            protocol_steps(protocol), weight_kg=weight, protein_g_per_kg=protocol.fpies_protein_g_per_kg, food=spec
        )
        # Named by record number, never the patient's name: the copy is in the clinic's library (review M9).
        suffix = _(" — patient %(mrn)s, %(weight)s") % {"mrn": patient.mrn, "weight": format_quantity(weight, "kg")}
        draft = draft_from_protocol(protocol, name=protocol.name[: 200 - len(suffix)] + suffix)
        notes = _("Portions generated at booking for %(weight)s at %(per_kg)s g/kg.") % {
            "weight": format_quantity(weight, "kg"),
            "per_kg": format_decimal(protocol.fpies_protein_g_per_kg),
        }
        personal = dataclasses.replace(
            draft, steps=tuple(steps), fpies_protein_g_per_kg=None, notes=f"{notes} {draft.notes}".strip()
        )
        protocol = protocol_create(clinic=patient.clinic, by=by, draft=personal)
    lines = plan.step_lines(spec, protocol_steps(protocol))
    issue = fpies.dose_per_kg_issue(plan.portions_protein_mg(lines), weight)
    if issue is not None:
        raise ChallengeRuleError(issue.message, code="dose_per_kg_too_high")
    return protocol


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
    notify.clinic_decided(challenge)
    return challenge
