"""The admin lists every model; non-superusers see only their clinic; challenge records are read-only there."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib import admin
from django.urls import reverse

from challenges.models import Challenge, Food
from tests.factories import UserFactory


@pytest.mark.django_db
def test_every_model_is_registered_and_lists(client, library):
    from django.apps import apps

    ours = [
        m
        for m in apps.get_models()
        if m._meta.app_label in ("clinics", "patients", "challenges", "audit")
        and not m.__name__.startswith("Historical")
    ]
    unregistered = [m.__name__ for m in ours if m not in admin.site._registry]
    assert unregistered == []
    root = UserFactory(username="root", is_superuser=True, is_staff=True, role="", clinic=None)
    client.force_login(root)
    for model in ours:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == HTTPStatus.OK, url


def test_challenge_records_are_read_only_and_scoped(client, clinic, other_clinic, patient, allergist, rf, library):
    from challenges.admin import ChallengeAdmin, FoodAdmin

    own_food = Food.objects.create(
        clinic=clinic,
        name="Label peanut butter",
        form="brand X",
        allergen_group="peanut",
        protein_g_per_100=25,
        protein_source="product label",
    )
    Food.objects.create(
        clinic=other_clinic,
        name="Other food",
        form="x",
        allergen_group="other",
        protein_g_per_100=5,
        protein_source="label",
    )
    request = rf.get("/")
    request.user = allergist
    foods = FoodAdmin(Food, admin.site).get_queryset(request)
    assert own_food in foods
    assert not foods.filter(clinic=other_clinic).exists()
    assert foods.filter(clinic=None).exists()
    challenges = ChallengeAdmin(Challenge, admin.site)
    assert not challenges.has_change_permission(request)
    assert not challenges.has_add_permission(request)
    assert not challenges.has_delete_permission(request)
