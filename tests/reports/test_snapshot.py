"""Snapshots are plain data: they survive JSON and rebuild the same report."""

from __future__ import annotations

import json

import pytest

from challenges.reports import render_snapshot, snapshot_from_dict, snapshot_to_dict
from challenges.reports.build_challenge import challenge_report
from challenges.reports.build_sheets import preparation_sheet
from challenges.reports.build_summary import patient_summary
from challenges.reports.render_challenge import render_challenge_report
from challenges.reports.snapshot import ChallengeReport, PatientSummary, PreparationSheet


def _round_trip(snapshot):
    return snapshot_from_dict(json.loads(json.dumps(snapshot_to_dict(snapshot))))


def test_challenge_report_round_trips_through_json(failed):
    snapshot = challenge_report(failed)
    rebuilt = _round_trip(snapshot)
    assert isinstance(rebuilt, ChallengeReport)
    assert rebuilt == snapshot
    assert rebuilt.chart is not None
    assert rebuilt.chart.doses[4].label == "D5"
    assert render_snapshot(snapshot_to_dict(snapshot)) == render_challenge_report(snapshot)


def test_other_snapshots_round_trip(failed):
    cases = ((preparation_sheet(failed), PreparationSheet), (patient_summary(failed.patient), PatientSummary))
    for snapshot, kind in cases:
        rebuilt = _round_trip(snapshot)
        assert isinstance(rebuilt, kind)
        assert rebuilt == snapshot


def test_snapshots_are_frozen(failed):
    snapshot = challenge_report(failed)
    with pytest.raises(AttributeError):
        snapshot.patient = None  # type: ignore[misc]


def test_an_unknown_snapshot_is_refused():
    with pytest.raises(ValueError, match="Not a report snapshot"):
        snapshot_from_dict({"report": "challenge_report", "schema": 99, "data": {}})
