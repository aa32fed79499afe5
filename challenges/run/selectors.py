"""Reads of a challenge, gathered once per page: the plan, what was given, the computed figures, what is next.

Everything is loaded with a fixed number of queries (prefetch), then computed by the pure modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from clinical import grading, home_plan, outcome, run_rules, stopping, washout
from clinical.checklist import ITEMS
from challenges.models import Challenge, Dose, Observation, Status, StopAlert, TreatmentKind, VitalSigns, VitalsKind
from clinical.plan import StepLine, step_lines
from challenges.run import services as runs
from challenges.library.services.protocols import food_spec, protocol_steps


def with_run_data(queryset: QuerySet[Challenge]) -> QuerySet[Challenge]:
    """Everything the challenge page and report read, in a fixed number of queries."""
    return queryset.select_related(
        "patient", "patient__clinic", "protocol", "protocol__food", "clinic", "allergist", "nurse", "signed_by",
        "grade_confirmed_by", "checks_override_by", "unblinded_by",
    ).prefetch_related(
        "protocol__steps", "protocol__premedications", "patient__medications", "patient__triggers",
        Prefetch("doses", queryset=Dose.objects.select_related("given_by", "entered_in_error_by").order_by("sequence")),
        Prefetch("observations", queryset=Observation.objects.select_related("recorded_by").order_by("observed_at", "pk")),
        Prefetch("vitals", queryset=VitalSigns.objects.select_related("recorded_by").order_by("taken_at", "pk")),
        "treatments", "checks", "events__by", "releases__released_by", "follow_ups__done_by",
        Prefetch("alerts", queryset=StopAlert.objects.select_related("decided_by").order_by("raised_at", "pk")),
    )  # fmt: skip


def with_board_data(queryset: QuerySet[Challenge]) -> QuerySet[Challenge]:
    """What a row of today's board reads (the patient, the plan, doses and alerts), in a fixed number of queries."""
    return queryset.select_related("patient", "protocol").prefetch_related(
        "protocol__steps", Prefetch("doses", queryset=Dose.objects.order_by("sequence")),
        Prefetch("alerts", queryset=StopAlert.objects.order_by("raised_at", "pk")),
    )  # fmt: skip


@dataclass(frozen=True)
class BoardRow:
    challenge: Challenge
    next_step: run_rules.NextStep
    due_at: datetime | None
    open_alert: StopAlert | None


def board_row(challenge: Challenge) -> BoardRow:
    """A row of today's board: the next step, when it is due, a waiting stop alert (load with with_board_data).

    The same figures as run_state's, without the plan, outcome and grade that only the challenge page shows.
    """
    step = runs.upcoming_step(challenge)
    due = step.due_at if challenge.status in (Status.DOSING, Status.CHECKED_IN, Status.PLANNED) else None
    return BoardRow(challenge=challenge, next_step=step, due_at=due, open_alert=runs.open_alert(challenge))


@dataclass(frozen=True)
class DoseLine:
    dose: Dose
    cumulative_protein_mg: Decimal  # from what was actually eaten, valid doses only
    findings: tuple[Observation, ...]


@dataclass(frozen=True)
class RunState:
    challenge: Challenge
    plan: list[StepLine]
    doses: list[DoseLine]
    next_step: run_rules.NextStep
    next_line: StepLine | None
    cumulative_after_next: Decimal | None
    due_at: datetime | None
    open_alert: StopAlert | None
    conflicts: list[washout.Conflict]
    checks_passed: bool
    result: outcome.ChallengeResult
    suggested_outcome: str
    grade: grading.GradeSuggestion | None
    observation_ends_at: datetime | None
    adrenaline_mg: Decimal | None
    autoinjector: str
    baseline: VitalSigns | None


def run_state(challenge: Challenge) -> RunState:
    """Everything the bedside page shows, computed from the recorded rows (load with with_run_data)."""
    plan = step_lines(food_spec(challenge.protocol.food), protocol_steps(challenge.protocol))
    valid = runs.valid_doses(challenge)
    step = runs.upcoming_step(challenge)
    onset = reaction_onset(challenge)
    result = outcome.compute_result(_given(valid, challenge.protocol.food.amount_unit), reaction_onset=onset)
    weight = challenge.patient.weight_kg
    baselines = [v for v in challenge.vitals.all() if v.kind == VitalsKind.BASELINE and not v.entered_in_error]
    return RunState(
        challenge=challenge, plan=plan, doses=_dose_lines(challenge), next_step=step,
        next_line=plan[step.number - 1] if step.number else None,
        cumulative_after_next=result.total_protein_mg + plan[step.number - 1].protein_mg if step.number else None,
        due_at=step.due_at if challenge.status in (Status.DOSING, Status.CHECKED_IN, Status.PLANNED) else None,
        open_alert=runs.open_alert(challenge), conflicts=runs.washout_conflicts(challenge),
        checks_passed=runs.checks_passed(challenge), result=result,
        suggested_outcome=_suggest_outcome(challenge, valid, plan),
        grade=suggest_grade(challenge, onset) if onset else None,
        observation_ends_at=runs.observation_ends_at(challenge),
        adrenaline_mg=washout.adrenaline_dose_mg(weight) if weight else None,
        autoinjector=washout.adrenaline_autoinjector(weight) if weight else "",
        baseline=baselines[-1] if baselines else None,
    )  # fmt: skip


def _given(valid: list[Dose], unit: str) -> list[outcome.GivenDose]:
    return [outcome.GivenDose(d.sequence, d.protein_mg, d.food_amount, unit, d.given_at) for d in valid if not d.is_placebo]


def _dose_lines(challenge: Challenge) -> list[DoseLine]:
    lines, total = [], Decimal(0)
    doses = list(challenge.doses.all())
    observations = [o for o in challenge.observations.all() if not o.entered_in_error]
    for index, dose in enumerate(doses):
        if not dose.entered_in_error and not dose.is_placebo:
            total += dose.protein_mg
        until = next((d.given_at for d in doses[index + 1 :] if not d.entered_in_error), None)
        findings = tuple(o for o in observations if o.observed_at >= dose.given_at and (until is None or o.observed_at < until))
        lines.append(DoseLine(dose, total, findings if not dose.entered_in_error else ()))
    return lines


def reaction_onset(challenge: Challenge) -> datetime | None:
    """When the reaction began: the first post-dose finding of an item that a stop alert named, if any alert."""
    alerts = list(challenge.alerts.all())
    if not alerts:
        return None
    doses = runs.valid_doses(challenge)
    first_dose_at = doses[0].given_at if doses else None
    for observation in challenge.observations.all():
        if observation.entered_in_error or observation.severity == 0:
            continue
        if first_dose_at is not None and observation.observed_at >= first_dose_at:
            return observation.observed_at
    return alerts[0].raised_at


def _suggest_outcome(challenge: Challenge, valid: list[Dose], plan: list[StepLine]) -> str:
    active = [d for d in valid if not d.is_placebo]
    return outcome.suggest_outcome(
        doses_given=len(active), planned_steps=max(len(plan), 1), min_top_dose_mg=challenge.protocol.min_top_dose_mg,
        highest_dose_mg=max((d.protein_mg for d in active), default=None),
        stop_hits=any(a.decision != "continue" for a in challenge.alerts.all()),
        stopped_early=challenge.status == Status.STOPPED,
    )  # fmt: skip


def suggest_grade(challenge: Challenge, onset: datetime | None, scale: str = grading.WAO) -> grading.GradeSuggestion:
    """The system's suggested grade from the recorded findings and vitals; the allergist confirms or changes it."""
    worst: dict[str, int] = {}
    for o in challenge.observations.all():
        if not o.entered_in_error and o.item_code in ITEMS:
            worst[o.item_code] = max(worst.get(o.item_code, 0), o.severity)
    vitals = [v for v in challenge.vitals.all() if not v.entered_in_error]
    during = [v for v in vitals if v.kind != VitalsKind.BASELINE]
    baseline = next((v for v in reversed(vitals) if v.kind == VitalsKind.BASELINE), None)
    adrenaline = [t.given_at for t in challenge.treatments.all() if t.kind == TreatmentKind.ADRENALINE and not t.entered_in_error]
    pef_drop = _pef_drop_pct(baseline, during)
    data = grading.GradeInput(
        findings=[(code, severity) for code, severity in worst.items() if severity > 0],
        min_systolic=min((v.systolic for v in during if v.systolic), default=None),
        baseline_systolic=baseline.systolic if baseline else None,
        max_heart_rate=max((v.heart_rate for v in during if v.heart_rate), default=None),
        baseline_heart_rate=baseline.heart_rate if baseline else None,
        min_spo2=min((v.spo2 for v in during if v.spo2), default=None), pef_drop_pct=pef_drop,
        age_years=runs.age_in_years(challenge.patient.date_of_birth, timezone.localdate(challenge.scheduled_at)),
        first_symptom_at=onset, adrenaline_at=min((a for a in adrenaline if onset and a >= onset), default=None),
    )  # fmt: skip
    return grading.suggest(scale, data)


def _pef_drop_pct(baseline: VitalSigns | None, during: list[VitalSigns]) -> Decimal | None:
    lowest = min((v.pef for v in during if v.pef), default=None)
    if not baseline or not baseline.pef or lowest is None or lowest >= baseline.pef:
        return None
    return (Decimal(baseline.pef - lowest) * 100 / baseline.pef).quantize(Decimal("0.1"))


def stop_hits_now(challenge: Challenge) -> list[stopping.RuleHit]:
    return runs.evaluate_stop_rules(challenge)


# --- home plans ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HomePlanState:
    run: RunState
    calendar: list[home_plan.CalendarStep]
    watch_until: datetime | None  # the watch window after the latest step
    unlocks_at: datetime | None  # when the next step may be taken
    waiting_for_release: bool
    can_take_step: bool
    paused: bool


def home_plan_state(challenge: Challenge) -> HomePlanState:
    run = run_state(challenge)
    doses = runs.valid_doses(challenge)
    steps = list(challenge.protocol.steps.all())
    start = timezone.localdate(challenge.scheduled_at)
    taken = [home_plan.TakenStep(d.step_number, timezone.localtime(d.given_at)) for d in doses]
    watch_until = doses[-1].given_at + timezone.timedelta(hours=challenge.protocol.watch_hours) if doses else None
    waiting = runs.needs_release(challenge, run.next_step)
    now = timezone.now()
    can_take = (
        challenge.status in (Status.PLANNED, Status.DOSING) and run.next_step.number is not None
        and run.open_alert is None and not waiting and (run.next_step.due_at is None or run.next_step.due_at <= now)
    )  # fmt: skip
    return HomePlanState(
        run=run, calendar=home_plan.calendar(start, [s.interval_minutes for s in steps], taken),
        watch_until=watch_until, unlocks_at=run.next_step.due_at, waiting_for_release=waiting,
        can_take_step=can_take, paused=challenge.status == Status.PAUSED or run.open_alert is not None,
    )  # fmt: skip


@dataclass(frozen=True)
class AttentionRow:
    challenge: Challenge
    reasons: tuple[str, ...]
    findings: tuple[Observation, ...]


def attention_row(challenge: Challenge, now: datetime) -> AttentionRow:
    """Why a home plan needs the clinic: paused, symptoms reported, a step waiting for release."""
    reasons: list[str] = []
    if challenge.status == Status.PAUSED or runs.open_alert(challenge):
        reasons.append("Paused: symptoms met a stop rule")
    recent = tuple(
        o for o in challenge.observations.all()
        if not o.entered_in_error and o.severity > 0 and o.observed_at >= now - timezone.timedelta(hours=72)
    )  # fmt: skip
    if recent:
        reasons.append("Symptoms reported in the last 72 h")
    step = runs.upcoming_step(challenge)
    if runs.needs_release(challenge, step) and (step.due_at is None or step.due_at <= now):
        reasons.append(f"Step {step.number} is waiting for release")
    return AttentionRow(challenge, tuple(reasons), recent)
