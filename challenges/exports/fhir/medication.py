"""Medicines: a treatment given in the challenge (MedicationAdministration) and the patient's own medicines
(MedicationStatement)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from challenges.exports.fhir.codes import MEDICATION_ROUTE_CODES, ROUTE_CODES, SNOMED, UCUM
from challenges.exports.fhir.datatypes import JSON, fhir_codeable, fhir_datetime, json_number, narrate
from challenges.models import Treatment, TreatmentKind
from clinical.units import dose_quantity
from patients.models import Medication

if TYPE_CHECKING:
    from challenges.exports.fhir.bundle import BundleBuilder


def medication_administration(b: BundleBuilder, treatment: Treatment, procedure: JSON) -> JSON:
    reason = "Premedication" if treatment.kind == TreatmentKind.PREMEDICATION else "Treatment of the reaction"
    route: JSON = {"text": treatment.get_route_display()}
    if treatment.route in ROUTE_CODES:
        route = {**fhir_codeable(SNOMED, *ROUTE_CODES[treatment.route]), "text": treatment.get_route_display()}
    resource: JSON = {
        "resourceType": "MedicationAdministration",
        "id": b.id("MedicationAdministration", treatment.pk),
        "status": "completed",
        "partOf": [procedure],
        "medicationCodeableConcept": {"text": treatment.drug},
        "subject": b.patient,
        "effectiveDateTime": fhir_datetime(treatment.given_at, b.tz),
        "reasonCode": [{"text": f"{reason} ({treatment.get_kind_display()})"}],
        "dosage": _dosage(treatment.dose, route),
    }
    if treatment.notes:
        resource["note"] = [{"text": treatment.notes}]
    summary = f"{treatment.drug} {treatment.dose}, {treatment.get_route_display()}"
    return narrate(resource, summary, f"Given {fhir_datetime(treatment.given_at, b.tz)}: {reason.lower()}")


def _dosage(text: str, route: JSON) -> JSON:
    """The dosage with its text and, where the text starts with a number and a known unit, a structured UCUM dose:
    R4's invariant mad-1 asks for dosage.dose or a rate (interop review defect 2). "0.3 mg IM" -> 0.3 mg."""
    dosage: JSON = {"text": text, "route": route}
    quantity = _ucum_dose(text)
    if quantity is not None:
        dosage["dose"] = quantity
    return dosage


def _ucum_dose(text: str) -> JSON | None:
    quantity = dose_quantity(text)
    if quantity is None:
        return None
    return {"value": json_number(quantity.value), "unit": quantity.unit, "system": UCUM, "code": quantity.ucum}


def _medication_status(medication: Medication, today: date) -> str:
    """active, or stopped / entered-in-error: sent too, so an earlier export's statement is updated, not left on."""
    if medication.entered_in_error:
        return "entered-in-error"
    if medication.stopped_on is not None and medication.stopped_on <= today:
        return "stopped"
    return "active"


def medication_statement(b: BundleBuilder, medication: Medication, today: date) -> JSON:
    text = " ".join(part for part in (medication.dose, medication.schedule) if part)
    dosage: JSON = {"text": text or medication.name, "route": {"text": medication.get_route_display()}}
    if medication.route in MEDICATION_ROUTE_CODES:
        route = MEDICATION_ROUTE_CODES[medication.route]
        dosage["route"] = {**fhir_codeable(SNOMED, *route), "text": medication.get_route_display()}
    dose = _ucum_dose(medication.dose)
    if dose is not None:
        dosage["doseAndRate"] = [{"doseQuantity": dose}]
    resource: JSON = {
        "resourceType": "MedicationStatement",
        "id": b.id("MedicationStatement", medication.pk),
        "identifier": [],
        "status": _medication_status(medication, today),
        "medicationCodeableConcept": {"text": medication.name},
        "subject": b.patient,
        "dateAsserted": fhir_datetime(medication.created_at, b.tz),
        "informationSource": b.organization,
        "dosage": [dosage],
        "note": [{"text": f"Class: {medication.get_med_class_display()}."}],
    }
    if medication.stopped_on is not None:
        resource["effectivePeriod"] = {"end": medication.stopped_on.isoformat()}
    headline = f"{medication.name} {text} ({resource['status']})"
    return narrate(resource, headline, f"Class: {medication.get_med_class_display()}")
