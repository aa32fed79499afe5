"""The home plan as an iCalendar file, parsed back with icalendar: local times across DST, alarms, access."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from icalendar import Calendar

from challenges.run.services import challenge_schedule

LONDON = ZoneInfo("Europe/London")


def download(client, user, plan) -> Calendar:
    client.force_login(user)
    response = client.get(reverse("challenges:plan-ics", args=[plan.pk]))
    assert response.status_code == HTTPStatus.OK, response.content[:500]
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="home-plan-{plan.pk}.ics"'
    assert response["Cache-Control"] == "no-store"
    return Calendar.from_ical(response.content)


def events(calendar: Calendar, starting: str) -> list:
    return [e for e in calendar.walk("VEVENT") if str(e["summary"]).startswith(starting)]


@pytest.fixture
def autumn_plan(home_protocol, patient, patient_user, allergist):
    """Patient A's cheesecake plan from Tuesday 20 October 2026, 09:00 London; clocks go back on Sunday 25th."""
    return challenge_schedule(
        patient=patient,
        protocol=home_protocol,
        scheduled_at=datetime(2026, 10, 20, 9, 0, tzinfo=LONDON),
        allergist=allergist,
        nurse=None,
        by=allergist,
    )


def test_steps_keep_their_local_time_across_the_dst_change(client, patient_user, autumn_plan):
    calendar = download(client, patient_user, autumn_plan)
    steps = sorted(events(calendar, "Step "), key=lambda e: e.start)
    # Ten steps 3 days apart (the gentle ladder, docs/clinical-sources.md §11.1).
    assert [e.start.date() for e in steps] == [date(2026, 10, 20) + timedelta(days=3 * n) for n in range(10)]
    assert {e.start.time() for e in steps} == {time(9, 0)}  # 09:00 on the wall clock every time
    assert [e.start.utcoffset() for e in steps] == [timedelta(hours=1)] * 2 + [timedelta(0)] * 8  # BST, then GMT
    assert all(e["dtstart"].params["TZID"] == "Europe/London" for e in steps)
    assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    assert str(steps[1]["summary"]) == "Step 2 of 10: 0.25 g of cheesecake"
    assert str(steps[5]["summary"]) == "Step 6 of 10: 6.25 g (1/16 serving) of cheesecake"
    assert "Watch for symptoms for 48 hours" in str(steps[1]["description"])


def test_premedication_reminders_and_check_ins_with_alarms(client, patient_user, autumn_plan):
    calendar = download(client, patient_user, autumn_plan)
    every = calendar.walk("VEVENT")
    assert len(every) == 23  # 10 steps, 10 cromolyn reminders, 3 check-ins (2, 24, 72 h)
    reminders = sorted(events(calendar, "Take Cromolyn sodium (oral) 200 mg"), key=lambda e: e.start)
    assert len(reminders) == 10
    assert {e.start.time() for e in reminders} == {time(8, 30)}  # 30 min before each step, local time
    assert reminders[2].start == datetime(2026, 10, 26, 8, 30, tzinfo=LONDON)
    check_ins = sorted(events(calendar, "Check-in"), key=lambda e: e.start)
    assert [e.start for e in check_ins] == [
        datetime(2026, 11, 16, 11, 0, tzinfo=LONDON),  # step 10 on 16 November at 09:00
        datetime(2026, 11, 17, 9, 0, tzinfo=LONDON),
        datetime(2026, 11, 19, 9, 0, tzinfo=LONDON),
    ]
    alarms = [alarm for event in every for alarm in event.walk("VALARM")]
    assert len(alarms) == 23
    assert {str(a["action"]) for a in alarms} == {"DISPLAY"}
    assert {a["trigger"].dt for a in alarms} == {timedelta(0)}


def test_uids_are_stable_between_downloads(client, patient_user, autumn_plan):
    first = {str(e["uid"]) for e in download(client, patient_user, autumn_plan).walk("VEVENT")}
    second = {str(e["uid"]) for e in download(client, patient_user, autumn_plan).walk("VEVENT")}
    assert first == second
    assert len(first) == 23
    assert f"challenge-{autumn_plan.pk}-step-3@stepwise" in first


def test_check_ins_follow_the_real_last_step_and_done_ones_drop_out(client, patient_user, finished_home_plan):
    calendar = download(client, patient_user, finished_home_plan)
    check_ins = sorted(events(calendar, "Check-in"), key=lambda e: e.start)
    # Step 10 was taken at 10:30 on 23 December (planned 09:00); the 2 h check-in is done.
    assert [e.start for e in check_ins] == [
        datetime(2026, 12, 24, 10, 30, tzinfo=LONDON),
        datetime(2026, 12, 26, 10, 30, tzinfo=LONDON),
    ]


def test_staff_of_the_clinic_may_download(client, nurse, autumn_plan):
    assert len(download(client, nurse, autumn_plan).walk("VEVENT")) == 23


def test_outsiders_get_404(client, autumn_plan, other_patient_user, other_clinic_nurse):
    url = reverse("challenges:plan-ics", args=[autumn_plan.pk])
    for user in (other_patient_user, other_clinic_nurse):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == HTTPStatus.NOT_FOUND, user
        assert b"VCALENDAR" not in response.content


def test_a_clinic_challenge_has_no_calendar(client, nurse, challenge):
    client.force_login(nurse)
    assert client.get(reverse("challenges:plan-ics", args=[challenge.pk])).status_code == HTTPStatus.NOT_FOUND


def test_anonymous_is_sent_to_login(client, autumn_plan):
    response = client.get(reverse("challenges:plan-ics", args=[autumn_plan.pk]))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("login"))


def test_a_plan_that_does_not_go_ahead_cancels_its_future_steps_and_their_reminders(client, patient_user, autumn_plan):
    """Interop review defect 1: a paused or ended plan's calendar must not remind the patient to eat the next steps.
    The events keep their UIDs, so a re-download cancels them in the patient's calendar app."""
    from challenges.run import services as runs

    before = download(client, patient_user, autumn_plan)
    assert all("STATUS" not in e for e in before.walk("VEVENT"))
    runs.challenge_cancel(challenge=autumn_plan, by=autumn_plan.allergist, reason="Flare of urticaria; rebook later")
    after = download(client, patient_user, autumn_plan)
    steps = [e for e in after.walk("VEVENT") if "-step-" in str(e["uid"])]
    assert steps
    assert {str(e["status"]) for e in steps} == {"CANCELLED"}
    assert all(not e.walk("VALARM") for e in steps)
    assert all(str(e["summary"]).startswith("Cancelled: ") for e in steps)
    assert {str(e["uid"]) for e in steps} <= {str(e["uid"]) for e in before.walk("VEVENT")}
