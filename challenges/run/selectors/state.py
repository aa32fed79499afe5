"""The figures of one challenge, computed from its loaded rows: ReportState, what its report prints (the plan,
the doses with their running totals, the result and suggested outcome, the grade, the observation), and
RunState, that and everything the bedside page shows besides (the next dose, alerts, notices, what the first
dose waits on, FPIES figures, vital signs due).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from challenges.library.facts import powder_alternatives, protocol_steps
from challenges.run import facts
from challenges.run.models import (
    Challenge,
    ChallengeEvent,
    Decision,
    Discharge,
    Dose,
    EventKind,
    FoodLot,
    Observation,
    Setting,
    Status,
    StopAlert,
    StopKind,
    VitalSigns,
    VitalsKind,
)
from clinical import (
    adrenaline,
    blinding,
    fpies,
    grading,
    observation,
    outcome,
    run_rules,
    stop_rules,
    washout_decisions,
)
from clinical import anaphylaxis as anaphylaxis_rules
from clinical.food_lot import LabelComparison
from clinical.plan import StepLine, step_lines


@dataclass(frozen=True)
class ObservationState:
    """The observation after dosing, as the bedside page and the board show it."""

    period: observation.ObservationPeriod
    over: bool  # run its course now, or ended early by an allergist with a reason
    overrides: tuple[ChallengeEvent, ...]  # the allergists' reasons for ending it early
    discharge: Discharge | None


def observation_state(challenge: Challenge) -> ObservationState | None:
    """The observation after dosing ended (None before, and for home plans: they have a watch window instead)."""
    if challenge.setting == Setting.HOME:
        return None
    period = facts.observation_period(challenge)
    if period is None:
        return None
    return ObservationState(
        period=period,
        over=facts.observation_over(challenge, timezone.now(), period),
        overrides=tuple(e for e in challenge.events.all() if e.kind == EventKind.OBSERVATION_OVERRIDE),
        discharge=facts.discharge(challenge),
    )


@dataclass(frozen=True)
class DoseLine:
    dose: Dose
    cumulative_protein_mg: Decimal  # from what was actually eaten, valid doses only
    findings: tuple[Observation, ...]
    food_label: str = ""  # the food of the step it gave (a ladder's rung, X4)
    food_unit: str = "g"


@dataclass(frozen=True)
class ReportState:
    """The computed figures a challenge report prints: the part of RunState the report reads. run_state starts from
    it, so the bedside page and the report take every figure from the same calls."""

    plan: list[StepLine]
    doses: list[DoseLine]
    conflicts: list[washout_decisions.Reviewed]  # each medication conflict with what was decided about it
    result: outcome.ChallengeResult
    suggested_outcome: str
    form_advice: str  # a passed baked-milk or boiled-egg challenge: the form tolerated and what to keep avoiding
    grade: grading.GradeSuggestion | None
    grade_problem: str  # why no WAO suffix can be given: adrenaline recorded before the first symptom (G2)
    observation_ends_at: datetime | None
    observation: ObservationState | None
    adrenaline_mg: Decimal | None
    anaphylaxis: anaphylaxis_rules.Assessment | None  # NIAID/FAAN 2006 and WAO 2020, live (clinical.anaphylaxis)
    food_lot: FoodLot | None  # the pack of food used, when recorded
    label: LabelComparison  # its label's protein against the library's: which one the doses use


@dataclass(frozen=True)
class RunState(ReportState):
    challenge: Challenge
    next_step: run_rules.NextStep
    next_line: StepLine | None  # the protocol step the next dose gives (or, when placebo, mirrors)
    next_placebo: bool  # the next dose is placebo: shown only to a preparer of blinded doses (views)
    cumulative_after_next: Decimal | None
    placebo_doses: int  # placebo doses added to the active series of a blinded challenge (clinical.blinding)
    due_at: datetime | None
    open_alert: StopAlert | None
    notices: list[stop_rules.RuleHit]  # observe / advisory: shown, never block the next dose
    medication_decisions_open: bool  # before the first dose: decisions can still be recorded
    first_dose_refusal: washout_decisions.Refusal | None  # why the first dose must wait for a medication decision
    checks_passed: bool
    checks_waiting_override: bool  # the latest check failed and no allergist has overridden it yet
    fpies_rescue: tuple[str, ...]  # FPIES: the rescue doses for the patient's weight (docs/clinical-sources.md §1.5)
    stale_weight: str  # FPIES: the doses come from an old weight
    neutrophil_rise: int | None  # FPIES: cells/µL from baseline to about 6 h
    neutrophil_criterion: bool  # FPIES: the rise is a minor criterion (at least 1,500 cells/µL)
    autoinjector: str
    adrenaline_doses: int  # valid adrenaline doses recorded so far
    vitals_prompt: str  # vital signs due now, in words ('' when none): clinical.run_rules.vitals_prompt

    @property
    def systemic_reaction(self) -> bool:
        """Anaphylaxis, or involvement beyond the skin (what makes an adrenaline prescription the default)."""
        found = self.anaphylaxis
        return found is not None and (found.met or any(i != "skin/mucosal" for i in found.involvement))

    baseline: VitalSigns | None
    food_lot_open: bool  # before the first dose: the food used can still be recorded


def _form_advice(challenge: Challenge, suggested: str) -> str:
    """The form-specific advice, once the challenge is (or the figures suggest it is) passed."""
    passed = outcome.OutcomeVerdict.PASSED
    if challenge.outcome != passed and not (not challenge.outcome and suggested == passed):
        return ""
    food = challenge.protocol.food
    return outcome.form_advice(
        allergen=food.allergen_group,
        processing=food.processing,
        food_label=f"{food.name}, {food.form}",
        processing_text=food.processing_text,
    )


def report_state(challenge: Challenge) -> ReportState:
    """The figures a challenge report prints, computed from the recorded rows (load with with_report_data or
    with_run_data)."""
    food = challenge.protocol.food
    plan = step_lines(
        facts.challenge_food_spec(challenge),
        protocol_steps(challenge.protocol),
        alternatives=powder_alternatives(food, challenge.clinic_id),
    )
    valid = facts.valid_doses(challenge)
    onset = facts.reaction_onset(challenge)
    weight = challenge.patient.weight_kg
    observed = observation_state(challenge)
    suggested = _suggest_outcome(challenge, valid, plan)
    return ReportState(
        plan=plan,
        doses=_dose_lines(challenge, plan),
        conflicts=facts.washout_review(challenge),
        result=outcome.compute_result(_given(valid, food.amount_unit), reaction_onset=onset),
        suggested_outcome=suggested,
        form_advice=_form_advice(challenge, suggested),
        grade=facts.suggest_grade(challenge, onset),
        grade_problem=facts.adrenaline_timing_problem(challenge, onset),
        observation_ends_at=observed.period.ends_at if observed else facts.observation_ends_at(challenge),
        observation=observed,
        adrenaline_mg=adrenaline.adrenaline_dose_mg(weight) if weight else None,
        anaphylaxis=facts.anaphylaxis(challenge),
        food_lot=facts.food_lot(challenge),
        label=facts.label_comparison(challenge),
    )


def run_state(challenge: Challenge) -> RunState:
    """Everything the bedside page shows, computed from the recorded rows (load with with_run_data)."""
    report = report_state(challenge)
    plan, result = report.plan, report.result
    valid = facts.valid_doses(challenge)
    step = facts.upcoming_step(challenge)
    schedule = facts.blind_schedule(challenge)
    next_slot = blinding.slot(schedule, step.number) if step.number else None
    weight = challenge.patient.weight_kg
    baselines = [v for v in challenge.vitals.all() if v.kind == VitalsKind.BASELINE and not v.entered_in_error]
    return RunState(
        **{field.name: getattr(report, field.name) for field in dataclasses.fields(ReportState)},
        challenge=challenge,
        next_step=step,
        next_line=plan[next_slot.step - 1] if next_slot else None,
        next_placebo=bool(next_slot and next_slot.placebo),
        cumulative_after_next=(
            result.total_protein_mg + (0 if next_slot.placebo else plan[next_slot.step - 1].protein_mg)
            if next_slot
            else None
        ),
        placebo_doses=sum(1 for s in schedule if s.placebo),
        due_at=step.due_at if challenge.status in (Status.DOSING, Status.CHECKED_IN, Status.PLANNED) else None,
        open_alert=facts.open_alert(challenge),
        notices=facts.notices(challenge),
        medication_decisions_open=_medication_decisions_open(challenge, valid),
        first_dose_refusal=None if valid else washout_decisions.first_dose_refusal(report.conflicts),
        checks_passed=facts.checks_passed(challenge),
        checks_waiting_override=facts.checks_waiting_override(challenge),
        fpies_rescue=rescue.lines() if (rescue := facts.fpies_rescue(challenge)) else (),
        stale_weight=facts.stale_dose_weight(challenge),
        neutrophil_rise=fpies.neutrophil_rise(challenge.neutrophils_baseline_per_ul, challenge.neutrophils_6h_per_ul),
        neutrophil_criterion=fpies.neutrophil_criterion_met(
            challenge.neutrophils_baseline_per_ul, challenge.neutrophils_6h_per_ul
        ),
        autoinjector=adrenaline.adrenaline_autoinjector(weight) if weight else "",
        adrenaline_doses=len(facts.adrenaline_given(challenge)),
        vitals_prompt=_vitals_prompt(challenge, valid),
        baseline=baselines[-1] if baselines else None,
        food_lot_open=not challenge.is_signed and not valid and challenge.status in (Status.PLANNED, Status.CHECKED_IN),
    )


def _vitals_prompt(challenge: Challenge, valid: list[Dose]) -> str:
    """Vital signs due now (clinic, while dosing): at a reaction, and before each next dose."""
    if challenge.setting != Setting.CLINIC or challenge.status != Status.DOSING:
        return ""
    readings = [v.taken_at for v in challenge.vitals.all() if not v.entered_in_error]
    alert = facts.open_alert(challenge)
    last = valid[-1] if valid else None
    return run_rules.vitals_prompt(
        last_dose_at=timezone.localtime(last.given_at) if last else None,
        last_dose_number=last.sequence if last else None,
        last_vitals_at=max(readings, default=None),
        alert_raised_at=timezone.localtime(alert.raised_at) if alert else None,
    )


def _medication_decisions_open(challenge: Challenge, valid: list[Dose]) -> bool:
    before_first = (Status.PLANNED,) if challenge.setting == Setting.HOME else (Status.PLANNED, Status.CHECKED_IN)
    return not challenge.is_signed and not valid and challenge.status in before_first


def _given(valid: list[Dose], unit: str) -> list[outcome.GivenDose]:
    return [
        outcome.GivenDose(d.sequence, d.protein_mg, d.food_amount, unit, d.given_at) for d in valid if not d.is_placebo
    ]


def _dose_lines(challenge: Challenge, plan: Sequence[StepLine]) -> list[DoseLine]:
    lines, total = [], Decimal(0)
    by_step = {line.number: line for line in plan}
    steps_given = {slot.number: slot.step for slot in facts.blind_schedule(challenge)}
    doses = list(challenge.doses.all())
    observations = [o for o in challenge.observations.all() if not o.entered_in_error]
    for index, dose in enumerate(doses):
        if not dose.entered_in_error and not dose.is_placebo:
            total += dose.protein_mg
        until = next((d.given_at for d in doses[index + 1 :] if not d.entered_in_error), None)
        findings = tuple(
            o for o in observations if o.observed_at >= dose.given_at and (until is None or o.observed_at < until)
        )
        # A blinded dose is numbered by its place in the blinded series: its food is that of the step it gave.
        step = by_step.get(steps_given.get(dose.step_number, dose.step_number))
        food = (step.food_label, step.food_unit) if step else ("", challenge.protocol.food.amount_unit)
        lines.append(DoseLine(dose, total, findings if not dose.entered_in_error else (), *food))
    return lines


def _suggest_outcome(challenge: Challenge, valid: list[Dose], plan: list[StepLine]) -> str:
    active = [d for d in valid if not d.is_placebo]
    return outcome.suggest_outcome(
        doses_given=len(active),
        planned_steps=max(len(plan), 1),
        min_top_dose_mg=challenge.protocol.min_top_dose_mg,
        highest_dose_mg=max((d.protein_mg for d in active), default=None),
        # Only a stop counts (clinical review O1): an alert decided "repeat", "wait" or "continue" is not a failure,
        # nor is a hold still waiting for its decision; an open stop alert is (the safe reading).
        stop_hits=any(a.decision == Decision.STOP or (a.is_open and not a.is_hold) for a in challenge.alerts.all()),
        # Stopped for refusal, time or illness says nothing about tolerance: "dose not reached" (O2).
        stopped_early=challenge.status == Status.STOPPED and challenge.stop_kind in ("", StopKind.REACTION),
        reaction_after_placebo=_reaction_after_placebo(challenge, valid),
    )


def _reaction_after_placebo(challenge: Challenge, valid: list[Dose]) -> bool:
    """A blinded challenge, unblinded, whose first stop followed a placebo dose (before unblinding: not known)."""
    if not challenge.blinded or challenge.unblinded_at is None:
        return False
    stops = [
        a.raised_at for a in challenge.alerts.all() if a.decision == Decision.STOP or (a.is_open and not a.is_hold)
    ]
    if not stops:
        return False
    before = [d for d in valid if d.given_at <= min(stops)]
    return bool(before) and before[-1].is_placebo
