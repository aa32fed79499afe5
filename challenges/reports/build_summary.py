"""The patient summary for a referral letter: every challenge of one patient with its outcome and figures."""

from __future__ import annotations

import dataclasses
from datetime import tzinfo

from django.utils import timezone

from challenges.models import Advice, Challenge, Outcome, Route, Status, TreatmentKind
from challenges.reports import history
from challenges.reports.snapshot import PatientSummary, SummaryRow, TriggerRow
from challenges.reports.text import DASH, created, day, error_note, letterhead, patient_block, person, when
from challenges.run import facts, selectors
from clinical.checklist import ITEMS, SEVERITY_LABELS
from clinical.dates import format_day
from clinical.display import mg_text
from clinical.grading import SCALES
from clinical.outcome import discharge_advice_lines
from clinical.trigger_reactions import trigger_reactions
from clinics.models import User
from patients.models import Patient, Trigger

GROUPS = ("passed", "failed", "inconclusive", "pending", "not_done")  # PatientSummary fields, in report order
PENDING = (
    Status.PLANNED,
    Status.CHECKED_IN,
    Status.DOSING,
    Status.OBSERVING,
    Status.PAUSED,
    Status.COMPLETED,
    Status.STOPPED,
)


def patient_summary(patient: Patient) -> PatientSummary:
    patient = Patient.objects.select_related("clinic").prefetch_related("triggers", "medications").get(pk=patient.pk)
    challenges = list(selectors.with_run_data(patient.challenges.all()).order_by("scheduled_at", "pk"))
    zone = patient.clinic.tzinfo
    people = _names(patient, challenges)
    groups: dict[str, list[SummaryRow]] = {name: [] for name in GROUPS}
    for challenge in challenges:
        group, row = _row(challenge, zone, people)
        groups[group].append(row)
    return PatientSummary(
        title="Patient summary: food challenges",
        letterhead=letterhead(patient.clinic),
        patient=patient_block(patient, timezone.localdate(timezone.now(), zone)),
        generated_at=when(timezone.now(), zone),
        created=created(timezone.now(), zone),
        conditions=tuple(patient.condition_labels()),
        triggers=_triggers_with_challenges(patient, challenges, zone, people),
        medications=history.medications(patient, zone, people),
        **{name: tuple(rows) for name, rows in groups.items()},
    )


def _triggers_with_challenges(
    patient: Patient, challenges: list[Challenge], zone: tzinfo, people: dict[int, str]
) -> tuple[TriggerRow, ...]:
    """The known triggers, each with the signed failed challenges of its food beside it (R12), as the patient page
    shows them (clinical.trigger_reactions, the same rule): the trigger's own severity is the
    clinician's text and stays as written; the reader sees the challenge's grade next to it."""
    rows = history.triggers(patient, zone, people)
    return tuple(
        dataclasses.replace(row, notes="; ".join(p for p in (row.notes, *_reactions(trigger, challenges, zone)) if p))
        for row, trigger in zip(rows, patient.triggers.all(), strict=True)
    )


def _reactions(trigger: Trigger, challenges: list[Challenge], zone: tzinfo) -> list[str]:
    return [
        f"Reacted at challenge on {day(r.challenge.scheduled_at, zone)}: {r.grade}"
        for r in trigger_reactions(trigger, challenges)
    ]


def _names(patient: Patient, challenges: list[Challenge]) -> dict[int, str]:
    records = [*patient.triggers.all(), *patient.medications.all(), *challenges]
    ids = {r.entered_in_error_by_id for r in records if r.entered_in_error_by_id}
    return {pk: user.display_name for pk, user in User.objects.in_bulk(ids).items()}


def _row(c: Challenge, zone: tzinfo, people: dict[int, str]) -> tuple[str, SummaryRow]:
    food = c.protocol.food
    signed = f"Signed by {person(c.signed_by)}, {day(c.signed_at, zone)}" if c.signed_at else "Unsigned"
    group, outcome, detail = _classify(c)
    hidden = c.blinded and c.unblinded_at is None
    row = SummaryRow(
        date=day(c.scheduled_at, zone),
        food=f"{food.name}, {food.form}",
        protocol=f"{c.protocol.name} (v{c.protocol.version})",
        outcome=outcome,
        detail=detail,
        signed=signed,
        in_error=c.entered_in_error,
        error_note=error_note(c, zone, people),
        reaction="" if hidden or not c.outcome else _what_happened(c),
        advice=_advice(c) if c.outcome else "",
    )
    return group, row


def _what_happened(c: Challenge) -> str:
    """The reaction in one line (R12): symptoms after the first dose with their worst severity, the treatments
    given for it, and whether it met an anaphylaxis criterion."""
    state = selectors.run_state(c)
    first = next((d.given_at for d in facts.valid_doses(c)), None)
    worst: dict[str, int] = {}
    for o in c.observations.all():
        if not o.entered_in_error and o.severity > 0 and first is not None and o.observed_at >= first:
            worst[o.item_code] = max(worst.get(o.item_code, 0), o.severity)
    treated = [
        " ".join(part for part in (t.drug, t.dose, str(Route(t.route).label), t.site and f"({t.site})") if part)
        for t in c.treatments.all()
        if not t.entered_in_error and t.kind != TreatmentKind.PREMEDICATION
    ]
    if not worst and not treated:
        return "No symptoms recorded."
    symptoms = ", ".join(f"{_label(code)} ({SEVERITY_LABELS.get(grade, grade)})" for code, grade in worst.items())
    parts = [f"Symptoms: {symptoms or 'none recorded'}", f"treated with {'; '.join(treated) or 'nothing'}"]
    assessment = state.anaphylaxis
    if assessment is not None:
        parts.append(f"anaphylaxis: {'yes, ' + assessment.summary if assessment.met else 'no'}")
    return "; ".join(parts) + "."


def _label(code: str) -> str:
    item = ITEMS.get(code)
    return item.label if item else code


def _advice(c: Challenge) -> str:
    """The advice given at discharge, with the form-specific advice (recorded, else that of a pass of a baked form,
    R12) and the structured discharge items (R6)."""
    parts = [str(Advice(c.advice).label)] if c.advice else []
    form = selectors.run_state(c).form_advice
    if form and not c.discharge_form_advice.strip():
        parts.append(form)
    if c.outcome:
        follow_up = format_day(c.follow_up_on) if c.follow_up_on else ""
        items = discharge_advice_lines(
            c.discharge_advice, food_name=c.protocol.food.name, follow_up_text=follow_up, recorded_only=True
        )
        parts += [f"{label}: {text}" for label, text in items]
    return ". ".join(part.rstrip(".") for part in parts) + "." if parts else ""


def _classify(c: Challenge) -> tuple[str, str, str]:
    """(group, outcome text, detail) for one challenge."""
    if c.status == Status.CANCELLED:
        reason = next((e.reason for e in reversed(list(c.events.all())) if e.to_status == Status.CANCELLED), "")
        return "not_done", "Cancelled", reason or DASH
    if not c.outcome:
        status = str(Status(c.status).label)
        waiting = "; awaiting the allergist's outcome" if c.status in (Status.COMPLETED, Status.STOPPED) else ""
        return "pending", "Pending", f"{status}{waiting}"
    label = str(Outcome(c.outcome).label)
    if c.blinded and c.unblinded_at is None:
        return _group(c.outcome), label, "Blinded: dose figures are withheld until unblinding."
    state = selectors.run_state(c)
    result = state.result
    if c.outcome == Outcome.PASSED:
        detail = (
            f"Highest dose tolerated {mg_text(result.highest_tolerated_mg)} "
            f"(cumulative {mg_text(result.highest_tolerated_cumulative_mg)})"
        )
    elif c.outcome == Outcome.FAILED:
        detail = (
            f"Eliciting dose {mg_text(result.eliciting_dose_mg)} (cumulative "
            f"{mg_text(result.cumulative_at_reaction_mg)}); "
            f"highest tolerated {mg_text(result.highest_tolerated_mg)} "
            f"(cumulative {mg_text(result.highest_tolerated_cumulative_mg)}); grade {c.grade or DASH}"
            f"{f' on {SCALES.get(c.grade_scale, c.grade_scale)}' if c.grade else ''}"
        )
    else:
        detail = c.outcome_reason or DASH
    return _group(c.outcome), label, detail


def _group(outcome: str) -> str:
    groups: dict[str, str] = {Outcome.PASSED: "passed", Outcome.FAILED: "failed"}
    return groups.get(outcome, "inconclusive")
