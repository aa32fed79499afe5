"""A scheduled PRACTALL peanut challenge for patient A, and a clock the tests move."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model

from challenges.models import Protocol
from challenges.library.services.standard import load_standard_library
from challenges.run.services import challenge_schedule

LONDON = ZoneInfo("Europe/London")
START = datetime(2026, 11, 26, 9, 0, tzinfo=LONDON)


@pytest.fixture
def library(db):
    load_standard_library()


@pytest.fixture
def clock(client):
    """The time, frozen at 09:00 on the challenge day; `clock.move(minutes=30)` moves it on.

    Sessions expire after 30 idle minutes (shared clinic computers), so a move re-signs-in whoever was signed
    in, as the nurse at the bedside would.
    """
    with time_machine.travel(START, tick=False) as traveller:

        class Clock:
            now = START

            def move(self, **delta: float) -> datetime:
                user_id = client.session.get("_auth_user_id")
                Clock.now = Clock.now + timedelta(**delta)
                traveller.move_to(Clock.now)
                if user_id:
                    client.force_login(get_user_model().objects.get(pk=user_id))
                return Clock.now

        yield Clock()


@pytest.fixture
def practall(library):
    return Protocol.objects.get(name="PRACTALL 7-step peanut OFC")


@pytest.fixture
def challenge(practall, patient, allergist, nurse, clock):
    return challenge_schedule(
        patient=patient, protocol=practall, scheduled_at=START, allergist=allergist, nurse=nurse, by=nurse
    )
