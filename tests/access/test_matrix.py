"""The access matrix: every URL of the project, requested by every member of the cast.

The expected answer for each URL and role is declared once, in EXPECTED. A URL added to the project without an
entry (and sample arguments) fails the test. Patient A's name carries a sentinel: it must appear in no response
to a user who may not see patient A.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from challenges.demo import CHECKS_PASSED
from challenges.home import services as home
from challenges.library.services.protocols import protocol_clone
from challenges.models import Protocol
from challenges.run import services as runs
from challenges.run.services import OutcomeInput
from clinics.models import Role
from patients.models import DiagnosticResult
from tests.factories import ClinicFactory, MedicationFactory, PatientFactory, TriggerFactory, UserFactory
from tests.helpers import second_checker

SENTINEL = "Zqxsentinel"
ROLES = ("anonymous", "patient_a", "patient_b", "nurse", "allergist", "other_nurse")
LOGIN, OK, NOT_FOUND, NOT_ALLOWED = 302, 200, 404, 405


def staff(ok: int = OK) -> dict[str, int]:
    """Clinic staff only; patients and the other clinic get 404 (the object's existence is not revealed)."""
    return {
        "anonymous": LOGIN,
        "patient_a": NOT_FOUND,
        "patient_b": NOT_FOUND,
        "nurse": ok,
        "allergist": ok,
        "other_nurse": NOT_FOUND,
    }


def staff_list() -> dict[str, int]:
    """A staff page with no object in its URL: the other clinic sees its own (empty) version."""
    return {**staff(), "other_nurse": OK}


def allergist_only(ok: int = OK) -> dict[str, int]:
    return {**staff(), "nurse": NOT_FOUND, "allergist": ok}


def patient_a_and_staff(ok: int = OK) -> dict[str, int]:
    return {**staff(ok), "patient_a": ok}


def post_only() -> dict[str, int]:
    """State-changing endpoints: a GET is refused before anything is looked up (so nothing leaks)."""
    return {role: (LOGIN if role == "anonymous" else NOT_ALLOWED) for role in ROLES}


EXPECTED: dict[str, dict[str, int]] = {
    "home": {"anonymous": LOGIN, "patient_a": 302, "patient_b": 302, "nurse": OK, "allergist": OK, "other_nurse": OK},
    "health": dict.fromkeys(ROLES, OK),
    "login": {"anonymous": OK, "patient_a": OK, "patient_b": OK, "nurse": OK, "allergist": OK, "other_nurse": OK},
    "logout": {**dict.fromkeys(ROLES, NOT_ALLOWED), "anonymous": LOGIN},  # sign-out is a POST
    "password_change": {**dict.fromkeys(ROLES, OK), "anonymous": LOGIN},
    "password_change_done": {**dict.fromkeys(ROLES, OK), "anonymous": LOGIN},
    # "Forgot password?" (issue 17): open to anyone; a wrong link answers "this link no longer works".
    "password_reset": dict.fromkeys(ROLES, OK),
    "password_reset_done": dict.fromkeys(ROLES, OK),
    "password_reset_confirm": dict.fromkeys(ROLES, OK),
    "password_reset_complete": dict.fromkeys(ROLES, OK),
    "mfa-setup": {**staff_list(), "patient_a": NOT_FOUND, "patient_b": NOT_FOUND},
    "mfa-verify": {**staff_list(), "nurse": 302, "allergist": 302, "other_nurse": 302},
    "patients:list": staff_list(),
    "patients:create": staff_list(),
    "patients:detail": patient_a_and_staff(),
    "patients:edit": staff(),
    "patients:history": staff(),
    "patients:trigger-create": staff(),
    "patients:trigger-edit": staff(),
    "patients:medication-create": staff(),
    "patients:medication-edit": staff(),
    "patients:patient-error": staff(),
    "patients:trigger-error": staff(),
    "patients:medication-error": staff(),
    "patients:diagnostic-create": staff(),
    "patients:diagnostic-error": staff(),
    "challenges:protocol-list": staff_list(),
    "challenges:protocol-create": {**staff_list(), "nurse": NOT_FOUND, "other_nurse": NOT_FOUND},
    # The builder's read-only dose-table previews: POST only, after the same access check as their pages.
    "challenges:protocol-create-preview": {
        **staff_list(),
        "nurse": NOT_FOUND,
        "other_nurse": NOT_FOUND,
        "allergist": NOT_ALLOWED,
    },
    "challenges:protocol-edit-preview": allergist_only(NOT_ALLOWED),
    "challenges:protocol-detail": staff(),
    "challenges:protocol-edit": allergist_only(),
    "challenges:protocol-clone": {**allergist_only(NOT_ALLOWED)},
    "challenges:food-list": staff_list(),
    "challenges:food-create": {**staff_list(), "nurse": NOT_FOUND, "other_nurse": NOT_FOUND},
    "challenges:food-edit": allergist_only(),
    "challenges:board": staff_list(),
    "challenges:board_fragment": staff_list(),
    "challenges:keepalive": post_only(),
    "challenges:schedule": staff(),
    "challenges:detail": staff(),
    "challenges:check-in": post_only(),
    "challenges:checks": staff(),
    "challenges:checks-override": post_only(),
    "challenges:washout-confirm": post_only(),
    "challenges:washout-override": post_only(),
    "challenges:medication-decide": post_only(),
    "challenges:washout-error": post_only(),
    "challenges:dose": post_only(),
    "challenges:food-lot": post_only(),
    "challenges:observation": post_only(),
    "challenges:vitals": post_only(),
    "challenges:treatment": post_only(),
    "challenges:adrenaline": post_only(),
    "challenges:decide": post_only(),
    "challenges:stop": post_only(),
    "challenges:cancel": post_only(),
    "challenges:challenge-error": post_only(),
    "challenges:finish-observation": post_only(),
    "challenges:symptoms-resolved": post_only(),
    "challenges:neutrophils": post_only(),
    "challenges:discharge": post_only(),
    "challenges:outcome": post_only(),
    "challenges:sign": post_only(),
    "challenges:unblind": post_only(),
    "challenges:blinded-verdict": post_only(),
    "challenges:addendum": post_only(),
    "challenges:dose-error": post_only(),
    "challenges:observation-error": post_only(),
    "challenges:vitals-error": post_only(),
    "challenges:treatment-error": post_only(),
    "challenges:home-attention": staff_list(),
    "challenges:home-plan": patient_a_and_staff(),
    "challenges:home-premedication": post_only(),
    "challenges:home-step": post_only(),
    "challenges:home-symptom": post_only(),
    "challenges:home-usual": post_only(),
    "challenges:home-correct": patient_a_and_staff(),
    "challenges:home-withdraw": post_only(),
    "challenges:home-release": post_only(),
    "challenges:home-change": allergist_only(),
    "challenges:follow-up": post_only(),
    "challenges:challenge-fhir": staff(),
    "challenges:patient-fhir": staff(),
    "challenges:plan-ics": patient_a_and_staff(),
    "challenges:calendar-link": patient_a_and_staff(),
    # The private calendar link needs no session: without a live secret it is 404 for everyone, signed in or not.
    "challenges:calendar-feed": dict.fromkeys(ROLES, NOT_FOUND),
    "challenges:exports": staff_list(),
    "challenges:export-doses": staff_list(),
    "challenges:export-observations": staff_list(),
    "challenges:report": staff(),
    "challenges:preparation-sheet": staff(),
    # The placebo key: only a preparer of blinded doses, only for a blinded challenge (this one is open: 404 for
    # all; tests/run/test_dbpcfc.py checks the preparer and the 403 for everyone else).
    "challenges:blinded-key": staff(NOT_FOUND),
    "challenges:home-plan-pdf": patient_a_and_staff(),
    "challenges:patient-summary": patient_a_and_staff(),
    "audit:event-list": {**staff_list(), "nurse": NOT_FOUND, "other_nurse": NOT_FOUND},
    # A clinic's outcomes (issue 21): its allergists only; no object in the URL, each clinic sees its own figures.
    "challenges:outcomes": allergist_only(),
    "challenges:outcomes-pdf": allergist_only(),
    "challenges:outcomes-csv": allergist_only(),
    "challenges:outcomes-research-csv": allergist_only(),
    "challenges:eliciting-doses": allergist_only(),
}

# URLs whose body may be another clinic's or an empty list: the sentinel must still be absent for outsiders.
OUTSIDERS = ("anonymous", "patient_b", "other_nurse")

# The positive control for that leak check: pages of every kind (HTML, PDF, FHIR JSON, CSV) that do name patient A
# to those who may see her. If a template stopped printing the name, "no leak" would pass for nothing.
NAMES_PATIENT_A: dict[str, tuple[str, ...]] = {
    "patients:detail": ("patient_a", "nurse", "allergist"),
    "patients:list": ("nurse", "allergist"),
    "challenges:detail": ("nurse", "allergist"),
    "challenges:board": ("nurse", "allergist"),
    "challenges:board_fragment": ("nurse", "allergist"),
    "challenges:home-plan": ("patient_a", "nurse", "allergist"),
    "challenges:home-plan-pdf": ("patient_a", "nurse", "allergist"),
    "challenges:patient-summary": ("patient_a", "nurse", "allergist"),
    "challenges:report": ("nurse", "allergist"),
    "challenges:patient-fhir": ("nurse", "allergist"),
    "challenges:export-doses": ("nurse", "allergist"),
    "challenges:home-attention": ("nurse", "allergist"),
}


def _url_names() -> list[str]:
    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue  # the admin has its own staff-only login and is scoped in clinics/admin/
                yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return sorted(set(walk(get_resolver().url_patterns)))


@pytest.fixture
def world(library):
    """Patient A (with a login) of clinic 1 owns everything in the URLs; patient B is a neighbour."""
    clinic = ClinicFactory(name="Matrix Clinic")
    other = ClinicFactory(name="Other Clinic")
    users = {
        "nurse": UserFactory(username="m-nurse", role=Role.NURSE, clinic=clinic),
        "allergist": UserFactory(username="m-allergist", role=Role.ALLERGIST, clinic=clinic),
        "other_nurse": UserFactory(username="m-other", role=Role.NURSE, clinic=other),
        "patient_a": UserFactory(username="m-patient-a", role=Role.PATIENT, clinic=clinic),
        "patient_b": UserFactory(username="m-patient-b", role=Role.PATIENT, clinic=clinic),
    }
    a = PatientFactory(clinic=clinic, family_name=SENTINEL, mrn=f"{SENTINEL}-1", user=users["patient_a"])
    PatientFactory(clinic=clinic, family_name="Neighbour", mrn="B-1", user=users["patient_b"])
    nurse, allergist = users["nurse"], users["allergist"]
    start = timezone.now() - timedelta(hours=3)
    with time_machine.travel(start, tick=False) as clock:
        practall = Protocol.objects.get(name="PRACTALL 7-step peanut OFC")
        challenge = runs.challenge_schedule(
            patient=a, protocol=practall, scheduled_at=start, allergist=allergist, nurse=nurse, by=nurse
        )
        runs.checks_record(
            challenge=challenge,
            by=nurse,
            answers=CHECKS_PASSED,
            baseline={"heart_rate": 80, "systolic": 120, "diastolic": 70},
        )
        dose = runs.dose_record(
            challenge=challenge,
            by=nurse,
            food_amount=None,
            given_at=start,
            idempotency_key=uuid.uuid4(),
            checked_by=second_checker(challenge, nurse),
        ).dose
        clock.shift(timedelta(minutes=10))
        observation = runs.observation_record(
            challenge=challenge, by=nurse, item_code="skin_urticaria", severity=2, observed_at=timezone.now()
        )
        vitals = runs.vitals_record(challenge=challenge, by=nurse, values={"heart_rate": 90})
        treatment = runs.treatment_record(
            challenge=challenge,
            by=nurse,
            kind="antihistamine",
            drug="Cetirizine",
            dose="10 mg",
            route="oral",
            given_at=timezone.now(),
        )
        alert = challenge.alerts.get()
        runs.alert_decide(alert=alert, by=allergist, decision="stop", reason="Urticaria")
        runs.outcome_confirm(
            challenge=challenge,
            by=allergist,
            data=OutcomeInput("failed", "Urticaria", "wao_2010", "1", "strict_avoidance", False),
        )
        plan = runs.challenge_schedule(
            patient=a,
            protocol=Protocol.objects.get(name="MCAS slow home reintroduction: cheesecake"),
            scheduled_at=start,
            allergist=allergist,
            nurse=None,
            by=allergist,
        )
        home.patient_dose(challenge=plan, by=allergist, given_at=start, food_amount=None, key=uuid.uuid4())
        symptom = home.patient_symptom(
            challenge=plan, by=users["patient_a"], item_code="mcas_itch", severity=1, observed_at=timezone.now()
        )
    args = {
        "pk": challenge.pk,
        "patient_pk": a.pk,
        "record_pk": dose.pk,
        "alert_pk": alert.pk,
        "follow_up_pk": challenge.follow_ups.get().pk,
        "observation_pk": symptom.pk,
    }
    special = {
        "patients:detail": {"pk": a.pk},
        "patients:edit": {"pk": a.pk},
        "patients:history": {"pk": a.pk},
        "patients:trigger-create": {"pk": a.pk},
        "patients:medication-create": {"pk": a.pk},
        "patients:patient-error": {"pk": a.pk},
        "patients:trigger-edit": {"pk": TriggerFactory(patient=a).pk},
        "patients:trigger-error": {"pk": TriggerFactory(patient=a).pk},
        "patients:medication-edit": {"pk": MedicationFactory(patient=a).pk},
        "patients:medication-error": {"pk": MedicationFactory(patient=a).pk},
        "patients:diagnostic-create": {"pk": a.pk},
        "patients:diagnostic-error": {"pk": _test_result(a).pk},
        "challenges:protocol-detail": {"pk": protocol_clone(protocol=practall, clinic=clinic, by=allergist).pk},
        "challenges:observation-error": {"pk": challenge.pk, "record_pk": observation.pk},
        "challenges:vitals-error": {"pk": challenge.pk, "record_pk": vitals.pk},
        "challenges:treatment-error": {"pk": challenge.pk, "record_pk": treatment.pk},
        "challenges:home-plan": {"pk": plan.pk},
        "challenges:home-premedication": {"pk": plan.pk},
        "challenges:home-step": {"pk": plan.pk},
        "challenges:home-symptom": {"pk": plan.pk},
        "challenges:home-usual": {"pk": plan.pk},
        "challenges:home-correct": {"pk": plan.pk, "observation_pk": symptom.pk},
        "challenges:home-withdraw": {"pk": plan.pk, "kind": "symptom", "record_pk": symptom.pk},
        "password_reset_confirm": {"uidb64": "MQ", "token": "not-a-token"},
        "challenges:home-release": {"pk": plan.pk},
        "challenges:home-change": {"pk": plan.pk},
        "challenges:plan-ics": {"pk": plan.pk},
        "challenges:calendar-feed": {"token": "not-a-live-link"},
        "challenges:home-plan-pdf": {"pk": plan.pk},
        "challenges:food-edit": {"pk": _clinic_food(clinic, allergist).pk},
    }
    special["challenges:protocol-edit"] = special["challenges:protocol-clone"] = special["challenges:protocol-detail"]
    special["challenges:protocol-edit-preview"] = special["challenges:protocol-detail"]
    return {"users": users, "args": args, "special": special}


def _clinic_food(clinic, allergist):
    from decimal import Decimal

    from challenges.library.services.foods import FoodDraft, food_create

    draft = FoodDraft("Matrix oat drink", "Brand M", "other", Decimal("1"), "label", physical_form="liquid")
    return food_create(clinic=clinic, by=allergist, draft=draft)


def _url(name: str, world) -> str:
    from django.urls import NoReverseMatch

    if name in world["special"]:
        return reverse(name, kwargs=world["special"][name])
    try:
        return reverse(name)
    except NoReverseMatch:
        pass
    for keys in (("pk",), ("patient_pk",), ("pk", "record_pk"), ("pk", "alert_pk"), ("pk", "follow_up_pk")):
        try:
            return reverse(name, kwargs={k: world["args"][k] for k in keys})
        except NoReverseMatch:
            continue
    raise AssertionError(f"{name}: give it sample arguments in the access matrix")


def test_every_url_has_an_expected_answer():
    missing = [name for name in _url_names() if name not in EXPECTED]
    assert missing == [], f"add these URLs to tests/access/test_matrix.py EXPECTED: {missing}"
    stale = [name for name in EXPECTED if name not in _url_names()]
    assert stale == []


def test_access_matrix(client, world):
    assert set(NAMES_PATIENT_A) <= set(_url_names())  # a renamed URL would silently drop out of the control
    mismatches, leaks, unnamed = [], [], []
    for name in _url_names():
        url = _url(name, world)
        for role in ROLES:
            client.logout()
            if role != "anonymous":
                client.force_login(world["users"][role])
            response = client.get(url)
            if response.status_code != EXPECTED[name][role]:
                mismatches.append(f"{name} as {role}: {response.status_code}, expected {EXPECTED[name][role]}")
            body = b"".join(response.streaming_content) if response.streaming else response.content
            if role in OUTSIDERS and SENTINEL.encode() in body:
                leaks.append(f"{name} as {role}")
            if role in NAMES_PATIENT_A.get(name, ()) and SENTINEL.encode() not in body:
                unnamed.append(f"{name} as {role}")
    assert mismatches == [], "\n".join(mismatches)
    assert leaks == []
    assert unnamed == []  # the positive control: patient A's name is there for those who may see it


@pytest.mark.parametrize("role", ["patient_b", "other_nurse"])
def test_outsiders_cannot_change_anything(client, world, role):
    from challenges.models import Challenge, Dose, Observation

    before = (
        Dose.objects.count(),
        Observation.objects.count(),
        list(Challenge.objects.values_list("status", "outcome")),
    )
    client.force_login(world["users"][role])
    for name in _url_names():
        if not name.startswith(("patients:", "challenges:")):
            continue  # sign-in, sign-out and one's own password: not about patient A
        if EXPECTED[name]["nurse"] == NOT_ALLOWED or name.endswith(("-edit", "-error", "change", "correct")):
            response = client.post(_url(name, world), {"reason": "x", "decision": "stop", "food_amount": "1"})
            assert response.status_code in (NOT_FOUND, 400), f"{name} as {role}: {response.status_code}"
    after = (
        Dose.objects.count(),
        Observation.objects.count(),
        list(Challenge.objects.values_list("status", "outcome")),
    )
    assert after == before


def _test_result(patient):
    return DiagnosticResult.objects.create(
        patient=patient, kind="specific_ige", allergen="Peanut", value=Decimal("2.1"), taken_on=date(2026, 9, 14)
    )
