"""The protocol editor's premedication rows: timing, weeks established, dose by age, refuse or flag."""

from __future__ import annotations

from http import HTTPStatus

from django.urls import reverse

from challenges.library.models import PremedicationItem
from tests.challenges.factories_library import edit_data

ROW = {
    "premeds-TOTAL_FORMS": "1",
    "premeds-INITIAL_FORMS": "0",
    "premeds-0-drug": "Cromolyn sodium (oral)",
    "premeds-0-med_class": "mast_cell_stabiliser",
    "premeds-0-dose": "by age",
    "premeds-0-route": "oral",
    "premeds-0-minutes_before": "30",
    "premeds-0-required": "on",
}


def _post(client, protocol, **row: str):
    return client.post(reverse("challenges:protocol-edit", args=[protocol.pk]), edit_data(protocol, **ROW, **row))


def test_a_timed_item_with_a_dose_by_age_that_flags(client, allergist, clinic_protocol):
    client.force_login(allergist)
    response = _post(
        client,
        clinic_protocol,
        **{
            "premeds-0-before_each_step": "on",
            "premeds-0-dose_rule": "cromolyn_oral",
            "premeds-0-if_not_taken": "flag",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    item = PremedicationItem.objects.get(protocol=clinic_protocol)
    assert (item.timing, item.dose_rule, item.if_not_taken) == ("before_each_step", "cromolyn_oral", "flag")
    page = client.get(reverse("challenges:protocol-detail", args=[clinic_protocol.pk])).content.decode()
    assert "oral cromolyn by age (100 mg aged 2-12, 200 mg from 13)" in page
    assert "(record it and flag it)" in page


def test_an_established_regimen_for_weeks(client, allergist, clinic_protocol):
    client.force_login(allergist)
    response = _post(
        client, clinic_protocol, **{"premeds-0-continue_regular": "on", "premeds-0-established_weeks": "4"}
    )
    assert response.status_code == HTTPStatus.FOUND
    item = PremedicationItem.objects.get(protocol=clinic_protocol)
    assert (item.timing, item.established_weeks, item.if_not_taken) == ("regimen", 4, "refuse")
    page = client.get(reverse("challenges:protocol-detail", args=[clinic_protocol.pk])).content.decode()
    assert "established regimen, at least 4 weeks" in page


def test_an_item_is_a_regimen_or_timed_not_both(client, allergist, clinic_protocol):
    client.force_login(allergist)
    response = _post(
        client, clinic_protocol, **{"premeds-0-continue_regular": "on", "premeds-0-before_each_step": "on"}
    )
    assert response.status_code == HTTPStatus.OK
    assert "Either an established regimen, or taken a set time before each step: not both." in response.content.decode()
    assert not PremedicationItem.objects.filter(protocol=clinic_protocol).exists()
