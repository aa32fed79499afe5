"""Demo clinics, people and patients for `manage.py load_demo`. Idempotent: keyed by natural keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings

from clinics.models import Clinic, Role, User
from patients.models import Medication, MedicationClass, Patient, ReactionType, Severity, Trigger


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    clinic: str
    note: str = ""
    preparer: bool = False  # prepares blinded doses: sees the placebo key (clinics.User.can_prepare_blinded)


NORTHSIDE = "Northside Allergy Clinic"
HARBOUR = "Harbour Children's Allergy Service"

CLINICS = {
    NORTHSIDE: {"time_zone": "Europe/London", "address": "12 Elm Row, Leeds LS1 4AB", "phone": "+44 113 496 0000"},
    HARBOUR: {"time_zone": "Australia/Sydney", "address": "3 Quay Street, Sydney NSW 2000", "phone": "+61 2 5550 1234"},
}

LOGINS = (
    DemoLogin("allergist", Role.ALLERGIST, NORTHSIDE, "Dr Amira Okafor"),
    DemoLogin("nurse", Role.NURSE, NORTHSIDE, "Sam Lee"),
    DemoLogin("patient", Role.PATIENT, NORTHSIDE, "Zoë Ångström-Nguyễn"),
    DemoLogin("other-nurse", Role.NURSE, HARBOUR, "Priya Raman"),
    DemoLogin("other-allergist", Role.ALLERGIST, HARBOUR, "Dr Tomás Ferreira"),
    DemoLogin("preparer", Role.NURSE, NORTHSIDE, "Noor Haddad", preparer=True),
)

PATIENTS = (
    {
        "clinic": NORTHSIDE,
        "mrn": "NS-1001",
        "given_name": "Zoë",
        "family_name": "Ångström-Nguyễn",
        "date_of_birth": date(1991, 4, 17),
        "sex": "female",
        "weight_kg": Decimal("61.5"),
        "weight_measured_on": date(2026, 10, 2),
        "conditions": ["mcas", "asthma"],
        "autoinjector_dose": "0.3",
        "emergency_contact_name": "Linh Nguyễn",
        "emergency_contact_phone": "+44 7700 900123",
        "emergency_plan_notes": "Adrenaline 0.3 mg IM at the first sign of breathing difficulty, then call 999.",
        "login": "patient",
        "triggers": [
            (
                "Dairy (cow's milk)",
                ReactionType.MCAS,
                Severity.MODERATE,
                "Flushing, tachycardia and brain fog after cheesecake.",
            ),
            ("Corn", ReactionType.MCAS, Severity.MILD, "Hives and itch."),
            ("Soy", ReactionType.MCAS, Severity.MODERATE, "Abdominal pain and flushing."),
        ],
        "medications": [
            (
                "Cromolyn sodium (oral)",
                "200 mg",
                "four times a day, 30 min before meals",
                MedicationClass.MAST_CELL_STABILISER,
            ),
            ("Cetirizine", "10 mg", "twice daily", MedicationClass.H1_ANTIHISTAMINE),
            ("Famotidine", "20 mg", "twice daily", MedicationClass.H2_BLOCKER),
        ],
    },
    {
        "clinic": NORTHSIDE,
        "mrn": "NS-1002",
        "given_name": "Oliver",
        "family_name": "Bennett",
        "date_of_birth": date(2019, 8, 3),
        "sex": "male",
        "weight_kg": Decimal("24.2"),
        "weight_measured_on": date(2026, 11, 2),
        "conditions": ["atopic_dermatitis"],
        "autoinjector_dose": "0.15",
        "emergency_contact_name": "Hannah Bennett",
        "emergency_contact_phone": "+44 7700 900456",
        "triggers": [("Peanut", ReactionType.IGE, Severity.MODERATE, "Hives and vomiting at age 2.")],
        "medications": [("Cetirizine", "5 mg", "once daily", MedicationClass.H1_ANTIHISTAMINE)],
    },
    {
        "clinic": NORTHSIDE,
        "mrn": "NS-1003",
        "given_name": "Aisha",
        "family_name": "Rahman",
        "date_of_birth": date(2016, 1, 22),
        "sex": "female",
        "weight_kg": Decimal("33"),
        "weight_measured_on": date(2026, 10, 20),
        "conditions": ["asthma"],
        "autoinjector_dose": "0.3",
        "emergency_contact_name": "Farah Rahman",
        "emergency_contact_phone": "+44 7700 900789",
        "triggers": [("Baked milk", ReactionType.IGE, Severity.MILD, "Tolerates traces; reacted to yogurt.")],
        "medications": [("Montelukast", "5 mg", "at night", MedicationClass.LEUKOTRIENE_ANTAGONIST)],
    },
    {
        "clinic": NORTHSIDE,
        "mrn": "NS-1004",
        "given_name": "Mateo",
        "family_name": "García López",
        "date_of_birth": date(2024, 2, 11),
        "sex": "male",
        "weight_kg": Decimal("11.8"),
        "weight_measured_on": date(2026, 11, 10),
        "conditions": ["fpies"],
        "autoinjector_dose": "",
        "emergency_contact_name": "Lucía López",
        "emergency_contact_phone": "+44 7700 900321",
        "triggers": [
            ("Egg", ReactionType.NON_IGE, Severity.SEVERE, "Repetitive vomiting and pallor 2 h after egg (FPIES).")
        ],
        "medications": [],
    },
    {
        "clinic": NORTHSIDE,
        "mrn": "NS-1005",
        "given_name": "Margaret",
        "family_name": "O'Sullivan",
        "date_of_birth": date(1958, 6, 30),
        "sex": "female",
        "weight_kg": Decimal("72.4"),
        "weight_measured_on": date(2026, 9, 14),
        "conditions": ["cardiovascular"],
        "autoinjector_dose": "0.3",
        "emergency_contact_name": "Declan O'Sullivan",
        "emergency_contact_phone": "+44 7700 900654",
        "triggers": [("Hen's egg", ReactionType.IGE, Severity.MILD, "Oral itch with scrambled egg.")],
        "medications": [("Bisoprolol", "2.5 mg", "once daily", MedicationClass.BETA_BLOCKER)],
    },
    {
        "clinic": NORTHSIDE,
        "mrn": "NS-1006",
        "given_name": "Samuel",
        "family_name": "Adeyemi",
        "date_of_birth": date(1998, 9, 14),
        "sex": "male",
        "weight_kg": Decimal("78"),
        "weight_measured_on": date(2026, 10, 1),
        "conditions": ["asthma"],
        "autoinjector_dose": "0.3",
        "emergency_contact_name": "Grace Adeyemi",
        "emergency_contact_phone": "+44 7700 900987",
        "triggers": [
            ("Peanut", ReactionType.IGE, Severity.MODERATE, "Lip swelling and vomiting at age 6; avoided since.")
        ],
        "medications": [("Budesonide/formoterol inhaler", "200/6 mcg", "twice daily", MedicationClass.OTHER)],
    },
    {
        "clinic": HARBOUR,
        "mrn": "HB-2001",
        "given_name": "Kōji",
        "family_name": "Watanabe",
        "date_of_birth": date(2015, 12, 5),
        "sex": "male",
        "weight_kg": Decimal("38.1"),
        "weight_measured_on": date(2026, 11, 1),
        "conditions": ["asthma", "allergic_rhinitis"],
        "autoinjector_dose": "0.3",
        "emergency_contact_name": "Yui Watanabe",
        "emergency_contact_phone": "+61 400 555 010",
        "triggers": [
            ("Cashew", ReactionType.IGE, Severity.ANAPHYLAXIS, "Wheeze and throat tightness, adrenaline given.")
        ],
        "medications": [("Fexofenadine", "120 mg", "once daily", MedicationClass.H1_ANTIHISTAMINE)],
    },
    {
        "clinic": HARBOUR,
        "mrn": "HB-2002",
        "given_name": "Ελένη",
        "family_name": "Παπαδοπούλου",
        "date_of_birth": date(2012, 3, 9),
        "sex": "female",
        "weight_kg": Decimal("45"),
        "weight_measured_on": date(2026, 10, 28),
        "conditions": [],
        "autoinjector_dose": "0.3",
        "emergency_contact_name": "Nikos Papadopoulos",
        "emergency_contact_phone": "+61 400 555 020",
        "triggers": [("Sesame", ReactionType.IGE, Severity.MODERATE, "Lip swelling and hives.")],
        "medications": [],
    },
)


def load_people() -> dict[str, User]:
    """Create the clinics, logins and patients that are missing; return the logins by username."""
    clinics = {name: Clinic.objects.get_or_create(name=name, defaults=fields)[0] for name, fields in CLINICS.items()}
    users = {login.username: _user(login, clinics[login.clinic]) for login in LOGINS}
    for spec in PATIENTS:
        _patient(dict(spec), clinics, users)
    return users


def _user(login: DemoLogin, clinic: Clinic) -> User:
    first, _space, last = login.note.rpartition(" ")
    user, created = User.objects.get_or_create(
        username=login.username,
        defaults={
            "role": login.role,
            "clinic": clinic,
            "first_name": first,
            "last_name": last,
            "can_prepare_blinded": login.preparer,
        },
    )
    if created:
        user.set_password(settings.STEPWISE_DEMO_PASSWORD)
        user.save()
    return user


def _patient(spec: dict, clinics: dict[str, Clinic], users: dict[str, User]) -> Patient:
    clinic = clinics[spec.pop("clinic")]
    triggers, medications = spec.pop("triggers"), spec.pop("medications")
    login = spec.pop("login", None)
    patient, created = Patient.objects.get_or_create(clinic=clinic, mrn=spec.pop("mrn"), defaults=spec)
    if login and patient.user_id is None:
        patient.user = users[login]
        patient.save()
    if created:
        for substance, reaction_type, severity, notes in triggers:
            Trigger.objects.create(
                patient=patient,
                substance=substance,
                reaction_type=reaction_type,
                worst_reaction_severity=severity,
                last_reaction_severity=severity,
                notes=notes,
            )
        for name, dose, schedule, med_class in medications:
            Medication.objects.create(patient=patient, name=name, dose=dose, schedule=schedule, med_class=med_class)
    return patient
