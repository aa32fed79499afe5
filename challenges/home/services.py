"""Home reintroduction: the patient's own records and corrections, and the clinic's release, repeat, change, stop."""

from __future__ import annotations

import dataclasses
import secrets
import uuid
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from challenges.home.models import CalendarFeed, StepRelease, calendar_token_digest
from challenges.library.facts import protocol_steps
from challenges.library.models import Protocol
from challenges.library.services.protocols import (
    ProtocolDraft,
    draft_from_protocol,
    protocol_create,
)
from challenges.run import facts, notify
from challenges.run import services as runs
from challenges.run.models import (
    Challenge,
    EventKind,
    FollowUp,
    Observation,
    Setting,
    Source,
    Status,
    Treatment,
    TreatmentKind,
)
from challenges.run.services._guards import (
    ChallengeRuleError,
    event,
    locked,
    require_allergist,
    require_open,
    require_reason,
    save,
)
from clinical import premedication
from clinical.plan import PlannedStep
from clinics.models import User
from clinics.services import clinical_record_mark_entered_in_error
from patients.models import Patient


def _require_own_home_plan(challenge: Challenge, by: User) -> None:
    if challenge.setting != Setting.HOME:
        raise ChallengeRuleError(_("This is not a home plan."), code="not_home")
    if by.is_patient and challenge.patient.user_id != by.pk:
        raise ChallengeRuleError(_("This is not your plan."), code="not_yours")


def _source(by: User) -> str:
    return Source.PATIENT if by.is_patient else Source.CLINICIAN


# --- the patient's side -------------------------------------------------------------------------------------


def patient_dose(
    *, challenge: Challenge, by: User, given_at: datetime, food_amount: Decimal | None, key: uuid.UUID
) -> runs.DoseRecorded:
    """A home step taken (the same form twice records it once: `created` is then False).

    When the plan's first step is taken in clinic (docs/clinical-sources.md §11.1), the patient cannot record it:
    the clinic team records it, at the supervised visit.
    """
    _require_own_home_plan(challenge, by)
    if by.is_patient and challenge.first_step_in_clinic and not facts.valid_doses(challenge):
        raise ChallengeRuleError(
            _("Your first step is taken in clinic, with the clinic team; it is recorded there."),
            code="first_step_in_clinic",
        )
    return runs.dose_record(
        challenge=challenge, by=by, food_amount=food_amount, given_at=given_at, idempotency_key=key, source=_source(by)
    )


def patient_premedication(*, challenge: Challenge, by: User, item_id: int, given_at: datetime) -> Treatment:
    """A planned premedication the patient took before a step, at its dose for the patient's age (by mouth).

    The time is what the next step is checked against (clinical.premedication.step_problems).
    """
    _require_own_home_plan(challenge, by)
    planned = {p.item.pk: p for p in facts.planned_premedication(challenge) if p.item.timing != premedication.REGIMEN}
    if item_id not in planned:
        raise ChallengeRuleError(_("This medicine is not planned before the steps of this plan."), code="not_planned")
    item = planned[item_id]
    if item.dose.clinician_decides:
        raise ChallengeRuleError(
            _("Your clinic has not set a dose of %(drug)s for your age: ask them before you take it.")
            % {"drug": item.item.drug},
            code="premedication_dose_unset",
        )
    return runs.treatment_record(
        challenge=challenge,
        by=by,
        kind=TreatmentKind.PREMEDICATION,
        drug=item.item.drug,
        dose=item.dose.text,
        route=item.item.route,
        given_at=given_at,
        source=_source(by),
        premedication_item=item.item,
    )


def patient_symptom(
    *, challenge: Challenge, by: User, item_code: str, severity: int, observed_at: datetime, note: str = ""
) -> Observation:
    _require_own_home_plan(challenge, by)
    return runs.observation_record(
        challenge=challenge,
        by=by,
        item_code=item_code,
        severity=severity,
        observed_at=observed_at,
        note=note,
        source=_source(by),
    )


@transaction.atomic
def patient_correct_symptom(
    *,
    original: Observation,
    by: User,
    reason: str,
    item_code: str,
    severity: int,
    observed_at: datetime,
    note: str = "",
) -> Observation:
    """A correction adds: the original is kept, marked entered in error with the reason; the right entry is new."""
    challenge = locked(original.challenge)
    _require_own_home_plan(challenge, by)
    require_open(challenge)
    reason = require_reason(reason)
    if original.source != Source.PATIENT or (by.is_patient and original.recorded_by_id != by.pk):
        raise ChallengeRuleError(_("You can correct only what you recorded yourself."), code="not_own_entry")
    clinical_record_mark_entered_in_error(
        record=original, by=by, reason=_("Corrected: %(reason)s") % {"reason": reason}
    )
    return patient_symptom(
        challenge=challenge, by=by, item_code=item_code, severity=severity, observed_at=observed_at, note=note
    )


@transaction.atomic
def patient_withdraw_entry(*, record: Observation | Treatment, by: User, reason: str) -> Observation | Treatment:
    """Withdraw a symptom or a premedication the patient recorded (recorded twice, or by mistake): it is marked
    entered in error with the reason and stays in the history, crossed out. A pause it caused stays until the clinic
    decides (the safe default: the clinic has already been told)."""
    challenge = locked(record.challenge)
    _require_own_home_plan(challenge, by)
    require_open(challenge)
    reason = require_reason(reason)
    if record.source != Source.PATIENT or (by.is_patient and record.recorded_by_id != by.pk):
        raise ChallengeRuleError(_("You can withdraw only what you recorded yourself."), code="not_own_entry")
    return clinical_record_mark_entered_in_error(
        record=record, by=by, reason=_("Withdrawn by the patient: %(reason)s") % {"reason": reason}
    )


@transaction.atomic
def usual_symptoms_set(*, challenge: Challenge, by: User, usual: dict[str, int]) -> Challenge:
    """Record "my usual symptoms" for a home plan (MCAS): item -> usual grade 1-3. The patient of the plan or clinic
    staff may; every symptom is still recorded, but one no worse than its usual grade pauses nothing."""
    challenge = locked(challenge)
    _require_own_home_plan(challenge, by)
    require_open(challenge)
    unknown = [code for code in usual if code not in challenge.protocol.checklist_items]
    if unknown or any(grade not in (1, 2, 3) for grade in usual.values()):
        raise ChallengeRuleError(_("Choose usual symptoms from the plan's list, graded 1 to 3."), code="bad_usual")
    challenge.usual_symptoms = dict(usual)
    save(challenge, by)
    return challenge


# --- the clinic's side --------------------------------------------------------------------------------------


@transaction.atomic
def step_release(*, challenge: Challenge, by: User, reason: str = "") -> StepRelease:
    """The allergist releases the next home step (the wait and watch window still apply)."""
    require_allergist(by)
    challenge = locked(challenge)
    require_open(challenge)
    if challenge.setting != Setting.HOME or challenge.status not in (Status.PLANNED, Status.DOSING):
        raise ChallengeRuleError(_("Only a running home plan has steps to release."), code="not_running_home")
    if facts.open_alert(challenge):
        raise ChallengeRuleError(
            _("Decide the reported symptoms first (stop, repeat or continue)."), code="stop_alert_open"
        )
    step = facts.upcoming_step(challenge)
    if step.number is None:
        raise ChallengeRuleError(_("Every step has been taken."), code="no_more_steps")
    reason = reason.strip()
    release = StepRelease.objects.create(challenge=challenge, step_number=step.number, released_by=by, reason=reason)
    event(challenge, EventKind.STEP_RELEASED, by, reason=f"Step {step.number}. {reason}".strip())
    notify.clinic_decided(challenge)
    return release


@transaction.atomic
def plan_change(*, challenge: Challenge, by: User, steps: list[PlannedStep], reason: str) -> Protocol:
    """Change the plan going forward: a new protocol version for this patient; steps already taken stay."""
    require_allergist(by)
    reason = require_reason(reason)
    challenge = locked(challenge)
    require_open(challenge)
    done = {d.step_number for d in facts.valid_doses(challenge)}
    kept = [s for s in protocol_steps(challenge.protocol) if s.number in done]  # with a ladder rung's own food (X4)
    renumbered = [dataclasses.replace(s, number=len(kept) + i) for i, s in enumerate(steps, start=1)]
    draft = draft_from_protocol(challenge.protocol, name=_personal_name(challenge))
    protocol = protocol_create(
        clinic=challenge.clinic, by=by, draft=ProtocolDraft(**{**draft.__dict__, "steps": tuple(kept + renumbered)})
    )
    event(challenge, EventKind.PLAN_CHANGED, by, reason=f"{challenge.protocol} → {protocol}: {reason}")
    challenge.protocol = protocol
    save(challenge, by)
    notify.clinic_decided(challenge)
    return protocol


def _personal_name(challenge: Challenge) -> str:
    """The name of the patient's own version: the plan's name once it has been changed for them, else a new one."""
    if challenge.events.filter(kind=EventKind.PLAN_CHANGED).exists():
        return challenge.protocol.name  # already this patient's own plan
    # The library is the clinic's: it names the patient by record number, never by name; and it fits the name's cap.
    suffix = _(", for patient %(mrn)s") % {"mrn": challenge.patient.mrn}
    limit = Protocol._meta.get_field("name").max_length or 200
    return challenge.protocol.name[: limit - len(suffix)] + suffix


# --- follow-up ----------------------------------------------------------------------------------------------


@transaction.atomic
def follow_up_record(
    *,
    follow_up: FollowUp,
    by: User,
    method: str,
    symptoms: bool,
    findings: str,
    recurrence_at: datetime | None = None,
    home_treatment: str = "",
    emergency_attendance: bool | None = None,
    tryptase_ug_l: Decimal | None = None,
    tryptase_taken_at: datetime | None = None,
) -> FollowUp:
    """Record a check-in, with a late or biphasic reaction (when the symptoms came back, treatment at home, an
    emergency visit) and a post-reaction tryptase. A late finding re-opens a confirmed outcome for review instead of
    changing it."""
    challenge = locked(follow_up.challenge)
    if by.is_patient and challenge.patient.user_id != by.pk:
        raise ChallengeRuleError(_("This is not your plan."), code="not_yours")
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if follow_up.is_done:
        raise ChallengeRuleError(_("This check-in is already recorded."), code="already_done")
    follow_up.method, follow_up.symptoms, follow_up.findings = method, symptoms, findings.strip()
    if (tryptase_ug_l is None) != (tryptase_taken_at is None):
        raise ChallengeRuleError(_("Give the tryptase value with the time the sample was taken."), code="tryptase_time")
    follow_up.recurrence_at, follow_up.home_treatment = recurrence_at, home_treatment.strip()
    follow_up.emergency_attendance = emergency_attendance
    follow_up.tryptase_ug_l, follow_up.tryptase_taken_at = tryptase_ug_l, tryptase_taken_at
    follow_up.done_at, follow_up.done_by, follow_up.source = timezone.now(), by, _source(by)
    follow_up._history_user = by  # type: ignore[attr-defined]
    follow_up.full_clean()
    follow_up.save()
    if symptoms:
        event(challenge, EventKind.LATE_FINDING, by, reason=follow_up.findings)
        # A signed record is never written again (security review L5): the late finding is its own row, shown on
        # the page as a finding after signing, for an addendum; an unsigned outcome is re-opened for review.
        if challenge.outcome and not challenge.is_signed:
            challenge.outcome_under_review = True
            save(challenge, by)
    return follow_up


# --- the patient's private calendar link (issue 18) ------------------------------------------------------------


def _require_feed_owner(patient: Patient, by: User) -> None:
    """The patient themselves, or staff of the patient's clinic."""
    own = by.is_patient and patient.user_id == by.pk
    staff = by.is_clinic_staff and by.clinic_id == patient.clinic_id
    if not (own or staff):
        raise ChallengeRuleError(_("Only the patient or their clinic can manage this calendar link."), code="not_owner")


@transaction.atomic
def calendar_feed_issue(*, patient: Patient, by: User) -> str:
    """A new private calendar link for the patient; any earlier one stops working. Returns the secret (once)."""
    _require_feed_owner(patient, by)
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    _revoke_live(patient, by)
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed(patient=patient, token_sha256=calendar_token_digest(token), created_by=by)
    feed.full_clean()
    feed.save()
    return token


@transaction.atomic
def calendar_feed_revoke(*, patient: Patient, by: User) -> int:
    """Stop the patient's calendar link; returns how many were live (0 when there was none)."""
    _require_feed_owner(patient, by)
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    return _revoke_live(patient, by)


def _revoke_live(patient: Patient, by: User) -> int:
    live = list(CalendarFeed.objects.filter(patient=patient, revoked_at__isnull=True))
    for feed in live:
        feed.revoked_at, feed.revoked_by = timezone.now(), by
        feed.save(update_fields=["revoked_at", "revoked_by"])
    return len(live)
