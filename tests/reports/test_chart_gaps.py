"""The vitals chart never draws a line across a gap with no readings (clinical review R3): a line joins readings at
most MAX_JOINED_GAP_MINUTES apart; across a longer gap only the markers show."""

from __future__ import annotations

from reportlab.graphics.shapes import PolyLine

from challenges.reports.build_challenge import challenge_report
from challenges.reports.chart import GAP_NOTE, MAX_JOINED_GAP_MINUTES, joined_runs, vitals_drawing
from challenges.reports.render_challenge import render_challenge_report
from challenges.reports.snapshot import ChartSeries, DoseMark, Point, VitalsChart
from tests.reports.helpers import text

GAP = MAX_JOINED_GAP_MINUTES


def _minutes(runs: list[tuple[Point, ...]]) -> list[list[int]]:
    return [[p.minute for p in run] for run in runs]


def test_readings_exactly_the_gap_apart_stay_joined():
    points = [Point(0, 80), Point(GAP, 82), Point(2 * GAP, 85)]
    assert _minutes(joined_runs(points)) == [[0, GAP, 2 * GAP]]


def test_a_gap_one_minute_longer_breaks_the_line():
    points = [Point(0, 80), Point(GAP, 82), Point(2 * GAP + 1, 85), Point(2 * GAP + 11, 86)]
    assert _minutes(joined_runs(points)) == [[0, GAP], [2 * GAP + 1, 2 * GAP + 11]]


def test_a_lone_reading_is_a_run_of_one_and_order_is_by_time():
    points = [Point(200, 90), Point(-15, 78), Point(0, 80)]
    assert _minutes(joined_runs(points)) == [[-15, 0], [200]]
    assert joined_runs([]) == []


def _polylines(drawing) -> list[PolyLine]:  # type: ignore[no-untyped-def]
    found = []
    for shape in drawing.contents:
        if isinstance(shape, PolyLine):
            found.append(shape)
    return found


def test_the_drawing_has_one_line_per_run_and_none_across_the_gap():
    """Heart rate at 0, 15, 30 min, then nothing until 150 and 165 min: two lines, no line from 30 to 150."""
    heart = ChartSeries(
        "Heart rate", "/min", (Point(0, 80), Point(15, 84), Point(30, 88), Point(150, 120), Point(165, 118))
    )
    lone = ChartSeries("Systolic BP", "mmHg", (Point(0, 110), Point(150, 100)))  # two lone readings: markers only
    chart = VitalsChart(circulation=(heart, lone), oxygen=(), doses=(DoseMark(0, "D1"),), x_label="minutes from dose 1")
    lines = _polylines(vitals_drawing(chart, 500))
    assert len(lines) == 2  # heart rate 0-30 and 150-165; the blood pressure has no line at all
    assert [len(line.points) // 2 for line in lines] == [3, 2]


def test_the_report_says_what_a_break_in_the_line_means(failed):
    body = text(render_challenge_report(challenge_report(failed)))
    assert GAP_NOTE in body
