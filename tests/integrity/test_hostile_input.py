"""Bad input anywhere gets a clear field error: never a 500, nothing stored half-done, no markup executed."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from challenges.run.forms.dosing import DoseForm
from challenges.run.forms.findings import VitalsForm
from patients.models import Patient
from tests.patients.test_views import VALID_PATIENT
from tests.run.helpers import give_dose, local, pass_checks

BAD_NUMBERS = [
    "",
    " ",
    "-1",
    "0",
    "-0",
    ".5",
    "5.",
    "1,5",
    "1 000",
    "1e3",
    "1e309",
    "NaN",
    "Infinity",
    "0x10",
    "١٢",
    "５",
    "½",
    "10mg",
    "1" * 25,
    "1.000000000000000000001",
    "\x00",
    "<script>",
    "' OR 1=1 --",
]


@pytest.mark.parametrize("value", [v for v in BAD_NUMBERS if v.strip()])  # blank is allowed: no weight
def test_bad_weight_is_a_field_error(client, nurse, value):
    client.force_login(nurse)
    response = client.post(reverse("patients:create"), {**VALID_PATIENT, "weight_kg": value, "weight_measured_on": ""})
    assert response.status_code == HTTPStatus.OK
    form = response.context["form"]
    assert "weight_kg" in form.errors
    assert not Patient.objects.filter(mrn=VALID_PATIENT["mrn"]).exists()


@pytest.mark.parametrize("value", [v for v in BAD_NUMBERS if v.strip()])
def test_bad_eaten_amount_is_a_field_error(client, challenge, nurse, clock, value):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    response = give_dose(client, challenge, clock.now, value)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["dose_form"].errors
    assert not challenge.doses.exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"temperature_c": "375"}, "temperature_c"),
        ({"spo2": "101"}, "spo2"),
        ({"heart_rate": "0"}, "heart_rate"),
        ({"systolic": "80", "diastolic": "95"}, "diastolic"),
        ({"pef": "-5"}, "pef"),
    ],
)
def test_impossible_vitals_are_refused(client, challenge, nurse, clock, values, field):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    response = client.post(reverse("challenges:vitals", args=[challenge.pk]), {"taken_at": local(clock.now), **values})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.context["vitals_form"].errors
    assert challenge.vitals.count() == 1  # only the baseline


def test_dose_time_in_the_future_or_before_the_challenge_is_refused(client, challenge, nurse, clock):
    from datetime import timedelta

    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    future = give_dose(client, challenge, clock.now + timedelta(minutes=10))
    assert future.status_code == HTTPStatus.BAD_REQUEST
    assert "cannot be in the future" in future.content.decode()
    past = give_dose(client, challenge, clock.now - timedelta(days=2))
    assert past.status_code == HTTPStatus.BAD_REQUEST
    assert "before the challenge was scheduled" in past.content.decode()
    assert not challenge.doses.exists()


@pytest.mark.parametrize("moment", ["2026-10-25T01:30", "2026-03-29T01:30", "2026-02-30T10:00", "yesterday"])
def test_ambiguous_missing_or_impossible_local_times_are_refused(moment):
    # Europe/London: 01:30 on 25 Oct 2026 happens twice; 01:30 on 29 Mar 2026 does not exist.
    from django.utils import timezone

    with timezone.override("Europe/London"):
        form = VitalsForm({"taken_at": moment, "heart_rate": "80"})
        assert not form.is_valid()
        assert "taken_at" in form.errors


def test_markup_is_shown_as_text_never_run(client, challenge, nurse, clock):
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    give_dose(client, challenge, clock.now)
    note = '<script>alert("x")</script>gnp.exe'
    response = client.post(
        reverse("challenges:observation", args=[challenge.pk]),
        {"item_code": "skin_pruritus", "severity": "1", "observed_at": local(clock.now), "note": note},
    )
    assert response.status_code == HTTPStatus.FOUND
    page = client.get(reverse("challenges:detail", args=[challenge.pk])).content.decode()
    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


@pytest.mark.parametrize(("text", "error"), [("a" * 10_001, "at most"), ("bad\x00byte", "Null characters")])
def test_oversized_or_null_text_is_refused(client, nurse, text, error):
    client.force_login(nurse)
    response = client.post(reverse("patients:create"), {**VALID_PATIENT, "notes": text})
    assert response.status_code == HTTPStatus.OK
    assert error in " ".join(response.context["form"].errors["notes"])
    assert not Patient.objects.exists()


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Zo\u00eb\u202eevil\u202c", "U+202E (right-to-left override)"),
        ("Ann\x07a", "U+0007 (control character)"),
        ("Jo\u2066hn", "U+2066 (left-to-right isolate)"),
    ],
)
def test_control_and_bidi_override_characters_in_a_name_are_refused(client, nurse, name, shown):
    client.force_login(nurse)
    response = client.post(reverse("patients:create"), {**VALID_PATIENT, "given_name": name})
    assert response.status_code == HTTPStatus.OK
    assert f"Remove the invisible character {shown}" in " ".join(response.context["form"].errors["given_name"])
    assert not Patient.objects.exists()


def test_right_to_left_names_without_overrides_are_kept(client, nurse):
    client.force_login(nurse)
    response = client.post(reverse("patients:create"), {**VALID_PATIENT, "given_name": "\u0633\u0627\u0631\u0629"})
    assert response.status_code == HTTPStatus.FOUND
    assert Patient.objects.get().given_name == "\u0633\u0627\u0631\u0629"


@pytest.mark.parametrize("reason", ["Phoned\x00 next day", "Phoned\x1b[31m next day"])
def test_a_control_character_in_a_reason_is_a_clear_refusal_not_a_500(client, challenge, allergist, reason):
    client.force_login(allergist)
    response = client.post(reverse("challenges:addendum", args=[challenge.pk]), {"reason": reason})
    assert response.status_code == HTTPStatus.BAD_REQUEST  # the page again, with the message
    page = response.content.decode()
    assert "Remove the invisible character" in page or "Null characters are not allowed" in page
    assert not challenge.events.filter(kind="addendum").exists()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(max_size=60), st.from_regex(r"-?[0-9]{0,14}(\.[0-9]{0,6})?", fullmatch=True)))
def test_any_text_in_the_dose_amount_is_either_a_number_in_range_or_a_field_error(text):
    form = DoseForm(
        {"food_amount": text, "given_at": "2026-11-26T09:00", "idempotency_key": "6a1c1f4e-5e4b-4e43-9f55-7a2f4f9b8d10"}
    )
    if form.is_valid():
        amount = form.cleaned_data["food_amount"]
        assert amount is not None
        assert 0 < amount <= 10000
        assert amount.is_finite()
    else:
        assert set(form.errors) <= {"food_amount", "__all__"}


@pytest.mark.parametrize("dose", ["0.3", "usual dose", "some"])
def test_a_treatment_dose_without_its_unit_is_a_field_error(client, challenge, nurse, clock, dose):
    client.force_login(nurse)
    data = {"kind": "antihistamine", "drug": "Cetirizine", "dose": dose, "route": "oral", "given_at": local(clock.now)}
    response = client.post(reverse("challenges:treatment", args=[challenge.pk]), data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Write the dose as a number and its unit first" in response.content.decode()
    assert not challenge.treatments.exists()
