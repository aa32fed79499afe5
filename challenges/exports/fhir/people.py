"""Who: the clinic (Organization), the patient (Patient) and its clinicians (Practitioner)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from challenges.exports.fhir.codes import IDENTIFIER_TYPE, URI
from challenges.exports.fhir.datatypes import JSON, day_text, narrate
from clinics.models import User
from patients.models import Patient

if TYPE_CHECKING:
    from challenges.exports.fhir.bundle import BundleBuilder


def organization_resource(b: BundleBuilder) -> JSON:
    clinic = b.clinic
    resource: JSON = {
        "resourceType": "Organization",
        "id": b.id("Organization"),
        "identifier": [{"system": URI, "value": f"urn:uuid:{clinic.fhir_namespace}"}],
        "active": True,
        "name": clinic.name,
    }
    if clinic.phone:
        resource["telecom"] = [{"system": "phone", "value": clinic.phone, "use": "work"}]
    if clinic.address:
        resource["address"] = [{"use": "work", "text": clinic.address}]
    return narrate(resource, f"Clinic: {clinic.name}")


def patient_resource(b: BundleBuilder, patient: Patient) -> JSON:
    mrn_type = {
        "coding": [{"system": IDENTIFIER_TYPE, "code": "MR", "display": "Medical record number"}],
        "text": "MRN",
    }
    mrn = {"use": "usual", "type": mrn_type, "system": b.clinic.mrn_system, "value": patient.mrn}
    name = {"use": "official", "family": patient.family_name, "given": [patient.given_name], "text": patient.full_name}
    resource: JSON = {
        "resourceType": "Patient",
        "id": b.id("Patient", patient.pk),
        "identifier": [mrn],
        "name": [name],
        "gender": patient.sex,
        "birthDate": patient.date_of_birth.isoformat(),
        "managingOrganization": b.organization,
    }
    born = day_text(patient.date_of_birth)
    headline = f"{patient.full_name}, born {born}, MRN {patient.mrn}"
    if patient.entered_in_error:
        # Patient has no entered-in-error status: `active` false is its modifier saying the record is not to be
        # treated as valid (FHIR R4 Patient.active), with the reason in the narrative. The entry updates the
        # receiver's matching record (bundle.entry), so one imported earlier is marked too.
        resource["active"] = False
        return narrate(resource, headline, f"Entered in error: {patient.entered_in_error_reason}".strip())
    return narrate(resource, headline)


def practitioner_resource(b: BundleBuilder, user: User) -> JSON:
    identifiers: list[JSON] = [{"system": URI, "value": f"urn:uuid:{b.id('Practitioner', user.pk)}"}]
    if user.registration_number:
        identifiers.append({"type": {"text": "Professional registration"}, "value": user.registration_number})
    name: JSON = {"text": user.display_name}
    if user.last_name:
        name["family"] = user.last_name
    if user.first_name:
        name["given"] = [user.first_name]
    resource = {
        "resourceType": "Practitioner",
        "id": b.id("Practitioner", user.pk),
        "identifier": identifiers,
        "active": user.is_active,
        "name": [name],
    }
    role = user.get_role_display() if user.role else "Clinician"
    return narrate(resource, f"{role}: {user.display_name}")
