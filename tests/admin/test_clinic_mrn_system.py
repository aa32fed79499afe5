"""A clinic's MRN identifier system (FHIR exports) is edited with its other settings in the admin: an absolute URI
only, and the change is in the audit trail."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from clinics.models import Clinic, new_mrn_system, validate_absolute_uri
from tests.admin.conftest import model_permissions
from tests.admin.support import admin_url
from tests.admin.test_clinical_writes import _form_data


def test_the_mrn_system_is_changed_in_the_admin_and_trailed(client, world, make_staff):
    client.force_login(make_staff(*model_permissions(Clinic, ["view", "change"])))
    clinic = world.a.clinic
    before = clinic.mrn_system
    url = admin_url(Clinic, "change", clinic.pk)
    response = client.post(url, {**_form_data(client, url), "mrn_system": "urn:oid:2.16.840.1.113883.19.5"})
    assert response.status_code == HTTPStatus.FOUND
    clinic.refresh_from_db()
    assert clinic.mrn_system == "urn:oid:2.16.840.1.113883.19.5"
    (event,) = AuditEvent.objects.filter(action="settings.change", object_id=str(clinic.pk))
    assert event.details["change"] == {"mrn_system": [before, "urn:oid:2.16.840.1.113883.19.5"]}


def test_a_local_name_is_refused_as_mrn_system(client, world, make_staff):
    client.force_login(make_staff(*model_permissions(Clinic, ["view", "change"])))
    clinic = world.a.clinic
    url = admin_url(Clinic, "change", clinic.pk)
    response = client.post(url, {**_form_data(client, url), "mrn_system": "urn:stepwise:clinic:1:mrn"})
    assert response.status_code == HTTPStatus.OK
    assert "Enter an absolute URI" in response.content.decode()
    assert Clinic.objects.get(pk=clinic.pk).mrn_system != "urn:stepwise:clinic:1:mrn"


@pytest.mark.parametrize(
    "value",
    [
        "https://hospital.example.org/fhir/mrn",
        "urn:oid:1.2.826.0.1.3680043.2.1",
        f"urn:uuid:{'a' * 8}-aaaa-aaaa-aaaa-{'a' * 12}",
    ],
)
def test_absolute_uris_are_accepted(value):
    assert validate_absolute_uri(value) is None  # no ValidationError


@pytest.mark.parametrize(
    "value", ["", "mrn", "urn:stepwise:mrn", "http://", "https://x y", "urn:oid:1..2", "urn:uuid:ABC"]
)
def test_other_systems_are_refused(value):
    with pytest.raises(ValidationError):
        validate_absolute_uri(value)


def test_each_new_clinic_gets_its_own_default(db):
    first, second = new_mrn_system(), new_mrn_system()
    assert first != second
    validate_absolute_uri(first)
    one = Clinic.objects.create(name="One")
    two = Clinic.objects.create(name="Two")
    assert one.mrn_system != two.mrn_system
    assert one.fhir_namespace != two.fhir_namespace
