"""Sections several reports share: the patient's history, the food, planned premedication, follow-up, names."""

from __future__ import annotations

from datetime import tzinfo
from functools import cache

from django.db.models import ForeignKey, Model

from challenges.models import AllergenGroup, Challenge, FollowUp, Food, PremedicationItem, Protocol, Route
from challenges.reports.snapshot import DiagnosticRow, FollowUpRow, Line, MedicationRow, NoteRow, TriggerRow
from challenges.reports.text import DASH, day, error_note, when, yes_no
from clinical import diagnostics as diagnostic_rules
from clinical import premedication
from clinical.durations import format_hours, format_minutes
from clinical.units import format_quantity
from clinical.washout_rules import MED_CLASS_LABELS
from clinics.models import User
from patients.models import DiagnosticResult, Patient, ReactionType, Severity


def people(challenge: Challenge) -> dict[int, str]:
    """Everyone the challenge report names, read in one query: the challenge's own people (allergist, nurse, signer...)
    and those of every row loaded with it (who gave, recorded, decided, discharged). Each is set on its row, so
    reading `dose.given_by` asks the database nothing more; returns their display names by id."""
    records: list[Model] = [
        challenge,
        *challenge.doses.all(),
        *challenge.observations.all(),
        *challenge.vitals.all(),
        *challenge.treatments.all(),
        *challenge.checks.all(),
        *challenge.events.all(),
        *challenge.food_lots.all(),
        *_follow_ups(challenge),
        *challenge.alerts.all(),
        *challenge.washout_decisions.all(),
        *challenge.discharges.all(),
        *challenge.patient.triggers.all(),
        *challenge.patient.medications.all(),
    ]
    ids = {getattr(record, field.attname) for record in records for field in _user_fields(type(record))}
    users = User.objects.in_bulk(ids - {None})
    for record in records:
        for field in _user_fields(type(record)):
            user_id = getattr(record, field.attname)
            if user_id is not None:
                field.set_cached_value(record, users[user_id])
    return {pk: user.display_name for pk, user in users.items()}


@cache
def _user_fields(model: type[Model]) -> tuple[ForeignKey, ...]:
    """The model's foreign keys to a user (given_by, recorded_by, entered_in_error_by...)."""
    return tuple(
        field for field in model._meta.concrete_fields if isinstance(field, ForeignKey) and field.related_model is User
    )


def triggers(patient: Patient, zone: tzinfo, people: dict[int, str]) -> tuple[TriggerRow, ...]:
    return tuple(
        TriggerRow(
            substance=t.substance,
            reaction_type=str(ReactionType(t.reaction_type).label),
            worst=_reaction(t.worst_reaction_severity, t.worst_reaction_on),
            last=_reaction(t.last_reaction_severity, t.last_reaction_on),
            notes=t.notes,
            in_error=t.entered_in_error,
            error_note=error_note(t, zone, people),
        )
        for t in patient.triggers.all()
    )


def _reaction(severity: str, on: object) -> str:
    label = str(Severity(severity).label) if severity in Severity.values else ""
    when_text = day(on) if on else ""  # type: ignore[arg-type]
    return ", ".join(part for part in (label, when_text) if part) or DASH


def diagnostics(patient: Patient, food: Food) -> tuple[DiagnosticRow, ...]:
    """The patient's current test results that bear on this food, newest first (R7; clinical.diagnostics.is_relevant:
    those naming the food or its allergen group, components of that group, and baseline tryptase). One query."""
    terms = (food.name, str(AllergenGroup(food.allergen_group).label))
    results = DiagnosticResult.objects.filter(patient=patient, entered_in_error=False).order_by("-taken_on", "-pk")
    return tuple(
        DiagnosticRow(taken_on=day(r.taken_on), test=str(r.get_kind_display()), subject=r.subject, value=r.value_text)
        for r in results
        if diagnostic_rules.is_relevant(
            kind=r.kind, allergen=r.allergen, component=r.component, food_terms=terms, group=food.allergen_group
        )
    )


def medications(patient: Patient, zone: tzinfo, people: dict[int, str]) -> tuple[MedicationRow, ...]:
    return tuple(
        MedicationRow(
            name=m.name,
            dose=m.dose,
            schedule=m.schedule + (f" (stopped {day(m.stopped_on)})" if m.stopped_on else ""),
            med_class=MED_CLASS_LABELS.get(m.med_class, m.med_class),
            in_error=m.entered_in_error,
            error_note=error_note(m, zone, people),
        )
        for m in patient.medications.all()
    )


def food_lines(food: Food) -> tuple[Line, ...]:
    per = "100 mL" if food.is_liquid else "100 g"
    described = ", ".join(part for part in (food.physical_form, food.processing_text) if part)
    protein = f"{format_quantity(food.protein_g_per_100, 'g')} protein per {per}"
    if food.allergen_protein_g_per_100 is not None:
        # A composite food is dosed in its allergen's protein (P3): say so wherever the figure is printed.
        allergen = format_quantity(food.allergen_protein_g_per_100, "g")
        protein = (
            f"{allergen} {food.protein_name} per {per} (whole food {protein}); doses are mg of {food.protein_name}"
        )
    return (
        Line("Food", f"{food.name}, {food.form} ({described})"),
        Line("Protein content", protein),
        Line("Source of the protein figure", food.protein_source),
        Line("Library", "standard library" if food.clinic_id is None else "this clinic's food (label or own figure)"),
    )


def premedication_timing(
    minutes_before: int, *, before_each_step: bool, continue_regular: bool, established_weeks: int = 0
) -> str:
    if continue_regular and established_weeks:
        weeks = f"{established_weeks} week{'' if established_weeks == 1 else 's'}"
        return f"established regimen (at least {weeks}): keep taking the usual dose"
    if continue_regular:
        return "keep taking the usual dose"
    if minutes_before == 0:
        return "with each dose" if before_each_step else "with the first dose"
    wait = format_minutes(minutes_before)
    return f"{wait} before each dose" if before_each_step else f"{wait} before the first dose"


def premedication_dose(item: PremedicationItem, age_years: int) -> str:
    """The item's dose for this age: by the label's age bands where it has a dose rule (clinical.premedication)."""
    planned = premedication.planned_dose(item.dose_rule, item.dose, age_years)
    return f"{planned.text}, {planned.short_note}" if planned.short_note else planned.text


def item_timing(item: PremedicationItem) -> str:
    return premedication_timing(
        item.minutes_before,
        before_each_step=item.before_each_step,
        continue_regular=item.continue_regular,
        established_weeks=item.established_weeks,
    )


def planned_premedication(protocol: Protocol, age_years: int) -> tuple[str, ...]:
    lines = []
    for p in protocol.premedications.all():
        dose = premedication_dose(p, age_years)
        lines.append(
            f"{p.drug} {dose}, {Route(p.route).label}: {item_timing(p)}" + ("" if p.required else " (optional)")
        )
    return tuple(lines)


def _follow_ups(challenge: Challenge) -> list:
    # Follow-up check-ins (challenges.home.models.FollowUp) are the home/follow-up feature's model; a challenge
    # without the relation (or without check-ins) simply has none to list.
    related = getattr(challenge, "follow_ups", None)
    return list(related.all()) if related is not None else []


def follow_ups(challenge: Challenge, zone: tzinfo, people: dict[int, str]) -> tuple[FollowUpRow, ...]:
    rows = []
    for f in _follow_ups(challenge):
        done = f"{when(f.done_at, zone)} by {people.get(f.done_by_id, DASH)}" if f.done_at else "not done yet"
        rows.append(
            FollowUpRow(
                due=when(f.due_at, zone),
                after=f"+{format_hours(f.hours_after)}",
                done=done,
                method=f.get_method_display() if f.method else DASH,
                symptoms=yes_no(f.symptoms),
                findings=_late_reaction(f, zone),
                in_error=f.entered_in_error,
                error_note=error_note(f, zone, people),
            )
        )
    return tuple(rows)


def _late_reaction(f: FollowUp, zone: tzinfo) -> str:
    """What was found, then a late or biphasic reaction and a tryptase, in words."""
    parts = [f.findings] if f.findings else []
    if f.recurrence_at:
        parts.append(f"Symptoms came back at {when(f.recurrence_at, zone)}.")
    if f.home_treatment:
        parts.append(f"Treated at home: {f.home_treatment}.")
    if f.emergency_attendance is not None:
        parts.append("Went to an emergency department." if f.emergency_attendance else "No emergency attendance.")
    if f.tryptase_ug_l is not None and f.tryptase_taken_at is not None:
        value = format_quantity(f.tryptase_ug_l, "µg/L")
        parts.append(f"Tryptase {value} at {when(f.tryptase_taken_at, zone)}.")
    return " ".join(parts)


def addenda(challenge: Challenge, zone: tzinfo) -> tuple[NoteRow, ...]:
    return tuple(
        NoteRow(when(e.at, zone), e.by.display_name if e.by else DASH, e.reason)
        for e in challenge.events.all()
        if e.kind == "addendum"
    )
