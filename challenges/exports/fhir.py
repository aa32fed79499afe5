"""FHIR R4 export of completed challenges as a Bundle of type "collection", built as plain JSON-ready dicts.

Reads a RunState (load the challenge with selectors.with_run_data) and the rows prefetched on it; makes no queries
and needs no FHIR library at run time (the tests validate every bundle with fhir.resources).

Codes: each SNOMED CT and LOINC code below was checked against several public FHIR and terminology sources.
Where no code could be confirmed (the oral food challenge procedure itself, flushing), the concept goes as text
only: a wrong code is worse than none. The dose figures have no standard code, so they carry a Stepwise code
system (FIGURE_SYSTEM) as well as text. Units are UCUM.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from challenges.models import Challenge, Outcome, Status, Treatment, TreatmentKind, VitalSigns
from challenges.run.selectors import RunState
from clinical.checklist import ITEMS, SEVERITY_LABELS
from clinical.kinds import KINDS
from clinical.units import dose_quantity
from patients.models import Patient

JSON = dict[str, Any]

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CLINICAL_STATUS = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
VERIFICATION_STATUS = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
FIGURE_SYSTEM = "urn:stepwise:fhir:challenge-figure"

# Challenges that may be exported: dosing over and the outcome confirmed by the allergist.
EXPORTABLE_STATUSES = (Status.COMPLETED, Status.STOPPED)

# Checklist item -> SNOMED CT clinical finding, only where the code was confirmed in public sources. The PRACTALL
# item "Urticaria/angioedema" is scored on hives first (docs/clinical-sources.md §3.1), so it is coded as urticaria;
# likewise
# "Vomiting/diarrhoea" as vomiting. Items left out (flushing, oral, nausea/abdominal pain, sneezing, laryngeal,
# cardiovascular, behaviour, brain fog) go as text only.
MANIFESTATION_CODES: dict[str, tuple[str, str]] = {
    "skin_urticaria": ("126485001", "Urticaria"),
    "skin_pruritus": ("418290006", "Itching"),
    "mcas_itch": ("418290006", "Itching"),
    "skin_erythema": ("247441003", "Erythema"),
    "lower_resp_wheeze": ("56018004", "Wheezing"),
    "gi_vomiting": ("422400008", "Vomiting"),
    "mcas_headache": ("25064002", "Headache"),
    "mcas_tachycardia": ("3424008", "Tachycardia"),
}

ORAL_ROUTE = ("26643006", "Oral route")
ROUTE_CODES: dict[str, tuple[str, str]] = {
    "oral": ORAL_ROUTE,
    "im": ("78421000", "Intramuscular route"),
    "iv": ("47625008", "Intravenous route"),
    "inhaled": ("447694001", "Respiratory tract route"),
    "nasal": ("46713006", "Nasal route"),
    "topical": ("6064005", "Topical route"),
}

FIGURES: dict[str, str] = {
    "eliciting-dose": "Eliciting dose (food protein)",
    "cumulative-dose-at-reaction": "Cumulative dose at reaction (food protein)",
    "highest-tolerated-dose": "Highest tolerated dose, NOAEL (food protein)",
    "cumulative-tolerated-dose": "Cumulative tolerated dose (food protein)",
}


@dataclass(frozen=True)
class VitalCode:
    field: str
    loinc: str
    display: str
    unit: str  # UCUM
    category: str


VITAL_CODES: tuple[VitalCode, ...] = (
    VitalCode("heart_rate", "8867-4", "Heart rate", "/min", "vital-signs"),
    VitalCode("resp_rate", "9279-1", "Respiratory rate", "/min", "vital-signs"),
    VitalCode("spo2", "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%", "vital-signs"),
    VitalCode("temperature_c", "8310-5", "Body temperature", "Cel", "vital-signs"),
    VitalCode(
        "pef", "19935-6", "Maximum expiratory gas flow Respiratory system airway by Peak flow meter", "L/min", "exam"
    ),
)
BLOOD_PRESSURE = ("85354-9", "Blood pressure panel with all children optional")
SYSTOLIC = ("8480-6", "Systolic blood pressure")
DIASTOLIC = ("8462-4", "Diastolic blood pressure")

VERIFICATION: dict[str, str] = {Outcome.FAILED: "confirmed", Outcome.PASSED: "refuted"}
CLINICAL: dict[str, str] = {Outcome.FAILED: "active", Outcome.PASSED: "resolved"}


def mrn_system(clinic_id: int) -> str:
    """Each clinic numbers its own patients, so the MRN's identifier system is per clinic."""
    return f"urn:stepwise:clinic:{clinic_id}:mrn"


def challenge_system(clinic_id: int) -> str:
    return f"urn:stepwise:clinic:{clinic_id}:challenge"


def is_exportable(challenge: Challenge) -> bool:
    """Dosing over and the outcome confirmed: only then do the figures and the allergy status mean anything."""
    return bool(challenge.outcome) and challenge.status in EXPORTABLE_STATUSES and not challenge.entered_in_error


def challenge_bundle(state: RunState, *, now: datetime) -> JSON:
    """One completed challenge with its patient."""
    return patient_bundle(state.challenge.patient, [state], now=now)


def patient_bundle(patient: Patient, states: Sequence[RunState], *, now: datetime) -> JSON:
    """The patient and every given completed challenge, in one collection."""
    tz = patient.clinic.tzinfo
    patient_entry = _entry(_patient(patient))
    entries = [patient_entry]
    for state in states:
        entries.extend(_challenge_entries(state, _ref(patient_entry)))
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": _dt(now, tz),
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{uuid.uuid4()}"},
        "entry": entries,
    }


def reaction_severity(scale: str, grade: str) -> str | None:
    """FHIR reaction severity (mild | moderate | severe) from the confirmed grade; None if no reaction or unknown.

    Brown 2004 is already mild/moderate/severe (docs/clinical-sources.md §4.2). WAO 2010 (4.3): grade 1 (one organ
    system) is mild,
    2 (several systems, GI, asthma responding) moderate, 3-5 severe. Sampson 2003 (4.1): 1-2 mild, 3 moderate,
    4-5 severe (wheeze, hypotension, impending doom and worse). The WAO and Sampson mappings are our judgement.
    """
    grade = (grade or "").strip().lower()
    if scale == "brown_2004":
        return grade if grade in ("mild", "moderate", "severe") else None
    number = grade[:1]
    if not number.isdigit() or number == "0":
        return None
    bands = {"wao_2010": {"1": "mild", "2": "moderate"}, "sampson_2003": {"1": "mild", "2": "mild", "3": "moderate"}}
    if scale not in bands:
        return None
    return bands[scale].get(number, "severe")


# --- resources ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """What every resource of one challenge shares: who it is about, the procedure it is part of, local time."""

    patient: JSON  # reference to the Patient entry
    procedure: JSON  # reference to the Procedure entry
    tz: tzinfo


def _challenge_entries(state: RunState, patient_ref: JSON) -> list[JSON]:
    challenge = state.challenge
    if not is_exportable(challenge):
        raise ValueError(f"Challenge {challenge.pk} has no confirmed outcome to export.")
    procedure = _entry(_procedure(challenge, patient_ref, challenge.clinic.tzinfo))
    context = _Context(patient_ref, _ref(procedure), challenge.clinic.tzinfo)
    entries = [procedure, _entry(_allergy(state, context))]
    entries += [_entry(r) for r in _figures(state, context)]
    for vitals in (v for v in challenge.vitals.all() if not v.entered_in_error):
        entries += [_entry(r) for r in _vitals(vitals, context)]
    for treatment in (t for t in challenge.treatments.all() if not t.entered_in_error):
        entries.append(_entry(_medication(treatment, context)))
    return entries


def _patient(patient: Patient) -> JSON:
    mrn_type = {
        "coding": [{"system": IDENTIFIER_TYPE, "code": "MR", "display": "Medical record number"}],
        "text": "MRN",
    }
    mrn = {"use": "usual", "type": mrn_type, "system": mrn_system(patient.clinic_id), "value": patient.mrn}
    name = {"use": "official", "family": patient.family_name, "given": [patient.given_name], "text": patient.full_name}
    return {
        "resourceType": "Patient",
        "identifier": [mrn],
        "name": [name],
        "gender": patient.sex,
        "birthDate": patient.date_of_birth.isoformat(),
    }


def _procedure(challenge: Challenge, patient_ref: JSON, tz: tzinfo) -> JSON:
    doses = [d for d in challenge.doses.all() if not d.entered_in_error]
    resource: JSON = {
        "resourceType": "Procedure",
        "identifier": [{"system": challenge_system(challenge.clinic_id), "value": str(challenge.pk)}],
        "status": "stopped" if challenge.status == Status.STOPPED else "completed",
        "code": {"text": f"{KINDS[challenge.protocol.kind].label}: {challenge.protocol.food}"},
        "subject": patient_ref,
        "performer": [{"actor": {"display": challenge.allergist.display_name}}],
        "outcome": {"text": f"{challenge.get_outcome_display()}: {challenge.outcome_reason}"},
        "note": [{"text": f"Protocol: {challenge.protocol}."}],
    }
    if doses:
        resource["performedPeriod"] = {"start": _dt(doses[0].given_at, tz), "end": _dt(doses[-1].given_at, tz)}
    if challenge.indication:
        resource["reasonCode"] = [{"text": challenge.indication}]
    if challenge.advice:
        resource["followUp"] = [{"text": challenge.get_advice_display()}]
    if challenge.discharge_notes:
        resource["note"].append({"text": challenge.discharge_notes})
    if challenge.outcome_under_review:
        resource["note"].append({"text": "A later finding re-opened this outcome for the allergist's review."})
    return resource


def _allergy(state: RunState, context: _Context) -> JSON:
    challenge, result, tz = state.challenge, state.result, context.tz
    food = str(challenge.protocol.food)
    resource: JSON = {
        "resourceType": "AllergyIntolerance",
        "clinicalStatus": _status(CLINICAL_STATUS, CLINICAL.get(challenge.outcome, "active")),
        "verificationStatus": _status(VERIFICATION_STATUS, VERIFICATION.get(challenge.outcome, "unconfirmed")),
        "category": ["food"],
        "code": {"text": food},
        "patient": context.patient,
        "note": [{"text": f"{KINDS[challenge.protocol.kind].label}: {challenge.get_outcome_display()}."}],
    }
    confirmed_at = _outcome_confirmed_at(challenge)
    if confirmed_at is not None:
        resource["recordedDate"] = _dt(confirmed_at, tz)
    if challenge.grade_confirmed_by is not None:
        resource["recorder"] = {"display": challenge.grade_confirmed_by.display_name}
    reaction = _reaction(state, food, tz) if challenge.outcome != Outcome.PASSED else None
    if reaction is not None:
        resource["reaction"] = [reaction]
        if result.first_symptom_at is not None:
            resource["lastOccurrence"] = _dt(result.first_symptom_at, tz)
    return resource


def _reaction(state: RunState, food: str, tz: tzinfo) -> JSON | None:
    """The reaction: one manifestation per checklist item seen after the first dose, with its worst severity."""
    challenge = state.challenge
    doses = [d for d in challenge.doses.all() if not d.entered_in_error]
    if not doses:
        return None
    worst: dict[str, int] = {}
    notes: dict[str, list[str]] = {}
    for finding in challenge.observations.all():
        if finding.entered_in_error or finding.severity == 0 or finding.observed_at < doses[0].given_at:
            continue
        worst[finding.item_code] = max(worst.get(finding.item_code, 0), finding.severity)
        if finding.note:
            notes.setdefault(finding.item_code, []).append(finding.note)
    if not worst:
        return None
    reaction: JSON = {
        "substance": {"text": food},
        "manifestation": [_manifestation(code) for code in worst],
        "description": "; ".join(_finding_text(code, worst[code], notes.get(code, [])) for code in worst),
        "exposureRoute": _coded(SNOMED, *ORAL_ROUTE),
    }
    if state.result.first_symptom_at is not None:
        reaction["onset"] = _dt(state.result.first_symptom_at, tz)
    severity = reaction_severity(challenge.grade_scale, challenge.grade)
    if severity:
        reaction["severity"] = severity
    return reaction


def _manifestation(item_code: str) -> JSON:
    label = ITEMS[item_code].label if item_code in ITEMS else item_code
    if item_code in MANIFESTATION_CODES:
        code, display = MANIFESTATION_CODES[item_code]
        return {"coding": [{"system": SNOMED, "code": code, "display": display}], "text": label}
    return {"text": label}


def _finding_text(item_code: str, severity: int, notes: list[str]) -> str:
    label = ITEMS[item_code].label if item_code in ITEMS else item_code
    text = f"{label}: {SEVERITY_LABELS[severity]}"
    return f"{text} ({'; '.join(notes)})" if notes else text


def _figures(state: RunState, context: _Context) -> list[JSON]:
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
    return [_figure(code, value, when, note, context) for code, value, when in values if value is not None]


def _figure(code: str, value: Decimal, when: datetime | None, note: str, context: _Context) -> JSON:
    resource: JSON = {
        "resourceType": "Observation",
        "status": "final",
        "partOf": [context.procedure],
        "category": [_coded(OBSERVATION_CATEGORY, "procedure", "Procedure")],
        "code": {"coding": [{"system": FIGURE_SYSTEM, "code": code, "display": FIGURES[code]}], "text": FIGURES[code]},
        "subject": context.patient,
        "valueQuantity": _quantity(value, "mg"),
        "note": [{"text": note}],
    }
    if when is not None:
        resource["effectiveDateTime"] = _dt(when, context.tz)
    return resource


def _vitals(vitals: VitalSigns, context: _Context) -> list[JSON]:
    """One Observation per measured value (blood pressure as the LOINC panel with its two components)."""
    base: JSON = {
        "resourceType": "Observation",
        "status": "final",
        "partOf": [context.procedure],
        "subject": context.patient,
        "effectiveDateTime": _dt(vitals.taken_at, context.tz),
        "note": [{"text": vitals.get_kind_display()}],
    }
    resources = []
    if vitals.systolic is not None or vitals.diastolic is not None:
        components = [
            {"code": _coded(LOINC, *code), "valueQuantity": _quantity(value, "mm[Hg]")}
            for code, value in ((SYSTOLIC, vitals.systolic), (DIASTOLIC, vitals.diastolic))
            if value is not None
        ]
        resources.append(
            {
                **base,
                "category": [_category("vital-signs")],
                "code": _coded(LOINC, *BLOOD_PRESSURE),
                "component": components,
            }
        )
    for spec in VITAL_CODES:
        value = getattr(vitals, spec.field)
        if value is not None:
            code = _coded(LOINC, spec.loinc, spec.display)
            resources.append(
                {
                    **base,
                    "category": [_category(spec.category)],
                    "code": code,
                    "valueQuantity": _quantity(value, spec.unit),
                }
            )
    return resources


def _medication(treatment: Treatment, context: _Context) -> JSON:
    reason = "Premedication" if treatment.kind == TreatmentKind.PREMEDICATION else "Treatment of the reaction"
    route: JSON = {"text": treatment.get_route_display()}
    if treatment.route in ROUTE_CODES:
        route = {**_coded(SNOMED, *ROUTE_CODES[treatment.route]), "text": treatment.get_route_display()}
    resource: JSON = {
        "resourceType": "MedicationAdministration",
        "status": "completed",
        "partOf": [context.procedure],
        "medicationCodeableConcept": {"text": treatment.drug},
        "subject": context.patient,
        "effectiveDateTime": _dt(treatment.given_at, context.tz),
        "reasonCode": [{"text": f"{reason} ({treatment.get_kind_display()})"}],
        "dosage": _dosage(treatment.dose, route),
    }
    if treatment.notes:
        resource["note"] = [{"text": treatment.notes}]
    return resource


def _dosage(text: str, route: JSON) -> JSON:
    """The dosage with its text and, where the text starts with a number and a known unit, a structured UCUM dose:
    R4's invariant mad-1 asks for dosage.dose or a rate (interop review defect 2). "0.3 mg IM" -> 0.3 mg."""
    dosage: JSON = {"text": text, "route": route}
    quantity = dose_quantity(text)
    if quantity is not None:
        dosage["dose"] = {
            "value": _number(quantity.value),
            "unit": quantity.unit,
            "system": UCUM,
            "code": quantity.ucum,
        }
    return dosage


# --- small helpers ------------------------------------------------------------------------------------------


def _entry(resource: JSON) -> JSON:
    return {"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": resource}


def _ref(entry: JSON) -> JSON:
    return {"reference": entry["fullUrl"]}


def _dt(moment: datetime, tz: tzinfo) -> str:
    """FHIR dateTime in the clinic's local time, with its offset (FHIR requires a zone when a time is given)."""
    return moment.astimezone(tz).isoformat(timespec="seconds")


def _status(system: str, code: str) -> JSON:
    return {"coding": [{"system": system, "code": code}]}


def _coded(system: str, code: str, display: str) -> JSON:
    return {"coding": [{"system": system, "code": code, "display": display}]}


def _category(code: str) -> JSON:
    return {"coding": [{"system": OBSERVATION_CATEGORY, "code": code}]}


def _quantity(value: Decimal | int, unit: str) -> JSON:
    return {"value": _number(value), "unit": unit, "system": UCUM, "code": unit}


def _number(value: Decimal | int) -> int | float:
    """JSON has no Decimal; whole values go as integers, others as floats (stored with at most 3 decimals)."""
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def _outcome_confirmed_at(challenge: Challenge) -> datetime | None:
    """When the allergist last confirmed the outcome (the "outcome" event), from the prefetched events."""
    times = [e.at for e in challenge.events.all() if e.kind == "outcome"]
    return max(times) if times else None
