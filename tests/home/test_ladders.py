"""Ladders of different foods (X4), keeping the tolerated amount between steps (X11) and linked challenges (X5, P2),
through real URLs, with the printed home plan and the challenge report read back (docs/clinical-sources.md §13)."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.urls import reverse

from challenges.library.models import Protocol
from challenges.run.models import Challenge
from tests.helpers import START
from tests.home.change_rows import plan_change_data
from tests.interop.conftest import run_passed
from tests.reports.helpers import text
from tests.run.helpers import local

LADDER = "Milk ladder at home (iMAP/MAP rungs)"
HOME_DAYS = "ASCIA peanut days 2-7 at home (after a negative clinic challenge)"
BISCUIT = "Milk ladder biscuit, iMAP recipe, home-baked"
MUFFIN = "Milk ladder muffin, iMAP recipe, home-baked"


def _book(client, patient, user, protocol, allergist, **extra) -> Challenge:
    """Book through the booking page (showing the medication check first when it has something to say)."""
    client.force_login(user)
    url = reverse("challenges:schedule", args=[patient.pk])
    data = {
        "protocol": str(protocol.pk),
        "scheduled_at": local(START),
        "purpose": "diagnosis",
        "allergist": str(allergist.pk),
        "nurse": "",
        "placebo_steps": "",
        **extra,
    }
    response = client.post(url, data)
    if response.status_code == HTTPStatus.OK:
        reviewed = re.search(r'name="reviewed" value="([0-9a-f]+)"', response.content.decode())
        assert reviewed, response.content.decode()[-3000:]
        response = client.post(url, {**data, "reviewed": reviewed.group(1)})
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[-3000:]
    return Challenge.objects.filter(patient=patient).latest("pk")


def _take_step(client, plan, now):
    data = {"given_at": local(now), "idempotency_key": str(uuid.uuid4()), "ate_all": "on"}
    response = client.post(reverse("challenges:home-step", args=[plan.pk]), data)
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[-3000:]


@pytest.fixture
def ladder(library) -> Protocol:
    return Protocol.objects.get(clinic=None, name=LADDER)


def test_the_milk_ladder_is_booked_and_each_rung_is_recorded_in_its_own_food(
    client, ladder, patient, patient_user, allergist, nurse, clock
):
    plan = _book(client, patient, nurse, ladder, allergist, first_step_in_clinic="false")
    client.force_login(patient_user)
    page = client.get(reverse("challenges:home-plan", args=[plan.pk])).content.decode()
    assert "1 biscuit" in page
    assert BISCUIT.lower() in page.lower()
    # Rungs 1-4: three biscuits, then half a muffin, each a week apart (§13.1).
    for rung in range(4):
        if rung:
            clock.move(days=7)
        _take_step(client, plan, clock.now)
    doses = list(plan.doses.order_by("sequence"))
    # 10 g of biscuit at 0.35 g milk protein per 100 g = 35 mg; 25 g of muffin at 1.75 g per 100 g = 437.5 mg.
    assert [d.protein_mg for d in doses] == [Decimal("35"), Decimal("70"), Decimal("105"), Decimal("437.5")]
    assert doses[3].food_amount == Decimal("25")
    # X11: the half muffin is kept daily until the next rung, on the page and next to its day in the calendar.
    page = client.get(reverse("challenges:home-plan", args=[plan.pk])).content.decode()
    assert f"Keep eating 1/2 muffin (25 g) of {MUFFIN} daily until the next step." in page
    assert 'data-testid="maintenance-day"' in page
    # The clinic's bedside page names the food of every step and of every dose given.
    client.force_login(nurse)
    page = client.get(reverse("challenges:detail", args=[plan.pk])).content.decode()
    assert "Cow&#x27;s milk, whole, 3.25 %" in page
    assert "Cheese, cheddar" in page
    assert page.count(MUFFIN) >= 3  # two planned rungs and the dose given


def test_maintenance_follows_a_step_back_in_a_changed_plan(
    client, ladder, patient, patient_user, allergist, nurse, clock
):
    plan = _book(client, patient, nurse, ladder, allergist, first_step_in_clinic="false")
    client.force_login(patient_user)
    _take_step(client, plan, clock.now)
    clock.move(days=7)
    _take_step(client, plan, clock.now)
    page = client.get(reverse("challenges:home-plan", args=[plan.pk])).content.decode()
    assert f"Keep eating 2 biscuits (20 g) of {BISCUIT} daily until the next step." in page
    # Tummy ache on 2 biscuits: the allergist steps the plan back to 1 biscuit, then up again.
    client.force_login(allergist)
    change = plan_change_data([("10", "g", "7"), ("20", "g", "7")], reason="Tummy ache on 2 biscuits; one rung back")
    assert client.post(reverse("challenges:home-change", args=[plan.pk]), change).status_code == HTTPStatus.FOUND
    plan.refresh_from_db()
    assert [s.food_id for s in plan.protocol.steps.order_by("number")][:2] == [None, None]
    clock.move(days=7)
    client.force_login(patient_user)
    _take_step(client, plan, clock.now)
    page = client.get(reverse("challenges:home-plan", args=[plan.pk])).content.decode()
    assert "Keep eating 10 g of Milk ladder biscuit" in page


def test_a_changed_plan_keeps_the_food_of_the_rungs_already_taken(
    client, ladder, patient, patient_user, allergist, nurse, clock
):
    plan = _book(client, patient, nurse, ladder, allergist, first_step_in_clinic="false")
    client.force_login(patient_user)
    for rung in range(4):  # up to the half muffin, a rung of another food
        if rung:
            clock.move(days=7)
        _take_step(client, plan, clock.now)
    client.force_login(allergist)
    change = plan_change_data([("30", "g", "7")], reason="Slower: stay on biscuits")
    assert client.post(reverse("challenges:home-change", args=[plan.pk]), change).status_code == HTTPStatus.FOUND
    plan.refresh_from_db()
    taken_muffin = plan.protocol.steps.get(number=4)
    assert taken_muffin.food is not None
    assert taken_muffin.food.name == "Milk ladder muffin"


def test_the_printed_home_plan_and_calendar_name_each_rungs_food(
    client, ladder, patient, patient_user, allergist, nurse, clock
):
    plan = _book(client, patient, nurse, ladder, allergist, first_step_in_clinic="false")
    client.force_login(patient_user)
    pdf = text(client.get(reverse("challenges:home-plan-pdf", args=[plan.pk])).content)
    assert f"1/2 muffin (25 g) of {MUFFIN}" in pdf
    assert "200 mL of Cow's milk, whole, 3.25 %" in pdf
    ics = client.get(reverse("challenges:plan-ics", args=[plan.pk])).content.decode()
    unfolded = ics.replace("\r\n ", "").replace("\\,", ",")  # folded lines joined, escaped commas read back
    assert "milk ladder muffin, imap recipe, home-baked" in unfolded
    assert "keep eating 10 g (1 biscuit) of milk ladder biscuit" in unfolded.lower()
    client.force_login(nurse)
    report = text(client.get(reverse("challenges:report", args=[plan.pk])).content)
    assert "Foods, rung by rung" in report
    assert "Cheese, cheddar" in report


def test_the_protocol_editor_saves_a_rung_of_another_food(client, ladder, allergist, clock):
    client.force_login(allergist)
    response = client.post(reverse("challenges:protocol-clone", args=[ladder.pk]))
    assert response.status_code == HTTPStatus.FOUND
    ours = Protocol.objects.get(clinic=allergist.clinic, name__startswith="Milk ladder")
    rungs = list(ours.steps.order_by("number"))
    assert rungs[0].food_id is None  # the protocol's own food
    assert rungs[-1].food.name == "Cow's milk"
    page = client.get(reverse("challenges:protocol-detail", args=[ours.pk])).content.decode()
    assert 'data-testid="step-food"' in page
    assert "Cheese, cheddar" in page


# --- linked challenges ----------------------------------------------------------------------------------------------


def test_ascia_home_days_are_booked_as_a_continuation_of_the_negative_clinic_challenge(
    client, practall, patient, allergist, nurse, clock
):
    first = run_passed(patient, practall, allergist, nurse, clock)
    home_days = Protocol.objects.get(clinic=None, name=HOME_DAYS)
    client.force_login(nurse)
    detail = client.get(reverse("challenges:detail", args=[first.pk])).content.decode()
    assert f"?continues={first.pk}" in detail
    url = reverse("challenges:schedule", args=[patient.pk])
    page = client.get(f"{url}?continues={first.pk}").content.decode()
    assert 'data-testid="continues"' in page
    assert f'<option value="{practall.pk}" selected>' in page  # the earlier challenge's protocol is offered first
    later = _book(client, patient, nurse, home_days, allergist, continues=str(first.pk), continuation_kind="home_days")
    assert (later.continues_id, later.continuation_kind, later.setting) == (first.pk, "home_days", "home")
    assert (
        "Home days after a negative clinic challenge"
        in client.get(reverse("challenges:detail", args=[later.pk])).content.decode()
    )
    earlier_page = client.get(reverse("challenges:detail", args=[first.pk])).content.decode()
    assert 'data-testid="continued-by"' in earlier_page
    assert f"/challenges/{later.pk}/" in earlier_page
    report = text(client.get(reverse("challenges:report", args=[first.pk])).content)
    assert f"Continued by challenge {later.pk} (home days after a negative clinic challenge)" in report
    later_report = text(client.get(reverse("challenges:report", args=[later.pk])).content)
    assert f"Home days after a negative clinic challenge: challenge {first.pk}" in later_report
    assert "passed (tolerated)" in later_report
    plan = text(client.get(reverse("challenges:home-plan-pdf", args=[later.pk])).content)
    assert "2 tsp (10 g) of Peanut butter, smooth" in plan


def test_booking_refuses_to_continue_another_patients_challenge(
    client, practall, patient, other_patient, allergist, nurse, clock
):
    theirs = run_passed(other_patient, practall, allergist, nurse, clock)
    client.force_login(nurse)
    before = Challenge.objects.count()
    response = client.post(
        reverse("challenges:schedule", args=[patient.pk]),
        {
            "protocol": str(practall.pk),
            "scheduled_at": local(clock.now),
            "purpose": "diagnosis",
            "allergist": str(allergist.pk),
            "nurse": "",
            "placebo_steps": "",
            "continues": str(theirs.pk),
            "continuation_kind": "day_2",
        },
    )
    assert response.status_code != HTTPStatus.FOUND
    assert "A challenge can only continue one of the same patient." in response.content.decode()
    assert Challenge.objects.count() == before


def test_another_clinics_challenge_cannot_be_continued(
    client, practall, patient, other_clinic_patient, other_clinic_allergist, nurse, clock
):
    from challenges.run.services import challenge_schedule

    theirs = challenge_schedule(
        patient=other_clinic_patient,
        protocol=practall,
        scheduled_at=START,
        allergist=other_clinic_allergist,
        nurse=None,
        by=other_clinic_allergist,
    )
    client.force_login(nurse)
    url = reverse("challenges:schedule", args=[patient.pk])
    assert client.get(f"{url}?continues={theirs.pk}").status_code == HTTPStatus.NOT_FOUND


def test_a_label_pack_corrects_only_the_protocols_own_food_not_a_rung_of_another_food(
    client, ladder, patient, patient_user, allergist, nurse, clock
):
    """The pack's label (docs/clinical-sources.md §12) is the protocol's food's; a rung of another food (§13.1) keeps
    its own library figure."""
    from datetime import date

    from challenges.library.models import Food
    from challenges.run import services as runs

    milk = Food.objects.get(clinic=None, name="Cow's milk", form="whole, 3.25 %")
    # The protocol's food is now the milk: rungs 1-3 (no food of their own) and 8-9 (naming the milk) are eaten as it.
    ladder.food = milk
    ladder.save()
    plan = _book(client, patient, nurse, ladder, allergist, first_step_in_clinic="false")
    # Label 4.0 g per 100 mL against the library's 3.15 g (+27 %, above 10 %): the label is used for the milk.
    runs.food_lot_record(
        challenge=plan,
        by=nurse,
        brand="Dairy",
        lot="M1",
        expires_on=date(2027, 3, 1),
        label_protein_g_per_100=Decimal(4),
    )
    client.force_login(patient_user)
    for rung in range(8):
        if rung:
            clock.move(days=7)
        _take_step(client, plan, clock.now)
    doses = list(plan.doses.order_by("sequence"))
    # Rung 1, the protocol's food: 10 mL of milk at the label's 4.0 g per 100 mL = 400 mg.
    assert doses[0].protein_mg == Decimal("400")
    # Rung 4, the muffin's own food: 25 g at its own 1.75 g milk protein per 100 g = 437.5 mg (the milk's label
    # would give 1,000 mg).
    assert doses[3].food_amount == Decimal("25")
    assert doses[3].protein_mg == Decimal("437.5")
    # Rung 8: 100 mL of the protocol's milk at the label's 4.0 g per 100 mL = 4,000 mg (library: 3,150 mg).
    assert doses[7].food_amount == Decimal("100")
    assert doses[7].protein_mg == Decimal("4000")
