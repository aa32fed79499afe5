"""Steps of a challenge driven through the real URLs, as a nurse or allergist would."""

from __future__ import annotations

import uuid
from datetime import datetime
from http import HTTPStatus

from django.urls import reverse
from django.utils import timezone

from clinics.models import User
from tests.helpers import second_checker

PASSING_CHECKS = {
    "no_illness": "on",
    "asthma_eczema_controlled": "on",
    "no_recent_exercise": "on",
    "washout_confirmed": "on",
    "premedication_taken": "on",
    "consent_recorded": "on",
    "emergency_ready": "on",
    "baseline_skin": "clear",
    "baseline_mouth": "normal",
    "baseline_chest": "clear",
    "heart_rate": "88",
    "systolic": "120",
    "diastolic": "75",
    "resp_rate": "16",
    "spo2": "98",
    "temperature_c": "36.8",
    "pef": "400",
}


def local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def pass_checks(client, challenge, now: datetime):
    response = client.post(
        reverse("challenges:checks", args=[challenge.pk]), {**PASSING_CHECKS, "taken_at": local(now)}
    )
    assert response.status_code == HTTPStatus.FOUND, _refusal(response)
    return response


def _refusal(response) -> str:
    """Why a post that should have gone through did not: every form error on the page, then the page's main part."""
    errors = [
        f"{name}: {value.errors.as_json()}"
        for context in (response.context or [])
        for name, value in context.flatten().items()
        if hasattr(value, "errors") and hasattr(value, "is_bound") and value.is_bound and value.errors
    ]
    page = response.content.decode()
    return f"{response.status_code} {errors}\n{page[page.find('<main') :][:3000]}"


def give_dose(client, challenge, now: datetime, amount: str = "", key: uuid.UUID | None = None, **extra):
    """Post the dose form: the whole planned dose, or `amount` (g or mL of food) when less was eaten."""
    data = {"given_at": local(now), "idempotency_key": str(key or uuid.uuid4()), **extra}
    if "mix_volume_ml" not in data:
        data.update({"food_amount": amount} if amount else {"ate_all": "on"})
    if "checked_by" not in data:  # a diluted dose is checked by a second person (docs/clinical-sources.md §12)
        user = User.objects.get(pk=client.session["_auth_user_id"])
        data["checked_by"] = str(second_checker(challenge, user).pk)
    return client.post(reverse("challenges:dose", args=[challenge.pk]), data)


def observe(client, challenge, item: str, severity: int, now: datetime, note: str = ""):
    data = {"item_code": item, "severity": str(severity), "observed_at": local(now), "note": note}
    return client.post(reverse("challenges:observation", args=[challenge.pk]), data)


def vitals(client, challenge, now: datetime, **values: str):
    return client.post(reverse("challenges:vitals", args=[challenge.pk]), {"taken_at": local(now), **values})


def db_state() -> dict[str, int]:
    """Rows of every model of the challenges app (with the history tables) and of the audit chain."""
    from django.apps import apps

    from audit.models import AuditEvent

    state = {model._meta.label: model._base_manager.count() for model in apps.get_app_config("challenges").get_models()}
    state["audit.AuditEvent"] = AuditEvent.objects.count()
    return state
