"""Before the first dose: what was decided about each medication conflict (docs/clinical-sources.md §5.1).

The conflicts are computed from the patient's current medication rows (challenges.run.facts); these services
append a WashoutDecision answering one of them, under the challenge's lock, and log an event. The first dose is
refused while a blocking conflict is unanswered (services.doses).
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from challenges.run import facts
from challenges.run.models import Challenge, EventKind, Setting, Status, WashoutAction, WashoutDecision
from challenges.run.services._guards import (
    ChallengeRuleError,
    event,
    locked,
    require_allergist,
    require_open,
    require_reason,
    save_new,
)
from clinical import washout
from clinical.dates import format_day
from clinics.models import User
from patients.models import Medication

MAX_REASON = 2000  # characters, as the forms (challenges.run.forms.reasons.MAX_REASON)


@transaction.atomic
def washout_confirm_stop(
    *, challenge: Challenge, by: User, medication: Medication, stopped_on: date
) -> WashoutDecision:
    """The nurse (or allergist) confirms the day of the last dose of a masking drug; it must meet the wash-out."""
    challenge = locked(challenge)
    if not by.is_clinic_staff:
        raise ChallengeRuleError(_("Only clinic staff can confirm a stop date."), code="staff_only")
    conflict = _open_conflict(challenge, medication, masking=True)
    if stopped_on > timezone.localdate(timezone.now(), challenge.clinic.tzinfo):
        raise ChallengeRuleError(_("The day of the last dose cannot be in the future."), code="future_date")
    if conflict.hours is None:
        raise ChallengeRuleError(
            _("This protocol sets no wash-out time for %(name)s: the allergist decides (override with a reason).")
            % {"name": conflict.medication},
            code="no_washout_time",
        )
    start = challenge.scheduled_at.astimezone(challenge.clinic.tzinfo)
    if not washout.washout_met(stopped_on, conflict.hours, start):
        earliest = washout.earliest_start(stopped_on, conflict.hours, start)
        raise ChallengeRuleError(
            _("A last dose on %(day)s is too late for this challenge; the earliest date is %(earliest)s.")
            % {"day": format_day(stopped_on), "earliest": format_day(earliest.date())},
            code="washout_too_short",
        )
    decision = _record(challenge, by, medication, conflict, WashoutAction.STOP_CONFIRMED, stopped_on=stopped_on)
    event(challenge, EventKind.WASHOUT_STOP_CONFIRMED, by, reason=f"{medication}: last dose {format_day(stopped_on)}")
    return decision


@transaction.atomic
def washout_override(*, challenge: Challenge, by: User, medication: Medication, reason: str) -> WashoutDecision:
    """The allergist lets the challenge go ahead although a masking drug was not washed out, with a reason."""
    require_allergist(by)
    challenge = locked(challenge)
    conflict = _open_conflict(challenge, medication, masking=True)
    reason = _reason(reason)
    decision = _record(challenge, by, medication, conflict, WashoutAction.OVERRIDDEN, reason=reason)
    event(challenge, EventKind.WASHOUT_OVERRIDE, by, reason=f"{medication}: {reason}")
    return decision


@transaction.atomic
def medication_decide(
    *, challenge: Challenge, by: User, medication: Medication, action: str, reason: str
) -> WashoutDecision:
    """The allergist's decision on a risk factor (proceed with precautions, defer, switch) or on a steroid that is
    not stopped (accept and document the limitation, defer)."""
    require_allergist(by)
    challenge = locked(challenge)
    conflict = _open_conflict(challenge, medication, masking=False)
    if action not in conflict.actions:
        allowed = ", ".join(washout.ACTION_LABELS[a].lower() for a in sorted(conflict.actions))
        raise ChallengeRuleError(
            _("For %(name)s choose one of: %(allowed)s.") % {"name": conflict.medication, "allowed": allowed},
            code="bad_action",
        )
    reason = _reason(reason)
    decision = _record(challenge, by, medication, conflict, WashoutAction(action), reason=reason)
    label = washout.ACTION_LABELS[action]
    event(challenge, EventKind.MEDICATION_DECISION, by, reason=f"{medication}: {label}. {reason}")
    return decision


def _open_conflict(challenge: Challenge, medication: Medication, *, masking: bool) -> washout.Conflict:
    """The blocking conflict this medication gives now, before the first dose; refused if there is none."""
    require_open(challenge)
    before_first = (Status.PLANNED,) if challenge.setting == Setting.HOME else (Status.PLANNED, Status.CHECKED_IN)
    if challenge.status not in before_first or facts.valid_doses(challenge):
        raise ChallengeRuleError(_("Medication decisions are recorded before the first dose."), code="after_first_dose")
    if medication.patient_id != challenge.patient_id or medication.entered_in_error:
        raise ChallengeRuleError(_("Choose one of this patient's current medications."), code="bad_medication")
    for conflict in facts.washout_conflicts(challenge):
        if conflict.medication_id == medication.pk and conflict.actions and conflict.masking == masking:
            return conflict
    raise ChallengeRuleError(
        _("%(name)s has no conflict that needs this decision.") % {"name": medication}, code="no_conflict"
    )


def _reason(reason: str) -> str:
    reason = require_reason(reason)
    if len(reason) > MAX_REASON:
        raise ChallengeRuleError(
            _("Keep the reason under %(n)s characters.") % {"n": MAX_REASON}, code="reason_too_long"
        )
    return reason


def _record(
    challenge: Challenge,
    by: User,
    medication: Medication,
    conflict: washout.Conflict,
    action: WashoutAction,
    *,
    stopped_on: date | None = None,
    reason: str = "",
) -> WashoutDecision:
    decision = WashoutDecision(
        challenge=challenge,
        medication=medication,
        medication_text=str(medication)[:320],
        conflict_kind=conflict.kind,
        action=action,
        stopped_on=stopped_on,
        reason=reason,
        decided_by=by,
    )
    save_new(decision, by)
    return decision
