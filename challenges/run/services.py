"""Every write of a running challenge: scheduling, checks, doses, findings, stop alerts, outcome, signature."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinical import dosing, run_rules, stopping, washout
from clinical.errors import DomainError
from clinical.kinds import KINDS
from challenges.models import (
    Challenge,
    ChallengeEvent,
    Decision,
    Dose,
    Observation,
    PreChallengeCheck,
    Protocol,
    Setting,
    Source,
    Status,
    StopAlert,
    Treatment,
    VitalSigns,
    VitalsKind,
)
from challenges.library.services.protocols import food_spec
from clinics.models import User
from patients.models import Patient


class ChallengeRuleError(DomainError):
    """A rule of the challenge run was broken."""


# --- helpers ------------------------------------------------------------------------------------------------


def _locked(challenge: Challenge) -> Challenge:
    """The challenge row, locked for this transaction (PostgreSQL; SQLite serialises IMMEDIATE writers)."""
    return Challenge.objects.select_for_update().select_related("protocol", "protocol__food", "patient").get(
        pk=challenge.pk
    )


def _require_open(challenge: Challenge) -> None:
    if challenge.is_signed:
        raise ChallengeRuleError(_("This challenge is signed and locked; add an addendum instead."), code="signed")
    if challenge.entered_in_error:
        raise ChallengeRuleError(_("This challenge was entered in error."), code="in_error")


def _require_allergist(user: User) -> None:
    if not user.is_allergist:
        raise ChallengeRuleError(_("Only an allergist can do this."), code="allergist_only")


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ChallengeRuleError(_("Give a written reason."), code="reason_required")
    return reason


def _event(challenge: Challenge, kind: str, by: User | None, *, reason: str = "", to: str = "") -> None:
    ChallengeEvent.objects.create(
        challenge=challenge, kind=kind, from_status=challenge.status if to else "", to_status=to, reason=reason, by=by
    )


def _transition(challenge: Challenge, to: str, by: User | None, *, reason: str = "") -> None:
    if not run_rules.can_transition(challenge.status, to):
        raise ChallengeRuleError(
            _("A challenge that is %(current)s cannot become %(target)s.")
            % {"current": Status(challenge.status).label.lower(), "target": Status(to).label.lower()},
            code="bad_transition",
        )
    _event(challenge, "status", by, reason=reason, to=to)
    challenge.status = to
    challenge._history_user = by  # type: ignore[attr-defined]
    challenge.save()


def _check_time(moment: datetime, challenge: Challenge, what: str) -> None:
    now = timezone.now()
    if moment > now + run_rules.FUTURE_TOLERANCE:
        raise ChallengeRuleError(_("%(what)s cannot be in the future.") % {"what": what}, code="future_time")
    earliest = min(challenge.scheduled_at, challenge.created_at) - _GRACE
    if moment < earliest:
        raise ChallengeRuleError(
            _("%(what)s cannot be before the challenge was scheduled.") % {"what": what}, code="time_before_start"
        )


_GRACE = timezone.timedelta(hours=12)  # a challenge may start a little earlier than booked


# --- scheduling ---------------------------------------------------------------------------------------------


@transaction.atomic
def challenge_schedule(
    *, patient: Patient, protocol: Protocol, scheduled_at: datetime, allergist: User, nurse: User | None, by: User,
    indication: str = "", placebo_steps: Sequence[int] = (),
) -> Challenge:  # fmt: skip
    """Book a challenge on the current version of a protocol; the version is frozen for this challenge."""
    if patient.clinic_id != by.clinic_id or patient.entered_in_error:
        raise ChallengeRuleError(_("Choose a patient of your clinic."), code="bad_patient")
    if protocol.clinic_id not in (None, by.clinic_id) or not protocol.is_current:
        raise ChallengeRuleError(_("Choose a current protocol of your clinic or the standard library."), code="bad_protocol")
    if not allergist.is_allergist or allergist.clinic_id != by.clinic_id:
        raise ChallengeRuleError(_("The supervising allergist must be an allergist of your clinic."), code="bad_allergist")
    if nurse is not None and (not nurse.is_clinic_staff or nurse.clinic_id != by.clinic_id):
        raise ChallengeRuleError(_("The nurse must work in your clinic."), code="bad_nurse")
    steps = protocol.steps.count()
    if any(not 1 <= n <= steps for n in placebo_steps):
        raise ChallengeRuleError(_("Placebo steps must be step numbers of the protocol."), code="bad_placebo")
    setting = KINDS[protocol.kind].setting
    challenge = Challenge(
        clinic_id=patient.clinic_id, patient=patient, protocol=protocol, setting=setting, scheduled_at=scheduled_at,
        allergist=allergist, nurse=nurse, indication=indication, blinded=bool(placebo_steps),
        placebo_steps=sorted(set(placebo_steps)), status=Status.PLANNED,
    )  # fmt: skip
    challenge._history_user = by  # type: ignore[attr-defined]
    challenge.full_clean()
    challenge.save()
    _event(challenge, "scheduled", by)
    return challenge


def washout_conflicts(challenge: Challenge) -> list[washout.Conflict]:
    """The patient's current medications against the protocol's wash-out rules and premedication."""
    protocol = challenge.protocol
    medications = [
        washout.Medication(name=f"{m.name} {m.dose}", med_class=m.med_class, stopped_on=m.stopped_on)
        for m in challenge.patient.medications.all()
        if not m.entered_in_error
    ]
    premeds = [washout.PremedItem(drug=p.drug, med_class=p.med_class) for p in protocol.premedications.all()]
    return washout.check_washout(
        medications=medications, rules=washout.rules_from_data(protocol.washout_rules),
        challenge_start=timezone.localtime(challenge.scheduled_at), diagnostic=KINDS[protocol.kind].diagnostic,
        premedication=premeds,
    )  # fmt: skip


@transaction.atomic
def challenge_check_in(*, challenge: Challenge, by: User) -> Challenge:
    challenge = _locked(challenge)
    _require_open(challenge)
    _transition(challenge, Status.CHECKED_IN, by)
    return challenge


@transaction.atomic
def challenge_cancel(*, challenge: Challenge, by: User, reason: str) -> Challenge:
    challenge = _locked(challenge)
    _require_open(challenge)
    _transition(challenge, Status.CANCELLED, by, reason=_require_reason(reason))
    return challenge


# --- before the first dose ----------------------------------------------------------------------------------


@transaction.atomic
def checks_record(*, challenge: Challenge, by: User, answers: dict[str, Any], baseline: dict[str, Any]) -> PreChallengeCheck:
    """Record the pre-challenge checklist and the baseline vital signs (fact sheet §5.2)."""
    challenge = _locked(challenge)
    _require_open(challenge)
    if challenge.status not in (Status.PLANNED, Status.CHECKED_IN):
        raise ChallengeRuleError(_("The pre-challenge checks are done before the first dose."), code="too_late")
    check = PreChallengeCheck(challenge=challenge, recorded_by=by, **answers)
    check._history_user = by  # type: ignore[attr-defined]
    check.full_clean()
    check.save()
    vitals_record(challenge=challenge, by=by, kind=VitalsKind.BASELINE, values=baseline, evaluate=False)
    if challenge.status == Status.PLANNED:
        _transition(challenge, Status.CHECKED_IN, by)
    return check


def latest_check(challenge: Challenge) -> PreChallengeCheck | None:
    """The latest valid pre-challenge checklist (reads a prefetched `checks` when there is one)."""
    checks = [c for c in challenge.checks.all() if not c.entered_in_error]
    return max(checks, key=lambda c: (c.recorded_at, c.pk), default=None)


def checks_passed(challenge: Challenge) -> bool:
    """True when the latest checklist passed, or an allergist overrode it with a reason."""
    check = latest_check(challenge)
    if check is None:
        return False
    return not check.failed_items() or bool(challenge.checks_override_reason)


@transaction.atomic
def checks_override(*, challenge: Challenge, by: User, reason: str) -> Challenge:
    _require_allergist(by)
    challenge = _locked(challenge)
    _require_open(challenge)
    challenge.checks_override_reason = _require_reason(reason)
    challenge.checks_override_by = by
    challenge._history_user = by  # type: ignore[attr-defined]
    challenge.save()
    _event(challenge, "checks_override", by, reason=challenge.checks_override_reason)
    return challenge


# --- doses --------------------------------------------------------------------------------------------------


def valid_doses(challenge: Challenge) -> list[Dose]:
    return [d for d in challenge.doses.all() if not d.entered_in_error]


def repeat_requested(challenge: Challenge, doses: Sequence[Dose]) -> bool:
    """True when the last decided alert (after the last dose) said: hold and repeat the same dose."""
    last_dose_at = doses[-1].given_at if doses else None
    for alert in sorted(challenge.alerts.all(), key=lambda a: (a.raised_at, a.pk), reverse=True):
        if last_dose_at is not None and alert.decided_at and alert.decided_at < last_dose_at:
            return False
        if alert.decision:
            return alert.decision == Decision.REPEAT
    return False


def upcoming_step(challenge: Challenge) -> run_rules.NextStep:
    """The next planned step and when it is due; at home the watch window must pass too."""
    doses = valid_doses(challenge)
    steps = list(challenge.protocol.steps.all())
    watch = challenge.protocol.watch_hours * 60 if challenge.setting == Setting.HOME else 0
    return run_rules.next_step(
        [run_rules.GivenStep(d.step_number, d.given_at) for d in doses],
        interval_after={s.number: max(s.interval_minutes, watch) for s in steps}, planned_steps=len(steps),
        repeat_requested=repeat_requested(challenge, doses),
    )  # fmt: skip


def open_alert(challenge: Challenge) -> StopAlert | None:
    return next((a for a in challenge.alerts.all() if a.is_open), None)


@transaction.atomic
def dose_record(
    *, challenge: Challenge, by: User, food_amount: Decimal | None, given_at: datetime, idempotency_key: uuid.UUID,
    override_reason: str = "", source: str = Source.CLINICIAN, notes: str = "",
) -> Dose:  # fmt: skip
    """Record a dose actually given (`food_amount` None: the whole planned dose). Same key twice: one dose."""
    challenge = _locked(challenge)
    # Checked under the challenge's lock, so a resubmission racing the first post finds the dose it made.
    existing = Dose.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.challenge_id != challenge.pk:
            raise ChallengeRuleError(_("This form was already used for another challenge."), code="key_reused")
        return existing
    _require_open(challenge)
    _check_can_dose(challenge, by)
    step = upcoming_step(challenge)
    if step.number is None:
        raise ChallengeRuleError(_("Every planned dose has been given."), code="no_more_steps")
    if needs_release(challenge, step):
        raise ChallengeRuleError(
            _("Step %(n)s is waiting for your allergist to release it.") % {"n": step.number}, code="not_released"
        )
    _check_time(given_at, challenge, _("The dose time"))
    _check_wait(step, given_at, by, override_reason)
    planned = challenge.protocol.steps.get(number=step.number)
    dose = _build_dose(challenge, planned, step, food_amount, given_at, by, override_reason, source, notes)
    dose.idempotency_key = idempotency_key
    dose._history_user = by  # type: ignore[attr-defined]  # for writes outside a request (commands, scripts)
    try:
        with transaction.atomic():
            dose.save()
    except IntegrityError:
        # The same key raced in from a second request: answer with the dose that won.
        return Dose.objects.get(idempotency_key=idempotency_key)
    if override_reason.strip():
        _event(challenge, "early_dose_override", by, reason=override_reason.strip())
    _after_dose(challenge, step, by)
    return dose


def needs_release(challenge: Challenge, step: run_rules.NextStep) -> bool:
    """At home, a clinic may require an allergist to release every step after the first.

    A release counts for the step it names when it was given after the last dose (so a repeated step needs
    its own release).
    """
    if challenge.setting != Setting.HOME or not challenge.clinic.home_steps_need_release:
        return False
    doses = valid_doses(challenge)
    if step.number is None or not doses:
        return False
    last_at = doses[-1].given_at
    return not any(r.step_number == step.number and r.released_at >= last_at for r in challenge.releases.all())


def _check_can_dose(challenge: Challenge, by: User) -> None:
    home = challenge.setting == Setting.HOME
    allowed = (Status.PLANNED, Status.DOSING) if home else (Status.CHECKED_IN, Status.DOSING)
    if challenge.status not in allowed:
        raise ChallengeRuleError(
            _("No dose can be given while the challenge is %(status)s.") % {"status": challenge.get_status_display().lower()},
            code="not_dosing",
        )
    if not home and not checks_passed(challenge):
        raise ChallengeRuleError(
            _("Complete the pre-challenge checks first (or an allergist overrides a failed item)."), code="checks"
        )
    if open_alert(challenge) is not None:
        raise ChallengeRuleError(
            _("A stop rule was met: no further dose until the allergist decides."), code="stop_alert_open"
        )


def _check_wait(step: run_rules.NextStep, given_at: datetime, by: User, override_reason: str) -> None:
    remaining = run_rules.wait_remaining(step.due_at, given_at)
    if not remaining:
        return
    if by.is_allergist and override_reason.strip():
        return
    raise ChallengeRuleError(
        _("Too early: the next dose is due at %(due)s, in %(left)s.")
        % {"due": timezone.localtime(step.due_at).strftime("%H:%M"), "left": run_rules.describe_wait(remaining)},
        code="too_early",
    )


def _build_dose(challenge, planned, step, food_amount, given_at, by, override_reason, source, notes) -> Dose:
    spec = food_spec(challenge.protocol.food)
    planned_protein = planned.protein_mg or dosing.protein_for_food_amount(planned.food_amount, spec)
    planned_food = planned.food_amount or dosing.food_amount_for_protein(planned.protein_mg, spec)
    if food_amount is None:
        food_amount = planned_food
    if food_amount <= 0:
        raise ChallengeRuleError(_("The amount eaten must be more than 0."), code="amount_not_positive")
    if food_amount > planned_food * Decimal("1.05"):
        raise ChallengeRuleError(
            _("More than the planned amount (%(planned)s %(unit)s) cannot be recorded; check the amount.")
            % {"planned": dosing.format_decimal(planned_food.quantize(Decimal("0.001"))), "unit": spec.unit},
            code="more_than_planned",
        )
    sequence = challenge.doses.count() + 1
    return Dose(
        challenge=challenge, sequence=sequence, step_number=step.number, planned_protein_mg=planned_protein,
        planned_food_amount=planned_food, food_amount=food_amount,
        protein_mg=dosing.protein_for_food_amount(food_amount, spec) if food_amount != planned_food else planned_protein,
        given_at=given_at, given_by=by, source=source, is_placebo=step.number in challenge.placebo_steps,
        early_override_reason=override_reason.strip(), notes=notes,
    )  # fmt: skip


def _after_dose(challenge: Challenge, step: run_rules.NextStep, by: User) -> None:
    if challenge.status == Status.PLANNED:
        _transition(challenge, Status.DOSING, by)
    elif challenge.status == Status.CHECKED_IN:
        _transition(challenge, Status.DOSING, by)
    if upcoming_step(challenge).number is None:
        challenge.observation_started_at = valid_doses(challenge)[-1].given_at
        _transition(challenge, Status.OBSERVING, by)
        follow_ups_schedule(challenge)


# --- findings, vitals, treatments, and the stop rules ---------------------------------------------------


@transaction.atomic
def observation_record(
    *, challenge: Challenge, by: User, item_code: str, severity: int, observed_at: datetime, note: str = "",
    source: str = Source.CLINICIAN,
) -> Observation:  # fmt: skip
    challenge = _locked(challenge)
    _require_open(challenge)
    _require_recording(challenge)
    _check_time(observed_at, challenge, _("The observation time"))
    if item_code not in challenge.protocol.checklist_items:
        raise ChallengeRuleError(_("That finding is not on this protocol's checklist."), code="unknown_item")
    observation = Observation(
        challenge=challenge, item_code=item_code, severity=severity, observed_at=observed_at, note=note,
        source=source, recorded_by=by,
    )  # fmt: skip
    observation._history_user = by  # type: ignore[attr-defined]
    observation.full_clean()
    observation.save()
    stop_rules_check(challenge=challenge, by=by)
    return observation


@transaction.atomic
def vitals_record(
    *, challenge: Challenge, by: User, values: dict[str, Any], kind: str = VitalsKind.DURING, evaluate: bool = True,
) -> VitalSigns:  # fmt: skip
    challenge = _locked(challenge)
    _require_open(challenge)
    taken_at = values.pop("taken_at", None) or timezone.now()
    _check_time(taken_at, challenge, _("The time of the vital signs"))
    if not any(value is not None for value in values.values()):
        raise ChallengeRuleError(_("Enter at least one vital sign."), code="no_values")
    vitals = VitalSigns(challenge=challenge, kind=kind, taken_at=taken_at, recorded_by=by, **values)
    vitals._history_user = by  # type: ignore[attr-defined]
    vitals.full_clean()
    vitals.save()
    if evaluate:
        stop_rules_check(challenge=challenge, by=by)
    return vitals


@transaction.atomic
def treatment_record(
    *, challenge: Challenge, by: User, kind: str, drug: str, dose: str, route: str, given_at: datetime,
    notes: str = "", source: str = Source.CLINICIAN,
) -> Treatment:  # fmt: skip
    challenge = _locked(challenge)
    _require_open(challenge)
    _check_time(given_at, challenge, _("The time the medicine was given"))
    treatment = Treatment(
        challenge=challenge, kind=kind, drug=drug, dose=dose, route=route, given_at=given_at, notes=notes,
        source=source, recorded_by=by,
    )  # fmt: skip
    treatment._history_user = by  # type: ignore[attr-defined]
    treatment.full_clean()
    treatment.save()
    return treatment


def _require_recording(challenge: Challenge) -> None:
    if challenge.status not in run_rules.RECORDING_STATES:
        if challenge.setting == Setting.HOME:
            raise ChallengeRuleError(_("Record symptoms after you have taken the first step."), code="not_started")
        raise ChallengeRuleError(_("Check the patient in before recording findings."), code="not_started")


def age_in_years(born: date, on: date) -> Decimal:
    """Age in years with two decimals (the stop rules and grading use completed years from it)."""
    days = (on - born).days
    return (Decimal(days) / Decimal("365.25")).quantize(Decimal("0.01"))


def evaluate_stop_rules(challenge: Challenge) -> list[stopping.RuleHit]:
    """The protocol's stop rules against everything recorded so far (pure evaluation in clinical.stopping)."""
    doses = valid_doses(challenge)
    findings = [
        stopping.Finding(o.item_code, o.severity, timezone.localtime(o.observed_at), _after_dose_number(doses, o.observed_at))
        for o in challenge.observations.all()
        if not o.entered_in_error
    ]
    readings = [_vitals_value(v) for v in challenge.vitals.all() if not v.entered_in_error and v.kind != VitalsKind.BASELINE]
    baselines = [v for v in challenge.vitals.all() if not v.entered_in_error and v.kind == VitalsKind.BASELINE]
    baseline = _vitals_value(baselines[-1]) if baselines else None
    age = age_in_years(challenge.patient.date_of_birth, timezone.localdate(challenge.scheduled_at))
    return stopping.evaluate(
        stopping.StopRules.from_dict(challenge.protocol.stop_rules), findings=findings, vitals=readings,
        baseline=baseline, age_years=age, dose_times={d.sequence: d.given_at for d in doses},
    )  # fmt: skip


def _after_dose_number(doses: Sequence[Dose], moment: datetime) -> int | None:
    given = [d.sequence for d in doses if d.given_at <= moment]
    return given[-1] if given else None


def _vitals_value(v: VitalSigns) -> stopping.Vitals:
    return stopping.Vitals(
        taken_at=timezone.localtime(v.taken_at), heart_rate=v.heart_rate, systolic=v.systolic, diastolic=v.diastolic,
        resp_rate=v.resp_rate, spo2=v.spo2, temperature_c=v.temperature_c, pef=v.pef,
    )  # fmt: skip


def _evidence(hit: stopping.RuleHit) -> tuple[str, ...]:
    return hit.evidence or (hit.message,)


def stop_rules_check(*, challenge: Challenge, by: User | None) -> StopAlert | None:
    """Evaluate the stop rules; raise an alert when a rule is met with evidence no earlier alert showed.

    While an alert is still waiting for the allergist, new findings are added to it (one decision covers them).
    """
    hits = evaluate_stop_rules(challenge)
    seen = {item for alert in challenge.alerts.all() for hit in alert.hits for item in hit["evidence"]}
    if not hits or not run_rules.new_evidence([_evidence(h) for h in hits], seen):
        return None
    data = [{"code": h.code, "message": h.message, "evidence": list(_evidence(h))} for h in hits]
    alert = open_alert(challenge)
    if alert is None:
        alert = StopAlert.objects.create(challenge=challenge, hits=data)
    else:
        alert.hits = data
        alert.save()
    _event(challenge, "stop_alert", by, reason="; ".join(h.message for h in hits))
    if challenge.setting == Setting.HOME and challenge.status == Status.DOSING:
        _transition(challenge, Status.PAUSED, by, reason=_("Symptoms met a stop rule."))
    return alert


@transaction.atomic
def alert_decide(*, alert: StopAlert, by: User, decision: str, reason: str) -> StopAlert:
    """The allergist's decision on a stop alert: stop, hold and repeat the same dose, or continue."""
    _require_allergist(by)
    challenge = _locked(alert.challenge)
    _require_open(challenge)
    alert = StopAlert.objects.select_for_update().get(pk=alert.pk)
    if not alert.is_open:
        raise ChallengeRuleError(_("This alert was already decided."), code="already_decided")
    if decision not in Decision.values:
        raise ChallengeRuleError(_("Choose stop, repeat or continue."), code="bad_decision")
    alert.decision, alert.reason = decision, _require_reason(reason)
    alert.decided_by, alert.decided_at = by, timezone.now()
    alert._history_user = by  # type: ignore[attr-defined]
    alert.save()
    _event(challenge, f"decision_{decision}", by, reason=alert.reason)
    if decision == Decision.STOP:
        _stop(challenge, by, alert.reason)
    elif challenge.status == Status.PAUSED:
        _transition(challenge, Status.DOSING, by, reason=alert.reason)
    return alert


def _stop(challenge: Challenge, by: User, reason: str) -> None:
    if challenge.status in (Status.DOSING, Status.CHECKED_IN, Status.OBSERVING, Status.PAUSED):
        challenge.observation_started_at = challenge.observation_started_at or timezone.now()
        _transition(challenge, Status.STOPPED, by, reason=reason)
        follow_ups_schedule(challenge)


def follow_ups_schedule(challenge: Challenge) -> None:
    """Check-ins at the protocol's times after the last dose (e.g. +2 h, +24 h, +72 h); once per time."""
    from challenges.models import FollowUp

    doses = valid_doses(challenge)
    if not doses:
        return
    for hours in challenge.protocol.follow_up_hours:
        FollowUp.objects.get_or_create(
            challenge=challenge, hours_after=hours,
            defaults={"due_at": doses[-1].given_at + timezone.timedelta(hours=hours)},
        )  # fmt: skip


@transaction.atomic
def challenge_stop(*, challenge: Challenge, by: User, reason: str) -> Challenge:
    """Stop dosing now (staff may always stop for safety); the observation period starts."""
    challenge = _locked(challenge)
    _require_open(challenge)
    reason = _require_reason(reason)
    if challenge.status not in (Status.DOSING, Status.CHECKED_IN, Status.OBSERVING, Status.PAUSED):
        raise ChallengeRuleError(_("Only a running challenge can be stopped."), code="bad_transition")
    for alert in challenge.alerts.filter(decision=""):
        alert.decision, alert.reason, alert.decided_by, alert.decided_at = Decision.STOP, reason, by, timezone.now()
        alert.save()
    _stop(challenge, by, reason)
    return challenge


@transaction.atomic
def observation_finish(*, challenge: Challenge, by: User, override_reason: str = "") -> Challenge:
    """End the observation period after the last dose; early only for an allergist with a reason."""
    challenge = _locked(challenge)
    _require_open(challenge)
    ends = observation_ends_at(challenge)
    if ends and timezone.now() < ends and not (by.is_allergist and override_reason.strip()):
        left = run_rules.describe_wait(ends - timezone.now())
        raise ChallengeRuleError(
            _("The observation period has %(left)s to run.") % {"left": left}, code="observation_running"
        )
    if override_reason.strip():
        _event(challenge, "observation_override", by, reason=override_reason.strip())
    _transition(challenge, Status.COMPLETED, by)
    return challenge


def observation_ends_at(challenge: Challenge) -> datetime | None:
    """After the last dose: the protocol's observation period (in clinic) or its watch window (at home)."""
    if challenge.observation_started_at is None:
        return None
    minutes = challenge.protocol.observation_minutes
    if challenge.setting == Setting.HOME:
        minutes = max(minutes, challenge.protocol.watch_hours * 60)
    return challenge.observation_started_at + timezone.timedelta(minutes=minutes)


# --- the end ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeInput:
    outcome: str
    reason: str
    grade_scale: str
    grade: str
    advice: str
    new_adrenaline_prescription: bool
    discharge_notes: str = ""


@transaction.atomic
def outcome_confirm(*, challenge: Challenge, by: User, data: OutcomeInput, grade_suggested: str) -> Challenge:
    """The allergist confirms (or changes) the suggested outcome and grade and the discharge advice."""
    _require_allergist(by)
    challenge = _locked(challenge)
    _require_open(challenge)
    if challenge.status not in (Status.OBSERVING, Status.COMPLETED, Status.STOPPED):
        raise ChallengeRuleError(_("The outcome is recorded once dosing has ended."), code="still_dosing")
    for name in ("outcome", "grade_scale", "grade", "advice", "new_adrenaline_prescription", "discharge_notes"):
        setattr(challenge, name, getattr(data, name))
    challenge.outcome_reason = _require_reason(data.reason)
    challenge.grade_suggested = grade_suggested
    challenge.grade_confirmed_by = by
    challenge.outcome_under_review = False
    challenge._history_user = by  # type: ignore[attr-defined]
    challenge.full_clean()
    challenge.save()
    _event(challenge, "outcome", by, reason=f"{challenge.get_outcome_display()}: {challenge.outcome_reason}")
    return challenge


@transaction.atomic
def challenge_sign(
    *, challenge: Challenge, by: User, render: Callable[[Challenge], tuple[bytes, dict]] | None = None
) -> Challenge:
    """Sign a finished challenge: its records are locked from now on; only addenda can be added.

    `render` builds the signed report (PDF bytes and its snapshot) from the challenge as signed, so the stored
    PDF carries exactly the stored signature; it runs inside the transaction, so a failed render signs nothing.
    """
    _require_allergist(by)
    challenge = _locked(challenge)
    _require_open(challenge)
    if challenge.status not in (Status.COMPLETED, Status.STOPPED):
        raise ChallengeRuleError(_("Only a completed or stopped challenge can be signed."), code="not_finished")
    if not challenge.outcome:
        raise ChallengeRuleError(_("Confirm the outcome before signing."), code="no_outcome")
    if open_alert(challenge) is not None:
        raise ChallengeRuleError(_("Decide the open stop alert before signing."), code="stop_alert_open")
    challenge.signed_at, challenge.signed_by = timezone.now(), by
    if render is not None:
        challenge.signed_pdf, challenge.signed_snapshot = render(challenge)
    challenge._history_user = by  # type: ignore[attr-defined]
    challenge.save()
    _event(challenge, "signed", by)
    return challenge


@transaction.atomic
def addendum_add(*, challenge: Challenge, by: User, text: str) -> ChallengeEvent:
    challenge = _locked(challenge)
    event = ChallengeEvent.objects.create(challenge=challenge, kind="addendum", reason=_require_reason(text), by=by)
    return event


@transaction.atomic
def challenge_unblind(*, challenge: Challenge, by: User) -> Challenge:
    _require_allergist(by)
    challenge = _locked(challenge)
    if not challenge.blinded or challenge.unblinded_at:
        raise ChallengeRuleError(_("This challenge is not blinded."), code="not_blinded")
    challenge.unblinded_at, challenge.unblinded_by = timezone.now(), by
    challenge._history_user = by  # type: ignore[attr-defined]
    challenge.save()
    _event(challenge, "unblinded", by)
    return challenge


@transaction.atomic
def record_mark_entered_in_error(*, record: Any, by: User, reason: str) -> Any:
    """Mark a dose, finding, vitals or treatment entered in error (kept; excluded from the figures)."""
    from clinics.services import clinical_record_mark_entered_in_error

    challenge = _locked(record.challenge)
    _require_open(challenge)
    return clinical_record_mark_entered_in_error(record=record, by=by, reason=reason)
