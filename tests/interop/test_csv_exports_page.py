"""The CSV tables live on the clinic exports page, take a range of dates and stream (issue 18)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from http import HTTPStatus

from django.urls import reverse

from challenges.run.services import challenge_schedule
from tests.helpers import START
from tests.interop.conftest import run_passed


def rows(response) -> list[dict[str, str]]:
    assert response.status_code == HTTPStatus.OK
    assert response.streaming  # StreamingHttpResponse: the file is written row by row
    chunks = list(response.streaming_content)
    assert len(chunks) > 2  # the header, then one piece per row: never one whole-table string
    return list(csv.DictReader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))


def test_the_exports_page_is_in_the_staff_nav_and_offers_both_tables(client, nurse):
    client.force_login(nurse)
    page = client.get(reverse("challenges:board")).content.decode()
    assert f'href="{reverse("challenges:exports")}"' in page  # in the nav
    assert reverse("challenges:export-doses") not in page  # no longer on the Today board
    page = client.get(reverse("challenges:exports")).content.decode()
    assert 'name="start"' in page
    assert 'name="end"' in page
    assert f'action="{reverse("challenges:export-doses")}"' in page
    assert f'formaction="{reverse("challenges:export-observations")}"' in page


def test_a_date_range_keeps_only_the_challenges_scheduled_in_it(
    client, nurse, allergist, practall, patient, other_patient, failed_challenge, clock
):
    clock.move(days=10)
    later = run_passed(other_patient, practall, allergist, nurse, clock)  # ten days after the failed one
    client.force_login(nurse)
    url = reverse("challenges:export-doses")
    everything = rows(client.get(url))
    assert {r["challenge_id"] for r in everything} == {str(failed_challenge.pk), str(later.pk)}
    first_day = START.date().isoformat()
    only_first = rows(client.get(url, {"start": first_day, "end": first_day}))
    assert {r["challenge_id"] for r in only_first} == {str(failed_challenge.pk)}
    response = client.get(url, {"start": (START.date() + timedelta(days=1)).isoformat()})
    assert f"stepwise-doses-{(START.date() + timedelta(days=1)).isoformat()}-to-" in response["Content-Disposition"]
    assert {r["challenge_id"] for r in rows(response)} == {str(later.pk)}
    findings = rows(client.get(reverse("challenges:export-observations"), {"end": first_day}))
    assert {r["challenge_id"] for r in findings} == {str(failed_challenge.pk)}


def test_the_end_of_the_range_is_the_whole_day_in_the_clinics_zone(client, nurse, allergist, practall, patient):
    late_evening = START.replace(hour=23, minute=30)  # 23:30 London on the last day of the range
    challenge_schedule(
        patient=patient, protocol=practall, scheduled_at=late_evening, allergist=allergist, nurse=nurse, by=nurse
    )
    client.force_login(nurse)
    day = START.date().isoformat()
    response = client.get(reverse("challenges:export-doses"), {"start": day, "end": day})
    assert response.status_code == HTTPStatus.OK
    # no dose given yet: only the header, but the challenge was in range (a planned challenge has no dose row)
    assert b"".join(response.streaming_content).decode("utf-8-sig").startswith('"challenge_id"')


def test_a_reversed_or_malformed_range_is_refused_on_the_page_with_the_reason(client, nurse, failed_challenge):
    client.force_login(nurse)
    url = reverse("challenges:export-doses")
    response = client.get(url, {"start": "2026-12-01", "end": "2026-11-01"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not response.streaming
    assert "The end date is before the start date." in response.content.decode()
    response = client.get(url, {"start": "yesterday"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Enter a valid date." in response.content.decode()
    response = client.get(url, {"start": "2016-01-01", "end": "2026-11-01"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "at most ten years" in response.content.decode()


def test_patients_cannot_open_the_exports_page(client, patient_user):
    client.force_login(patient_user)
    assert client.get(reverse("challenges:exports")).status_code == HTTPStatus.NOT_FOUND
