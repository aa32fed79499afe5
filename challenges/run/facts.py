"""What the recorded rows of a challenge say, as domain values: valid doses, the next step, open alerts, wash-out
conflicts and the decisions about them, stop-rule hits, the reaction onset and the suggested grade.

Reads only, no writes. Each function works on the rows already loaded (a page's prefetch, or the rows a service
loaded under its lock), so the selectors and the services compute the same facts the same way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from challenges.library.facts import food_spec
from challenges.library.models import PremedicationItem, Protocol
from challenges.run.models import (
    Challenge,
    Decision,
    Discharge,
    Dose,
    EventKind,
    FoodLot,
    PreChallengeCheck,
    Setting,
    Status,
    StopAlert,
    Treatment,
    TreatmentKind,
    VitalSigns,
    VitalsKind,
)
from clinical import anaphylaxis as anaphylaxis_rules
from clinical import (
    blinding,
    dosing,
    fpies,
    grading,
    home_plan,
    observation,
    premedication,
    run_rules,
    stop_observations,
    stop_rules,
    stopping,
    washout,
    washout_rules,
)
from clinical import food_lot as food_lot_rules
from clinical import onset as onset_rules
from clinical import washout_decisions as washout_decision_rules
from clinical.checklist import ITEMS
from clinical.kinds import KINDS
from patients.models import Patient


def valid_doses(challenge: Challenge) -> list[Dose]:
    """The doses given, in order, without those entered in error."""
    return [d for d in challenge.doses.all() if not d.entered_in_error]


def food_lot(challenge: Challenge) -> FoodLot | None:
    """The pack of food recorded for the challenge: the latest one not entered in error."""
    lots = [lot for lot in challenge.food_lots.all() if not lot.entered_in_error]
    return max(lots, key=lambda lot: (lot.recorded_at, lot.pk), default=None)


def label_comparison(challenge: Challenge) -> food_lot_rules.LabelComparison:
    """The label's protein figure against the library's (clinical.food_lot): which one the doses use, and why.

    A recorded lot keeps the library figure it was compared with, so the record reads the same if the library
    changes later.
    """
    food = challenge.protocol.food
    per = "100 mL" if food.is_liquid else "100 g"
    lot = food_lot(challenge)
    library, label = (
        (food.protein_g_per_100, None) if lot is None else (lot.library_protein_g_per_100, lot.label_protein_g_per_100)
    )
    # A composite food dosed in its allergen's protein keeps that figure: a label gives only the whole food's.
    return food_lot_rules.compare_label(
        library,
        label,
        per=per,
        allergen_g_per_100=food.allergen_protein_g_per_100,
        protein_name=food.protein_name,
    )


def challenge_food_spec(challenge: Challenge) -> dosing.FoodSpec:
    """The food as this challenge's doses are worked out: the library figure, or the label's when it differs by
    more than 10 % (clinical.food_lot, docs/clinical-sources.md §12)."""
    spec = food_spec(challenge.protocol.food)
    return dataclasses.replace(spec, protein_g_per_100=label_comparison(challenge).protein_g_per_100)


def latest_check(challenge: Challenge) -> PreChallengeCheck | None:
    """The latest valid pre-challenge checklist."""
    checks = [c for c in challenge.checks.all() if not c.entered_in_error]
    return max(checks, key=lambda c: (c.recorded_at, c.pk), default=None)


def checks_passed(challenge: Challenge) -> bool:
    """True when the latest checklist passed, or an allergist overrode it with a reason."""
    check = latest_check(challenge)
    if check is None:
        return False
    return not check.failed_items() or bool(challenge.checks_override_reason)


def checks_waiting_override(challenge: Challenge) -> bool:
    """The latest checklist failed, no allergist has overridden it and no dose is given yet: the first dose waits
    for the allergist (the card and the board say so, never "Due now")."""
    check = latest_check(challenge)
    if check is None or not check.failed_items() or challenge.checks_override_reason:
        return False
    return not valid_doses(challenge)


def open_alert(challenge: Challenge) -> StopAlert | None:
    """The stop alert still waiting for the allergist's decision, if any."""
    return next((a for a in challenge.alerts.all() if a.is_open), None)


def repeat_requested(challenge: Challenge, doses: Sequence[Dose]) -> bool:
    """True when the last decided alert (after the last dose) said: hold and repeat the same dose."""
    last_dose_at = doses[-1].given_at if doses else None
    for alert in sorted(challenge.alerts.all(), key=lambda a: (a.raised_at, a.pk), reverse=True):
        if last_dose_at is not None and alert.decided_at and alert.decided_at < last_dose_at:
            return False
        if alert.decision:
            return alert.decision == Decision.REPEAT
    return False


def wait_requested(challenge: Challenge, doses: Sequence[Dose]) -> datetime | None:
    """Until when a "wait longer" decision (after the last dose) holds back the next dose; None if none."""
    last_dose_at = doses[-1].given_at if doses else None
    waits = [
        a.wait_until
        for a in challenge.alerts.all()
        if a.decision == Decision.WAIT
        and a.wait_until is not None
        and (last_dose_at is None or (a.decided_at is not None and a.decided_at >= last_dose_at))
    ]
    return max(waits, default=None)


def upcoming_step(challenge: Challenge) -> run_rules.NextStep:
    """The next planned step and when it is due; at home the watch window must pass too, and after a "wait
    longer" decision the time the allergist set."""
    doses = valid_doses(challenge)
    steps = {s.number: s for s in challenge.protocol.steps.all()}
    watch = challenge.protocol.watch_hours * 60 if challenge.setting == Setting.HOME else 0
    # A blinded challenge numbers its doses by their place in the blinded schedule; each has its step's wait.
    schedule = blind_schedule(challenge)
    step = run_rules.next_step(
        [run_rules.GivenStep(d.step_number, d.given_at) for d in doses],
        interval_after={s.number: max(steps[s.step].interval_minutes, watch) for s in schedule},
        planned_steps=len(schedule),
        repeat_requested=repeat_requested(challenge, doses),
    )
    pause = symptom_pause(challenge)
    if step.number is not None and pause is not None and (step.due_at is None or pause[1] > step.due_at):
        step = dataclasses.replace(step, due_at=pause[1])
    wait_until = wait_requested(challenge, doses)
    if step.number is not None and wait_until is not None and (step.due_at is None or wait_until > step.due_at):
        step = dataclasses.replace(step, due_at=wait_until)
    return step


def blind_schedule(challenge: Challenge) -> tuple[blinding.Slot, ...]:
    """The doses of the challenge in order: the protocol's steps, plus any placebo doses of a blinded challenge."""
    return blinding.slots(challenge.blind_order, len(challenge.protocol.steps.all()))


def usual_symptoms(challenge: Challenge) -> dict[str, int]:
    """A home plan's "my usual symptoms" (item -> usual grade); empty in clinic."""
    if challenge.setting != Setting.HOME:
        return {}
    return {str(code): int(grade) for code, grade in (challenge.usual_symptoms or {}).items()}


def symptom_pause(challenge: Challenge) -> tuple[datetime, datetime] | None:
    """At home: (last symptom, end of pause) while a symptom after the first step pauses the next one
    (clinical.home_plan.symptom_pause_until); None in clinic or when nothing pauses. The watch window is the
    protocol's (the one the printed plan names)."""
    if challenge.setting != Setting.HOME:
        return None
    doses = valid_doses(challenge)
    findings = [
        (o.item_code, o.severity, o.observed_at) for o in challenge.observations.all() if not o.entered_in_error
    ]
    # The clinic lifts the pause by releasing the step, or by deciding on the symptoms (continue, repeat, wait).
    releases = [r.released_at for r in challenge.releases.all()]
    releases += [a.decided_at for a in challenge.alerts.all() if a.decided_at and a.decision != Decision.STOP]
    return home_plan.symptom_pause_until(
        findings,
        first_dose_at=doses[0].given_at if doses else None,
        watch=timedelta(hours=challenge.protocol.watch_hours),
        usual=usual_symptoms(challenge),
        released_at=max(releases, default=None),
    )


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


def _medications(patient: Patient) -> list[washout.Medication]:
    """The patient's medication rows (not entered in error) as the wash-out check reads them."""
    return [
        washout.Medication(
            name=str(m), med_class=m.med_class, stopped_on=m.stopped_on, route=m.route, medication_id=m.pk
        )
        for m in patient.medications.all()
        if not m.entered_in_error
    ]


def booking_conflicts(
    patient: Patient, protocol: Protocol, scheduled_at: datetime, now: datetime | None = None
) -> list[washout.Conflict]:
    """The patient's current medications against a protocol's wash-out rules and premedication, for a start time.

    Computed from the rows as they are now (a changed medication list or date gives a new answer), in the clinic's
    time zone; `now` dates what is already too late (default: the current time).
    """
    zone = patient.clinic.tzinfo
    return washout.check_washout(
        medications=_medications(patient),
        rules=washout_rules.rules_from_data(protocol.washout_rules),
        challenge_start=scheduled_at.astimezone(zone),
        diagnostic=KINDS[protocol.kind].diagnostic,
        premedication=[
            washout.PremedItem(
                drug=p.drug,
                med_class=p.med_class,
                regimen=p.continue_regular and p.required,
                established_weeks=p.established_weeks,
            )
            for p in protocol.premedications.all()
        ],
        conditions=patient.conditions,
        now=(now or timezone.now()).astimezone(zone),
    )


def washout_conflicts(challenge: Challenge) -> list[washout.Conflict]:
    """The patient's current medications against the challenge's protocol, for its booked start.

    Once the booked start has come, the check stands as it was then: a report printed next week does not move the
    earliest date on with the calendar.
    """
    now = min(timezone.now(), challenge.scheduled_at)
    return booking_conflicts(challenge.patient, challenge.protocol, challenge.scheduled_at, now=now)


def washout_decisions(challenge: Challenge) -> list[washout_decision_rules.Decision]:
    """What was decided about the medication conflicts, oldest first, without decisions entered in error."""
    zone = challenge.clinic.tzinfo
    return [
        washout_decision_rules.Decision(
            medication_id=d.medication_id,
            action=d.action,
            by=d.decided_by.display_name,
            at=d.decided_at.astimezone(zone),
            reason=d.reason,
            stopped_on=d.stopped_on,
            record_id=d.pk,
        )
        for d in sorted(challenge.washout_decisions.all(), key=lambda d: (d.decided_at, d.pk))
        if not d.entered_in_error
    ]


def washout_review(challenge: Challenge) -> list[washout_decision_rules.Reviewed]:
    """Each medication conflict with what was decided about it (clinical.washout_decisions.review)."""
    start = challenge.scheduled_at.astimezone(challenge.clinic.tzinfo)
    return washout_decision_rules.review(washout_conflicts(challenge), washout_decisions(challenge), start)


def first_dose_refusal(challenge: Challenge) -> washout_decision_rules.Refusal | None:
    """Why the first dose must wait for a medication decision, if it must (later doses are not held back)."""
    if valid_doses(challenge):
        return None
    return washout_decision_rules.first_dose_refusal(washout_review(challenge))


# --- premedication -------------------------------------------------------------------------------------------


def premedication_items(challenge: Challenge) -> list[premedication.Item]:
    return [p.as_item() for p in challenge.protocol.premedications.all()]


def _same_drug(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def premedication_taken(challenge: Challenge) -> dict[int, list[datetime]]:
    """When each planned item was recorded as taken: by the item it names, else by the same drug name."""
    items = list(challenge.protocol.premedications.all())
    if not items:  # nothing planned, nothing to match: the treatments are not read
        return {}
    taken: dict[int, list[datetime]] = {item.pk: [] for item in items}
    for t in challenge.treatments.all():
        if t.entered_in_error or t.kind != TreatmentKind.PREMEDICATION:
            continue
        if t.premedication_item_id in taken:
            taken[t.premedication_item_id].append(t.given_at)
            continue
        for item in items:
            if t.premedication_item_id is None and _same_drug(item.drug, t.drug):
                taken[item.pk].append(t.given_at)
    return taken


def premedication_problems(challenge: Challenge, given_at: datetime) -> list[premedication.Problem]:
    """What a step given at `given_at` breaks of the planned premedication (clinical.premedication.step_problems)."""
    doses = valid_doses(challenge)
    return premedication.step_problems(
        premedication_items(challenge),
        premedication_taken(challenge),
        step_at=given_at,
        first_step=not doses,
        since=max((d.given_at for d in doses), default=None),
    )


@dataclass(frozen=True)
class PlannedPremedication:
    """One premedication item as the patient's pages and sheets show it: the dose for this patient's age."""

    item: PremedicationItem
    dose: premedication.PlannedDose

    @property
    def regimen_text(self) -> str:
        return premedication.regimen_text(self.item.as_item())

    taken_at: datetime | None = None  # a timed item: taken since the last step, at
    ready_at: datetime | None = None  # ... so the step can be taken from

    @property
    def timed(self) -> bool:
        return not self.item.continue_regular


def planned_premedication(challenge: Challenge) -> list[PlannedPremedication]:
    """Each item with its dose for the patient's age and, for a timed item, when it was taken for the next step."""
    age = challenge.patient.age_on(timezone.localdate(challenge.scheduled_at))
    taken = premedication_taken(challenge)
    since = max((d.given_at for d in valid_doses(challenge)), default=None)
    planned = []
    for p in challenge.protocol.premedications.all():
        times = [t for t in taken.get(p.pk, ()) if since is None or t > since]
        last = max(times, default=None)
        ready = last + timedelta(minutes=p.minutes_before) if last is not None and not p.continue_regular else None
        dose = premedication.planned_dose(p.dose_rule, p.dose, age)
        planned.append(PlannedPremedication(p, dose, last if ready else None, ready))
    return planned


def age_years(challenge: Challenge) -> Decimal:
    """The patient's age in completed years on the challenge day, as the stop rules and grading take it.

    Completed years (Patient.age_on), the convention of the NIAID/FAAN table in clinical.stop_observations: the
    hypotension limit for a child moves up on the birthday, not a day before it.
    """
    return Decimal(challenge.patient.age_on(timezone.localdate(challenge.scheduled_at)))


def stop_rule_hits(challenge: Challenge) -> list[stop_rules.RuleHit]:
    """The protocol's stop rules against everything recorded so far (pure evaluation in clinical.stopping)."""
    doses = valid_doses(challenge)
    findings = [
        stop_observations.Finding(
            o.item_code, o.severity, timezone.localtime(o.observed_at), _after_dose_number(doses, o.observed_at)
        )
        for o in challenge.observations.all()
        if not o.entered_in_error
    ]
    vitals = [v for v in challenge.vitals.all() if not v.entered_in_error]
    readings = [_vitals_value(v) for v in vitals if v.kind != VitalsKind.BASELINE]
    baselines = [v for v in vitals if v.kind == VitalsKind.BASELINE]
    return stopping.evaluate(
        stop_rules.StopRules.from_dict(challenge.protocol.stop_rules),
        findings=findings,
        vitals=readings,
        baseline=_vitals_value(baselines[-1]) if baselines else None,
        age_years=age_years(challenge),
        dose_times={d.sequence: d.given_at for d in doses},
        usual=usual_symptoms(challenge),
        neutrophil_rise=_neutrophil_evidence(challenge),
    )


def _neutrophil_evidence(challenge: Challenge) -> str | None:
    """The FPIES neutrophil rise as evidence for the Leonard rule, when the counts meet it (clinical.fpies)."""
    base, later = challenge.neutrophils_baseline_per_ul, challenge.neutrophils_6h_per_ul
    if not fpies.neutrophil_criterion_met(base, later):
        return None
    return f"neutrophils {base:,} → {later:,} cells/µL (rise of {later - base:,})" if base and later else None


def reading_hits(challenge: Challenge, reading: VitalSigns) -> list[stop_rules.RuleHit]:
    """The protocol's stop rules against one set of vital signs alone (and the baseline): is this reading abnormal?"""
    vitals = [v for v in challenge.vitals.all() if not v.entered_in_error]
    baselines = [v for v in vitals if v.kind == VitalsKind.BASELINE]
    return stopping.evaluate(
        stop_rules.StopRules.from_dict(challenge.protocol.stop_rules),
        findings=[],
        vitals=[_vitals_value(reading)],
        baseline=_vitals_value(baselines[-1]) if baselines else None,
        age_years=age_years(challenge),
    )


def blocking_hits(hits: Sequence[stop_rules.RuleHit]) -> list[stop_rules.RuleHit]:
    """The hits that hold back the next dose until a clinician decides (stop and hold tiers)."""
    return [hit for hit in hits if hit.blocks]


def notices(challenge: Challenge) -> list[stop_rules.RuleHit]:
    """What to watch without holding the next dose: contact redness (observe), a heart-rate rise alone (advisory)."""
    return [hit for hit in stop_rule_hits(challenge) if not hit.blocks]


def hit_evidence(hit: stop_rules.RuleHit) -> tuple[str, ...]:
    """What a stop-rule hit rests on (its message when it lists no separate evidence)."""
    return hit.evidence or (hit.message,)


def _after_dose_number(doses: Sequence[Dose], moment: datetime) -> int | None:
    given = [d.sequence for d in doses if d.given_at <= moment]
    return given[-1] if given else None


def _vitals_value(v: VitalSigns) -> stop_observations.Vitals:
    return stop_observations.Vitals(
        taken_at=timezone.localtime(v.taken_at),
        heart_rate=v.heart_rate,
        systolic=v.systolic,
        diastolic=v.diastolic,
        resp_rate=v.resp_rate,
        spo2=v.spo2,
        temperature_c=v.temperature_c,
        pef=v.pef,
        fev1_ml=v.fev1_ml,
    )


def alert_hit_data(hits: Sequence[stop_rules.RuleHit]) -> list[dict[str, Any]]:
    """Stop-rule hits as a StopAlert stores them: code, message, evidence, and when each piece was seen."""
    data = []
    for hit in hits:
        evidence = hit_evidence(hit)
        times = [timezone.localtime(at).isoformat() for at in hit.evidence_at]
        row: dict[str, Any] = {"code": hit.code, "message": hit.message, "evidence": list(evidence), "tier": hit.tier}
        if len(times) == len(evidence):
            row["evidence_at"] = times
        data.append(row)
    return data


UNDECIDED_HOLD = "hold-undecided"


def _alert_record(alert: StopAlert, on_record: set[tuple[str, datetime | None]]) -> onset_rules.AlertRecord:
    """A stored alert as clinical.onset reads it, keeping only the evidence still on record (`on_record` keys)."""
    evidence = []
    for hit in alert.hits:
        texts = hit.get("evidence") or [hit.get("message", "")]
        times = hit.get("evidence_at") or [None] * len(texts)
        for text, at in zip(texts, times, strict=False):
            piece = onset_rules.Evidence(text, datetime.fromisoformat(at) if at else None)
            if piece.at is None or piece.key in on_record:
                evidence.append(piece)
    # An undecided hold is not a provisional stop (a hold is no failure, clinical review O1): it makes no onset.
    decision = alert.decision or (UNDECIDED_HOLD if alert.is_hold else "")
    return onset_rules.AlertRecord(alert.raised_at, decision, tuple(evidence))


def _doses_given(challenge: Challenge) -> list[onset_rules.DoseGiven]:
    return [onset_rules.DoseGiven(d.given_at, d.is_placebo) for d in valid_doses(challenge)]


def reaction_onset(challenge: Challenge) -> datetime | None:
    """When the reaction began: the first evidence of the stop alert (clinical.onset, the one rule for it).

    The stop rules are evaluated again on the rows as they are now, so evidence whose finding or reading was since
    marked entered in error is not read as the onset.
    """
    stored = sorted(challenge.alerts.all(), key=lambda a: (a.raised_at, a.pk))
    if not stored:
        return None
    on_record = {
        onset_rules.Evidence(text, at).key
        for hit in stop_rule_hits(challenge)
        for text, at in zip(hit.evidence, hit.evidence_at, strict=False)
    }
    alerts = [_alert_record(a, on_record) for a in stored]
    onset = onset_rules.reaction_onset(alerts, _doses_given(challenge))
    return timezone.localtime(onset) if onset else None


def adrenaline_times(challenge: Challenge) -> list[datetime]:
    """When each valid dose of adrenaline was given, in order."""
    return sorted(
        t.given_at for t in challenge.treatments.all() if t.kind == TreatmentKind.ADRENALINE and not t.entered_in_error
    )


def adrenaline_timing_problem(challenge: Challenge, onset: datetime | None) -> str:
    """Why the WAO suffix cannot be given ('' when it can): adrenaline recorded before the first symptom (G2)."""
    try:
        onset_rules.first_adrenaline(onset, [timezone.localtime(t) for t in adrenaline_times(challenge)])
    except onset_rules.OnsetError as error:
        return error.message
    return ""


def suggest_grade(
    challenge: Challenge, onset: datetime | None, scale: str = grading.WAO
) -> grading.GradeSuggestion | None:
    """The system's suggested grade from the reaction's findings and vitals; the allergist confirms or changes it.

    Only what belongs to the reaction is graded (clinical.onset.reaction_findings: from the onset, after an active
    dose, worse than baseline). None when there is no onset, or adrenaline is recorded before it
    (adrenaline_timing_problem says so): a grade with a made-up suffix would be worse than none.
    """
    if onset is None or adrenaline_timing_problem(challenge, onset) or not grading.scale_fits(challenge.protocol.kind):
        return None
    doses = _doses_given(challenge)
    recorded = [
        (o.item_code, o.severity, o.observed_at)
        for o in challenge.observations.all()
        if not o.entered_in_error and o.item_code in ITEMS
    ]
    worst: dict[str, int] = {}
    for code, severity in onset_rules.reaction_findings(recorded, onset=onset, doses=doses):
        worst[code] = max(worst.get(code, 0), severity)
    vitals = [v for v in challenge.vitals.all() if not v.entered_in_error]
    during = [
        v
        for v in vitals
        if v.kind != VitalsKind.BASELINE and v.taken_at >= onset and onset_rules.after_active_dose(v.taken_at, doses)
    ]
    baseline = next((v for v in reversed(vitals) if v.kind == VitalsKind.BASELINE), None)
    adrenaline = adrenaline_times(challenge)
    data = grading.GradeInput(
        findings=[(code, severity) for code, severity in worst.items() if severity > 0],
        min_systolic=min((v.systolic for v in during if v.systolic), default=None),
        baseline_systolic=baseline.systolic if baseline else None,
        max_heart_rate=max((v.heart_rate for v in during if v.heart_rate), default=None),
        baseline_heart_rate=baseline.heart_rate if baseline else None,
        min_spo2=min((v.spo2 for v in during if v.spo2), default=None),
        pef_drop_pct=_pef_drop_pct(baseline, during),
        age_years=age_years(challenge),
        first_symptom_at=onset,
        adrenaline_at=adrenaline[0] if adrenaline else None,
    )
    return grading.suggest(scale, data)


_ANAPHYLAXIS_VITALS = {
    "hypotension": "hypotension",
    "spo2_low": "hypoxaemia",
    "pef_drop": "airflow_drop",
    "fev1_drop": "airflow_drop",
}


def anaphylaxis(challenge: Challenge) -> anaphylaxis_rules.Assessment | None:
    """The NIAID/FAAN 2006 and WAO 2020 criteria against what was seen after the food (clinical.anaphylaxis).

    Every finding after an active dose that is worse than the item's baseline counts, whatever was decided about
    it: the criteria say whether adrenaline is indicated now, not whether the challenge failed. The vital signs
    count through the stop rules (low BP for age or a > 30 % drop, SpO2, PEF, FEV1). None before the first dose and
    for an FPIES challenge, which these criteria do not describe.
    """
    doses = _doses_given(challenge)
    if not doses or not grading.scale_fits(challenge.protocol.kind):
        return None
    recorded = [
        (o.item_code, o.severity, o.observed_at)
        for o in challenge.observations.all()
        if not o.entered_in_error and o.item_code in ITEMS
    ]
    worst: dict[str, int] = {}
    first = min(d.given_at for d in doses)
    for code, severity in onset_rules.reaction_findings(recorded, onset=first, doses=doses):
        worst[code] = max(worst.get(code, 0), severity)
    flags = {"hypotension": False, "hypoxaemia": False, "airflow_drop": False}
    for hit in stop_rule_hits(challenge):
        if hit.code in _ANAPHYLAXIS_VITALS and any(onset_rules.after_active_dose(at, doses) for at in hit.evidence_at):
            flags[_ANAPHYLAXIS_VITALS[hit.code]] = True
    return anaphylaxis_rules.assess(anaphylaxis_rules.ReactionSigns(findings=worst, **flags))


def adrenaline_given(challenge: Challenge) -> list[Treatment]:
    """The valid adrenaline doses, in the order given (the first is dose 1)."""
    return sorted(
        (t for t in challenge.treatments.all() if t.kind == TreatmentKind.ADRENALINE and not t.entered_in_error),
        key=lambda t: (t.given_at, t.pk),
    )


def suggested_grade(challenge: Challenge) -> grading.GradeSuggestion | None:
    """The suggested grade when there was a reaction (a stop alert), else None."""
    return suggest_grade(challenge, reaction_onset(challenge))


# --- observation after dosing, and discharge ----------------------------------------------------------------


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


def _pef_drop_pct(baseline: VitalSigns | None, during: list[VitalSigns]) -> Decimal | None:
    lowest = min((v.pef for v in during if v.pef), default=None)
    if not baseline or not baseline.pef or lowest is None or lowest >= baseline.pef:
        return None
    return (Decimal(baseline.pef - lowest) * 100 / baseline.pef).quantize(Decimal("0.1"))


def stale_dose_weight(challenge: Challenge) -> str:
    """The warning when an FPIES challenge's doses come from a weight older than the limit on the challenge day
    (docs/clinical-sources.md §11.2), else ""."""
    weight, measured_on = challenge.dose_weight_kg, challenge.dose_weight_measured_on
    if weight is None:
        return ""
    day = timezone.localdate(challenge.scheduled_at)
    return fpies.stale_weight_text(weight, measured_on, day) if fpies.weight_is_stale(measured_on, day) else ""


def fpies_rescue(challenge: Challenge) -> fpies.RescuePlan | None:
    """The FPIES rescue doses for the patient's weight (the dosing weight, else the chart's), None when unknown."""
    if challenge.protocol.kind != "fpies":
        return None
    weight = challenge.dose_weight_kg or challenge.patient.weight_kg
    return fpies.rescue_plan(weight) if weight is not None else None
