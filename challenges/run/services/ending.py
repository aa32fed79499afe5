"""The end of a challenge: stop, end the observation, confirm the outcome, sign; afterwards addenda, unblinding,
and marking a record entered in error."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from challenges.run import facts, notify
from challenges.run.models import (
    Challenge,
    ChallengeEvent,
    Decision,
    EventKind,
    FollowUp,
    Outcome,
    Status,
    StopKind,
)
from challenges.run.services._guards import (
    ChallengeRuleError,
    event,
    locked,
    require_allergist,
    require_open,
    require_reason,
    save,
    transition,
)
from clinical import outcome as outcome_rules
from clinical import run_rules
from clinical.dates import format_clock
from clinics.models import User
from clinics.services import clinical_record_mark_entered_in_error

RUNNING = (Status.DOSING, Status.CHECKED_IN, Status.OBSERVING, Status.PAUSED)
RELATED_FIELDS = [f.name for f in Challenge._meta.get_fields() if f.many_to_one]


def end_dosing(challenge: Challenge, by: User, reason: str) -> None:
    """Stop a running challenge: the observation period and the follow-up check-ins start (under the caller's lock)."""
    if challenge.status in RUNNING:
        challenge.observation_started_at = challenge.observation_started_at or timezone.now()
        transition(challenge, Status.STOPPED, by, reason=reason)
        schedule_follow_ups(challenge)


def schedule_follow_ups(challenge: Challenge) -> None:
    """Check-ins at the protocol's times after the last dose (e.g. +2 h, +24 h, +72 h); once per time.

    Part of a write that ends dosing: call it under the challenge's lock, inside that write's transaction.
    """
    doses = facts.valid_doses(challenge)
    if not doses:
        return
    for hours in challenge.protocol.follow_up_hours:
        FollowUp.objects.get_or_create(
            challenge=challenge,
            hours_after=hours,
            defaults={"due_at": doses[-1].given_at + timedelta(hours=hours)},
        )


@transaction.atomic
def challenge_stop(*, challenge: Challenge, by: User, reason: str, kind: str = StopKind.REACTION) -> Challenge:
    """Stop dosing now (staff may always stop for safety); the observation period starts.

    `kind` says why (clinical review O2): symptoms, or refusal, time, intercurrent illness or another non-clinical
    reason, which make the suggested outcome "dose not reached" rather than "equivocal".
    """
    challenge = locked(challenge)
    require_open(challenge)
    reason = require_reason(reason)
    if kind not in StopKind.values:
        raise ChallengeRuleError(_("Say why dosing stopped."), code="bad_stop_kind")
    if challenge.status not in RUNNING:
        raise ChallengeRuleError(_("Only a running challenge can be stopped."), code="bad_transition")
    challenge.stop_kind = kind
    for alert in challenge.alerts.filter(decision=""):
        alert.decision, alert.reason, alert.decided_by, alert.decided_at = Decision.STOP, reason, by, timezone.now()
        save(alert, by)
    end_dosing(challenge, by, reason)
    notify.clinic_decided(challenge)
    return challenge


@transaction.atomic
def observation_finish(*, challenge: Challenge, by: User, override_reason: str = "") -> Challenge:
    """End the observation period after the last dose; early only for an allergist with a reason.

    Before dosing has ended there is no observation to end: ending it then skips the remaining doses and the whole
    observation, so only an allergist may, with a reason that the report prints (security review H2).
    """
    challenge = locked(challenge)
    require_open(challenge)
    override_reason = override_reason.strip()
    if challenge.status == Status.DOSING:
        require_allergist(by)
        event(challenge, EventKind.OBSERVATION_OVERRIDE, by, reason=require_reason(override_reason))
        transition(challenge, Status.COMPLETED, by)
        return challenge
    if challenge.status != Status.OBSERVING:
        raise ChallengeRuleError(
            _("A challenge that is %(current)s has no observation to end.")
            % {"current": Status(challenge.status).label.lower()},
            code="bad_transition",
        )
    if facts.open_alert(challenge) is not None:
        raise ChallengeRuleError(_("Decide the open stop alert before ending the observation."), code="stop_alert_open")
    require_observation_over(challenge, by, override_reason)
    transition(challenge, Status.COMPLETED, by)
    return challenge


def require_observation_over(challenge: Challenge, by: User, override_reason: str) -> None:
    """Refuse while the observation is running, unless an allergist ends it early with a reason (under the lock).

    The reason is kept as an observation_override event, which the report prints. Without one, the refusal says
    what is left: the time to run, or (after a reaction) that the symptoms have not been recorded as resolved.
    """
    now = timezone.now()
    if facts.observation_over(challenge, now):
        return
    if override_reason.strip():
        require_allergist(by)
        event(challenge, EventKind.OBSERVATION_OVERRIDE, by, reason=override_reason.strip())
        return
    period = facts.observation_period(challenge)
    if period is None or period.ends_at is None:
        why = period.explanation if period else _("Dosing has not ended")
        raise ChallengeRuleError(f"{why}.", code="symptoms_not_resolved")
    left, end = run_rules.describe_wait(period.ends_at - now), format_clock(timezone.localtime(period.ends_at))
    raise ChallengeRuleError(
        _("The observation period has %(left)s to run (until %(end)s).") % {"left": left, "end": end},
        code="observation_running",
    )


OUTCOME_FIELDS = ("outcome", "grade_scale", "grade", "advice", "new_adrenaline_prescription", "discharge_notes")
DISCHARGE_FIELDS = (
    "discharge_rest_of_day",
    "discharge_keep_eating",
    "discharge_form_advice",
    "discharge_action_plan_given",
    "discharge_autoinjector_trained",
    "follow_up_on",
)


@dataclass(frozen=True)
class OutcomeInput:
    outcome: str
    reason: str
    grade_scale: str
    grade: str
    advice: str
    new_adrenaline_prescription: bool
    discharge_notes: str = ""
    observation_override_reason: str = ""  # an allergist confirming "passed" before the observation has ended
    # Structured discharge advice (R6): unticked and empty unless the clinician records them.
    discharge_rest_of_day: bool = False
    discharge_keep_eating: str = ""
    discharge_form_advice: str = ""
    discharge_action_plan_given: bool = False
    discharge_autoinjector_trained: bool = False
    follow_up_on: date | None = None

    @property
    def discharge(self) -> outcome_rules.DischargeAdvice:
        return outcome_rules.DischargeAdvice(
            rest_of_day=self.discharge_rest_of_day,
            keep_eating=self.discharge_keep_eating,
            form_advice=self.discharge_form_advice,
            action_plan_given=self.discharge_action_plan_given,
            autoinjector_trained=self.discharge_autoinjector_trained,
            follow_up_on=self.follow_up_on,
        )


@transaction.atomic
def outcome_confirm(*, challenge: Challenge, by: User, data: OutcomeInput) -> Challenge:
    """The allergist confirms (or changes) the suggested outcome and grade and the discharge advice.

    The suggested grade is computed here, from the rows as they are under the lock, and stored beside the
    confirmed one, so the record shows what the system suggested when the allergist decided.
    """
    require_allergist(by)
    challenge = locked(challenge)
    require_open(challenge)
    if challenge.status not in (Status.OBSERVING, Status.COMPLETED, Status.STOPPED):
        raise ChallengeRuleError(_("The outcome is recorded once dosing has ended."), code="still_dosing")
    conflict = outcome_rules.advice_conflict(data.outcome, data.advice)
    if conflict:
        raise ChallengeRuleError(conflict, code="advice_conflict")
    challenge_day = challenge.scheduled_at.astimezone(challenge.clinic.tzinfo).date()
    problem = outcome_rules.discharge_advice_problem(
        outcome=data.outcome, advice=data.advice, discharge=data.discharge, challenge_day=challenge_day
    )
    if problem is not None:
        raise problem
    if data.outcome == Outcome.PASSED:
        # The observation is part of the test: "passed" means nothing happened in it either (clinical review O3).
        require_observation_over(challenge, by, data.observation_override_reason)
    prefetch_related_objects([challenge], "doses", "observations", "vitals", "treatments", "alerts")
    suggestion = facts.suggested_grade(challenge)
    for name in (*OUTCOME_FIELDS, *DISCHARGE_FIELDS):
        setattr(challenge, name, getattr(data, name))
    challenge.outcome_reason = require_reason(data.reason)
    challenge.grade_suggested = suggestion.grade if suggestion else ""
    challenge.grade_confirmed_by = by
    challenge.outcome_under_review = False
    # The typed values are validated (choices, lengths); the related rows were just read under the lock, so
    # asking the database whether each still exists (one query per foreign key) would only repeat that read.
    challenge.full_clean(exclude=RELATED_FIELDS)
    save(challenge, by)
    event(challenge, EventKind.OUTCOME, by, reason=f"{challenge.get_outcome_display()}: {challenge.outcome_reason}")
    return challenge


class SignedReportMaker(Protocol):
    """The signed report (challenges.reports.signed.SignedReport): its snapshot, and the PDF drawn from it."""

    def snapshot(self, challenge: Challenge, *, signed_by: User, signed_at: datetime) -> dict[str, Any]: ...

    def draw(self, snapshot: dict[str, Any]) -> bytes: ...


def challenge_sign(
    *,
    challenge: Challenge,
    by: User,
    render: SignedReportMaker | None = None,
    observation_override_reason: str = "",
) -> Challenge:
    """Sign a finished challenge: its records are locked from now on; only addenda can be added.

    Not before the observation has ended (clinical review O5), unless the allergist gives a reason to sign earlier,
    which the report prints. `render` makes the signed report, so the stored PDF carries exactly the stored
    signature. The PDF is drawn before the write lock is taken (security review M1: a long report must not hold up
    every other write); under the lock the snapshot is rebuilt, and a record that changed in between is refused
    ("sign again"), so what is stored is what was drawn. The PDF's SHA-256 is stored in the chained history
    (security review M7), so a replaced PDF is found by verify_audit and refused on download.
    """
    signed_at = timezone.now()
    drawn: tuple[bytes, dict[str, Any]] | None = None
    if render is not None and not observation_override_reason.strip():
        _require_signable(Challenge.objects.get(pk=challenge.pk), by, "")
        snapshot = render.snapshot(challenge, signed_by=by, signed_at=signed_at)
        drawn = render.draw(snapshot), snapshot
    return _store_signature(challenge, by, signed_at, render, drawn, observation_override_reason)


@transaction.atomic
def _store_signature(
    challenge: Challenge,
    by: User,
    signed_at: datetime,
    render: SignedReportMaker | None,
    drawn: tuple[bytes, dict[str, Any]] | None,
    observation_override_reason: str,
) -> Challenge:
    challenge = locked(challenge)
    _require_signable(challenge, by, observation_override_reason)
    if render is not None:
        snapshot = render.snapshot(challenge, signed_by=by, signed_at=signed_at)
        if drawn is None:  # signing before the observation ended writes the override first: draw it now (capped text)
            drawn = render.draw(snapshot), snapshot
        if drawn[1] != snapshot:
            raise ChallengeRuleError(
                _("The record changed while the report was being prepared; sign again to sign what it shows now."),
                code="changed_while_signing",
            )
        pdf = drawn[0]
        challenge.signed_pdf, challenge.signed_snapshot = pdf, snapshot
        challenge.signed_pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    challenge.signed_at, challenge.signed_by = signed_at, by
    save(challenge, by)
    event(challenge, EventKind.SIGNED, by)
    return challenge


def _require_signable(challenge: Challenge, by: User, observation_override_reason: str) -> None:
    require_allergist(by)
    require_open(challenge)
    if challenge.status not in (Status.COMPLETED, Status.STOPPED):
        raise ChallengeRuleError(_("Only a completed or stopped challenge can be signed."), code="not_finished")
    if not challenge.outcome:
        raise ChallengeRuleError(_("Confirm the outcome before signing."), code="no_outcome")
    if facts.open_alert(challenge) is not None:
        raise ChallengeRuleError(_("Decide the open stop alert before signing."), code="stop_alert_open")
    require_observation_over(challenge, by, observation_override_reason)


@transaction.atomic
def addendum_add(*, challenge: Challenge, by: User, text: str) -> ChallengeEvent:
    """A note added after signing (or before); the signed record itself is not changed."""
    challenge = locked(challenge)
    return event(challenge, EventKind.ADDENDUM, by, reason=require_reason(text))


BLINDED_VERDICT_STATES = (Status.OBSERVING, Status.COMPLETED, Status.STOPPED)


@transaction.atomic
def blinded_verdict_record(*, challenge: Challenge, by: User, reaction: bool, after_dose: int | None) -> Challenge:
    """The allergist's verdict while still blind: a reaction after dose `after_dose`, or none (docs/clinical-sources.md
    §1.8: judging before the key is opened avoids its bias). Once dosing has ended, and before unblinding."""
    require_allergist(by)
    challenge = locked(challenge)
    require_open(challenge)
    if not challenge.blinded or challenge.unblinded_at:
        raise ChallengeRuleError(_("This challenge is not blinded."), code="not_blinded")
    if challenge.status not in BLINDED_VERDICT_STATES:
        raise ChallengeRuleError(
            _("Record the blinded verdict once dosing has ended."), code="verdict_before_dosing_ended"
        )
    given = {d.step_number for d in facts.valid_doses(challenge)}
    if reaction != (after_dose is not None) or (after_dose is not None and after_dose not in given):
        raise ChallengeRuleError(
            _("A reaction names the number of a dose given; no reaction names none."), code="bad_verdict"
        )
    challenge.verdict_reaction, challenge.verdict_after_dose = reaction, after_dose
    challenge.verdict_at, challenge.verdict_by = timezone.now(), by
    save(challenge, by)
    event(challenge, EventKind.BLINDED_VERDICT, by)
    return challenge


@transaction.atomic
def challenge_unblind(*, challenge: Challenge, by: User) -> Challenge:
    """Reveal the placebo steps, once the blinded verdict is recorded. Before signing only: a signed record is
    never written again (review L5)."""
    require_allergist(by)
    challenge = locked(challenge)
    require_open(challenge)
    if not challenge.blinded or challenge.unblinded_at:
        raise ChallengeRuleError(_("This challenge is not blinded."), code="not_blinded")
    if challenge.verdict_at is None:
        raise ChallengeRuleError(
            _("Record your blinded verdict (a reaction after which dose, or none) before unblinding."),
            code="verdict_first",
        )
    challenge.unblinded_at, challenge.unblinded_by = timezone.now(), by
    save(challenge, by)
    event(challenge, EventKind.UNBLINDED, by)
    return challenge


@transaction.atomic
def record_mark_entered_in_error(*, record: Any, by: User, reason: str) -> Any:
    """Mark a dose, finding, vitals or treatment entered in error (kept; excluded from the figures)."""
    challenge = locked(record.challenge)
    require_open(challenge)
    return clinical_record_mark_entered_in_error(record=record, by=by, reason=reason)


# A challenge under way stays what it is until it is stopped or cancelled: marking it entered in error would take it
# off the board while a patient is being dosed or watched.
UNDER_WAY = frozenset({Status.CHECKED_IN, Status.DOSING, Status.OBSERVING, Status.PAUSED})


@transaction.atomic
def challenge_mark_entered_in_error(*, challenge: Challenge, by: User, reason: str) -> Challenge:
    """Mark a whole challenge entered in error (booked on the wrong patient, a duplicate): kept with the reason, who
    and when, left out of the figures, and withdrawn from the FHIR exports under the same ids. An allergist's
    decision; a signed challenge may be marked too (its signed report is kept as signed)."""
    require_allergist(by)
    challenge = locked(challenge)
    if challenge.status in UNDER_WAY:
        raise ChallengeRuleError(
            _("This challenge is under way: stop or cancel it first, then mark it entered in error."),
            code="under_way",
        )
    return clinical_record_mark_entered_in_error(record=challenge, by=by, reason=require_reason(reason))
