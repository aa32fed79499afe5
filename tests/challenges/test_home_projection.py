"""clinical.home_plan.project: a home plan's dates from what really happened (issue 18, interop review 11, R11)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from clinical.home_plan import ProjectedStep, TakenStep, after, calendar_from, project

LONDON = ZoneInfo("Europe/London")
DAY = 24 * 60
START = datetime(2026, 11, 2, 9, 0, tzinfo=LONDON)  # a Monday, no clock change for months
WAITS = [3 * DAY, 3 * DAY, 3 * DAY, 3 * DAY]  # four steps, three days apart


def at(day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=LONDON)


def dates(rows: list[ProjectedStep]) -> list[tuple[int, datetime, datetime | None]]:
    return [(r.number, r.due_at, r.taken_at) for r in rows]


def test_nothing_taken_dates_every_step_from_the_booked_start():
    rows = project(START, WAITS, [], next_number=1, next_due=None, going_ahead=True)
    assert dates(rows) == [(1, at(2), None), (2, at(5), None), (3, at(8), None), (4, at(11), None)]
    assert not any(r.on_hold or r.repeat for r in rows)


def test_a_late_step_moves_every_step_after_it():
    taken = [TakenStep(1, at(2, 9, 0)), TakenStep(2, at(6, 18, 30))]  # step 2 a day and a half late
    rows = project(START, WAITS, taken, next_number=3, next_due=at(9, 18, 30), going_ahead=True)
    assert dates(rows) == [
        (1, at(2), at(2)),
        (2, at(5), at(6, 18, 30)),
        (3, at(9, 18, 30), None),  # three days after the real step 2, not the booked 8 Nov
        (4, at(12, 18, 30), None),
    ]


def test_an_early_step_moves_the_next_ones_earlier_only_as_far_as_the_app_allows():
    taken = [TakenStep(1, at(2, 7, 0))]
    rows = project(START, WAITS, taken, next_number=2, next_due=at(5, 7, 0), going_ahead=True)
    assert [r.due_at for r in rows[1:]] == [at(5, 7, 0), at(8, 7, 0), at(11, 7, 0)]


def test_the_apps_own_due_time_wins_when_later_a_symptom_pause_or_a_wait():
    taken = [TakenStep(1, at(2))]
    rows = project(START, WAITS, taken, next_number=2, next_due=at(6, 12, 0), going_ahead=True)
    assert [r.due_at for r in rows[1:]] == [at(6, 12, 0), at(9, 12, 0), at(12, 12, 0)]
    # one minute earlier than the wait: the wait stands
    rows = project(START, WAITS, taken, next_number=2, next_due=at(5, 8, 59), going_ahead=True)
    assert rows[1].due_at == at(5, 9, 0)


def test_a_repeat_dates_the_same_step_again_after_its_wait():
    taken = [TakenStep(1, at(2)), TakenStep(2, at(5))]
    rows = project(START, WAITS, taken, next_number=2, next_due=at(8), going_ahead=True)
    assert [(r.number, r.due_at, r.repeat) for r in rows[2:]] == [
        (2, at(8), True),
        (3, at(11), False),
        (4, at(14), False),
    ]
    assert rows[1].repeat is False


def test_a_paused_plan_keeps_its_takings_and_holds_every_step_to_come():
    taken = [TakenStep(1, at(2)), TakenStep(2, at(5))]
    rows = project(START, WAITS, taken, next_number=3, next_due=at(8), going_ahead=False)
    assert [r.on_hold for r in rows] == [False, False, True, True]
    assert [c.planned_on for c in calendar_from(rows)] == [date(2026, 11, 2), date(2026, 11, 5), None, None]


def test_a_finished_plan_has_nothing_to_come():
    taken = [TakenStep(n, at(2 + 3 * (n - 1))) for n in range(1, 5)]
    rows = project(START, WAITS, taken, next_number=None, next_due=None, going_ahead=False)
    assert [r.taken_at for r in rows] == [t.given_at for t in taken]
    assert not any(r.on_hold for r in rows)


def test_calendar_shows_a_repeated_step_by_its_latest_taking_and_how_late_it_was():
    taken = [TakenStep(1, at(2)), TakenStep(1, at(6, 10, 0))]
    rows = project(START, WAITS, taken, next_number=2, next_due=at(9, 10, 0), going_ahead=True)
    steps = calendar_from(rows)
    assert [(s.number, s.planned_on, s.taken_at, s.days_off) for s in steps] == [
        (1, date(2026, 11, 5), at(6, 10, 0), 1),  # the repeat was due on the 5th, taken on the 6th
        (2, date(2026, 11, 9), None, None),
        (3, date(2026, 11, 12), None, None),
        (4, date(2026, 11, 15), None, None),
    ]


def test_whole_days_keep_the_clock_time_when_the_clocks_go_back():
    saturday = datetime(2026, 10, 24, 9, 0, tzinfo=LONDON)  # clocks go back on Sunday 25 October
    assert after(saturday, 2 * DAY) == datetime(2026, 10, 26, 9, 0, tzinfo=LONDON)
    assert after(saturday, 2 * DAY).utcoffset() == timedelta(0)


def test_when_the_clocks_go_forward_the_date_never_comes_before_the_real_wait():
    saturday = datetime(2027, 3, 27, 9, 0, tzinfo=LONDON)  # clocks go forward on Sunday 28 March 2027
    due = after(saturday, 2 * DAY)
    assert due == saturday.astimezone(ZoneInfo("UTC")) + timedelta(days=2)  # 48 real hours
    assert due.astimezone(LONDON).hour == 10  # so 10:00 BST, not 09:00 (an hour before the app unlocks it)
    # 23 h of wall clock are 22 real hours that night: the real 23 h end at 09:00 BST
    assert after(saturday, DAY - 60) == datetime(2027, 3, 28, 9, 0, tzinfo=LONDON)
    # a day that does not cross the change: 09:00 stays 09:00
    assert after(saturday - timedelta(days=1), DAY) == saturday


def test_a_clock_time_the_clocks_skip_moves_to_the_real_instant_after_the_gap():
    night_before = datetime(2027, 3, 27, 1, 30, tzinfo=LONDON)
    due = after(night_before, DAY)  # 01:30 on 28 March 2027 does not exist in London
    assert due == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)  # 02:30 BST
    assert due.utcoffset() == timedelta(hours=1)
