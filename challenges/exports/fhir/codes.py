"""The code systems and codes the FHIR export uses, each checked against public sources
(docs/clinical-sources.md §14); a concept with no confirmed code goes as text only."""

from __future__ import annotations

from dataclasses import dataclass

from clinical import diagnostics
from patients.models import MedicationRoute

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
