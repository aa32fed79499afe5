"""The access log page: an allergist sees their own clinic's trail, filtered and paginated; nobody else sees it."""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import Action, AuditEvent
from audit.services import Entry, audit_append

URL = reverse("audit:event-list")
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def trail(client, nurse, patient, other_patient, other_clinic_nurse, other_clinic_patient):
    """Nurse opens patient A's chart on 1 Nov and patient B's on 3 Nov; a nurse of clinic 2 opens their own patient."""
    for day, who, person in (
        (1, nurse, patient),
        (3, nurse, other_patient),
        (3, other_clinic_nurse, other_clinic_patient),
    ):
        with time_machine.travel(datetime(2026, 11, day, 23, 30, tzinfo=LONDON), tick=False):
            client.force_login(who)
            assert client.get(reverse("patients:detail", args=[person.pk])).status_code == HTTPStatus.OK
    client.logout()


def _rows(response) -> list[AuditEvent]:
    return list(response.context["page"].object_list)


def test_allergist_sees_their_clinics_trail_newest_first(client, allergist, trail, patient, other_patient):
    client.force_login(allergist)
    response = client.get(URL)
    assert response.status_code == HTTPStatus.OK
    rows = _rows(response)
    assert rows == sorted(rows, key=lambda e: -e.seq)
    assert {e.clinic_id for e in rows} == {allergist.clinic_id}
    views = [e for e in rows if e.action == Action.CHART_VIEW]
    assert [e.patient for e in views] == [other_patient, patient]
    page = response.content.decode()
    assert "Chart opened" in page
    assert "Bea Otherperson" in page
    assert "Farawaysentinel" not in page


def test_filters_by_patient_action_and_date(client, allergist, trail, patient, other_patient):
    client.force_login(allergist)
    by_patient = _rows(client.get(URL, {"patient": patient.pk, "action": "chart.view"}))
    assert [(e.patient, e.action) for e in by_patient] == [(patient, "chart.view")]
    # 23:30 on 1 Nov in London is still 1 Nov locally (and 23:30 UTC)
    on_the_3rd = _rows(client.get(URL, {"action": "chart.view", "date_from": "2026-11-02", "date_to": "2026-11-03"}))
    assert [e.patient for e in on_the_3rd] == [other_patient]
    assert _rows(client.get(URL, {"date_from": "2026-11-02", "date_to": "2026-11-02"})) == []


def test_a_backwards_date_range_is_refused_with_a_message(client, allergist, trail):
    client.force_login(allergist)
    response = client.get(URL, {"date_from": "2026-11-03", "date_to": "2026-11-01"})
    assert response.status_code == HTTPStatus.OK
    assert "The end date is before the start date." in response.content.decode()


def test_a_patient_of_another_clinic_cannot_be_chosen(client, allergist, trail, other_clinic_patient):
    client.force_login(allergist)
    response = client.get(URL, {"patient": other_clinic_patient.pk})
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize("who", ["nurse", "patient_user", "other_clinic_nurse"])
def test_nurses_and_patients_get_404(client, request, who, trail):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == HTTPStatus.NOT_FOUND


def test_post_is_not_allowed(client, allergist):
    client.force_login(allergist)
    assert client.post(URL).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_query_count_does_not_grow_with_the_trail(client, allergist, nurse, patient):
    client.force_login(allergist)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, {"page": "2"}).status_code == HTTPStatus.OK
        return len(queries)

    for _ in range(60):
        audit_append(Entry(action=Action.CHART_VIEW, user=nurse, clinic_id=patient.clinic_id, patient_id=patient.pk))
    count()  # the first request may also extend the session (once a minute)
    small = count()
    for _ in range(140):
        audit_append(
            Entry(action=Action.CHART_VIEW, user=allergist, clinic_id=patient.clinic_id, patient_id=patient.pk)
        )
    assert count() == small


def test_pages_keep_the_filter(client, allergist, nurse, patient):
    for _ in range(55):
        audit_append(Entry(action=Action.CHART_VIEW, user=nurse, clinic_id=patient.clinic_id, patient_id=patient.pk))
    client.force_login(allergist)
    page = client.get(URL, {"action": "chart.view"}).content.decode()
    assert "?action=chart.view&amp;page=2" in page
    assert "Page 1 of 2" in page


def test_the_admin_shows_the_trail_read_only(client, patient):
    from tests.factories import UserFactory

    admin = UserFactory(username="t-admin", role="", clinic=None, is_staff=True, is_superuser=True)
    client.force_login(admin)
    event = AuditEvent.objects.order_by("seq").first()
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == HTTPStatus.OK
    change = reverse("admin:audit_auditevent_change", args=[event.pk])
    page = client.get(change).content.decode()
    assert 'name="_save"' not in page
    assert event.hash in page
    assert client.post(change, {"username": "x"}).status_code == HTTPStatus.FORBIDDEN
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == HTTPStatus.FORBIDDEN
    assert client.post(reverse("admin:audit_auditevent_delete", args=[event.pk])).status_code == HTTPStatus.FORBIDDEN
    assert AuditEvent.objects.get(pk=event.pk).username == event.username
