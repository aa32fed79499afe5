"""Who may see and change the protocol library, through real URLs, for every member of the cast."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from challenges.models import Food, Protocol
from tests.challenges.factories_library import edit_data, library_url, new_protocol_data

# Every page of the library, and whether its URL names a protocol.
EVERY_PAGE = [
    ("protocol-list", False),
    ("protocol-create", False),
    ("protocol-detail", True),
    ("protocol-edit", True),
    ("protocol-clone", True),
    ("food-list", False),
    ("food-create", False),
]


@pytest.mark.parametrize(("name", "needs_pk"), EVERY_PAGE)
def test_anonymous_is_sent_to_login(client, clinic_protocol, name, needs_pk):
    response = client.get(library_url(name, clinic_protocol if needs_pk else None))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("name", "needs_pk"), EVERY_PAGE)
def test_patient_gets_404_everywhere(client, patient_user, clinic_protocol, name, needs_pk):
    client.force_login(patient_user)
    url = library_url(name, clinic_protocol if needs_pk else None)
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    if name not in ("protocol-list", "protocol-detail", "food-list"):  # read-only pages answer POST with 405
        assert client.post(url, {}).status_code == HTTPStatus.NOT_FOUND


def test_nurse_reads_but_cannot_write(client, nurse, practall, clinic_protocol, peanut_butter):
    client.force_login(nurse)
    assert client.get(library_url("protocol-detail", practall)).status_code == HTTPStatus.OK
    detail = client.get(library_url("protocol-detail", clinic_protocol)).content.decode()
    assert "4,443 mg" in detail
    assert library_url("protocol-edit", clinic_protocol) not in detail
    assert "Clone to my clinic" not in detail
    before = Protocol.objects.count(), Food.objects.count()
    for name, protocol in [
        ("protocol-create", None),
        ("protocol-edit", clinic_protocol),
        ("protocol-clone", practall),
        ("food-create", None),
    ]:
        assert client.get(library_url(name, protocol)).status_code == HTTPStatus.NOT_FOUND, name
    assert (
        client.post(library_url("protocol-create"), new_protocol_data(peanut_butter)).status_code
        == HTTPStatus.NOT_FOUND
    )
    edit = edit_data(clinic_protocol, name="Nurse edit")
    assert client.post(library_url("protocol-edit", clinic_protocol), edit).status_code == HTTPStatus.NOT_FOUND
    assert client.post(library_url("protocol-clone", practall)).status_code == HTTPStatus.NOT_FOUND
    assert client.post(library_url("food-create"), {"name": "X"}).status_code == HTTPStatus.NOT_FOUND
    assert (Protocol.objects.count(), Food.objects.count()) == before
    clinic_protocol.refresh_from_db()
    assert clinic_protocol.name == "PRACTALL 7-step peanut OFC (copy)"


def test_other_clinic_cannot_reach_a_clinic_protocol(
    client, other_clinic_nurse, other_clinic_allergist, clinic_protocol, practall
):
    client.force_login(other_clinic_nurse)
    assert client.get(library_url("protocol-detail", clinic_protocol)).status_code == HTTPStatus.NOT_FOUND
    assert client.get(library_url("protocol-detail", practall)).status_code == HTTPStatus.OK  # standard: every clinic
    client.force_login(other_clinic_allergist)
    assert client.get(library_url("protocol-edit", clinic_protocol)).status_code == HTTPStatus.NOT_FOUND
    edit = edit_data(clinic_protocol, name="Taken over")
    assert client.post(library_url("protocol-edit", clinic_protocol), edit).status_code == HTTPStatus.NOT_FOUND
    assert client.post(library_url("protocol-clone", clinic_protocol)).status_code == HTTPStatus.NOT_FOUND
    assert not Protocol.objects.filter(clinic=other_clinic_allergist.clinic).exists()
    clinic_protocol.refresh_from_db()
    assert clinic_protocol.name == "PRACTALL 7-step peanut OFC (copy)"


def test_standard_protocols_are_not_editable_in_place(client, allergist, practall):
    client.force_login(allergist)
    assert client.get(library_url("protocol-edit", practall)).status_code == HTTPStatus.NOT_FOUND
    response = client.post(library_url("protocol-edit", practall), edit_data(practall, name="Changed"))
    assert response.status_code == HTTPStatus.NOT_FOUND
    practall.refresh_from_db()
    assert practall.name == "PRACTALL 7-step peanut OFC"


@pytest.mark.parametrize(
    ("name", "needs_pk"), [("protocol-list", False), ("protocol-detail", True), ("food-list", False)]
)
def test_read_only_pages_refuse_post(client, nurse, practall, name, needs_pk):
    client.force_login(nurse)
    assert client.post(library_url(name, practall if needs_pk else None)).status_code == HTTPStatus.METHOD_NOT_ALLOWED


@pytest.mark.parametrize(
    ("name", "needs_pk"), [("protocol-create", False), ("protocol-edit", True), ("food-create", False)]
)
def test_forms_refuse_other_methods(client, allergist, clinic_protocol, name, needs_pk):
    client.force_login(allergist)
    assert (
        client.put(library_url(name, clinic_protocol if needs_pk else None)).status_code
        == HTTPStatus.METHOD_NOT_ALLOWED
    )
