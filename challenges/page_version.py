"""The bedside page's version: `Challenge.page_version` takes a new value on every write to anything the page reads
(and `Patient.page_version` on every write the patient record page reads).

One central mechanism rather than a line in every service: a `post_save` / `post_delete` receiver for each model the
page reads, which sets a new random value on the challenges whose page shows the row. It runs in the writer's
transaction (the services already hold the challenge's row lock, so it takes no new lock), so the new version
commits with the write or not at all. A random value, not a counter: a `challenge.save()` of an instance loaded
before another write would put back an old counter value, and a page rendered for it could be served again; a
random 62-bit value is never one that was seen before.

Queryset `update()` and `bulk_create()` send no signals: the clinical models refuse `update()`
(clinics.models.HistoryKeepingQuerySet), and nothing writes these rows in bulk outside bench data generation.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django.db import models
from django.db.models import Q
from django.db.models.signals import post_delete, post_save

from challenges.home.models import StepRelease
from challenges.library.models import Food, PremedicationItem, Protocol, ProtocolStep
from challenges.run.models import (
    Challenge,
    ChallengeEvent,
    Discharge,
    Dose,
    FollowUp,
    FoodLot,
    Observation,
    PreChallengeCheck,
    StopAlert,
    Treatment,
    VitalSigns,
    WashoutDecision,
)
from clinics.models import Clinic, User
from patients.models import DiagnosticResult, Medication, Patient, Trigger

# Saving only these fields of a user changes nothing a page shows (a sign-in).
_USER_FIELDS_NOT_SHOWN = frozenset({"last_login"})


def _challenge(challenge: Challenge) -> Q:
    """The challenge itself, the one it continues and its continuations (each page lists the others)."""
    linked = Q(pk=challenge.pk) | Q(continues_id=challenge.pk)
    return linked | Q(pk=challenge.continues_id) if challenge.continues_id else linked


def _row_of_challenge(row: Any) -> Q:
    return Q(pk=row.challenge_id) | Q(continues_id=row.challenge_id)


def _patient(patient: Patient) -> Q:
    return Q(patient_id=patient.pk)


def _row_of_patient(row: Any) -> Q:
    return Q(patient_id=row.patient_id)


def _protocol(protocol: Protocol) -> Q:
    return Q(protocol_id=protocol.pk)


def _row_of_protocol(row: Any) -> Q:
    return Q(protocol_id=row.protocol_id)


def _food(food: Food) -> Q | None:
    """Any food: the page offers the clinic's powders of the same allergen as alternatives, so every page of the
    clinic that owns it (a shared food: every page). A library edit, rare."""
    return Q(clinic_id=food.clinic_id) if food.clinic_id else Q()


def _clinic(clinic: Clinic) -> Q:
    return Q(clinic_id=clinic.pk)


def _user(user: User, update_fields: frozenset[str] | None) -> Q | None:
    """A member of staff's name or role shows on their clinic's pages (who gave a dose, the dose form's staff)."""
    if update_fields is not None and update_fields <= _USER_FIELDS_NOT_SHOWN:
        return None
    return Q(clinic_id=user.clinic_id) if user.clinic_id else None


_PAGES_OF: dict[type[models.Model], Callable[[Any], Q | None]] = {
    Challenge: _challenge,
    **{
        model: _row_of_challenge
        for model in (
            ChallengeEvent,
            PreChallengeCheck,
            WashoutDecision,
            Dose,
            FoodLot,
            Observation,
            VitalSigns,
            Treatment,
            StopAlert,
            FollowUp,
            Discharge,
            StepRelease,
        )
    },
    Patient: _patient,
    Trigger: _row_of_patient,
    Medication: _row_of_patient,
    DiagnosticResult: _row_of_patient,
    Protocol: _protocol,
    ProtocolStep: _row_of_protocol,
    PremedicationItem: _row_of_protocol,
    Food: _food,
    Clinic: _clinic,
}


# The patient record page (patients.views.patient_detail) reads the patient row and these; its challenges'
# rows it reads through their own page versions.
_PATIENT_OF: dict[type[models.Model], Callable[[Any], int]] = {
    Patient: lambda patient: patient.pk,
    Trigger: lambda row: row.patient_id,
    Medication: lambda row: row.patient_id,
    DiagnosticResult: lambda row: row.patient_id,
}


def new_version() -> int:
    return secrets.randbits(62)


def bump(pages: Q) -> None:
    """Give the challenges matched by `pages` a new page version (one UPDATE, in the caller's transaction)."""
    Challenge._base_manager.filter(pages).update(page_version=new_version())


def _saved(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    pages = _PAGES_OF[sender](instance)
    if pages is not None:
        bump(pages)
    if sender in _PATIENT_OF:
        Patient._base_manager.filter(pk=_PATIENT_OF[sender](instance)).update(page_version=new_version())


def _user_saved(sender: type[models.Model], instance: User, update_fields: Any = None, **kwargs: Any) -> None:
    pages = _user(instance, frozenset(update_fields) if update_fields is not None else None)
    if pages is not None:
        bump(pages)


def connect() -> None:
    """Called once, from the app's ready()."""
    for model in _PAGES_OF:
        post_save.connect(_saved, sender=model, dispatch_uid=f"page_version_save_{model._meta.label}")
        post_delete.connect(_saved, sender=model, dispatch_uid=f"page_version_delete_{model._meta.label}")
    post_save.connect(_user_saved, sender=User, dispatch_uid="page_version_save_user")
