"""Findings, vital signs and treatments during a challenge; the stop rules they trigger; the allergist's decision."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from challenges.library.models import PremedicationItem, Route
from challenges.run import facts, notify
from challenges.run.models import (
    DECISION_EVENTS,
    Challenge,
    Decision,
    EventKind,
    Observation,
    Setting,
    Source,
    Status,
    StopAlert,
    Treatment,
    TreatmentKind,
    VitalSigns,
    VitalsKind,
)
from challenges.run.services._guards import (
    ChallengeRuleError,
    check_time,
    event,
    locked,
    require_allergist,
    require_open,
    require_reason,
    save,
    save_new,
    transition,
)
from challenges.run.services.ending import end_dosing
from clinical import adrenaline, run_rules
from clinical.dates import format_clock
from clinical.units import format_quantity
from clinics.models import User


@transaction.atomic
def observation_record(
    *,
    challenge: Challenge,
    by: User,
    item_code: str,
    severity: int,
    observed_at: datetime,
    note: str = "",
    source: str = Source.CLINICIAN,
) -> Observation:
    """Record a checklist finding; the stop rules are evaluated with it."""
    challenge = locked(challenge)
    require_open(challenge)
    _require_recording(challenge)
    check_time(observed_at, challenge, _("The observation time"))
    if item_code not in challenge.protocol.checklist_items:
        raise ChallengeRuleError(_("That finding is not on this protocol's checklist."), code="unknown_item")
    observation = Observation(
        challenge=challenge,
        item_code=item_code,
        severity=severity,
        observed_at=observed_at,
        note=note,
        source=source,
        recorded_by=by,
    )
    save_new(observation, by)
    _check_stop_rules(challenge, by)
    return observation


@transaction.atomic
def vitals_record(
    *,
    challenge: Challenge,
    by: User,
    values: dict[str, Any],
    kind: str = VitalsKind.DURING,
    evaluate: bool = True,
) -> VitalSigns:
    """Record vital signs (`taken_at` in `values`, default now); the stop rules are evaluated unless `evaluate` is
    off."""
    challenge = locked(challenge)
    require_open(challenge)
    values = dict(values)
    taken_at = values.pop("taken_at", None) or timezone.now()
    check_time(taken_at, challenge, _("The time of the vital signs"))
    if not any(value is not None for value in values.values()):
        raise ChallengeRuleError(_("Enter at least one vital sign."), code="no_values")
    vitals = VitalSigns(challenge=challenge, kind=kind, taken_at=taken_at, recorded_by=by, **values)
    save_new(vitals, by)
    if evaluate:
        _check_stop_rules(challenge, by)
    return vitals


@transaction.atomic
def treatment_record(
    *,
    challenge: Challenge,
    by: User,
    kind: str,
    drug: str,
    dose: str,
    route: str,
    given_at: datetime,
    notes: str = "",
    source: str = Source.CLINICIAN,
    site: str = "",
    response: str = "",
    idempotency_key: uuid.UUID | None = None,
    premedication_item: PremedicationItem | None = None,
) -> Treatment:
    """Record a medicine given: premedication taken, or treatment of a reaction (with its site and response).

    Adrenaline timed before the reaction's first symptom is refused: the WAO suffix is measured from that symptom,
    and one of the two times must be wrong (clinical review G2). If the onset only becomes known, or moves, later,
    the page and the report flag the conflict instead (facts.adrenaline_timing_problem).
    """
    challenge = locked(challenge)
    require_open(challenge)
    check_time(given_at, challenge, _("The time the medicine was given"))
    onset = facts.reaction_onset(challenge)
    if kind == TreatmentKind.ADRENALINE and onset is not None and given_at < onset:
        raise ChallengeRuleError(
            _(
                "Adrenaline at %(given)s is before the first symptom of the reaction at %(onset)s. Check both times: "
                "if the finding was timed after the treatment, mark it entered in error and record it again at the "
                "time it was seen."
            )
            % {"given": format_clock(timezone.localtime(given_at)), "onset": format_clock(onset)},
            code="adrenaline_before_onset",
        )
    above_max = _check_adrenaline(challenge, kind, dose, notes) if kind == TreatmentKind.ADRENALINE else None
    treatment = Treatment(
        challenge=challenge,
        kind=kind,
        drug=drug,
        dose=dose,
        route=route,
        given_at=given_at,
        notes=notes,
        source=source,
        recorded_by=by,
        site=site,
        response=response,
        idempotency_key=idempotency_key,
        premedication_item=premedication_item,
    )
    save_new(treatment, by)
    if above_max:
        event(challenge, EventKind.ADRENALINE_ABOVE_MAX, by, reason=f"{above_max} Reason: {notes.strip()}")
    return treatment


@transaction.atomic
def adrenaline_record(*, challenge: Challenge, by: User, idempotency_key: uuid.UUID) -> Treatment:
    """One tap at the bedside: IM adrenaline at the patient's weight-based dose (clinical.adrenaline), in the
    anterolateral thigh, timed by the server now. Repeat doses are numbered (1st, 2nd...) and count for the
    observation after the reaction (clinical.observation). The same form twice records one dose."""
    challenge = locked(challenge)
    existing = Treatment.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.challenge_id != challenge.pk:
            raise ChallengeRuleError(_("This form was already used for another challenge."), code="key_reused")
        return existing
    require_open(challenge)
    weight = challenge.patient.weight_kg
    if not weight:
        raise ChallengeRuleError(
            _("No weight is recorded, so no dose can be worked out: record the adrenaline given in the form below."),
            code="no_weight",
        )
    dose_mg = adrenaline.adrenaline_dose_mg(weight)
    number = len(facts.adrenaline_given(challenge)) + 1
    return treatment_record(
        challenge=challenge,
        by=by,
        kind=TreatmentKind.ADRENALINE,
        drug=_("Adrenaline 1 mg/mL (1:1000)"),
        dose=adrenaline.dose_with_volume(dose_mg),
        route=Route.IM,
        given_at=timezone.now(),
        notes=_("%(nth)s dose, for %(weight)s")
        % {"nth": adrenaline.ordinal(number), "weight": format_quantity(weight, "kg")},
        site=adrenaline.ADRENALINE_SITE,
        idempotency_key=idempotency_key,
    )


def _check_adrenaline(challenge: Challenge, kind: str, dose: str, notes: str) -> str:
    """Refuse an adrenaline dose not written in mg; one above the weight-based maximum needs a reason in the notes
    (then it is recorded and flagged). Returns the flag's text, or "" (clinical.adrenaline.check_recorded_dose)."""
    problem = adrenaline.check_recorded_dose(dose, challenge.patient.weight_kg)
    if problem is None:
        return ""
    if problem.code == adrenaline.UNREADABLE:
        raise ChallengeRuleError(problem.message, code="adrenaline_dose_unreadable")
    if not notes.strip():
        raise ChallengeRuleError(
            _(
                "%(problem)s Check the dose. If it really was given, say why in the notes: it is then recorded and "
                "flagged."
            )
            % {"problem": problem.message},
            code="adrenaline_above_max",
        )
    return problem.message


def _require_recording(challenge: Challenge) -> None:
    if challenge.status not in run_rules.RECORDING_STATES:
        if challenge.setting == Setting.HOME:
            raise ChallengeRuleError(_("Record symptoms after you have taken the first step."), code="not_started")
        raise ChallengeRuleError(_("Check the patient in before recording findings."), code="not_started")


def _check_stop_rules(challenge: Challenge, by: User | None) -> StopAlert | None:
    """Raise an alert when a stop rule is met with evidence no earlier alert showed (under the caller's lock).

    While an alert is still waiting for the allergist, new findings are added to it (one decision covers them).
    """
    hits = facts.blocking_hits(facts.stop_rule_hits(challenge))
    seen = {item for alert in challenge.alerts.all() for hit in alert.hits for item in hit["evidence"]}
    if not hits or not run_rules.new_evidence([facts.hit_evidence(h) for h in hits], seen):
        return None
    data = facts.alert_hit_data(hits)
    alert = facts.open_alert(challenge)
    if alert is None:
        alert = StopAlert.objects.create(challenge=challenge, hits=data)
    else:
        alert.hits = data
        alert.save()
    event(challenge, EventKind.STOP_ALERT, by, reason="; ".join(h.message for h in hits))
    if challenge.setting == Setting.HOME and challenge.status == Status.DOSING:
        transition(challenge, Status.PAUSED, by, reason=_("Symptoms met a stop rule."))
        notify.plan_paused(challenge)
    return alert


@transaction.atomic
def alert_decide(
    *, alert: StopAlert, by: User, decision: str, reason: str, wait_minutes: int | None = None
) -> StopAlert:
    """The allergist's decision on a stop alert or a hold: stop, repeat the same dose, wait longer, or continue.

    "Wait longer" needs how long (`wait_minutes`): the next dose is then not due before that time has passed.
    """
    require_allergist(by)
    challenge = locked(alert.challenge)
    require_open(challenge)
    alert = StopAlert.objects.select_for_update().get(pk=alert.pk)
    if not alert.is_open:
        raise ChallengeRuleError(_("This alert was already decided."), code="already_decided")
    if decision not in Decision.values:
        raise ChallengeRuleError(_("Choose stop, repeat, wait longer or continue."), code="bad_decision")
    low, high = run_rules.MIN_WAIT_MINUTES, run_rules.MAX_WAIT_MINUTES
    if decision == Decision.WAIT and not (wait_minutes and low <= wait_minutes <= high):
        raise ChallengeRuleError(
            _("Say how long to wait before the next dose (%(low)s to %(high)s min).") % {"low": low, "high": high},
            code="wait_minutes",
        )
    alert.decision, alert.reason = decision, require_reason(reason)
    alert.decided_by, alert.decided_at = by, timezone.now()
    if decision == Decision.WAIT and wait_minutes:
        alert.wait_until = alert.decided_at + timedelta(minutes=wait_minutes)
    save(alert, by)
    event(challenge, DECISION_EVENTS[Decision(decision)], by, reason=alert.reason)
    if decision == Decision.STOP:
        end_dosing(challenge, by, alert.reason)
    elif challenge.status == Status.PAUSED:
        transition(challenge, Status.DOSING, by, reason=alert.reason)
    notify.clinic_decided(challenge)  # a home plan's patient reads the decision as a message from the clinic
    return alert
