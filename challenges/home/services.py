"""Home reintroduction: the patient's own records and corrections, and the clinic's release, repeat, change, stop."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from challenges.models import (
    Challenge,
    ChallengeEvent,
    Dose,
    FollowUp,
    Observation,
    Protocol,
    Setting,
    Source,
    Status,
    StepRelease,
    Treatment,
)
from clinical.plan import PlannedStep
from challenges.run import services as runs
from challenges.library.services.protocols import ProtocolDraft, draft_from_protocol, protocol_create
from challenges.run.services import ChallengeRuleError
from clinics.models import User
from clinics.services import clinical_record_mark_entered_in_error


def _require_own_home_plan(challenge: Challenge, by: User) -> None:
    if challenge.setting != Setting.HOME:
        raise ChallengeRuleError(_("This is not a home plan."), code="not_home")
    if by.is_patient and challenge.patient.user_id != by.pk:
        raise ChallengeRuleError(_("This is not your plan."), code="not_yours")


# --- the patient's side -------------------------------------------------------------------------------------


def patient_dose(*, challenge: Challenge, by: User, given_at: datetime, food_amount: Decimal | None, key: Any) -> Dose:
    _require_own_home_plan(challenge, by)
    return runs.dose_record(
        challenge=challenge, by=by, food_amount=food_amount, given_at=given_at, idempotency_key=key,
        source=Source.PATIENT if by.is_patient else Source.CLINICIAN,
    )  # fmt: skip


def patient_premedication(*, challenge: Challenge, by: User, drug: str, dose: str, given_at: datetime) -> Treatment:
    _require_own_home_plan(challenge, by)
    return runs.treatment_record(
        challenge=challenge, by=by, kind="premedication", drug=drug, dose=dose, route="oral", given_at=given_at,
        source=Source.PATIENT if by.is_patient else Source.CLINICIAN,
    )  # fmt: skip


def patient_symptom(
    *, challenge: Challenge, by: User, item_code: str, severity: int, observed_at: datetime, note: str = ""
) -> Observation:
    _require_own_home_plan(challenge, by)
    return runs.observation_record(
        challenge=challenge, by=by, item_code=item_code, severity=severity, observed_at=observed_at, note=note,
        source=Source.PATIENT if by.is_patient else Source.CLINICIAN,
    )  # fmt: skip


@transaction.atomic
def patient_correct_symptom(
    *, original: Observation, by: User, reason: str, item_code: str, severity: int, observed_at: datetime, note: str = ""
) -> Observation:
    """A correction adds: the original is kept, marked entered in error with the reason; the right entry is new."""
    challenge = original.challenge
    _require_own_home_plan(challenge, by)
    if original.source != Source.PATIENT or (by.is_patient and original.recorded_by_id != by.pk):
        raise ChallengeRuleError(_("You can correct only what you recorded yourself."), code="not_own_entry")
    clinical_record_mark_entered_in_error(record=original, by=by, reason=_("Corrected: %(reason)s") % {"reason": reason})
    return patient_symptom(
        challenge=challenge, by=by, item_code=item_code, severity=severity, observed_at=observed_at, note=note
    )


# --- the clinic's side --------------------------------------------------------------------------------------


@transaction.atomic
def step_release(*, challenge: Challenge, by: User, reason: str = "") -> StepRelease:
    """The allergist releases the next home step (the wait and watch window still apply)."""
    runs._require_allergist(by)
    challenge = runs._locked(challenge)
    runs._require_open(challenge)
    if challenge.setting != Setting.HOME or challenge.status not in (Status.PLANNED, Status.DOSING):
        raise ChallengeRuleError(_("Only a running home plan has steps to release."), code="not_running_home")
    if runs.open_alert(challenge):
        raise ChallengeRuleError(_("Decide the reported symptoms first (stop, repeat or continue)."), code="stop_alert_open")
    step = runs.upcoming_step(challenge)
    if step.number is None:
        raise ChallengeRuleError(_("Every step has been taken."), code="no_more_steps")
    release = StepRelease.objects.create(challenge=challenge, step_number=step.number, released_by=by, reason=reason.strip())
    ChallengeEvent.objects.create(challenge=challenge, kind="step_released", reason=f"Step {step.number}. {reason}".strip(), by=by)
    return release


@transaction.atomic
def plan_change(*, challenge: Challenge, by: User, steps: list[PlannedStep], reason: str) -> Protocol:
    """Change the plan going forward: a new protocol version for this patient; steps already taken stay."""
    runs._require_allergist(by)
    reason = runs._require_reason(reason)
    challenge = runs._locked(challenge)
    runs._require_open(challenge)
    given = runs.valid_doses(challenge)
    done = {d.step_number for d in given}
    old = list(challenge.protocol.steps.all())
    kept = [PlannedStep(s.number, s.protein_mg, s.food_amount, s.household_measure, s.interval_minutes) for s in old if s.number in done]
    renumbered = [PlannedStep(len(kept) + i, s.protein_mg, s.food_amount, s.household_measure, s.interval_minutes)
                  for i, s in enumerate(steps, start=1)]  # fmt: skip
    base = draft_from_protocol(challenge.protocol)
    draft = ProtocolDraft(**{**base.__dict__, "name": _("%(name)s, for %(patient)s") % {
        "name": challenge.protocol.name.split(", for ")[0], "patient": challenge.patient.full_name},
        "steps": tuple(kept + renumbered)})  # fmt: skip
    protocol = protocol_create(clinic=challenge.clinic, by=by, draft=draft)
    ChallengeEvent.objects.create(
        challenge=challenge, kind="plan_changed", by=by,
        reason=f"{challenge.protocol} → {protocol}: {reason}",
    )  # fmt: skip
    challenge.protocol = protocol
    challenge._history_user = by  # type: ignore[attr-defined]
    challenge.save()
    return protocol


# --- follow-up ----------------------------------------------------------------------------------------------


@transaction.atomic
def follow_up_record(*, follow_up: FollowUp, by: User, method: str, symptoms: bool, findings: str) -> FollowUp:
    """Record a check-in. A late finding re-opens a confirmed outcome for review instead of changing it."""
    challenge = runs._locked(follow_up.challenge)
    if by.is_patient and challenge.patient.user_id != by.pk:
        raise ChallengeRuleError(_("This is not your plan."), code="not_yours")
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if follow_up.is_done:
        raise ChallengeRuleError(_("This check-in is already recorded."), code="already_done")
    follow_up.method, follow_up.symptoms, follow_up.findings = method, symptoms, findings.strip()
    follow_up.done_at, follow_up.done_by = timezone.now(), by
    follow_up.source = Source.PATIENT if by.is_patient else Source.CLINICIAN
    follow_up._history_user = by  # type: ignore[attr-defined]
    follow_up.full_clean()
    follow_up.save()
    if symptoms:
        ChallengeEvent.objects.create(challenge=challenge, kind="late_finding", reason=follow_up.findings, by=by)
        if challenge.outcome:
            challenge.outcome_under_review = True
            challenge._history_user = by  # type: ignore[attr-defined]
            challenge.save()
    return follow_up
