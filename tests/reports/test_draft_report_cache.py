"""The unsigned report's snapshot stored per page version (challenges.reports.drafts, docs/page-cache.md).

Downloaded through the real URL: a download of an unchanged draft is drawn from the stored snapshot and reads exactly
as a fresh build would at that moment; any write the report shows (a dose, a symptom, the patient's history) is in
the very next download; what changes by the clock alone (the observation period ending, a new day, the booked start)
makes the stored snapshot expire.
"""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.cache import caches
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from challenges import page_version
from challenges.models import Challenge
from challenges.reports import drafts
from challenges.reports.build_challenge import challenge_report
from clinical.dates import format_when
from clinics import page_cache
from tests.reports.helpers import text
from tests.run.helpers import give_dose, observe, pass_checks
from tests.run.test_flow import _run_doses

pytestmark = pytest.mark.usefixtures("empty_page_cache")


@pytest.fixture
def dosing(client, challenge, nurse, clock) -> Challenge:
    """The nurse at the bedside, checks passed, dose 1 given 30 min ago."""
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    _run_doses(client, challenge, clock, 1)
    return challenge


def _report(client, challenge) -> str:
    response = client.get(reverse("challenges:report", args=[challenge.pk]))
    assert response.status_code == HTTPStatus.OK
    return text(response.content)


def _fresh(client, challenge) -> str:
    caches[page_cache.CACHE_ALIAS].clear()
    return _report(client, challenge)


def _stored(challenge) -> drafts._Stored:
    challenge.refresh_from_db()
    stored = caches[page_cache.CACHE_ALIAS].get(drafts.key(challenge.pk, challenge.page_version))
    assert stored is not None
    return stored


def test_an_unchanged_draft_is_drawn_from_the_stored_snapshot_and_reads_as_a_fresh_build(client, dosing):
    with CaptureQueriesContext(connection) as built:
        first = _report(client, dosing)
    with CaptureQueriesContext(connection) as served:
        again = _report(client, dosing)
    assert len(served) < len(built) - 10  # the report's own reads (19) are not made again
    assert again == first == _fresh(client, dosing)
    assert "UNSIGNED DRAFT" in again


def test_the_stored_snapshot_is_the_one_a_fresh_build_makes(dosing, clock):
    drafts.draft(dosing)
    clock.move(minutes=3)
    assert drafts.draft(dosing) == challenge_report(dosing)  # the time it is made included


def test_a_draft_served_later_is_dated_when_it_is_made(client, dosing, clock):
    _report(client, dosing)
    clock.move(minutes=3)
    served = _report(client, dosing)
    assert format_when(timezone.localtime(clock.now, dosing.clinic.tzinfo)) in served
    assert served == _fresh(client, dosing)


def test_a_symptom_recorded_is_in_the_next_download(client, dosing, clock):
    assert "hives on the trunk" not in _report(client, dosing)
    response = observe(client, dosing, "skin_urticaria", 2, clock.now, "hives on the trunk")
    assert response.status_code == HTTPStatus.FOUND
    served = _report(client, dosing)
    assert "hives on the trunk" in served
    assert served == _fresh(client, dosing)


def test_a_dose_given_is_in_the_next_download(client, dosing, clock):
    before = _report(client, dosing)
    assert give_dose(client, dosing, clock.now).status_code == HTTPStatus.FOUND  # dose 2, due now; the clock stays
    served = _report(client, dosing)
    assert served != before
    assert served == _fresh(client, dosing)


def test_a_trigger_added_to_the_patients_history_is_in_the_next_download(client, dosing):
    assert "Corn" not in _report(client, dosing)
    data = {"substance": "Corn", "reaction_type": "mcas", "worst_reaction_on": "2025-03-01"}
    data |= {"worst_reaction_severity": "moderate", "notes": ""}
    response = client.post(reverse("patients:trigger-create", args=[dosing.patient.pk]), data)
    assert response.status_code == HTTPStatus.FOUND
    assert "Corn" in _report(client, dosing)


def test_the_stored_snapshot_expires_when_the_observation_period_ends(client, dosing, clock):
    _run_doses(client, dosing, clock, 5)  # every dose given; the observation runs 2 h from the last
    _report(client, dosing)
    stored = _stored(dosing)
    ends_at = stored.expires_at
    assert ends_at <= clock.now + page_cache.MAX_AGE
    for moment in (timedelta(seconds=-1), timedelta(0)):
        clock.move(seconds=(ends_at + moment - clock.now).total_seconds())
        served = _report(client, dosing)
        assert served == _fresh(client, dosing)


@pytest.mark.parametrize("after", [timedelta(minutes=9, seconds=59), timedelta(minutes=10), timedelta(hours=3)])
def test_across_the_clock_a_download_reads_as_a_fresh_build(client, dosing, clock, after):
    _report(client, dosing)
    clock.move(seconds=after.total_seconds())
    served = _report(client, dosing)
    assert served == _fresh(client, dosing)


def test_a_stored_snapshot_holds_until_the_first_instant_it_would_read_differently(client, dosing, clock):
    _report(client, dosing)
    stored = _stored(dosing)
    assert stored.built_at == clock.now
    assert stored.expires_at == clock.now + page_cache.MAX_AGE  # no observation end or booked start sooner
    assert stored.holds(clock.now)
    assert not stored.holds(stored.expires_at)
    assert not stored.holds(clock.now - timedelta(seconds=1))  # a clock set back


def test_before_the_booked_start_the_snapshot_is_kept_a_minute_at_most(client, challenge, nurse, clock):
    client.force_login(nurse)
    clock.move(hours=-2)  # two hours before the booked start: the washout review is dated against today
    _report(client, challenge)
    assert _stored(challenge).expires_at == clock.now + page_cache.BEFORE_START_MAX_AGE


def test_the_key_is_per_page_version(client, dosing):
    _report(client, dosing)
    page_version.bump(Q(pk=dosing.pk))  # what the receiver does on any write the report reads
    with CaptureQueriesContext(connection) as rebuilt:
        _report(client, dosing)
    assert any("challenges_dose" in q["sql"] for q in rebuilt.captured_queries)
