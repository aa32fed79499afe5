"""After dosing: when the reaction's symptoms resolved (the start of the observation) and the discharge."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from challenges.run import facts
from challenges.run.models import (
    Challenge,
    Discharge,
    DischargeCondition,
    EventKind,
    Setting,
    Status,
    VitalSigns,
    VitalsKind,
)
from challenges.run.services._guards import (
    ChallengeRuleError,
    check_time,
    event,
    locked,
    require_open,
    save,
    save_new,
    transition,
)
from clinical import run_rules
from clinical.dates import format_clock
from clinics.models import User

DOSING_ENDED = (Status.OBSERVING, Status.STOPPED, Status.COMPLETED)


def _require_clinic_after_dosing(challenge: Challenge) -> None:
    if challenge.setting == Setting.HOME:
        raise ChallengeRuleError(_("A home plan has no observation on the ward."), code="home_plan")
    if challenge.status not in DOSING_ENDED:
        raise ChallengeRuleError(_("This is recorded once dosing has ended."), code="still_dosing")


@transaction.atomic
def symptoms_resolved_record(
    *,
    challenge: Challenge,
    by: User,
    resolved_at: datetime,
    good_response: bool | None = None,
    severe_respiratory: bool = False,
) -> Challenge:
    """When the reaction's symptoms resolved: the observation starts then, and its length follows the reaction.

    With the adrenaline doses counted from the record, whether a single dose had a good response, and whether
    there was severe respiratory compromise, clinical.observation gives the length (Resuscitation Council UK 2021).
    Recorded again after a recurrence; the challenge's history keeps every earlier value.
    """
    challenge = locked(challenge)
    require_open(challenge)
    _require_clinic_after_dosing(challenge)
    check_time(resolved_at, challenge, _("The time the symptoms resolved"))
    symptoms = [o.observed_at for o in challenge.observations.all() if not o.entered_in_error and o.severity > 0]
    doses = facts.valid_doses(challenge)
    if not doses or not [at for at in symptoms if at >= doses[0].given_at]:
        raise ChallengeRuleError(_("No symptom is recorded after the first dose."), code="no_symptoms")
    last_symptom = max(symptoms)
    if resolved_at < last_symptom:
        raise ChallengeRuleError(
            _("A symptom is recorded at %(last)s, after %(resolved)s: the symptoms had not resolved by then.")
            % {
                "last": format_clock(timezone.localtime(last_symptom)),
                "resolved": format_clock(timezone.localtime(resolved_at)),
            },
            code="resolved_before_symptom",
        )
    if len(facts.adrenaline_times(challenge)) == 1 and good_response is None:
        raise ChallengeRuleError(
            _("One dose of adrenaline was given: say whether the response was good (within 10-15 min)."),
            code="response_required",
        )
    challenge.symptoms_resolved_at, challenge.symptoms_resolved_by = resolved_at, by
    challenge.adrenaline_good_response = good_response
    challenge.severe_respiratory_compromise = severe_respiratory
    save(challenge, by)
    period = facts.observation_period(challenge)
    event(challenge, EventKind.SYMPTOMS_RESOLVED, by, reason=period.explanation if period else "")
    return challenge


@transaction.atomic
def discharge_record(
    *,
    challenge: Challenge,
    by: User,
    discharged_at: datetime,
    condition: str,
    vitals: dict[str, Any],
    notes: str = "",
) -> Discharge:
    """Discharge the patient: when, in what condition, with the vital signs taken then, by whom (once).

    Not before the observation has ended, unless an allergist ended it early with a reason or the patient is
    transferred for further care (and so stays observed). Vital signs that meet a stop rule refuse the discharge:
    record them with the vital-signs form, so the alert is raised and decided. A challenge already signed can still
    record its discharge (a row added, like an addendum; the signed report itself does not change).
    """
    challenge = locked(challenge)
    if challenge.entered_in_error:
        raise ChallengeRuleError(_("This challenge was entered in error."), code="in_error")
    _require_clinic_after_dosing(challenge)
    if facts.discharge(challenge) is not None:
        raise ChallengeRuleError(_("The patient was already discharged."), code="already_discharged")
    if facts.open_alert(challenge) is not None:
        raise ChallengeRuleError(_("Decide the open stop alert before discharge."), code="stop_alert_open")
    check_time(discharged_at, challenge, _("The discharge time"))
    if condition != DischargeCondition.TRANSFERRED:
        _require_observation_over(challenge, discharged_at)
    if challenge.status == Status.OBSERVING:
        transition(challenge, Status.COMPLETED, by, reason=_("Discharged after the observation period."))
    reading = _discharge_vitals(challenge, by, discharged_at, vitals)
    discharge = Discharge(
        challenge=challenge,
        discharged_at=discharged_at,
        condition=condition,
        vitals=reading,
        discharged_by=by,
        notes=notes.strip(),
    )
    save_new(discharge, by)
    event(challenge, EventKind.DISCHARGED, by, reason=str(DischargeCondition(condition).label))
    return discharge


def _require_observation_over(challenge: Challenge, at: datetime) -> None:
    if facts.observation_over(challenge, at):
        return
    period = facts.observation_period(challenge)
    if period is None or period.ends_at is None:
        why = period.explanation if period else _("Dosing has not ended")
        raise ChallengeRuleError(f"{why}.", code="symptoms_not_resolved")
    raise ChallengeRuleError(
        _("The observation runs until %(end)s (%(left)s after the discharge time); only a transfer leaves earlier.")
        % {
            "end": format_clock(timezone.localtime(period.ends_at)),
            "left": run_rules.describe_wait(period.ends_at - at),
        },
        code="observation_running",
    )


def _discharge_vitals(challenge: Challenge, by: User, taken_at: datetime, values: dict[str, Any]) -> VitalSigns:
    """The discharge vital signs as a row of their own; refused if they meet a stop rule (they are not normal)."""
    if not any(value is not None for value in values.values()):
        raise ChallengeRuleError(_("Enter the vital signs at discharge."), code="no_values")
    reading = VitalSigns(challenge=challenge, kind=VitalsKind.DISCHARGE, taken_at=taken_at, recorded_by=by, **values)
    save_new(reading, by)
    hits = facts.reading_hits(challenge, reading)
    if hits:
        raise ChallengeRuleError(
            _("The vital signs at discharge meet a stop rule: %(why)s. Record them with the vital-signs form.")
            % {"why": "; ".join(h.message for h in hits)},
            code="discharge_vitals_abnormal",
        )
    return reading


@transaction.atomic
def neutrophils_record(
    *, challenge: Challenge, by: User, baseline_per_ul: int | None, six_hours_per_ul: int | None
) -> Challenge:
    """The FPIES neutrophil counts (baseline and about 6 h; docs/clinical-sources.md §1.5). A blank keeps the value
    already recorded; the challenge's history keeps every earlier value."""
    challenge = locked(challenge)
    require_open(challenge)
    if challenge.protocol.kind != "fpies":
        raise ChallengeRuleError(_("Neutrophil counts are recorded for FPIES challenges."), code="not_fpies")
    if baseline_per_ul is not None:
        challenge.neutrophils_baseline_per_ul = baseline_per_ul
    if six_hours_per_ul is not None:
        challenge.neutrophils_6h_per_ul = six_hours_per_ul
    save(challenge, by)
    return challenge
