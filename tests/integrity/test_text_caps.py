"""Every free-text field has a cap (security review H1/M1: long ordinary text must never reach a report uncapped),
and every form with text refuses control and bidirectional-override characters (M6, L10).

A census over every form class of the project (its declared and model-derived fields) and every model text field:
a text field without a maximum length fails here, naming itself.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from django import forms
from django.apps import apps
from django.db import models

from clinics.forms import PlainTextMixin

PROJECT_PACKAGES = ("audit", "challenges", "clinics", "patients")
# Django's own password forms: a password is hashed, never stored or printed as text, and any character may be in it.
PASSWORD_FORMS = {"ThrottledPasswordChangeForm"}


def project_forms() -> list[type[forms.BaseForm]]:
    found: list[type[forms.BaseForm]] = []
    for package_name in PROJECT_PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            if ".migrations" in info.name or ".management" in info.name:
                continue
            module = importlib.import_module(info.name)
            for obj in vars(module).values():
                is_form = inspect.isclass(obj) and issubclass(obj, forms.BaseForm)
                if (
                    is_form
                    and obj.__module__ == module.__name__
                    and obj not in found
                    and obj.__name__ not in PASSWORD_FORMS
                ):
                    found.append(obj)
    return found


def test_the_census_finds_the_forms():
    names = {form.__name__ for form in project_forms()}
    assert {"OutcomeForm", "PlanChangeForm", "FoodForm", "ProtocolHeaderForm"} <= names


@pytest.mark.parametrize("form_class", project_forms(), ids=lambda form: f"{form.__module__}.{form.__name__}")
def test_every_text_field_of_every_form_has_a_maximum_length(form_class):
    uncapped = [
        name
        for name, field in form_class.base_fields.items()
        if isinstance(field, forms.CharField) and not isinstance(field, forms.UUIDField) and field.max_length is None
    ]
    assert not uncapped, f"{form_class.__name__}: {uncapped}"


@pytest.mark.parametrize("form_class", project_forms(), ids=lambda form: f"{form.__module__}.{form.__name__}")
def test_every_form_with_text_refuses_control_characters(form_class):
    has_text = any(isinstance(field, forms.CharField) for field in form_class.base_fields.values())
    assert not has_text or issubclass(form_class, PlainTextMixin), form_class.__name__


def test_every_text_column_of_the_project_has_a_maximum_length():
    uncapped = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_PACKAGES
        for field in model._meta.get_fields()
        if isinstance(field, models.TextField) and field.max_length is None
    ]
    assert not uncapped
