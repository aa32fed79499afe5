"""Observations: the dose figures of a challenge, its vital signs, and the patient's allergy test results."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from challenges.exports.fhir.codes import (
    BLOOD_PRESSURE,
    DIASTOLIC,
    FIGURE_SYSTEM,
    FIGURES,
    LOINC,
    SYSTOLIC,
    TEST_LOINC,
    TEST_SYSTEM,
    TEST_UCUM,
    UCUM,
    VITAL_CODES,
)
from challenges.exports.fhir.datatypes import (
    JSON,
    amount_text,
    day_text,
    fhir_category,
    fhir_codeable,
    fhir_coding,
    fhir_datetime,
    fhir_quantity,
    json_number,
    mark_withdrawn,
    narrate,
    withdrawal_reason,
)
from challenges.models import AllergenGroup, Challenge, Food, VitalSigns
from challenges.run.selectors import RunState
from clinical import diagnostics
from patients.models import DiagnosticResult

if TYPE_CHECKING:
    from challenges.exports.fhir.bundle import BundleBuilder


def figure_observations(b: BundleBuilder, state: RunState, procedure: JSON) -> list[JSON]:
    """The dose figures of clinical.outcome (docs/clinical-sources.md §6.2) as Observations in mg of food protein."""
    result, challenge = state.result, state.challenge
    if challenge.blinded and challenge.unblinded_at is None:
        return []  # blinded: the figures count active doses only, which would tell which doses were placebo
    given = {d.sequence: d.given_at for d in challenge.doses.all() if not d.entered_in_error}
    doses = sorted(given.items())
    at_reaction = given.get(result.eliciting_dose_number or 0)
    last_tolerated = next((at for _, at in reversed(doses) if at_reaction is None or at < at_reaction), None)
    values = (
        ("eliciting-dose", result.eliciting_dose_mg, at_reaction),
        ("cumulative-dose-at-reaction", result.cumulative_at_reaction_mg, at_reaction),
        ("highest-tolerated-dose", result.highest_tolerated_mg, last_tolerated),
        ("cumulative-tolerated-dose", result.highest_tolerated_cumulative_mg, last_tolerated),
    )
    note = f"Protein of {challenge.protocol.food}, as eaten."
    figures = [
        _figure(b, challenge, code, value, when, note, procedure) for code, value, when in values if value is not None
    ]
    # A dose entered in error can take a figure away (it was the eliciting dose, say). An earlier export may hold the
    # figure: it is sent again under its id, withdrawn, never just left out.
    errors = [d for d in challenge.doses.all() if d.entered_in_error]
    if errors:
        reason = "Entered in error: " + "; ".join(
            f"dose {d.step_number} ({d.entered_in_error_reason})".strip() for d in errors
        )
        figures += [
            _withdrawn_figure(b, challenge, code, reason, procedure) for code, value, _ in values if value is None
        ]
    return figures


def _figure_observation(b: BundleBuilder, challenge: Challenge, code: str, status: str, procedure: JSON) -> JSON:
    """A dose figure's Observation, under one id per challenge and figure, whether given or withdrawn."""
    return {
        "resourceType": "Observation",
        "id": b.id("Observation", "figure", challenge.pk, code),
        "status": status,
        "partOf": [procedure],
        "category": [fhir_category("procedure", "Procedure")],
        "code": {"coding": [fhir_coding(FIGURE_SYSTEM, code, FIGURES[code])], "text": FIGURES[code]},
        "subject": b.patient,
    }


def _withdrawn_figure(b: BundleBuilder, challenge: Challenge, code: str, reason: str, procedure: JSON) -> JSON:
    """A dose figure no valid dose gives any more, under the id an earlier export gave it, status entered-in-error."""
    resource = _figure_observation(b, challenge, code, "entered-in-error", procedure)
    resource["note"] = [{"text": reason}]
    return narrate(resource, f"{FIGURES[code]}: withdrawn", reason)


def _figure(
    b: BundleBuilder, challenge: Challenge, code: str, value: Decimal, when: datetime | None, note: str, procedure: JSON
) -> JSON:
    resource = _figure_observation(b, challenge, code, "final", procedure)
    resource["valueQuantity"] = fhir_quantity(value, "mg")
    resource["note"] = [{"text": note}]
    if when is not None:
        resource["effectiveDateTime"] = fhir_datetime(when, b.tz)
    return narrate(resource, f"{FIGURES[code]}: {amount_text(value)} mg", note)


def vital_observations(b: BundleBuilder, vitals: VitalSigns, procedure: JSON) -> list[JSON]:
    """One Observation per measured value. Blood pressure is the LOINC panel with both components; when only one of
    the two was measured it goes as its own Observation (the R4 bp profile needs both; interop review defect 5)."""
    base: JSON = {
        "resourceType": "Observation",
        "status": "final",
        "partOf": [procedure],
        "subject": b.patient,
        "effectiveDateTime": fhir_datetime(vitals.taken_at, b.tz),
        "note": [{"text": vitals.get_kind_display()}],
    }
    when = f"{vitals.get_kind_display()}, {fhir_datetime(vitals.taken_at, b.tz)}"
    resources = []
    if vitals.systolic is not None and vitals.diastolic is not None:
        components = [
            {"code": fhir_codeable(LOINC, *code), "valueQuantity": fhir_quantity(value, "mm[Hg]")}
            for code, value in ((SYSTOLIC, vitals.systolic), (DIASTOLIC, vitals.diastolic))
        ]
        panel = {
            **base,
            "id": b.id("Observation", "vitals", vitals.pk, BLOOD_PRESSURE[0]),
            "category": [fhir_category("vital-signs", "Vital Signs")],
            "code": fhir_codeable(LOINC, *BLOOD_PRESSURE),
            "component": components,
        }
        resources.append(narrate(panel, f"Blood pressure {vitals.systolic}/{vitals.diastolic} mmHg", when))
    else:
        for code, value in ((SYSTOLIC, vitals.systolic), (DIASTOLIC, vitals.diastolic)):
            if value is not None:
                single = {
                    **base,
                    "id": b.id("Observation", "vitals", vitals.pk, code[0]),
                    "category": [fhir_category("vital-signs", "Vital Signs")],
                    "code": fhir_codeable(LOINC, *code),
                    "valueQuantity": fhir_quantity(value, "mm[Hg]"),
                }
                resources.append(narrate(single, f"{code[1]} {value} mmHg", when))
    for spec in VITAL_CODES:
        value = getattr(vitals, spec.field)
        if value is not None:
            label = spec.codings[0][1]
            concept = {"coding": [fhir_coding(LOINC, *coding) for coding in spec.codings], "text": label}
            observation = {
                **base,
                "id": b.id("Observation", "vitals", vitals.pk, spec.codings[0][0]),
                "category": [fhir_category(*_CATEGORY_NAMES[spec.category])],
                "code": concept,
                "valueQuantity": fhir_quantity(value, spec.unit),
            }
            resources.append(narrate(observation, f"{label}: {amount_text(value)} {spec.unit}", when))
    return resources


_CATEGORY_NAMES = {"vital-signs": ("vital-signs", "Vital Signs"), "exam": ("exam", "Exam")}


def allergy_test_observation(b: BundleBuilder, result: DiagnosticResult) -> JSON:
    """One allergy test result (patients.DiagnosticResult) as an Observation: the kind in the Stepwise code system,
    LOINC where certain (TEST_LOINC), the allergen or component as text, the value in UCUM, the day taken. One
    entered in error goes marked so, under the same id."""
    kind = diagnostics.KINDS[result.kind]
    label = f"{kind.label}: {result.subject}" if result.subject else kind.label
    codings = [fhir_coding(TEST_SYSTEM, result.kind, kind.label)]
    if result.kind in TEST_LOINC:
        codings.append(fhir_coding(LOINC, *TEST_LOINC[result.kind]))
    # A value entered at the end of the assay's range (docs/clinical-sources.md §15.2) goes as "<" the lowest
    # reportable value or ">=" the top of the range (clinical.diagnostics.reading), never as a measured 0 or 100.
    read = diagnostics.reading(result.kind, result.value)
    quantity: JSON = {
        "value": json_number(read.value),
        "unit": kind.unit,
        "system": UCUM,
        "code": TEST_UCUM[kind.unit],
        **({"comparator": read.comparator} if read.comparator else {}),
    }
    value_text = result.value_text
    category = ("procedure", "Procedure") if result.kind == diagnostics.SKIN_PRICK else ("laboratory", "Laboratory")
    resource: JSON = {
        "resourceType": "Observation",
        "id": b.id("Observation", "test", result.pk),
        "status": "final",
        "category": [fhir_category(*category)],
        "code": {"coding": codings, "text": label},
        "subject": b.patient,
        "effectiveDateTime": result.taken_on.isoformat(),
        "valueQuantity": quantity,
    }
    narrated = narrate(resource, f"{label}: {value_text}", f"Taken {day_text(result.taken_on)}")
    return mark_withdrawn(narrated, withdrawal_reason(result))


def bears_on(result: DiagnosticResult, food: Food) -> bool:
    """The results the challenge report shows for this food (clinical.diagnostics.is_relevant), and those of them
    entered in error, so a withdrawal reaches a receiver that has only the challenge's bundle."""
    terms = (food.name, str(AllergenGroup(food.allergen_group).label))
    group = food.allergen_group
    return diagnostics.is_relevant(
        kind=result.kind, allergen=result.allergen, component=result.component, food_terms=terms, group=group
    )
