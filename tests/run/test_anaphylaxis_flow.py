"""Anaphylaxis named at the bedside and adrenaline recorded in one tap, through the real URLs; the report read back
with pypdf (clinical review G6, R4, W9)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from http import HTTPStatus

from django.urls import reverse

from challenges.models import Challenge, PreChallengeCheck
from challenges.run import facts, selectors
from challenges.run import services as runs
from tests.helpers import second_checker
from tests.reports.helpers import text
from tests.run.helpers import local

ANSWERS = dict.fromkeys(PreChallengeCheck.CHECK_FIELDS, True)


def _check_in(challenge: Challenge, nurse, clock) -> None:
    baseline = {"taken_at": clock.now, "heart_rate": 90, "systolic": 110, "diastolic": 65, "spo2": 98}
    runs.checks_record(challenge=challenge, by=nurse, answers=ANSWERS, baseline=baseline)


def _doses(challenge: Challenge, nurse, clock, count: int) -> None:
    for index in range(count):
        if index:
            clock.move(minutes=30)
        runs.dose_record(
            challenge=challenge,
            by=nurse,
            food_amount=None,
            given_at=clock.now,
            idempotency_key=uuid.uuid4(),
            checked_by=second_checker(challenge, nurse),  # steps 1-4 are peanut-flour mixes: two-person check
        )


def _hives_and_vomiting(challenge: Challenge, nurse, clock):
    """NIAID/FAAN criterion 2 without criterion 1: skin and persistent GI involvement, 10 min after dose 3."""
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 3)
    onset = clock.move(minutes=10)
    for item in ("skin_urticaria", "gi_vomiting"):
        runs.observation_record(challenge=challenge, by=nurse, item_code=item, severity=2, observed_at=onset)
    return onset


def _page(client, challenge: Challenge) -> str:
    response = client.get(reverse("challenges:detail", args=[challenge.pk]))
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def _tap(client, challenge: Challenge, key: uuid.UUID | None = None):
    data = {"idempotency_key": str(key or uuid.uuid4())}
    return client.post(reverse("challenges:adrenaline", args=[challenge.pk]), data)


def test_no_anaphylaxis_banner_for_hives_alone(client, challenge, nurse, clock):
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 1)
    runs.observation_record(
        challenge=challenge, by=nurse, item_code="skin_urticaria", severity=3, observed_at=clock.now
    )
    client.force_login(nurse)
    page = _page(client, challenge)
    assert 'data-testid="anaphylaxis"' not in page
    assert not facts.anaphylaxis(challenge).met


def test_niaid_criterion_2_is_named_and_two_taps_observe_six_hours(client, challenge, nurse, allergist, clock):
    _hives_and_vomiting(challenge, nurse, clock)
    client.force_login(nurse)
    page = _page(client, challenge)
    assert "Anaphylaxis — adrenaline indicated" in page
    assert "NIAID/FAAN 2006 criterion 2: skin/mucosal and persistent gastrointestinal involvement" in page
    assert "Adrenaline 0.5 mg IM (1 mg/mL, 1:1000) into the anterolateral thigh, for 60 kg" in page
    assert "given now (dose 1)" in page

    first_at = clock.move(minutes=2)
    key = uuid.uuid4()
    assert _tap(client, challenge, key).status_code == HTTPStatus.FOUND
    assert _tap(client, challenge, key).status_code == HTTPStatus.FOUND  # a double tap: one dose
    clock.move(minutes=5)
    assert _tap(client, challenge).status_code == HTTPStatus.FOUND

    given = facts.adrenaline_given(challenge)
    assert [t.given_at for t in given] == [first_at, first_at + timedelta(minutes=5)]
    assert {(t.dose, t.route, t.site) for t in given} == {
        ("0.5 mg = 0.5 mL of 1 mg/mL (1:1000)", "im", "anterolateral thigh")
    }
    assert [t.notes for t in given] == ["1st dose, for 60 kg", "2nd dose, for 60 kg"]
    assert "2 doses of adrenaline recorded." in _page(client, challenge)

    runs.alert_decide(alert=challenge.alerts.get(), by=allergist, decision="stop", reason="Anaphylaxis")
    resolved = clock.move(minutes=40)
    runs.symptoms_resolved_record(challenge=challenge, by=nurse, resolved_at=resolved)
    state = selectors.run_state(selectors.with_run_data(Challenge.objects.filter(pk=challenge.pk)).get())
    assert state.observation.period.ends_at >= resolved + timedelta(hours=6)


def test_the_report_prints_anaphylaxis_and_the_treatment_with_site_and_response(client, challenge, nurse, clock):
    _hives_and_vomiting(challenge, nurse, clock)
    client.force_login(nurse)
    clock.move(minutes=2)
    _tap(client, challenge)
    clock.move(minutes=1)
    client.post(
        reverse("challenges:treatment", args=[challenge.pk]),
        {
            "kind": "antihistamine",
            "drug": "Cetirizine",
            "dose": "10 mg",
            "route": "oral",
            "site": "",
            "given_at": local(clock.now),
            "response": "Hives faded within 30 min",
        },
    )
    response = client.get(reverse("challenges:report", args=[challenge.pk]))
    pdf = text(b"".join(response.streaming_content) if response.streaming else response.content)
    flat = " ".join(pdf.split())
    assert "Anaphylaxis Yes: NIAID/FAAN 2006 criterion 2" in flat
    squeezed = flat.replace(" ", "")  # narrow table cells may break a word over two lines
    assert "anterolateralthigh" in squeezed
    assert "Response:Hivesfadedwithin30min." in squeezed


def test_the_report_says_no_when_no_criterion_is_met(client, challenge, nurse, clock):
    _check_in(challenge, nurse, clock)
    _doses(challenge, nurse, clock, 2)
    client.force_login(nurse)
    response = client.get(reverse("challenges:report", args=[challenge.pk]))
    flat = " ".join(text(b"".join(response.streaming_content) if response.streaming else response.content).split())
    assert "Anaphylaxis No (no NIAID/FAAN 2006 or WAO 2020 criterion met)" in flat
