"""FHIR R4 export: a transaction Bundle of plain JSON-ready dicts that a FHIR server can apply again and again.

Reads RunStates (challenges loaded with selectors.with_run_data) and the rows prefetched on them; makes no queries
and needs no FHIR library at run time. The tests validate every bundle with an independent R4 validator (Medplum
with the official StructureDefinitions and the R4 vital-signs profiles, tests/interop/fhir_validate.mjs).

Identity (interop review defects 9, 10, 21). Every resource's id is a UUID derived from the record (uuid5 of the
clinic's own namespace, Clinic.fhir_namespace, and the record's kind and primary key), the same in every download;
it is also the resource's business identifier (urn:ietf:rfc:3986). The bundle is a transaction: the clinic's own
records go as `PUT Type/id` (update, or create with that id), so a second export updates them rather than
duplicating them; the Patient, the clinic (Organization) and its clinicians (Practitioner) go as conditional creates
(`POST` with `ifNoneExist` on the MRN in the clinic's MRN system, or on their identifier), so the receiving system's
own records of them are matched, never overwritten. Entries reference each other by their `urn:uuid:` fullUrl.

Codes: each SNOMED CT and LOINC code below was checked against public FHIR and terminology sources
(docs/clinical-sources.md §14). Where no code could be confirmed (flushing, some foods), the concept goes as text
only: a wrong code is worse than none. The dose figures have no standard code, so they carry a Stepwise code system
as well as text. Units are UCUM. Every resource carries a generated narrative (text.div, escaped XHTML).

Also carried: the patient's allergy test results (Observations, _test_result), the structured discharge advice
(Procedure.followUp, _follow_up: why not a CarePlan is said there), and every record entered in error that an earlier
export may hold: sent again under its id with status entered-in-error and the reason (a challenge with all its
resources, a vital sign, a treatment, a test result, a trigger, a medicine), never left out.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from html import escape
from typing import Any
from urllib.parse import quote

from challenges.models import (
    AllergenGroup,
    Challenge,
    Food,
    Outcome,
    Status,
    Treatment,
    TreatmentKind,
    VitalSigns,
)
from challenges.run.selectors import RunState
from clinical import allergy_status, diagnostics
from clinical.checklist import ITEMS, SEVERITY_LABELS
from clinical.kinds import KINDS
from clinical.outcome import discharge_advice_lines, is_partial_form
from clinical.text import fold
from clinical.units import dose_quantity, format_quantity
from clinics.models import Clinic, User
from patients.models import (
    DiagnosticResult,
    Medication,
    MedicationRoute,
    Patient,
    ReactionType,
    Trigger,
)

JSON = dict[str, Any]

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
URI = "urn:ietf:rfc:3986"
CLINICAL_STATUS = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
VERIFICATION_STATUS = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
# No standard code exists for the dose figures: a Stepwise code system, named by a URL as FHIR recommends.
FIGURE_SYSTEM = "https://stepwise.invalid/fhir/CodeSystem/challenge-figure"
# The allergy test kinds (clinical.diagnostics) have no one standard code each (a specific IgE's LOINC code depends
# on the allergen): a Stepwise code system names the kind, and LOINC is added only where one code is certain.
TEST_SYSTEM = "https://stepwise.invalid/fhir/CodeSystem/allergy-test"
XHTML = "http://www.w3.org/1999/xhtml"

# Challenges that may be exported: dosing over and the outcome confirmed by the allergist.
EXPORTABLE_STATUSES = (Status.COMPLETED, Status.STOPPED)

# SNOMED CT 252521006 |Oral provocation test (procedure)| (International Edition; its child "Gastrointestinal food
# challenge" is narrower than a skin or respiratory-symptom challenge): docs/clinical-sources.md §14.
CHALLENGE_PROCEDURE = ("252521006", "Oral provocation test")

# Checklist item -> SNOMED CT clinical finding, only where the code was confirmed in public sources. The PRACTALL
# item "Urticaria/angioedema" is scored on hives first (docs/clinical-sources.md §3.1), so it is coded as urticaria;
# likewise "Vomiting/diarrhoea" as vomiting. Items left out (flushing, oral, nausea/abdominal pain, sneezing,
# laryngeal, cardiovascular, behaviour, brain fog) go as text only.
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
# A patient's own medicines (patients.MedicationRoute): eye drops and injections go as text only.
MEDICATION_ROUTE_CODES: dict[str, tuple[str, str]] = {
    MedicationRoute.ORAL: ORAL_ROUTE,
    MedicationRoute.NASAL: ROUTE_CODES["nasal"],
    MedicationRoute.SKIN: ROUTE_CODES["topical"],
    MedicationRoute.INHALED: ROUTE_CODES["inhaled"],
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
    codings: tuple[tuple[str, str], ...]  # LOINC (code, display); the first is the one the R4 profile requires
    unit: str  # UCUM
    category: str


# R4 vital-signs profiles (hl7.org/fhir/R4/observation-vitalsigns.html): SpO2 is 2708-6 (the oxygensat profile), with
# the pulse-oximetry code 59408-5 as a second coding (as US Core sends it); interop review defect 4.
VITAL_CODES: tuple[VitalCode, ...] = (
    VitalCode("heart_rate", (("8867-4", "Heart rate"),), "/min", "vital-signs"),
    VitalCode("resp_rate", (("9279-1", "Respiratory rate"),), "/min", "vital-signs"),
    VitalCode(
        "spo2",
        (
            ("2708-6", "Oxygen saturation in Arterial blood"),
            ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),
        ),
        "%",
        "vital-signs",
    ),
    VitalCode("temperature_c", (("8310-5", "Body temperature"),), "Cel", "vital-signs"),
    VitalCode(
        "pef",
        (("19935-6", "Maximum expiratory gas flow Respiratory system airway by Peak flow meter"),),
        "L/min",
        "exam",
    ),
)
BLOOD_PRESSURE = ("85354-9", "Blood pressure panel with all children optional")
SYSTOLIC = ("8480-6", "Systolic blood pressure")
DIASTOLIC = ("8462-4", "Diastolic blood pressure")


# Allergy test results (patients.DiagnosticResult). LOINC only where the code is certain: 21582-2 is serum total
# tryptase in the ImmunoCAP laboratories' catalogues (docs/clinical-sources.md §14). A specific IgE, a component and
# a skin-prick wheal go with the Stepwise code of their kind and the allergen as text: each allergen has its own LOINC
# code, and none is guessed from free text.
TEST_LOINC: dict[str, tuple[str, str]] = {
    diagnostics.TRYPTASE: ("21582-2", "Tryptase [Mass/volume] in Serum or Plasma"),
}
# The kinds' fixed units (clinical.diagnostics.KINDS) in UCUM: kU/L of IgE is kilo-international units per litre.
TEST_UCUM = {"kU/L": "k[IU]/L", "mm": "mm", "ng/mL": "ng/mL"}
# A laboratory result below the assay's range is entered as 0 (docs/clinical-sources.md §15.2): it goes as "<" the
# lowest reportable value, never as a measured 0. A wheal of 0 mm is a real (negative) reading.
TEST_BELOW_RANGE = {
    diagnostics.SPECIFIC_IGE: Decimal("0.1"),
    diagnostics.COMPONENT_IGE: Decimal("0.1"),
    diagnostics.TRYPTASE: Decimal("1"),
}


def is_exportable(challenge: Challenge) -> bool:
    """Dosing over and the outcome confirmed: only then do the figures and the allergy status mean anything."""
    return bool(challenge.outcome) and challenge.status in EXPORTABLE_STATUSES and not challenge.entered_in_error


def is_withdrawn(challenge: Challenge) -> bool:
    """A challenge entered in error that could have been exported before: it is sent again, marked entered in error
    under the same ids, so a receiver that imported it learns it is void (never silently left out)."""
    return bool(challenge.outcome) and challenge.status in EXPORTABLE_STATUSES and challenge.entered_in_error


def reaction_severity(scale: str, grade: str) -> str | None:
    """FHIR reaction severity (mild | moderate | severe) from the confirmed grade; None if no reaction or unknown.

    Brown 2004 is already mild/moderate/severe (docs/clinical-sources.md §4.2). WAO 2010 (4.3): grade 1 (one organ
    system) is mild, 2 (several systems, GI, asthma responding) moderate, 3-5 severe. Sampson 2003 (4.1): 1-2 mild,
    3 moderate, 4-5 severe (wheeze, hypotension, impending doom and worse). The WAO and Sampson mappings are our
    judgement.
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


# --- the bundles --------------------------------------------------------------------------------------------


def challenge_bundle(
    state: RunState,
    *,
    history: Sequence[RunState] = (),
    diagnostics: Iterable[DiagnosticResult] = (),
    now: datetime,
) -> JSON:
    """One completed challenge with its patient. `history`: the patient's other exportable challenges, so the
    allergy entry of this food states the latest confirmed result, as the patient bundle does. `diagnostics`: the
    patient's allergy test results; those that bear on the challenged food go too (as on the report).

    A challenge entered in error goes too, withdrawn: its resources marked entered in error under the same ids, and
    the allergy entry of its food stated again from the other challenges (or withdrawn when nothing else holds it)."""
    challenge = state.challenge
    withdrawn = is_withdrawn(challenge)
    if not withdrawn:
        _require_exportable(challenge)
    builder = _Builder(challenge.patient)
    key = _substance(challenge.protocol.food).key
    builder.challenge(state, withdrawn=withdrawn)
    others = [s for s in history if s.challenge.pk != challenge.pk and is_exportable(s.challenge)]
    mine = [s for s in ([] if withdrawn else [state]) + others if _substance(s.challenge.protocol.food).key == key]
    named = [t for t in challenge.patient.triggers.all() if _substance(challenge.protocol.food).named_in(t.substance)]
    builder.allergies(mine, triggers=named, withdrawn=[state] if withdrawn else [])
    for result in diagnostics:
        if _bears_on(result, challenge.protocol.food):
            builder.add(_test_result(builder, result))
    return builder.bundle(now)


def patient_bundle(
    patient: Patient,
    states: Sequence[RunState],
    *,
    withdrawn: Sequence[RunState] = (),
    triggers: Iterable[Trigger] = (),
    medications: Iterable[Medication] = (),
    diagnostics: Iterable[DiagnosticResult] = (),
    now: datetime,
) -> JSON:
    """The patient, every given completed challenge, one allergy entry per substance (challenged or a known
    trigger), the patient's medicines (those taken now as active; stopped or entered in error ones with that
    status, so a receiving system's copy from an earlier export is updated) and allergy test results.

    `withdrawn`: the patient's challenges entered in error (is_withdrawn), sent marked entered in error."""
    for state in states:
        _require_exportable(state.challenge)
    for state in withdrawn:
        if not is_withdrawn(state.challenge):
            raise ValueError(f"Challenge {state.challenge.pk} is not a withdrawn challenge.")
    builder = _Builder(patient)
    for state in states:
        builder.challenge(state)
    for state in withdrawn:
        builder.challenge(state, withdrawn=True)
    builder.allergies(states, triggers=list(triggers), withdrawn=withdrawn)
    today = now.astimezone(patient.clinic.tzinfo).date()
    for medication in medications:
        builder.add(_medication_statement(builder, medication, today))
    for result in diagnostics:
        builder.add(_test_result(builder, result))
    return builder.bundle(now)


def _require_exportable(challenge: Challenge) -> None:
    if not is_exportable(challenge):
        raise ValueError(f"Challenge {challenge.pk} has no confirmed outcome to export.")


class _Builder:
    """The entries of one bundle, each resource once, with the ids derived from the clinic's namespace."""

    def __init__(self, patient: Patient) -> None:
        self.clinic: Clinic = patient.clinic
        self.tz: tzinfo = self.clinic.tzinfo
        self.entries: dict[str, JSON] = {}
        self.organization = self.add(_organization(self))
        self.patient = self.add(_patient(self, patient))

    def id(self, *parts: object) -> str:
        """The stable id of a record: uuid5 of the clinic's namespace and the record's kind and key."""
        return str(uuid.uuid5(self.clinic.fhir_namespace, "/".join(str(p) for p in parts)))

    def add(self, resource: JSON) -> JSON:
        """Add a resource (once) and return a reference to it."""
        self.entries.setdefault(resource["id"], resource)
        return {"reference": f"urn:uuid:{resource['id']}"}

    def practitioner(self, user: User | None) -> JSON | None:
        return None if user is None else self.add(_practitioner(self, user))

    def challenge(self, state: RunState, *, withdrawn: bool = False) -> None:
        """The challenge's Procedure and the records made in it. A vital sign or treatment entered in error goes
        marked so (an earlier export may hold it); with `withdrawn`, every resource of the challenge does."""
        challenge = state.challenge
        void = _withdrawal(challenge) if withdrawn else ""
        procedure = self.add(_withdrawn(_procedure(self, challenge), void))
        for resource in _figures(self, state, procedure):
            self.add(_withdrawn(resource, void))
        for vitals in challenge.vitals.all():
            for resource in _vitals(self, vitals, procedure):
                self.add(_withdrawn(resource, void or _withdrawal(vitals)))
        for treatment in challenge.treatments.all():
            resource = _medication_administration(self, treatment, procedure)
            self.add(_withdrawn(resource, void or _withdrawal(treatment)))

    def allergies(
        self, states: Sequence[RunState], *, triggers: Sequence[Trigger], withdrawn: Sequence[RunState] = ()
    ) -> None:
        """One AllergyIntolerance per substance: the challenges of it and the known triggers that name it.

        The entry of a substance whose only challenges were `withdrawn` (entered in error) keeps its id while a
        known trigger still names the substance, and is withdrawn itself when nothing holds it any more."""
        groups: dict[str, _Allergy] = {}
        for state in states:
            substance = _substance(state.challenge.protocol.food)
            groups.setdefault(substance.key, _Allergy(substance)).states.append(state)
        orphans: dict[str, tuple[_Substance, RunState]] = {}
        for state in withdrawn:
            substance = _substance(state.challenge.protocol.food)
            if substance.key not in groups:
                orphans.setdefault(substance.key, (substance, state))
        for trigger in triggers:
            standalone = _trigger_substance(trigger).key
            match = _group_for(trigger, groups, [substance for substance, _ in orphans.values()])
            if trigger.entered_in_error or match is not None:
                # An earlier export may have sent this trigger as an entry of its own: that entry is withdrawn, as
                # now entered in error or part of its substance's entry (one entry per substance, no duplicate).
                # Withdrawn, not deleted: it is put again marked entered in error, so the receiver keeps the record
                # of what it was once told (clinical records are never deleted, here or there).
                self.add(_withdrawn_trigger(self, standalone, trigger, merged=match is not None))
            if trigger.entered_in_error:
                continue
            if match is None:
                match = groups.setdefault(standalone, _Allergy(_trigger_substance(trigger)))
            match.triggers.append(trigger)
        for group in groups.values():
            self.add(_allergy(self, group))
        for key, (substance, state) in orphans.items():
            if key not in groups:
                self.add(_withdrawn_allergy(self, key, substance.text, _orphan_reason(self, state)))

    def bundle(self, now: datetime) -> JSON:
        return {
            "resourceType": "Bundle",
            "identifier": {"system": URI, "value": f"urn:uuid:{uuid.uuid4()}"},
            "type": "transaction",
            "timestamp": _dt(now, self.tz),
            "entry": [_entry(resource) for resource in self.entries.values()],
        }


def _group_for(trigger: Trigger, groups: dict[str, _Allergy], orphans: Sequence[_Substance]) -> _Allergy | None:
    """The entry a known trigger belongs to: a challenged substance it names, else (a trigger that stands) one whose
    challenges were all withdrawn, so that entry keeps its id; None when it stands alone."""
    match = next((g for g in groups.values() if g.substance.named_in(trigger.substance)), None)
    if match is None and not trigger.entered_in_error:
        orphan = next((sub for sub in orphans if sub.named_in(trigger.substance)), None)
        if orphan is not None:
            match = groups.setdefault(orphan.key, _Allergy(orphan))
    return match


def _entry(resource: JSON) -> JSON:
    """A transaction entry: the clinic's own records are put by id; people and the clinic are matched first."""
    kind, rid = resource["resourceType"], resource["id"]
    request: JSON = {"method": "PUT", "url": f"{kind}/{rid}"}
    if kind in ("Patient", "Organization", "Practitioner"):
        first = resource["identifier"][0]
        search = f"identifier={quote(first['system'], safe=':/')}|{quote(first['value'], safe=':/')}"
        request = {"method": "POST", "url": kind, "ifNoneExist": search}
    return {"fullUrl": f"urn:uuid:{rid}", "resource": resource, "request": request}


# --- who ------------------------------------------------------------------------------------------------------


def _organization(b: _Builder) -> JSON:
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
    return _narrated(resource, f"Clinic: {clinic.name}")


def _patient(b: _Builder, patient: Patient) -> JSON:
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
    born = _day(patient.date_of_birth)
    return _narrated(resource, f"{patient.full_name}, born {born}, MRN {patient.mrn}")


def _practitioner(b: _Builder, user: User) -> JSON:
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
    return _narrated(resource, f"{role}: {user.display_name}")


# --- the challenge ----------------------------------------------------------------------------------------------


def _procedure(b: _Builder, challenge: Challenge) -> JSON:
    doses = [d for d in challenge.doses.all() if not d.entered_in_error]
    kind = KINDS[challenge.protocol.kind].label
    food = str(challenge.protocol.food)
    performers = [{"actor": ref} for ref in (b.practitioner(challenge.allergist), b.practitioner(challenge.nurse))]
    resource: JSON = {
        "resourceType": "Procedure",
        "id": b.id("Procedure", challenge.pk),
        "identifier": [],
        "status": "stopped" if challenge.status == Status.STOPPED else "completed",
        "code": {"coding": [_coding(SNOMED, *CHALLENGE_PROCEDURE)], "text": f"{kind}: {food}"},
        "subject": b.patient,
        "performer": [p for p in performers if p["actor"] is not None],
        "outcome": {"text": f"{challenge.get_outcome_display()}: {challenge.outcome_reason}"},
        "note": [{"text": f"Protocol: {challenge.protocol}."}],
    }
    if doses:
        resource["performedPeriod"] = {"start": _dt(doses[0].given_at, b.tz), "end": _dt(doses[-1].given_at, b.tz)}
    if challenge.indication:
        resource["reasonCode"] = [{"text": challenge.indication}]
    follow_up = _follow_up(challenge)
    if follow_up:
        resource["followUp"] = follow_up
    if challenge.discharge_notes:
        resource["note"].append({"text": challenge.discharge_notes})
    if challenge.outcome_under_review:
        resource["note"].append({"text": "A later finding re-opened this outcome for the allergist's review."})
    when = f", {_day(doses[0].given_at.astimezone(b.tz).date())}" if doses else ""
    advice = [f"Advice: {item['text']}" for item in follow_up]
    return _narrated(resource, f"{kind}: {food}{when}", f"Outcome: {resource['outcome']['text']}", *advice)


def _follow_up(challenge: Challenge) -> list[JSON]:
    """The discharge advice as Procedure.followUp, one text concept per item: the advice, then the structured
    items the clinician recorded (clinical.outcome.DischargeAdvice, R6; nothing unrecorded is sent as "no").

    Why followUp and not a CarePlan: followUp is the R4 Procedure's own element for the instructions given after
    it, so every receiver that imports the Procedure (an IPS procedure list, an EHR's history) shows it with the
    challenge it belongs to; a CarePlan would be a separate resource with a life of its own (active, completed)
    that Stepwise does not follow after discharge, and that allergy-list importers do not read."""
    items = [challenge.get_advice_display()] if challenge.advice else []
    follow_up_text = _day(challenge.follow_up_on) if challenge.follow_up_on else ""
    lines = discharge_advice_lines(
        challenge.discharge_advice,
        food_name=challenge.protocol.food.name,
        follow_up_text=follow_up_text,
        recorded_only=True,
    )
    items += [f"{label}: {text}" for label, text in lines]
    return [{"text": item} for item in items]


def _figures(b: _Builder, state: RunState, procedure: JSON) -> list[JSON]:
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


def _figure_observation(b: _Builder, challenge: Challenge, code: str, status: str, procedure: JSON) -> JSON:
    """A dose figure's Observation, under one id per challenge and figure, whether given or withdrawn."""
    return {
        "resourceType": "Observation",
        "id": b.id("Observation", "figure", challenge.pk, code),
        "status": status,
        "partOf": [procedure],
        "category": [_category("procedure", "Procedure")],
        "code": {"coding": [_coding(FIGURE_SYSTEM, code, FIGURES[code])], "text": FIGURES[code]},
        "subject": b.patient,
    }


def _withdrawn_figure(b: _Builder, challenge: Challenge, code: str, reason: str, procedure: JSON) -> JSON:
    """A dose figure no valid dose gives any more, under the id an earlier export gave it, status entered-in-error."""
    resource = _figure_observation(b, challenge, code, "entered-in-error", procedure)
    resource["note"] = [{"text": reason}]
    return _narrated(resource, f"{FIGURES[code]}: withdrawn", reason)


def _figure(
    b: _Builder, challenge: Challenge, code: str, value: Decimal, when: datetime | None, note: str, procedure: JSON
) -> JSON:
    resource = _figure_observation(b, challenge, code, "final", procedure)
    resource["valueQuantity"] = _quantity(value, "mg")
    resource["note"] = [{"text": note}]
    if when is not None:
        resource["effectiveDateTime"] = _dt(when, b.tz)
    return _narrated(resource, f"{FIGURES[code]}: {_amount(value)} mg", note)


def _vitals(b: _Builder, vitals: VitalSigns, procedure: JSON) -> list[JSON]:
    """One Observation per measured value. Blood pressure is the LOINC panel with both components; when only one of
    the two was measured it goes as its own Observation (the R4 bp profile needs both; interop review defect 5)."""
    base: JSON = {
        "resourceType": "Observation",
        "status": "final",
        "partOf": [procedure],
        "subject": b.patient,
        "effectiveDateTime": _dt(vitals.taken_at, b.tz),
        "note": [{"text": vitals.get_kind_display()}],
    }
    when = f"{vitals.get_kind_display()}, {_dt(vitals.taken_at, b.tz)}"
    resources = []
    if vitals.systolic is not None and vitals.diastolic is not None:
        components = [
            {"code": _codeable(LOINC, *code), "valueQuantity": _quantity(value, "mm[Hg]")}
            for code, value in ((SYSTOLIC, vitals.systolic), (DIASTOLIC, vitals.diastolic))
        ]
        panel = {
            **base,
            "id": b.id("Observation", "vitals", vitals.pk, BLOOD_PRESSURE[0]),
            "category": [_category("vital-signs", "Vital Signs")],
            "code": _codeable(LOINC, *BLOOD_PRESSURE),
            "component": components,
        }
        resources.append(_narrated(panel, f"Blood pressure {vitals.systolic}/{vitals.diastolic} mmHg", when))
    else:
        for code, value in ((SYSTOLIC, vitals.systolic), (DIASTOLIC, vitals.diastolic)):
            if value is not None:
                single = {
                    **base,
                    "id": b.id("Observation", "vitals", vitals.pk, code[0]),
                    "category": [_category("vital-signs", "Vital Signs")],
                    "code": _codeable(LOINC, *code),
                    "valueQuantity": _quantity(value, "mm[Hg]"),
                }
                resources.append(_narrated(single, f"{code[1]} {value} mmHg", when))
    for spec in VITAL_CODES:
        value = getattr(vitals, spec.field)
        if value is not None:
            label = spec.codings[0][1]
            concept = {"coding": [_coding(LOINC, *coding) for coding in spec.codings], "text": label}
            observation = {
                **base,
                "id": b.id("Observation", "vitals", vitals.pk, spec.codings[0][0]),
                "category": [_category(*_CATEGORY_NAMES[spec.category])],
                "code": concept,
                "valueQuantity": _quantity(value, spec.unit),
            }
            resources.append(_narrated(observation, f"{label}: {_amount(value)} {spec.unit}", when))
    return resources


_CATEGORY_NAMES = {"vital-signs": ("vital-signs", "Vital Signs"), "exam": ("exam", "Exam")}


def _medication_administration(b: _Builder, treatment: Treatment, procedure: JSON) -> JSON:
    reason = "Premedication" if treatment.kind == TreatmentKind.PREMEDICATION else "Treatment of the reaction"
    route: JSON = {"text": treatment.get_route_display()}
    if treatment.route in ROUTE_CODES:
        route = {**_codeable(SNOMED, *ROUTE_CODES[treatment.route]), "text": treatment.get_route_display()}
    resource: JSON = {
        "resourceType": "MedicationAdministration",
        "id": b.id("MedicationAdministration", treatment.pk),
        "status": "completed",
        "partOf": [procedure],
        "medicationCodeableConcept": {"text": treatment.drug},
        "subject": b.patient,
        "effectiveDateTime": _dt(treatment.given_at, b.tz),
        "reasonCode": [{"text": f"{reason} ({treatment.get_kind_display()})"}],
        "dosage": _dosage(treatment.dose, route),
    }
    if treatment.notes:
        resource["note"] = [{"text": treatment.notes}]
    summary = f"{treatment.drug} {treatment.dose}, {treatment.get_route_display()}"
    return _narrated(resource, summary, f"Given {_dt(treatment.given_at, b.tz)}: {reason.lower()}")


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
    return {"value": _number(quantity.value), "unit": quantity.unit, "system": UCUM, "code": quantity.ucum}


# --- the patient's medicines ------------------------------------------------------------------------------------


def _medication_status(medication: Medication, today: date) -> str:
    """active, or stopped / entered-in-error: sent too, so an earlier export's statement is updated, not left on."""
    if medication.entered_in_error:
        return "entered-in-error"
    if medication.stopped_on is not None and medication.stopped_on <= today:
        return "stopped"
    return "active"


def _medication_statement(b: _Builder, medication: Medication, today: date) -> JSON:
    text = " ".join(part for part in (medication.dose, medication.schedule) if part)
    dosage: JSON = {"text": text or medication.name, "route": {"text": medication.get_route_display()}}
    if medication.route in MEDICATION_ROUTE_CODES:
        route = MEDICATION_ROUTE_CODES[medication.route]
        dosage["route"] = {**_codeable(SNOMED, *route), "text": medication.get_route_display()}
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
        "dateAsserted": _dt(medication.created_at, b.tz),
        "informationSource": b.organization,
        "dosage": [dosage],
        "note": [{"text": f"Class: {medication.get_med_class_display()}."}],
    }
    if medication.stopped_on is not None:
        resource["effectivePeriod"] = {"end": medication.stopped_on.isoformat()}
    headline = f"{medication.name} {text} ({resource['status']})"
    return _narrated(resource, headline, f"Class: {medication.get_med_class_display()}")


# --- allergy test results ----------------------------------------------------------------------------------------


def _test_result(b: _Builder, result: DiagnosticResult) -> JSON:
    """One allergy test result (patients.DiagnosticResult) as an Observation: the kind in the Stepwise code system,
    LOINC where certain (TEST_LOINC), the allergen or component as text, the value in UCUM, the day taken. One
    entered in error goes marked so, under the same id."""
    kind = diagnostics.KINDS[result.kind]
    label = f"{kind.label}: {result.subject}" if result.subject else kind.label
    codings = [_coding(TEST_SYSTEM, result.kind, kind.label)]
    if result.kind in TEST_LOINC:
        codings.append(_coding(LOINC, *TEST_LOINC[result.kind]))
    quantity: JSON = {
        "value": _number(result.value),
        "unit": kind.unit,
        "system": UCUM,
        "code": TEST_UCUM[kind.unit],
    }
    value_text = result.value_text
    floor = TEST_BELOW_RANGE.get(result.kind)
    if floor is not None and result.value == 0:
        quantity = {**quantity, "value": _number(floor), "comparator": "<"}
        value_text = f"below {format_quantity(floor, kind.unit)}"
    category = ("procedure", "Procedure") if result.kind == diagnostics.SKIN_PRICK else ("laboratory", "Laboratory")
    resource: JSON = {
        "resourceType": "Observation",
        "id": b.id("Observation", "test", result.pk),
        "status": "final",
        "category": [_category(*category)],
        "code": {"coding": codings, "text": label},
        "subject": b.patient,
        "effectiveDateTime": result.taken_on.isoformat(),
        "valueQuantity": quantity,
    }
    narrated = _narrated(resource, f"{label}: {value_text}", f"Taken {_day(result.taken_on)}")
    return _withdrawn(narrated, _withdrawal(result))


def _bears_on(result: DiagnosticResult, food: Food) -> bool:
    """The results the challenge report shows for this food (clinical.diagnostics.is_relevant), and those of them
    entered in error, so a withdrawal reaches a receiver that has only the challenge's bundle."""
    terms = (food.name, str(AllergenGroup(food.allergen_group).label))
    group = food.allergen_group
    return diagnostics.is_relevant(
        kind=result.kind, allergen=result.allergen, component=result.component, food_terms=terms, group=group
    )


# --- allergies ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Substance:
    """What one allergy entry is about: a SNOMED CT substance when the food has one, else the food itself."""

    key: str
    text: str
    coding: JSON | None = None
    terms: tuple[str, ...] = ()  # folded words a known trigger may name it by
    other_group: bool = False  # an MCAS trigger food (allergen group "other")

    def named_in(self, trigger_text: str) -> bool:
        folded = fold(trigger_text)
        return any(re.search(rf"\b{re.escape(term)}s?\b", folded) for term in self.terms if term)


def _substance(food: Food) -> _Substance:
    other = food.allergen_group == AllergenGroup.OTHER
    group_label = "" if other else fold(str(AllergenGroup(food.allergen_group).label))
    terms = (fold(food.name), fold(food.snomed_display), group_label)
    if food.snomed_code:
        coding = _coding(SNOMED, food.snomed_code, food.snomed_display or food.name)
        return _Substance(f"snomed/{food.snomed_code}", food.snomed_display or food.name, coding, terms, other)
    return _Substance(f"food/{fold(str(food))}", str(food), None, terms, other)


def _trigger_substance(trigger: Trigger) -> _Substance:
    return _Substance(f"trigger/{trigger.pk}", trigger.substance)


@dataclass
class _Allergy:
    substance: _Substance
    states: list[RunState] = field(default_factory=list)
    triggers: list[Trigger] = field(default_factory=list)


def _allergy(b: _Builder, group: _Allergy) -> JSON:
    results = [(state, _result(state)) for state in group.states]
    status = allergy_status.status([result for _, result in results])
    failed = [state for state, result in results if result.outcome == Outcome.FAILED]
    resource: JSON = {
        "resourceType": "AllergyIntolerance",
        "id": b.id("AllergyIntolerance", group.substance.key),
        "identifier": [],
        "clinicalStatus": _status(CLINICAL_STATUS, status.clinical),
        "verificationStatus": _status(VERIFICATION_STATUS, status.verification),
        "category": ["food"],
        "code": _allergen_code(group),
        "patient": b.patient,
    }
    kind = _allergy_type(group)
    if kind:
        resource["type"] = kind
    severities = [reaction_severity(s.challenge.grade_scale, s.challenge.grade) or "" for s in failed]
    severities += [t.worst_reaction_severity for t in group.triggers] + [
        t.last_reaction_severity for t in group.triggers
    ]
    critical = allergy_status.criticality(
        clinical=status.clinical,
        worst_severity=allergy_status.worst(severities),
        anaphylaxis=any(s.anaphylaxis is not None and s.anaphylaxis.met for s in failed),
        adrenaline_given=any(_adrenaline_given(s.challenge) for s in failed),
    )
    if critical:
        resource["criticality"] = critical
    _occurrences(b, resource, group, failed)
    if status.basis is not None:
        basis = next(state for state, result in results if result is status.basis)
        resource["recordedDate"] = _dt(status.basis.confirmed_at, b.tz)
        recorder = b.practitioner(basis.challenge.grade_confirmed_by or basis.challenge.allergist)
        if recorder is not None:
            resource["recorder"] = recorder
    reactions = [r for r in (_reaction(b, s) for s in failed) if r is not None]
    if reactions:
        resource["reaction"] = reactions
    notes = [_result_note(b, state) for state, _ in sorted(results, key=lambda pair: pair[1].confirmed_at)]
    notes += [_trigger_note(t) for t in group.triggers]
    resource["note"] = [{"text": note} for note in notes]
    statuses = f"{status.clinical}, {status.verification}"
    return _narrated(resource, f"Food allergy: {group.substance.text} ({statuses})", *notes)


def _withdrawn_trigger(b: _Builder, key: str, trigger: Trigger, *, merged: bool) -> JSON:
    """A trigger's own allergy entry from an earlier export, withdrawn (merged into its substance's entry, or the
    trigger entered in error)."""
    reason = (
        f"Withdrawn: {trigger.substance} is now recorded in the allergy entry of its substance."
        if merged
        else f"Withdrawn: the known trigger {trigger.substance} was entered in error."
    )
    return _withdrawn_allergy(b, key, trigger.substance, reason)


def _withdrawn_allergy(b: _Builder, key: str, text: str, reason: str) -> JSON:
    """An allergy entry from an earlier export, withdrawn: verification "entered-in-error" and no clinical status
    (FHIR ait-2), with the reason. Put again, never deleted: the receiver keeps the record of what it was told."""
    resource: JSON = {
        "resourceType": "AllergyIntolerance",
        "id": b.id("AllergyIntolerance", key),
        "identifier": [],
        "verificationStatus": _status(VERIFICATION_STATUS, "entered-in-error"),
        "category": ["food"],
        "code": {"text": text},
        "patient": b.patient,
        "note": [{"text": reason}],
    }
    return _narrated(resource, f"Entered in error: {text}", reason)


def _orphan_reason(b: _Builder, state: RunState) -> str:
    challenge = state.challenge
    kind = KINDS[challenge.protocol.kind].label
    day = _day(_result(state).confirmed_at.astimezone(b.tz).date())
    return (
        f"Withdrawn: the only challenge this entry rested on ({kind}, {challenge.protocol.food}, {day}) was entered "
        f"in error: {challenge.entered_in_error_reason}"
    )


# --- withdrawn records -------------------------------------------------------------------------------------------


def _withdrawal(record: Challenge | VitalSigns | Treatment | DiagnosticResult) -> str:
    """Why a record is void, for its resources' note and narrative; "" for a record that stands."""
    if not record.entered_in_error:
        return ""
    return f"Entered in error: {record.entered_in_error_reason}".strip()


def _withdrawn(resource: JSON, reason: str) -> JSON:
    """The resource as it was exported, with status entered-in-error (Procedure, Observation and
    MedicationAdministration all have that status in R4), the reason as a note and first in the narrative."""
    if not reason:
        return resource
    resource["status"] = "entered-in-error"
    resource["note"] = [{"text": reason}, *resource.get("note", [])]
    opening = f'<div xmlns="{XHTML}">'
    div = resource["text"]["div"]
    resource["text"]["div"] = f"{opening}<p><b>{escape(reason)}</b></p>{div[len(opening) :]}"
    return resource


def _result(state: RunState) -> allergy_status.Result:
    challenge = state.challenge
    food = challenge.protocol.food
    # The outcome event is always written with the outcome; a challenge without one sorts by its booking.
    confirmed_at = _outcome_confirmed_at(challenge) or challenge.signed_at or challenge.scheduled_at
    partial = is_partial_form(allergen=food.allergen_group, processing=food.processing)
    return allergy_status.Result(confirmed_at, challenge.outcome, partial)


def _allergen_code(group: _Allergy) -> JSON:
    """The substance coded when known, with the exact food (or the trigger's words) kept as text."""
    foods = sorted({str(s.challenge.protocol.food) for s in group.states})
    text = "; ".join(foods) if foods else group.substance.text
    if group.substance.coding is not None:
        return {"coding": [group.substance.coding], "text": text}
    return {"text": text}


def _allergy_type(group: _Allergy) -> str | None:
    """allergy (immune-mediated, IgE or not) | intolerance (an MCAS trigger); None when not known."""
    kinds = {t.reaction_type for t in group.triggers}
    if kinds & {ReactionType.IGE, ReactionType.NON_IGE} or (group.states and not group.substance.other_group):
        return "allergy"
    if ReactionType.MCAS in kinds:
        return "intolerance"
    return None


def _occurrences(b: _Builder, resource: JSON, group: _Allergy, failed: Sequence[RunState]) -> None:
    """onset: the first reaction known (a failed challenge or a trigger's history); lastOccurrence: the latest."""
    moments: list[str] = [_dt(s.result.first_symptom_at, b.tz) for s in failed if s.result.first_symptom_at is not None]
    for trigger in group.triggers:
        moments += [d.isoformat() for d in (trigger.worst_reaction_on, trigger.last_reaction_on) if d is not None]
    if moments:
        # Compare on the date and time as written: every time here carries the clinic's offset, dates sort first.
        ordered = sorted(moments, key=lambda m: (m[:10], m))
        resource["onsetDateTime"] = ordered[0]
        resource["lastOccurrence"] = ordered[-1]


def _adrenaline_given(challenge: Challenge) -> bool:
    return any(t.kind == TreatmentKind.ADRENALINE and not t.entered_in_error for t in challenge.treatments.all())


def _result_note(b: _Builder, state: RunState) -> str:
    challenge = state.challenge
    kind = KINDS[challenge.protocol.kind].label
    confirmed = _result(state).confirmed_at.astimezone(b.tz).date()
    note = f"{kind}, {challenge.protocol.food}, {_day(confirmed)}: {challenge.get_outcome_display()}."
    if state.form_advice:
        note += f" {state.form_advice}"
    return note


def _trigger_note(trigger: Trigger) -> str:
    parts = [f"Known trigger: {trigger.substance} ({trigger.get_reaction_type_display()})"]
    if trigger.worst_reaction_severity:
        worst_on = f" on {_day(trigger.worst_reaction_on)}" if trigger.worst_reaction_on else ""
        parts.append(f"worst reaction {trigger.get_worst_reaction_severity_display().lower()}{worst_on}")
    if trigger.notes:
        parts.append(trigger.notes)
    return "; ".join(parts) + "."


def _reaction(b: _Builder, state: RunState) -> JSON | None:
    """A failed challenge's reaction: one manifestation per checklist item seen after the first dose, worst first."""
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
    food = str(challenge.protocol.food)
    reaction: JSON = {
        "substance": _allergen_code(_Allergy(_substance(challenge.protocol.food), [state])),
        "manifestation": [_manifestation(code) for code in worst],
        "description": f"{food}: " + "; ".join(_finding_text(c, worst[c], notes.get(c, [])) for c in worst),
        "exposureRoute": _codeable(SNOMED, *ORAL_ROUTE),
    }
    if state.result.first_symptom_at is not None:
        reaction["onset"] = _dt(state.result.first_symptom_at, b.tz)
    severity = reaction_severity(challenge.grade_scale, challenge.grade)
    if severity:
        reaction["severity"] = severity
    return reaction


def _manifestation(item_code: str) -> JSON:
    label = ITEMS[item_code].label if item_code in ITEMS else item_code
    if item_code in MANIFESTATION_CODES:
        code, display = MANIFESTATION_CODES[item_code]
        return {"coding": [_coding(SNOMED, code, display)], "text": label}
    return {"text": label}


def _finding_text(item_code: str, severity: int, notes: list[str]) -> str:
    label = ITEMS[item_code].label if item_code in ITEMS else item_code
    text = f"{label}: {SEVERITY_LABELS[severity]}"
    return f"{text} ({'; '.join(notes)})" if notes else text


# --- small helpers ------------------------------------------------------------------------------------------


def _narrated(resource: JSON, headline: str, *details: str) -> JSON:
    """Add the generated narrative (dom-6) and the business identifier derived from the id, where the resource takes
    one. Every piece of text is escaped, so a name such as "<b>Zoë & co" stays text."""
    if not resource.get("identifier"):
        resource["identifier"] = [{"system": URI, "value": f"urn:uuid:{resource['id']}"}]
    lines = "".join(f"<p>{escape(line)}</p>" for line in details if line)
    div = f'<div xmlns="{XHTML}"><p><b>{escape(headline)}</b></p>{lines}</div>'
    ordered = {"resourceType": resource.pop("resourceType"), "id": resource.pop("id")}
    return {**ordered, "text": {"status": "generated", "div": div}, **resource}


def _dt(moment: datetime, tz: tzinfo) -> str:
    """FHIR dateTime in the clinic's local time, with its offset (FHIR requires a zone when a time is given)."""
    return moment.astimezone(tz).isoformat(timespec="seconds")


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _status(system: str, code: str) -> JSON:
    return {"coding": [{"system": system, "code": code}]}


def _coding(system: str, code: str, display: str) -> JSON:
    return {"system": system, "code": code, "display": display}


def _codeable(system: str, code: str, display: str) -> JSON:
    return {"coding": [_coding(system, code, display)], "text": display}


def _category(code: str, display: str) -> JSON:
    return {"coding": [_coding(OBSERVATION_CATEGORY, code, display)]}


def _quantity(value: Decimal | int, unit: str) -> JSON:
    return {"value": _number(value), "unit": unit, "system": UCUM, "code": unit}


def _number(value: Decimal | int) -> int | float:
    """JSON has no Decimal; whole values go as integers, others as floats (stored with at most 3 decimals)."""
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def _amount(value: Decimal | int) -> str:
    """As the app writes amounts: "0.5", never ".5"; "5", never "5.0"."""
    return str(_number(value))


def _outcome_confirmed_at(challenge: Challenge) -> datetime | None:
    """When the allergist last confirmed the outcome (the "outcome" event), from the prefetched events."""
    times = [e.at for e in challenge.events.all() if e.kind == "outcome"]
    return max(times) if times else None
