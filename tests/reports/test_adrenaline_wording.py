"""W9: adrenaline is shown in mg and in mL of 1 mg/mL, IM into the anterolateral thigh, with when to repeat."""

from __future__ import annotations

from decimal import Decimal
from http import HTTPStatus

from django.urls import reverse

from tests.reports.helpers import text

# Patient A weighs 60 kg (tests.factories): 0.01 mg/kg gives 0.6 mg, capped at 0.5 mg.
INSTRUCTION = (
    "Adrenaline 0.5 mg = 0.5 mL of 1 mg/mL (1:1000) IM into the anterolateral thigh. "
    "Repeat after 5 minutes if no improvement."
)


def _pdf(client, user, name: str, pk: int) -> str:
    client.force_login(user)
    response = client.get(reverse(f"challenges:{name}", args=[pk]))
    assert response.status_code == HTTPStatus.OK
    return text(response.content)


def test_preparation_sheet_gives_mg_ml_site_and_repeat(client, challenge, nurse):
    body = _pdf(client, nurse, "preparation-sheet", challenge.pk)
    assert f"Emergency: {INSTRUCTION} For 60 kg (0.01 mg/kg, at most 0.5 mg)" in body


def test_challenge_report_gives_mg_and_ml(client, challenge, allergist):
    body = _pdf(client, allergist, "report", challenge.pk)
    assert f"Adrenaline IM dose for weight {INSTRUCTION}" in body


def test_home_plan_pdf_gives_the_device_and_the_weight_dose_for_the_ambulance(client, plan, patient_user):
    body = _pdf(client, patient_user, "home-plan-pdf", plan.pk)
    assert "If you are no better after 5 minutes, use a second auto-injector if you have one." in body
    assert f"For the ambulance or hospital team: weight 60 kg. {INSTRUCTION}" in body


def test_a_childs_dose_in_ml_on_the_bedside_and_checks_pages(client, challenge, nurse):
    challenge.patient.weight_kg = Decimal("24")
    challenge.patient.save()
    client.force_login(nurse)
    child = (
        "Adrenaline 0.24 mg = 0.24 mL of 1 mg/mL (1:1000) IM into the anterolateral thigh. "
        "Repeat after 5 minutes if no improvement."
    )
    for name in ("detail", "checks"):
        page = client.get(reverse(f"challenges:{name}", args=[challenge.pk])).content.decode()
        assert child in page, name
        assert "(0.01 mg/kg for 24 kg)" in page, name
    checks = client.get(reverse("challenges:checks", args=[challenge.pk])).content.decode()
    assert "auto-injector 0.3 mg" in checks  # over 20 kg (ASCIA)


def test_the_patients_page_gives_the_repeat_and_the_dose_for_the_ambulance(client, plan, patient_user):
    client.force_login(patient_user)
    page = client.get(reverse("challenges:home-plan", args=[plan.pk])).content.decode()
    assert "use your adrenaline auto-injector (0.3 mg) into the outer thigh" in page
    assert "If you are no better after 5 minutes, use a second auto-injector if you have one." in page
    assert INSTRUCTION in page
