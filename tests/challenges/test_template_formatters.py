"""The template filters that show durations and dates use the one wording (clinical.durations, clinical.dates)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from django.template import Context, Template
from django.utils import timezone


def render(source: str, **context: object) -> str:
    return Template("{% load stepwise %}" + source).render(Context(context))


def test_durations():
    assert render("{{ m|minutes }}", m=150) == "2 h 30 min"
    assert render("{{ m|minutes }}", m=0) == "0 min"
    assert render("{{ h|hours }}", h=48) == "2 days"
    assert render("{{ h|hours }}", h=None) == "—"


def test_day_and_moment_in_the_clinics_zone():
    moment = datetime(2027, 1, 1, 4, 5, tzinfo=UTC)
    with timezone.override(ZoneInfo("America/New_York")):
        assert render("{{ d|day }}", d=date(2026, 12, 10)) == "Thu 10 Dec 2026"
        assert render("{{ t|when }}", t=moment) == "Thu 31 Dec 2026 23:05"
        assert render("{{ t|day }}", t=moment) == "Thu 31 Dec 2026"
        assert render("{{ t|when }}", t=None) == "—"


def test_a_status_reads_as_words():
    from challenges.templatetags.stepwise import status_label

    assert status_label("checked_in") == "Checked in"
    assert status_label("completed") == "Completed"
    assert status_label("no_such_status") == "no such status"
