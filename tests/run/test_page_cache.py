"""The bedside page rendered once per page version (clinics.page_cache, challenges.page_version).

- Every kind of write the page shows gives the challenge a new page version (real form posts), so a page rendered
  before it can never be served after it; and every model with a challenge or a patient is in the receiver's table.
- A page served from the cache equals a fresh render apart from the per-request tokens (the CSRF token and the
  one-time keys, new on every request), and its countdowns read right to the second.
- Across each clock boundary (a dose becoming due, amber, red; the observation period ending) the entry expires.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import pytest
from django.apps import apps
from django.core.cache import caches
from django.urls import reverse

from challenges import page_version
from challenges.models import Challenge, Dose
from clinics import page_cache
from clinics.models import User
from patients.models import Patient
from tests.run.helpers import give_dose, observe, pass_checks, vitals
from tests.run.test_flow import _run_doses
from tests.run.test_food_lot_flow import PACK

VITALS = {"heart_rate": "90", "systolic": "118", "diastolic": "74", "resp_rate": "18", "spo2": "98"}
TREATMENT = {"kind": "antihistamine", "drug": "Cetirizine", "dose": "10 mg", "route": "oral"}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
KEY = re.compile(r'(name="(?:idempotency_key|submission_key)" value=")[0-9a-f-]{36}"')


pytestmark = pytest.mark.usefixtures("empty_page_cache")


@pytest.fixture
def dosing(client, challenge, nurse, clock) -> Challenge:
    """The nurse at the bedside, checks passed, dose 1 given 30 min ago: dose 2 due now."""
    client.force_login(nurse)
    pass_checks(client, challenge, clock.now)
    _run_doses(client, challenge, clock, 1)
    _page(client, challenge)  # shows (and so ends) the flash messages of the posts
    caches[page_cache.CACHE_ALIAS].clear()
    return challenge


def _page(client, challenge) -> str:
    response = client.get(reverse("challenges:detail", args=[challenge.pk]))
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def _version(challenge) -> int:
    return Challenge.objects.values_list("page_version", flat=True).get(pk=challenge.pk)


def _normalised(page: str) -> str:
    """The page without what is new on every request: the CSRF token and each form's one-time key."""
    return KEY.sub(r'\1KEY"', CSRF.sub('name="csrfmiddlewaretoken" value="CSRF"', page))


def _main(page: str) -> str:
    """The page's main content (the part the cache stores; the footer shows the minute)."""
    return page[page.index("<main") : page.index("</main>")]


def _as(user_attr: str) -> Callable[..., Any]:
    """Sign in as `user_attr` (a fixture's name) before the write."""

    def wrap(write: Callable[..., Any]) -> Callable[..., Any]:
        def signed_in(client, challenge, clock, users):
            client.force_login(users[user_attr])
            return write(client, challenge, clock, users)

        return signed_in

    return wrap


def _post(name: str, data: dict[str, Any] | None = None, *args: Any) -> Callable[..., Any]:
    def write(client, challenge, clock, users):
        return client.post(reverse(f"challenges:{name}", args=[challenge.pk, *args]), data or {})

    return write


def _dose(client, challenge, clock, users):
    return give_dose(client, challenge, clock.now)


def _finding(client, challenge, clock, users):
    return observe(client, challenge, "skin_urticaria", 2, clock.now, "hives on the trunk")


def _vitals(client, challenge, clock, users):
    return vitals(client, challenge, clock.now, **VITALS)


def _dose_in_error(client, challenge, clock, users):
    dose = Dose.objects.filter(challenge=challenge).latest("sequence")
    url = reverse("challenges:dose-error", args=[challenge.pk, dose.pk])
    return client.post(url, {"reason": "Recorded on the wrong patient"})


def _decision(client, challenge, clock, users):
    _finding(client, challenge, clock, users)
    alert = challenge.alerts.get()
    before = _version(challenge)
    client.force_login(users["allergist"])
    url = reverse("challenges:decide", args=[challenge.pk, alert.pk])
    response = client.post(url, {"decision": "stop", "reason": "Objective urticaria"})
    assert _version(challenge) != before
    return response


def _patient_edit(client, challenge, clock, users):
    patient = challenge.patient
    data = {
        "mrn": patient.mrn,
        "given_name": "Zoë",
        "family_name": "Ångström-Nguyễn",
        "date_of_birth": "2015-04-17",
        "sex": "female",
        "weight_kg": "31.5",
        "weight_measured_on": "2026-10-02",
        "conditions": [],
        "other_conditions": "",
        "autoinjector_dose": "0.3",
        "emergency_contact_name": "Linh",
        "emergency_contact_phone": "+44 7700 900123",
        "seen_version": patient.version,
    }
    return client.post(reverse("patients:edit", args=[patient.pk]), data)


def _trigger(client, challenge, clock, users):
    data = {"substance": "Corn", "reaction_type": "mcas", "worst_reaction_on": "2025-03-01"}
    data |= {"worst_reaction_severity": "moderate", "notes": ""}
    return client.post(reverse("patients:trigger-create", args=[challenge.patient.pk]), data)


def _medication(client, challenge, clock, users):
    data = {"name": "Cromolyn", "dose": "200 mg", "schedule": "4× daily", "med_class": "mast_cell_stabiliser"}
    return client.post(reverse("patients:medication-create", args=[challenge.patient.pk]), data)


def _test_result(client, challenge, clock, users):
    data = {"kind": "specific_ige", "allergen": "Peanut", "component": "", "value": "2.1", "taken_on": "2026-09-14"}
    return client.post(reverse("patients:diagnostic-create", args=[challenge.patient.pk]), data)


WRITES = {
    "dose": _dose,
    "finding": _finding,
    "vital signs": _vitals,
    "treatment": _post("treatment", TREATMENT),
    "adrenaline": _post("adrenaline", {"idempotency_key": str(uuid.uuid4())}),
    "stop alert decided": _decision,
    "stopped": _as("allergist")(_post("stop", {"reason": "Child refused further doses"})),
    "addendum": _post("addendum", {"reason": "Phoned: well"}),
    "dose entered in error": _dose_in_error,
    "observation ended early": _as("allergist")(_post("finish-observation", {"reason": "Parents must leave"})),
    "patient demographics": _patient_edit,
    "trigger": _trigger,
    "medication": _medication,
    "allergy test result": _test_result,
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_every_write_the_page_shows_gives_a_new_page_version(client, dosing, nurse, allergist, clock, write):
    users = {"nurse": nurse, "allergist": allergist}
    before = _version(dosing)
    stale = _page(client, dosing)  # rendered and stored for the version before the write
    response = write(client, dosing, clock, users)
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    assert _version(dosing) != before
    client.force_login(nurse)
    assert _normalised(_main(_page(client, dosing))) != _normalised(_main(stale))


def test_pre_challenge_checks_and_food_used_give_a_new_page_version(client, challenge, nurse, clock):
    client.force_login(nurse)
    before = _version(challenge)
    pass_checks(client, challenge, clock.now)
    after_checks = _version(challenge)
    response = client.post(reverse("challenges:food-lot", args=[challenge.pk]), PACK)
    assert response.status_code == HTTPStatus.FOUND
    assert len({before, after_checks, _version(challenge)}) == 3


def test_cancelling_gives_a_new_page_version(client, challenge, nurse):
    client.force_login(nurse)
    before = _version(challenge)
    response = client.post(reverse("challenges:cancel", args=[challenge.pk]), {"reason": "Unwell today"})
    assert response.status_code == HTTPStatus.FOUND
    assert _version(challenge) != before


def test_signing_and_the_outcome_give_a_new_page_version(client, dosing, nurse, allergist, clock):
    _run_doses(client, dosing, clock, 6)
    clock.move(hours=2)
    client.post(reverse("challenges:finish-observation", args=[dosing.pk]))
    client.force_login(allergist)
    before = _version(dosing)
    outcome = {
        "outcome": "passed",
        "reason": "All doses tolerated",
        "grade_scale": "wao_2010",
        "grade": "none",
        "advice": "eat_regularly",
        "new_adrenaline_prescription": "no",
        "discharge_notes": "Peanut weekly.",
    }
    assert client.post(reverse("challenges:outcome", args=[dosing.pk]), outcome).status_code == HTTPStatus.FOUND
    confirmed = _version(dosing)
    assert client.post(reverse("challenges:sign", args=[dosing.pk])).status_code == HTTPStatus.FOUND
    assert len({before, confirmed, _version(dosing)}) == 3


def test_staff_library_and_clinic_changes_give_a_new_page_version(dosing, nurse, clinic):
    for change in (
        lambda: nurse.save(),  # a name or a role: shown as who gave a dose, offered in the dose form
        lambda: clinic.save(),
        lambda: dosing.protocol.save(),
        lambda: dosing.protocol.food.save(),
        lambda: dosing.patient.save(),
    ):
        before = _version(dosing)
        change()
        assert _version(dosing) != before
    before = _version(dosing)
    User.objects.get(pk=nurse.pk).save(update_fields=["last_login"])  # a sign-in shows nowhere on the page
    assert _version(dosing) == before


def test_every_model_with_a_challenge_or_a_patient_is_in_the_receivers_table():
    """A new model that the page could show must say which pages it changes (challenges.page_version)."""
    not_shown = {"audit.AuditEvent", "challenges.CalendarFeed"}  # the chart-read log; the patient's calendar link
    missing = []
    for model in apps.get_models():
        label = model._meta.label
        if model.__name__.startswith("Historical") or label in not_shown:
            continue
        targets = {f.related_model for f in model._meta.concrete_fields if f.is_relation}
        if targets & {Challenge, Patient} and model not in page_version._PAGES_OF:
            missing.append(label)
    assert missing == []


# --- serving from the cache ----------------------------------------------------------------------------------


def test_a_hit_equals_a_fresh_render_apart_from_the_tokens(client, dosing, clock):
    clock.move(minutes=-10)  # dose 2 due in 10 min: a countdown on the page
    miss = _page(client, dosing)
    hit = _page(client, dosing)
    caches[page_cache.CACHE_ALIAS].clear()
    fresh = _page(client, dosing)
    assert 'data-testid="countdown"' in miss
    assert _normalised(hit) == _normalised(miss) == _normalised(fresh)
    # the tokens are new on every request, and each form has its own key
    hit_keys = re.findall(r'name="idempotency_key" value="([0-9a-f-]{36})"', hit)
    assert len(hit_keys) >= 2  # the dose form and the adrenaline form
    assert len(set(hit_keys)) == len(hit_keys)
    assert not set(hit_keys) & set(re.findall(r'name="idempotency_key" value="([0-9a-f-]{36})"', miss))
    assert "@@hole-" not in hit


def test_a_hit_words_its_countdown_for_the_second_it_is_served(client, dosing, clock):
    clock.move(minutes=-10)
    assert "10 min left" in _page(client, dosing)
    clock.move(seconds=35)  # the same entry (no boundary passed), worded 35 s later
    page = _page(client, dosing)
    assert "9 min 25 s left" in page
    caches[page_cache.CACHE_ALIAS].clear()
    assert _normalised(_page(client, dosing)) == _normalised(page)


@pytest.mark.parametrize(
    "moment",
    [
        timedelta(seconds=-1),  # just before the dose is due
        timedelta(seconds=0),  # due: "Due now"
        timedelta(seconds=59),
        timedelta(minutes=1),  # overdue: amber
        timedelta(minutes=10),
        timedelta(minutes=10, seconds=1),  # red
        timedelta(hours=3),
    ],
    ids=lambda d: str(d),
)
def test_across_each_clock_boundary_a_hit_equals_a_fresh_render(client, dosing, clock, moment):
    due = clock.now  # dose 2 is due now (dose 1 was 30 min ago)
    clock.move(minutes=-15)
    _page(client, dosing)  # stored 15 min before the dose is due
    clock.move(seconds=(due + moment - clock.now).total_seconds())
    served = _page(client, dosing)
    caches[page_cache.CACHE_ALIAS].clear()
    assert _normalised(served) == _normalised(_page(client, dosing))


def test_when_the_observation_period_ends_the_entry_expires(client, dosing, clock):
    _run_doses(client, dosing, clock, 6)  # every dose given; the observation runs 2 h from the last
    _page(client, dosing)  # the flash messages
    stored = _page(client, dosing)
    assert "Observation after the last dose" in stored
    clock.move(hours=2, seconds=1)
    served = _page(client, dosing)
    caches[page_cache.CACHE_ALIAS].clear()
    assert _normalised(served) == _normalised(_page(client, dosing))


def test_the_entry_holds_the_earliest_future_instant_its_rendering_changes(client, dosing, clock):
    clock.move(minutes=-10)
    _page(client, dosing)
    key = page_cache.page_key("challenge", dosing.pk, _version(dosing), _Request(client))
    entry = caches[page_cache.CACHE_ALIAS].get(key)
    assert entry.expires_at == clock.now + timedelta(minutes=10)  # dose 2 becomes due


class _Request:
    """What page_key reads of a request: the signed-in user."""

    def __init__(self, client) -> None:
        self.user = User.objects.get(pk=client.session["_auth_user_id"])


def test_each_user_has_their_own_entry(client, dosing, nurse, allergist, clock):
    nurse_page = _page(client, dosing)
    client.force_login(allergist)
    allergist_page = _page(client, dosing)
    assert "Record the decision" not in nurse_page
    assert _normalised(allergist_page) != _normalised(nurse_page)  # the user's name in the nav bar at least


def test_another_clinics_user_gets_404_even_when_the_page_is_cached(client, dosing, other_clinic_nurse):
    _page(client, dosing)
    client.force_login(other_clinic_nurse)
    response = client.get(reverse("challenges:detail", args=[dosing.pk]))
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_a_hit_still_writes_the_chart_read_audit_row(client, dosing):
    from audit.models import Action, AuditEvent

    _page(client, dosing)
    before = AuditEvent.objects.filter(action=Action.CHART_VIEW, object_id=str(dosing.pk)).count()
    _page(client, dosing)
    after = AuditEvent.objects.filter(action=Action.CHART_VIEW, object_id=str(dosing.pk)).count()
    assert after == before + 1


# --- the board and the patient record ------------------------------------------------------------------------


def test_the_board_is_served_from_the_cache_until_a_challenge_on_it_changes(client, dosing, clock):
    board = reverse("challenges:board_fragment")
    clock.move(minutes=-10)  # dose 2 due in 10 min
    stored = client.get(board).content.decode()
    assert "10 min left" in stored
    clock.move(seconds=5)
    hit = client.get(board).content.decode()
    assert "9 min 55 s left" in hit
    caches[page_cache.CACHE_ALIAS].clear()
    assert client.get(board).content.decode() == hit
    clock.move(minutes=10)
    give_dose(client, dosing, clock.now)
    after = client.get(board).content.decode()
    caches[page_cache.CACHE_ALIAS].clear()
    assert client.get(board).content.decode() == after
    assert after != hit


def test_the_patient_record_shows_a_new_trigger_at_once(client, dosing):
    record = reverse("patients:detail", args=[dosing.patient.pk])
    assert "Corn" not in _page_of(client, record)
    assert _trigger(client, dosing, None, {}).status_code == HTTPStatus.FOUND
    _page_of(client, record)  # the flash message
    shown = _page_of(client, record)
    assert "Corn" in shown
    caches[page_cache.CACHE_ALIAS].clear()
    assert _normalised(_page_of(client, record)) == _normalised(shown)


def _page_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()
