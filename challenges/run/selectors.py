"""Reads of a challenge, gathered once per page: the plan, what was given, the computed figures, what is next.

Everything is loaded with a fixed number of queries (prefetch), then turned into domain values by
challenges.run.facts and the pure clinical modules.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.utils import timezone

from challenges import access
from challenges.library.facts import powder_alternatives, protocol_steps
from challenges.library.models import PremedicationItem, Protocol, ProtocolStep
from challenges.run import facts
from challenges.run.models import (
    Challenge,
    ChallengeEvent,
    Decision,
    Discharge,
    Dose,
    EventKind,
    FollowUp,
    FoodLot,
    Observation,
    Setting,
    Status,
    StopAlert,
    StopKind,
    Treatment,
    VitalSigns,
    VitalsKind,
    WashoutDecision,
)
from clinical import (
    adrenaline,
    blinding,
    countdown,
    fpies,
    grading,
    observation,
    outcome,
    run_rules,
    stop_rules,
    washout,
    washout_decisions,
)
from clinical import anaphylaxis as anaphylaxis_rules
from clinical.dates import format_day, format_when
from clinical.food_lot import LabelComparison
from clinical.plan import StepLine, step_lines
from clinics.models import Role, User
from patients.models import Patient

# The rows every view of a challenge reads with it: its patient, protocol, food and clinic.
_CHALLENGE_ROWS = ("patient", "patient__clinic", "protocol", "protocol__food", "clinic")


def with_run_data(queryset: QuerySet[Challenge]) -> QuerySet[Challenge]:
    """Everything the challenge page reads, in a fixed number of queries (the report: with_report_data)."""
    return queryset.select_related(
        *_CHALLENGE_ROWS,
        "allergist",
        "nurse",
        "signed_by",
        "grade_confirmed_by",
        "checks_override_by",
        "unblinded_by",
        "symptoms_resolved_by",
        "continues__protocol__food",
    ).prefetch_related(
        "protocol__steps__food",
        Prefetch("continuations", queryset=Challenge.objects.select_related("protocol__food")),
        "protocol__premedications",
        "patient__medications",
        "patient__triggers",
        Prefetch(
            "doses",
            queryset=Dose.objects.select_related(
                "given_by", "prepared_by", "checked_by", "entered_in_error_by"
            ).order_by("sequence"),
        ),
        Prefetch(
            "observations", queryset=Observation.objects.select_related("recorded_by").order_by("observed_at", "pk")
        ),
        Prefetch("vitals", queryset=VitalSigns.objects.select_related("recorded_by").order_by("taken_at", "pk")),
        "treatments",
        "checks",
        "events__by",
        "releases__released_by",
        Prefetch("food_lots", queryset=FoodLot.objects.select_related("recorded_by").order_by("recorded_at", "pk")),
        "follow_ups__done_by",
        Prefetch("alerts", queryset=StopAlert.objects.select_related("decided_by").order_by("raised_at", "pk")),
        Prefetch(
            "washout_decisions",
            queryset=WashoutDecision.objects.select_related("decided_by", "entered_in_error_by").order_by(
                "decided_at", "pk"
            ),
        ),
        Prefetch("discharges", queryset=Discharge.objects.select_related("vitals", "discharged_by")),
    )


def with_report_data(queryset: QuerySet[Challenge]) -> QuerySet[Challenge]:
    """What the challenge report reads (report_state and challenges.reports.build_challenge), in a fixed number of
    queries: with_run_data's rows without the people joined to them (the report reads everyone it names in one
    query afterwards, challenges.reports.history.people) and without the step releases (the next home step, which
    a report does not show). Each prefetch is ordered by its own columns, as the models order them: a model ordered
    by its parent first ("challenge", "protocol") would join the parent to every prefetch to sort by a value that is
    the same on every row."""
    return queryset.select_related(*_CHALLENGE_ROWS).prefetch_related(
        Prefetch("protocol__steps", queryset=ProtocolStep.objects.order_by("number")),
        "protocol__steps__food",
        # The challenges that continue this one: the report prints their food, day, status and outcome (X5).
        Prefetch("continuations", queryset=_linked().only(*LINKED_FIELDS, "continues_id")),
        Prefetch("protocol__premedications", queryset=PremedicationItem.objects.order_by("minutes_before", "drug")),
        "patient__medications",
        "patient__triggers",
        Prefetch("doses", queryset=Dose.objects.order_by("sequence")),
        Prefetch("observations", queryset=Observation.objects.order_by("observed_at", "pk")),
        Prefetch("vitals", queryset=VitalSigns.objects.order_by("taken_at", "pk")),
        Prefetch("treatments", queryset=Treatment.objects.order_by("given_at", "pk")),
        "checks",
        "events",
        Prefetch("food_lots", queryset=FoodLot.objects.order_by("recorded_at", "pk")),
        Prefetch("follow_ups", queryset=FollowUp.objects.order_by("due_at", "pk")),
        Prefetch("alerts", queryset=StopAlert.objects.order_by("raised_at", "pk")),
        Prefetch("washout_decisions", queryset=WashoutDecision.objects.order_by("decided_at", "pk")),
        Prefetch("discharges", queryset=Discharge.objects.select_related("vitals").order_by("discharged_at", "pk")),
    )


# What the report prints of a linked challenge (challenges.reports.challenge_sections.overview._links).
LINKED_FIELDS = ("continuation_kind", "scheduled_at", "status", "outcome", "protocol__food__name")


def _linked() -> QuerySet[Challenge]:
    return Challenge.objects.select_related("protocol__food")


def with_continued(challenge: Challenge) -> Challenge:
    """The challenge with the one it continues read (X5), in one query when there is one and none when not: joined
    to every report's query instead, the earlier challenge and its protocol and food cost more than this query."""
    if challenge.continues_id is not None:
        prefetch_related_objects([challenge], Prefetch("continues", queryset=_linked().only(*LINKED_FIELDS)))
    return challenge


def with_board_data(queryset: QuerySet[Challenge]) -> QuerySet[Challenge]:
    """What a row of today's board reads (the patient, the plan, doses, alerts, and what the end of the observation
    rests on: findings, vital signs, treatments, events and the discharge), in a fixed number of queries."""
    return queryset.select_related("patient", "patient__clinic", "clinic", "protocol").prefetch_related(
        "protocol__steps",
        "checks",  # a failed pre-challenge check waits for the allergist's override
        # the medication check before the first dose: "override needed" while a wash-out waits for the allergist
        "protocol__premedications",
        "patient__medications",
        Prefetch("washout_decisions", queryset=WashoutDecision.objects.select_related("decided_by")),
        Prefetch("doses", queryset=Dose.objects.order_by("sequence")),
        Prefetch("alerts", queryset=StopAlert.objects.order_by("raised_at", "pk")),
        Prefetch("observations", queryset=Observation.objects.order_by("observed_at", "pk")),
        Prefetch("vitals", queryset=VitalSigns.objects.order_by("taken_at", "pk")),
        "treatments",
        "events",
        "discharges",
    )


BOARD_RUNNING = (Status.CHECKED_IN, Status.DOSING, Status.OBSERVING)
BEFORE_DOSING = (Status.PLANNED, Status.CHECKED_IN)


def board_challenges(user: User, day: date) -> QuerySet[Challenge]:
    """The clinic challenges on today's board: booked for `day` (in the clinic's time zone), running now, or booked
    the day before and not yet discharged (a 12 h observation runs past midnight).

    The union of id queries, each on its own index (clinic+scheduled_at, clinic+status): an OR of the conditions
    makes SQLite and PostgreSQL read every challenge the clinic ever had (bench/README.md).
    """
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    clinic = access.challenges_for(user).filter(setting=Setting.CLINIC, entered_in_error=False)
    booked = clinic.filter(scheduled_at__gte=start, scheduled_at__lt=start + timedelta(days=1))
    running = clinic.filter(status__in=BOARD_RUNNING)
    ended = clinic.filter(status__in=(Status.STOPPED, Status.COMPLETED))
    yesterday = ended.filter(scheduled_at__gte=start - timedelta(days=1), scheduled_at__lt=start).exclude(
        discharges__entered_in_error=False
    )
    ids = booked.values("pk").order_by().union(running.values("pk").order_by(), yesterday.values("pk").order_by())
    return with_board_data(Challenge.objects.filter(pk__in=ids)).order_by("scheduled_at")


def board_versions(user: User, day: date) -> list[tuple[int, int]]:
    """The board's challenges and their page versions, in one query: the board's own version (page_cache)."""
    rows = board_challenges(user, day).prefetch_related(None).select_related(None).order_by("pk")
    return list(rows.values_list("pk", "page_version"))


@dataclass(frozen=True)
class BoardRow:
    challenge: Challenge
    next_step: run_rules.NextStep
    due_at: datetime | None
    open_alert: StopAlert | None
    observation: ObservationState | None  # after dosing, until the patient is discharged
    medication_hold: washout_decisions.Refusal | None = None  # the first dose waits for a medication decision
    checks_waiting_override: bool = False  # the pre-challenge check failed: the allergist to override (or not)
    checks_passed: bool = False  # passed, or overridden: the first dose may be given

    @property
    def override_needed(self) -> bool:
        """The first dose waits for the allergist: a failed check, or a medication conflict not yet decided."""
        hold = self.medication_hold
        return self.checks_waiting_override or (hold is not None and hold.code in OVERRIDE_CODES)

    @property
    def dose_overdue(self) -> bool:
        """The next dose is past its due time by more than a minute ("overdue" on the countdown) and nothing
        holds it back."""
        if self.due_at is None or self.open_alert is not None or self.override_needed:
            return False
        return countdown.urgency(self.due_at - timezone.now()) in (countdown.Urgency.OVERDUE, countdown.Urgency.LATE)


# The medication holds that wait for the allergist (a deferral is a decision already taken).
OVERRIDE_CODES = ("washout_unresolved", "medication_review_required")


def board_row(challenge: Challenge) -> BoardRow:
    """A row of today's board: the next step, when it is due, a waiting stop alert, the end of the observation until
    discharge (load with with_board_data).

    The same figures as run_state's, without the plan, outcome and grade that only the challenge page shows.
    """
    step = facts.upcoming_step(challenge)
    due = step.due_at if challenge.status in (Status.DOSING, Status.CHECKED_IN, Status.PLANNED) else None
    state = observation_state(challenge)
    return BoardRow(
        challenge=challenge,
        next_step=step,
        due_at=due,
        open_alert=facts.open_alert(challenge),
        observation=state if state and not state.discharge else None,
        medication_hold=facts.first_dose_refusal(challenge) if challenge.status in BEFORE_DOSING else None,
        checks_waiting_override=challenge.status in BEFORE_DOSING and facts.checks_waiting_override(challenge),
        checks_passed=facts.checks_passed(challenge),
    )


@dataclass(frozen=True)
class BoardCounts:
    """What waits on today's board, counted (the board's header and the staff home page)."""

    overrides: int  # pre-challenge checks or medication conflicts waiting for the allergist's override
    decisions: int  # stop rules (or holds) met, waiting for a decision
    observations: int  # observations after dosing not yet ended by a discharge
    overdue: int  # next doses past their due time

    @property
    def alerts(self) -> int:
        return self.overrides + self.decisions + self.overdue


def board_counts(rows: Sequence[BoardRow]) -> BoardCounts:
    return BoardCounts(
        overrides=sum(1 for r in rows if r.override_needed),
        decisions=sum(1 for r in rows if r.open_alert is not None),
        observations=sum(1 for r in rows if r.observation is not None),
        overdue=sum(1 for r in rows if r.dose_overdue),
    )


def board(user: User, day: date) -> tuple[list[BoardRow], BoardCounts]:
    """Today's board for a member of staff: its rows (their clinic's only) and what waits on it, counted."""
    rows = [board_row(c) for c in board_challenges(user, day)]
    return rows, board_counts(rows)


def bedside_open(challenge: Challenge) -> bool:
    """A clinic challenge under way at the bedside: checked in, dosing or observing, or ended and the patient not
    yet discharged. While its page is open the session is kept alive (views.keepalive)."""
    if challenge.setting != Setting.CLINIC or challenge.entered_in_error or challenge.is_signed:
        return False
    if challenge.status in BOARD_RUNNING:
        return True
    return challenge.status in (Status.STOPPED, Status.COMPLETED) and facts.discharge(challenge) is None


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


def dose_staff(clinic_id: int) -> list[User]:
    """The clinic's staff who may prepare or check a dose (one query)."""
    return list(
        User.objects.filter(clinic_id=clinic_id, is_active=True, role__in=(Role.NURSE, Role.ALLERGIST)).order_by(
            "last_name", "first_name", "pk"
        )
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


@dataclass(frozen=True)
class BookingCheck:
    """The medication check the scheduling form shows before it saves anything."""

    conflicts: list[washout_decisions.Reviewed]
    earliest: datetime | None  # when the booked start is too soon for a wash-out: the first start that is not
    fingerprint: str  # names exactly this check (protocol, start, wording), so a changed one is shown again

    @property
    def blocking(self) -> list[washout_decisions.Reviewed]:
        return [r for r in self.conflicts if r.state == washout_decisions.OPEN]

    @property
    def earliest_day(self) -> str:
        return format_day(self.earliest.date()) if self.earliest else ""

    @property
    def earliest_when(self) -> str:
        return format_when(self.earliest) if self.earliest else ""

    @property
    def earliest_value(self) -> str:
        """The earliest start as the date-and-time field takes it (the clinic's wall clock)."""
        return self.earliest.strftime("%Y-%m-%dT%H:%M") if self.earliest else ""


def moved_booking_seen(before: BookingCheck, after: BookingCheck, reviewed: str) -> bool:
    """A booking moved to the earliest date may be saved in the same click when the user saw the check for the old
    date (still the same: same medicines, same wording), the new date is not too soon for any wash-out, and no
    medicine conflicts on the new date that did not on the old one."""
    if reviewed != before.fingerprint or after.earliest is not None:
        return False
    return {r.conflict.medication for r in after.conflicts} <= {r.conflict.medication for r in before.conflicts}


def booking_check(patient: Patient, protocol: Protocol, scheduled_at: datetime) -> BookingCheck:
    """The patient's current medications against a protocol and a start, before the challenge exists."""
    patient = Patient.objects.select_related("clinic").prefetch_related("medications").get(pk=patient.pk)
    protocol = Protocol.objects.prefetch_related("premedications").get(pk=protocol.pk)
    conflicts = facts.booking_conflicts(patient, protocol, scheduled_at)
    start = scheduled_at.astimezone(patient.clinic.tzinfo)
    parts = [str(protocol.pk), start.isoformat(), *(c.message for c in conflicts)]
    fingerprint = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
    return BookingCheck(
        conflicts=washout_decisions.review(conflicts, (), start),
        earliest=washout.earliest_for_all(conflicts, start),
        fingerprint=fingerprint,
    )


@dataclass(frozen=True)
class PageVersion:
    version: int
    patient_id: int
    clinic_id: int  # the patient's clinic (the chart-read audit row's)


def page_version(challenges: QuerySet[Challenge], pk: int) -> PageVersion | None:
    """The bedside page's version of an accessible challenge (None: not found or not accessible), in one query."""
    row = challenges.filter(pk=pk).values_list("page_version", "patient_id", "patient__clinic_id").first()
    return PageVersion(*row) if row else None
