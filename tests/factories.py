"""Factories for the cast and their records."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory

from clinics.models import Clinic, Role, User
from patients.models import Medication, MedicationClass, Patient, Trigger


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Clinic {n}")
    time_zone = "Europe/London"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    role = Role.NURSE
    clinic = factory.SubFactory(ClinicFactory)
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    mrn = factory.Sequence(lambda n: f"MRN-{n:05d}")
    given_name = "Alex"
    family_name = factory.Sequence(lambda n: f"Sentinel{n}")
    date_of_birth = date(1990, 5, 1)
    sex = "female"
    weight_kg = Decimal("60")
    weight_measured_on = date(2026, 1, 10)


class TriggerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Trigger

    patient = factory.SubFactory(PatientFactory)
    substance = "Peanut"
    reaction_type = "ige"


class MedicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Medication

    patient = factory.SubFactory(PatientFactory)
    name = "Cetirizine"
    dose = "10 mg"
    schedule = "once daily"
    med_class = MedicationClass.H1_ANTIHISTAMINE
