"""Every other list and detail page issues a fixed number of SQL queries whatever the amount of data (issue 9).

Each page is measured with a small and a large data set; the counts must be equal, and are pinned below. Pages
already pinned (the challenge page, the patient list and detail) are in test_query_counts.py.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from challenges.library.services.foods import FoodDraft, food_create
from challenges.library.services.protocols import protocol_clone
from challenges.models import FollowUp
from challenges.run import services as runs
from tests.factories import PatientFactory
from tests.performance.test_query_counts import _count, _counts, _long_protocol, _run

SIZES = pytest.mark.parametrize("size", ["small", "large"])


def _clinic_day(patient, practall, allergist, nurse, clock, *, challenges: int) -> None:
    """Today's clinic list: the first challenge is dosing, the others are booked or checked in."""
    people = [patient] + [PatientFactory(clinic=patient.clinic) for _ in range(challenges - 1)]
    for n, person in enumerate(people):
        challenge = runs.challenge_schedule(
            patient=person,
            protocol=practall,
            scheduled_at=clock.now + timedelta(minutes=n),
            allergist=allergist,
            nurse=nurse,
            by=nurse,
        )
        if n == 0:
            _run(challenge, nurse, clock, doses=2, findings=1)
        elif n % 2:
            runs.challenge_check_in(challenge=challenge, by=nurse)


@SIZES
def test_staff_home_and_board_queries_do_not_grow(client, patient, practall, allergist, nurse, clock, size):
    _clinic_day(patient, practall, allergist, nurse, clock, challenges=1 if size == "small" else 8)
    client.force_login(nurse)
    assert _count(client, reverse("home")) == STAFF_HOME_QUERIES
    assert _counts(client, reverse("challenges:board")) == (BOARD_QUERIES, BOARD_HIT_QUERIES)
    assert _counts(client, reverse("challenges:board_fragment")) == (BOARD_QUERIES, BOARD_HIT_QUERIES)


def _home_plans(patient, home_protocol, allergist, nurse, clock, *, plans: int, doses: int) -> list:
    """Home plans under way: doses taken (the allergist lets each step go early), a symptom, overdue check-ins."""
    people = [patient] + [PatientFactory(clinic=patient.clinic) for _ in range(plans - 1)]
    made = []
    for person in people:
        plan = runs.challenge_schedule(
            patient=person,
            protocol=home_protocol,
            scheduled_at=clock.now,
            allergist=allergist,
            nurse=None,
            by=allergist,
        )
        for _ in range(doses):
            runs.dose_record(
                challenge=plan,
                by=allergist,
                food_amount=None,
                given_at=clock.now,
                idempotency_key=uuid.uuid4(),
                override_reason="Bench of the query count",
            )
            clock.move(minutes=5)
        runs.observation_record(
            challenge=plan, by=nurse, item_code=home_protocol.checklist_items[0], severity=1, observed_at=clock.now
        )
        for hours in (2, 24):
            FollowUp.objects.create(challenge=plan, due_at=clock.now - timedelta(hours=1), hours_after=hours)
        made.append(plan)
    return made


@SIZES
def test_attention_and_home_plan_queries_do_not_grow(
    client, patient, patient_user, home_protocol, allergist, nurse, clock, size
):
    plans = _home_plans(
        patient,
        home_protocol,
        allergist,
        nurse,
        clock,
        plans=1 if size == "small" else 6,
        doses=1 if size == "small" else 5,
    )
    client.force_login(nurse)
    assert _count(client, reverse("challenges:home-attention")) == ATTENTION_QUERIES
    assert _count(client, reverse("challenges:home-plan", args=[plans[0].pk])) == HOME_PLAN_STAFF_QUERIES
    client.force_login(patient_user)
    assert _count(client, reverse("challenges:home-plan", args=[plans[0].pk])) == HOME_PLAN_PATIENT_QUERIES


@SIZES
def test_protocol_pages_queries_do_not_grow(client, practall, clinic, allergist, size):
    protocol = practall if size == "small" else _long_protocol(practall, 30)
    if size == "large":
        for _ in range(12):
            protocol_clone(protocol=practall, clinic=clinic, by=allergist)
    client.force_login(allergist)
    assert _count(client, reverse("challenges:protocol-list")) == PROTOCOL_LIST_QUERIES
    assert _count(client, reverse("challenges:protocol-list") + "?all_versions=on") == PROTOCOL_LIST_QUERIES
    assert _count(client, reverse("challenges:protocol-detail", args=[protocol.pk])) == PROTOCOL_DETAIL_QUERIES


@SIZES
def test_food_list_queries_do_not_grow(client, library, clinic, allergist, size):
    for n in range(0 if size == "small" else 15):
        food_create(
            clinic=clinic,
            by=allergist,
            draft=FoodDraft(
                name=f"Clinic food {n}",
                form="powder",
                allergen_group="milk",
                protein_g_per_100=Decimal("30"),
                physical_form="powder",
                density_g_per_ml=None,
                protein_source="Label",
                household_measures={"tsp": "3"},
                serving_size=Decimal("30"),
                notes="",
            ),
        )
    client.force_login(allergist)
    assert _count(client, reverse("challenges:food-list")) == FOOD_LIST_QUERIES


@SIZES
def test_patient_history_queries_do_not_grow(client, patient, nurse, size):
    for n in range(2 if size == "small" else 20):
        patient.notes = f"Note {n}"
        patient.weight_kg = Decimal(40 + n)
        patient.save()
    client.force_login(nurse)
    response_count = _count(client, reverse("patients:history", args=[patient.pk]))
    assert response_count == PATIENT_HISTORY_QUERIES


def test_attention_still_lists_a_stopped_plan_with_a_recent_symptom(
    client, patient, home_protocol, allergist, nurse, clock
):
    """The attention page skips stopped plans unless something recent needs the clinic (the query that keeps it
    fast)."""
    (plan,) = _home_plans(patient, home_protocol, allergist, nurse, clock, plans=1, doses=1)
    runs.challenge_stop(challenge=plan, by=allergist, reason="Patient asked to stop")
    client.force_login(nurse)
    page = client.get(reverse("challenges:home-attention")).content.decode()
    assert "Symptoms reported in the last 72 h" in page
    assert patient.full_name in page
    clock.move(hours=80)  # the symptom is now older than 72 h, and the stopped plan has no open alert
    page = client.get(reverse("challenges:home-attention")).content.decode()
    assert "Symptoms reported in the last 72 h" not in page


STAFF_HOME_QUERIES = 16  # issue 16: + today's board counted for the clinic (the board's own queries, less the session)
BOARD_QUERIES = 17  # 5: what the observation end rests on (findings, vitals, treatments, events, discharge); 3: the
# medication check before the first dose (premedication, the medication list, wash-out decisions); 1: the
# pre-challenge checks (a failed one waits for the allergist's override, issue 16); h20page: + the board's version
# (its challenges' page versions) before its own load
BOARD_HIT_QUERIES = 4  # session, user, clinic; the board's version (clinics.page_cache)
ATTENTION_QUERIES = 24  # lot: + the food packs recorded (one prefetch); ladders: + the challenges that continue each
# plan (X5), one query
# h17: + the patient's other home plans (one query: earlier plans stay reachable from the plan page)
HOME_PLAN_STAFF_QUERIES = 25  # lot: + the food packs (one prefetch); ladders: + the continuing challenges (X5)
HOME_PLAN_PATIENT_QUERIES = 25  # lot: + the food packs (one prefetch); ladders: + the continuing challenges (X5)
PROTOCOL_LIST_QUERIES = 5
PROTOCOL_DETAIL_QUERIES = 7
FOOD_LIST_QUERIES = 4
PATIENT_HISTORY_QUERIES = 7
