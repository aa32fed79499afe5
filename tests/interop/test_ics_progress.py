"""The home-plan calendar follows the plan's real progress, read back by two independent parsers: icalendar and
vobject (issue 18; interop review 1, 11, 14, 15, 16)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
import vobject
from django.urls import reverse
from icalendar import Calendar

from challenges.run.services import challenge_schedule
from tests.reports.helpers import text

LONDON = ZoneInfo("Europe/London")


def local(moment: datetime) -> str:
    return moment.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")


def take_step(client, plan, now):
    data = {"given_at": local(now), "idempotency_key": str(uuid.uuid4()), "ate_all": "on"}
    response = client.post(reverse("challenges:home-step", args=[plan.pk]), data)
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[-2000:]


def symptom(client, plan, now, item="mcas_flushing", severity=2):
    data = {"item_code": item, "severity": str(severity), "observed_at": local(now), "note": ""}
    assert client.post(reverse("challenges:home-symptom", args=[plan.pk]), data).status_code == HTTPStatus.FOUND


def raw(client, user, plan) -> bytes:
    client.force_login(user)
    response = client.get(reverse("challenges:plan-ics", args=[plan.pk]))
    assert response.status_code == HTTPStatus.OK
    return response.content


class Parsed:
    """One file read by both parsers; each event as (uid, start in UTC, sequence, status, has an alarm, summary)."""

    def __init__(self, content: bytes) -> None:
        self.content = content
        ical = Calendar.from_ical(content)
        self.icalendar = sorted(
            (
                str(e["uid"]),
                e.start.astimezone(UTC),
                int(e["sequence"]),
                str(e.get("status", "")),
                bool(e.walk("VALARM")),
                str(e["summary"]),
            )
            for e in ical.walk("VEVENT")
        )
        card = vobject.readOne(content.decode("utf-8"), validate=True)
        self.vobject = sorted(
            (
                e.uid.value,
                e.dtstart.value.astimezone(UTC),
                int(e.sequence.value),
                e.status.value if hasattr(e, "status") else "",
                hasattr(e, "valarm"),
                e.summary.value,
            )
            for e in card.vevent_list
        )
        assert self.icalendar == self.vobject  # two independent readers agree on every event

    def event(self, uid_part: str) -> tuple:
        (found,) = [e for e in self.icalendar if e[0].split("@")[0].endswith(uid_part)]
        return found


def test_a_late_step_moves_the_events_after_it_same_uid_higher_sequence(client, plan, patient_user, clock):
    before = Parsed(raw(client, patient_user, plan))
    assert before.event("-step-3")[1] == datetime(2026, 12, 2, 9, 0, tzinfo=LONDON)  # booked: 3 days apart
    client.force_login(patient_user)
    take_step(client, plan, clock.now)
    clock.move(days=4, hours=2)  # step 2 a day and two hours late: Monday 30 November 11:00
    take_step(client, plan, clock.now)
    after = Parsed(raw(client, patient_user, plan))

    uid, start, sequence, status, alarm, summary = after.event("-step-2")
    assert start == datetime(2026, 11, 30, 11, 0, tzinfo=LONDON)  # where it was really taken
    assert (status, alarm) == ("", False)  # done: no reminder
    assert summary.startswith("Taken: step 2 of 10")
    assert after.event("-step-3")[1] == datetime(2026, 12, 3, 11, 0, tzinfo=LONDON)  # 3 days after the real step 2
    assert after.event("-step-3")[4] is True
    assert after.event("-step-3-premedication-" + str(plan.protocol.premedications.get(before_each_step=True).pk))[
        1
    ] == datetime(2026, 12, 3, 10, 30, tzinfo=LONDON)
    assert {e[0] for e in after.icalendar} == {e[0] for e in before.icalendar}  # same events, moved
    assert after.event("-step-3")[2] > before.event("-step-3")[2]


def test_a_paused_plan_has_no_active_future_step_in_either_parser(client, plan, patient_user, clock):
    client.force_login(patient_user)
    take_step(client, plan, clock.now)
    clock.move(hours=30)
    symptom(client, plan, clock.now)  # moderate flushing pauses the plan
    plan.refresh_from_db()
    assert plan.status == "paused"
    parsed = Parsed(raw(client, patient_user, plan))
    future = [e for e in parsed.vobject if e[1] > clock.now and "-step-" in e[0]]
    assert len(future) == 18  # steps 2-10 and their cromolyn reminders
    assert all(status == "CANCELLED" and not alarm for _uid, _at, _seq, status, alarm, _s in future)
    assert not [e for e in parsed.vobject if e[1] > clock.now and e[4] and "-step-" in e[0]]
    # the printed plan says so at the top and dates no step to come
    client.force_login(patient_user)
    pdf = client.get(reverse("challenges:home-plan-pdf", args=[plan.pk])).content
    body = text(pdf)
    assert body.index("PAUSED: do not take the next step until the clinic calls you") < body.index("Your steps")
    assert body.count("on hold: no date") == 9
    assert "Tue 1 Dec 2026" not in body  # step 2's booked date no longer printed


def test_rfc_5545_no_method_without_organizer_no_comment_in_vtimezone(client, plan, patient_user):
    content = raw(client, patient_user, plan).decode()
    assert "METHOD:" not in content
    assert "ORGANIZER" not in content
    zone = content[content.index("BEGIN:VTIMEZONE") : content.index("END:VTIMEZONE")]
    head = zone[: min(zone.index("BEGIN:STANDARD"), zone.index("BEGIN:DAYLIGHT"))]
    assert "COMMENT" not in head
    assert "TZID:Europe/London" in head
    Parsed(content.encode())  # vobject validates the whole file


@pytest.fixture
def booked_at(home_protocol, patient, allergist):
    def book(moment: datetime):
        return challenge_schedule(
            patient=patient,
            protocol=home_protocol,
            scheduled_at=moment,
            allergist=allergist,
            nurse=None,
            by=allergist,
            first_step_in_clinic=False,
        )

    return book


def test_a_step_in_the_repeated_hour_is_written_in_utc_and_read_the_same_by_both(client, patient_user, booked_at):
    plan = booked_at(datetime(2026, 10, 22, 1, 30, tzinfo=LONDON))  # clocks go back at 02:00 BST on 25 October
    content = raw(client, patient_user, plan)
    parsed = Parsed(content)
    step_2 = parsed.event("-step-2")
    assert step_2[1] == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the first 01:30, as the app means it
    assert b"DTSTART:20261025T003000Z" in content
    assert b"DTSTART;TZID=Europe/London:20261028T013000" in content  # step 3: an ordinary night, local time


def test_a_step_in_the_skipped_hour_moves_after_the_gap_and_premedication_stays_before_it(
    client, patient_user, booked_at
):
    plan = booked_at(datetime(2027, 3, 25, 1, 30, tzinfo=LONDON))  # clocks go forward at 01:00 GMT on 28 March
    parsed = Parsed(raw(client, patient_user, plan))
    step_2 = parsed.event("-step-2")
    assert step_2[1] == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)  # 72 real hours: 02:30 BST, after the gap
    premedication = [e for e in parsed.icalendar if "-step-2-premedication-" in e[0]]
    assert [e[1] for e in premedication] == [step_2[1] - timedelta(minutes=30)]
