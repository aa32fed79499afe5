"""Two clinics with a row of every model the admin shows, and staff accounts holding chosen model permissions."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from challenges.home.models import CalendarFeed, calendar_token_digest
from challenges.models import (
    Challenge,
    ChallengeEvent,
    Discharge,
    Dose,
    FollowUp,
    Food,
    FoodLot,
    Observation,
    PreChallengeCheck,
    PremedicationItem,
    Protocol,
    ProtocolStep,
    StepRelease,
    StopAlert,
    Treatment,
    VitalSigns,
    WashoutDecision,
)
from clinics.models import Clinic, Role, SubmissionKey, User
from patients.models import DiagnosticKind, DiagnosticResult, Medication, Patient, Trigger
from tests.factories import ClinicFactory, MedicationFactory, PatientFactory, TriggerFactory, UserFactory
from tests.helpers import rows_shared_by_a_module


@dataclass
class Site:
    """One clinic's rows, by model."""

    clinic: Clinic
    rows: dict[type[Model], Model] = field(default_factory=dict)

    def __getitem__(self, model: type[Model]) -> Model:
        return self.rows[model]


@dataclass
class World:
    a: Site  # the clinic of the accounts under test
    b: Site  # the other clinic: none of its rows may ever show
    standard: dict[type[Model], Model]  # the shared library (clinic=None)
    group: Group  # belongs to no clinic
    unscoped: dict[type[Model], Model]  # rows only a superuser may see: the group, a form key, backup codes


def _library(clinic: Clinic | None, tag: str) -> dict[type[Model], Model]:
    food = Food.objects.create(
        clinic=clinic,
        name=f"Peanut {tag}",
        form="butter",
        allergen_group="peanut",
        protein_g_per_100=Decimal("25.8"),
        protein_source="label",
    )
    protocol = Protocol.objects.create(
        clinic=clinic, name=f"Peanut OFC {tag}", kind="ofc", food=food, checklist_items=["urticaria"], stop_rules={}
    )
    step = ProtocolStep.objects.create(protocol=protocol, number=1, protein_mg=Decimal("3"), interval_minutes=20)
    premed = PremedicationItem.objects.create(protocol=protocol, drug=f"Cetirizine {tag}", dose="10 mg")
    return {Food: food, Protocol: protocol, ProtocolStep: step, PremedicationItem: premed}


def _site(name: str, tag: str) -> Site:
    clinic = ClinicFactory(name=name)
    allergist = UserFactory(username=f"{tag}-allergist", role=Role.ALLERGIST, clinic=clinic)
    nurse = UserFactory(username=f"{tag}-nurse", role=Role.NURSE, clinic=clinic)
    patient = PatientFactory(
        clinic=clinic,
        given_name=f"Sentinel{tag.upper()}",
        family_name=f"Patient{tag.upper()}",
        mrn=f"MRN-{tag.upper()}",
    )
    rows: dict[type[Model], Model] = {Clinic: clinic, User: nurse, Patient: patient}
    rows[Trigger] = TriggerFactory(patient=patient, substance=f"Sesame {tag}")
    rows[Medication] = MedicationFactory(patient=patient, name=f"Loratadine {tag}")
    rows.update(_library(clinic, tag))
    now = timezone.now()
    challenge = Challenge.objects.create(
        clinic=clinic,
        patient=patient,
        protocol=rows[Protocol],
        scheduled_at=now - timedelta(hours=5),
        allergist=allergist,
        nurse=nurse,
        status="completed",
        outcome="passed",
        signed_at=now - timedelta(hours=1),
        signed_by=allergist,
    )
    rows[Challenge] = challenge
    rows[Dose] = Dose.objects.create(
        challenge=challenge,
        sequence=1,
        step_number=1,
        planned_protein_mg=Decimal("3"),
        planned_food_amount=Decimal("0.012"),
        food_amount=Decimal("0.012"),
        protein_mg=Decimal("3"),
        given_at=now - timedelta(hours=4),
        given_by=nurse,
    )
    rows[Observation] = Observation.objects.create(
        challenge=challenge, item_code="urticaria", severity=1, observed_at=now - timedelta(hours=3), recorded_by=nurse
    )
    rows[VitalSigns] = VitalSigns.objects.create(
        challenge=challenge,
        taken_at=now - timedelta(hours=4),
        heart_rate=80,
        systolic=120,
        diastolic=80,
        recorded_by=nurse,
    )
    rows[Treatment] = Treatment.objects.create(
        challenge=challenge,
        kind="antihistamine",
        drug="Cetirizine",
        dose="10 mg",
        given_at=now - timedelta(hours=3),
        recorded_by=nurse,
    )
    rows[PreChallengeCheck] = PreChallengeCheck.objects.create(
        challenge=challenge,
        no_illness=True,
        asthma_eczema_controlled=True,
        no_recent_exercise=True,
        washout_confirmed=True,
        premedication_taken=True,
        consent_recorded=True,
        emergency_ready=True,
        recorded_by=nurse,
    )
    rows[StopAlert] = StopAlert.objects.create(challenge=challenge, hits=[{"code": "x", "message": "m"}])
    rows[ChallengeEvent] = ChallengeEvent.objects.create(challenge=challenge, kind="signed", by=allergist)
    rows[StepRelease] = StepRelease.objects.create(challenge=challenge, step_number=1, released_by=allergist)
    rows[FollowUp] = FollowUp.objects.create(challenge=challenge, due_at=now + timedelta(hours=20), hours_after=24)
    rows[WashoutDecision] = WashoutDecision.objects.create(
        challenge=challenge,
        medication=rows[Medication],
        medication_text=f"Loratadine {tag}",
        conflict_kind="must_stop",
        action="stop_confirmed",
        stopped_on=(now - timedelta(days=9)).date(),
        decided_by=nurse,
    )
    rows[Discharge] = Discharge.objects.create(
        challenge=challenge,
        discharged_at=now - timedelta(minutes=90),
        condition="well",
        vitals=rows[VitalSigns],
        discharged_by=nurse,
    )
    rows[FoodLot] = FoodLot.objects.create(
        challenge=challenge,
        brand=f"Brand {tag}",
        lot="L123",
        expires_on=(now + timedelta(days=90)).date(),
        library_protein_g_per_100=Decimal("22.21"),
        recorded_by=nurse,
    )
    rows[DiagnosticResult] = DiagnosticResult.objects.create(
        patient=patient,
        kind=DiagnosticKind.SPECIFIC_IGE,
        allergen="Peanut",
        value=Decimal("2.1"),
        taken_on=(now - timedelta(days=30)).date(),
    )
    rows[CalendarFeed] = CalendarFeed.objects.create(
        patient=patient, token_sha256=calendar_token_digest(f"secret {tag}"), created_by=nurse
    )
    common = {"user_agent": "pytest", "ip_address": "10.0.0.1", "http_accept": "*/*", "path_info": "/accounts/login/"}
    rows[AccessAttempt] = AccessAttempt.objects.create(
        username=allergist.username, get_data="", post_data="", failures_since_start=2, **common
    )
    rows[AccessLog] = AccessLog.objects.create(username=allergist.username, **common)
    rows[AccessFailureLog] = AccessFailureLog.objects.create(username=allergist.username, **common)
    rows[TOTPDevice] = TOTPDevice.objects.create(user=nurse, name=f"phone {tag}", confirmed=True)
    rows[AuditEvent] = AuditEvent.objects.filter(clinic=clinic).order_by("-seq").first()
    return Site(clinic=clinic, rows=rows)


def _world() -> World:
    a = _site("Northside Admin Clinic", "a")
    b = _site("Harbour Admin Clinic", "b")
    standard = _library(None, "standard")
    group = Group.objects.create(name="Every clinic's allergists")
    group.permissions.set(Permission.objects.filter(codename__in=["view_patient", "change_patient"]))
    nurse = a[TOTPDevice].user
    key = SubmissionKey.objects.create(key=uuid.uuid4(), user=nurse)
    codes = StaticDevice.objects.create(user=nurse, name="Backup codes", confirmed=True)
    unscoped = {Group: group, SubmissionKey: key, StaticDevice: codes}
    return World(a=a, b=b, standard=standard, group=group, unscoped=unscoped)


@pytest.fixture(scope="module")
def _module_world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """The world's rows, written once per test module and rolled back after its last test (see tests.helpers)."""
    yield from rows_shared_by_a_module(django_db_blocker, _world)


@pytest.fixture
def world(db, _module_world: World) -> World:
    """The world, for one test: its own copy of the instances, over rows its savepoint rolls back."""
    return copy.deepcopy(_module_world)


def model_permissions(model: type[Model], actions: Iterable[str]) -> list[Permission]:
    """The model's own permissions for `actions`, and its history model's too where it keeps history."""
    models = [model]
    history = getattr(model, "history", None)
    if history is not None and hasattr(history, "model"):
        models.append(history.model)
    return [
        Permission.objects.get(
            content_type=ContentType.objects.get_for_model(m), codename=f"{action}_{m._meta.model_name}"
        )
        for m in models
        for action in actions
    ]


@pytest.fixture
def make_staff(world: World) -> Callable[..., User]:
    """A non-superuser staff account of clinic A (an allergist) holding the given permissions."""

    def make(*permissions: Permission, username: str = "a-clinic-admin", role: str = Role.ALLERGIST) -> User:
        user = UserFactory(username=username, role=role, clinic=world.a.clinic, is_staff=True)
        user.user_permissions.set(permissions)
        return User.objects.get(pk=user.pk)  # fresh: no permission cache

    return make


@pytest.fixture
def superuser(db) -> User:
    return UserFactory(username="root", role="", clinic=None, is_staff=True, is_superuser=True)
