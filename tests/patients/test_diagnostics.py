"""Allergy test results on the patient page (R7): add one, range per kind, mark one entered in error, access."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.models import DiagnosticResult

SIGE = {"kind": "specific_ige", "allergen": "Peanut", "component": "", "value": "2.1", "taken_on": "2026-09-14"}


def _add(client, patient, **changes):
    return client.post(reverse("patients:diagnostic-create", args=[patient.pk]), {**SIGE, **changes})


def test_staff_add_a_result_and_the_page_shows_it_with_unit_and_date(client, nurse, patient):
    client.force_login(nurse)
    assert _add(client, patient).status_code == HTTPStatus.FOUND
    result = DiagnosticResult.objects.get(patient=patient)
    assert (result.kind, result.allergen, result.value, result.taken_on) == (
        "specific_ige",
        "Peanut",
        Decimal("2.1"),
        date(2026, 9, 14),
    )
    assert result.history.first().history_user == nurse
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "2.1 kU/L" in page
    assert "14 Sep 2026" in page
    assert "Specific IgE (kU/L)" in page


def test_a_component_result_names_its_component(client, nurse, patient):
    client.force_login(nurse)
    response = _add(client, patient, kind="component_ige", allergen="peanut", component="")
    assert response.status_code == HTTPStatus.OK
    assert "Name the component" in response.content.decode()
    assert _add(client, patient, kind="component_ige", allergen="peanut", component="Ara h 2").status_code == 302
    result = DiagnosticResult.objects.get(patient=patient)
    assert result.subject == "Ara h 2 (peanut)"
    assert str(result) == "Component specific IgE (kU/L) Ara h 2 (peanut) 2.1 kU/L"


def test_tryptase_needs_no_allergen_but_sige_does(client, nurse, patient):
    client.force_login(nurse)
    response = _add(client, patient, allergen="")
    assert "Say which allergen or food was tested." in response.content.decode()
    assert _add(client, patient, kind="tryptase", allergen="", value="5.4").status_code == HTTPStatus.FOUND
    assert DiagnosticResult.objects.get(patient=patient).value_text == "5.4 ng/mL"


@pytest.mark.parametrize(
    ("kind", "highest", "too_high", "shown"),
    [
        # A laboratory value entered at the end of the assay's range reads as beyond it (clinical.diagnostics.reading)
        ("specific_ige", "100", "100.01", ["<0.1 kU/L", "≥100 kU/L"]),
        ("component_ige", "100", "100.01", ["<0.1 kU/L", "≥100 kU/L"]),
        ("skin_prick", "50", "50.1", ["0 mm", "50 mm"]),
        ("tryptase", "200", "200.1", ["200 ng/mL", "<1 ng/mL"]),
    ],
)
def test_each_kind_is_held_to_its_range_on_both_sides(client, nurse, patient, kind, highest, too_high, shown):
    client.force_login(nurse)
    extra = {"kind": kind, "component": "Ara h 2" if kind == "component_ige" else ""}
    for refused in (too_high, "-0.1"):
        response = _add(client, patient, value=refused, **extra)
        assert response.status_code == HTTPStatus.OK, refused
        assert response.context["form"].errors["value"], refused
    assert not DiagnosticResult.objects.exists()
    assert _add(client, patient, value=highest, **extra).status_code == HTTPStatus.FOUND
    assert _add(client, patient, value="0", **extra).status_code == HTTPStatus.FOUND
    assert sorted(r.value_text for r in DiagnosticResult.objects.all()) == sorted(shown)


def test_a_result_too_high_for_its_kind_says_the_range_and_unit(client, nurse, patient):
    client.force_login(nurse)
    response = _add(client, patient, kind="skin_prick", value="60")
    assert "Skin-prick test wheal must be from 0 to 50 mm." in response.content.decode()


def test_a_future_or_pre_birth_date_is_refused(client, nurse, patient):
    client.force_login(nurse)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert "cannot be in the future" in " ".join(
        _add(client, patient, taken_on=tomorrow).context["form"].errors["taken_on"]
    )
    before_birth = (patient.date_of_birth - timedelta(days=1)).isoformat()
    assert "before the date of birth" in " ".join(
        _add(client, patient, taken_on=before_birth).context["form"].errors["taken_on"]
    )
    assert not DiagnosticResult.objects.exists()


def test_a_result_is_never_deleted_but_marked_entered_in_error(client, nurse, patient):
    client.force_login(nurse)
    _add(client, patient)
    result = DiagnosticResult.objects.get()
    url = reverse("patients:diagnostic-error", args=[result.pk])
    assert client.post(url, {"reason": " "}).status_code == HTTPStatus.OK
    assert client.post(url, {"reason": "Another patient's result"}).status_code == HTTPStatus.FOUND
    result.refresh_from_db()
    assert result.entered_in_error
    assert result.entered_in_error_by == nurse
    assert result.history.order_by("-history_date").first().history_change_reason == "Another patient's result"
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    section = page[page.index('data-testid="test-results"') :]
    assert 'class="entered-in-error"' in section
    with pytest.raises(Exception, match="never deleted"):
        result.delete()


def test_another_clinic_cannot_add_or_mark_a_result(client, nurse, other_clinic_nurse, patient):
    client.force_login(nurse)
    _add(client, patient)
    result = DiagnosticResult.objects.get()
    client.force_login(other_clinic_nurse)
    assert _add(client, patient).status_code == HTTPStatus.NOT_FOUND
    url = reverse("patients:diagnostic-error", args=[result.pk])
    assert client.post(url, {"reason": "not mine"}).status_code == HTTPStatus.NOT_FOUND
    result.refresh_from_db()
    assert not result.entered_in_error
    assert DiagnosticResult.objects.count() == 1


def test_a_patient_sees_their_results_but_cannot_add_one(client, nurse, patient, patient_user):
    client.force_login(nurse)
    _add(client, patient)
    client.force_login(patient_user)
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "2.1 kU/L" in page
    assert "Add test result" not in page
    assert _add(client, patient, value="3").status_code in (HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND)
    assert DiagnosticResult.objects.count() == 1
