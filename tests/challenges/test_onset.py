"""The reaction onset (clinical.onset): the first evidence of the stop alert, never judged, baseline or placebo."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinical.onset import (
    AlertRecord,
    DoseGiven,
    Evidence,
    OnsetError,
    after_active_dose,
    first_adrenaline,
    reaction_findings,
    reaction_onset,
)

LONDON = ZoneInfo("Europe/London")
START = datetime(2026, 3, 2, 9, 0, tzinfo=LONDON)


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


# PRACTALL doses 30 min apart: dose n at (n - 1) * 30 min.
DOSES = [DoseGiven(at(30 * n)) for n in range(5)]


def evidence(text: str, minutes: float) -> Evidence:
    return Evidence(f"{text} at {at(minutes):%H:%M}", at(minutes))


def alert(minutes: float, decision: str, *pieces: Evidence) -> AlertRecord:
    return AlertRecord(at(minutes), decision, pieces)


ITCH = evidence("Rash (erythema), mild (1) after dose 1", 10)
HIVES = evidence("Urticaria/angioedema, moderate (2) after dose 5", 130)
RASH_AGAIN = evidence("Rash (erythema), moderate (2) after dose 5", 131)


def test_no_alert_no_onset():
    assert reaction_onset([], DOSES) is None


def test_an_early_sign_judged_continue_is_not_the_onset_even_when_named_again():
    alerts = [alert(11, "continue", ITCH), alert(132, "stop", ITCH, HIVES, RASH_AGAIN)]
    assert reaction_onset(alerts, DOSES) == at(130)


def test_the_same_evidence_written_in_another_zone_is_still_judged():
    """Evidence wording carries a clock time in the zone it was shown in; the same moment is the same evidence."""
    sydney = Evidence(
        f"Rash (erythema), mild (1) after dose 1 at {at(10).astimezone(ZoneInfo('Australia/Sydney')):%H:%M}", at(10)
    )
    alerts = [alert(11, "continue", sydney), alert(132, "stop", ITCH, HIVES)]
    assert reaction_onset(alerts, DOSES) == at(130)


def test_evidence_judged_hold_and_repeat_is_the_onset_when_the_reaction_then_stops():
    alerts = [alert(11, "repeat", ITCH), alert(132, "stop", ITCH, HIVES)]
    assert reaction_onset(alerts, DOSES) == at(10)


def test_hold_and_repeat_or_continue_alone_make_no_onset():
    assert reaction_onset([alert(11, "repeat", ITCH)], DOSES) is None
    assert reaction_onset([alert(11, "continue", ITCH)], DOSES) is None


def test_an_open_alert_gives_a_provisional_onset():
    assert reaction_onset([alert(131, "", HIVES)], DOSES) == at(130)


def test_the_first_stop_alert_and_the_alerts_after_it_count():
    """A finding recorded again at its right time (the first marked in error) comes in a later alert."""
    corrected = evidence("Urticaria/angioedema, moderate (2) after dose 5", 125)
    alerts = [alert(132, "stop", HIVES), alert(140, "", corrected)]
    assert reaction_onset(alerts, DOSES) == at(125)


def test_evidence_after_a_placebo_dose_is_not_the_onset():
    doses = [DoseGiven(at(0)), DoseGiven(at(30), placebo=True), DoseGiven(at(60))]
    after_placebo = evidence("Urticaria/angioedema, mild (1) after dose 2", 40)
    after_food = evidence("Urticaria/angioedema, moderate (2) after dose 3", 70)
    assert reaction_onset([alert(71, "stop", after_placebo, after_food)], doses) == at(70)
    assert reaction_onset([alert(41, "stop", after_placebo)], doses) is None


def test_evidence_before_the_first_dose_is_not_the_onset():
    baseline = evidence("heart rate 130/min", -5)
    assert reaction_onset([alert(131, "stop", baseline, HIVES)], DOSES) == at(130)


def test_an_alert_stored_without_evidence_times_dates_from_when_it_was_raised():
    legacy = AlertRecord(at(131), "stop", (Evidence("Urticaria", None),))
    assert reaction_onset([legacy], DOSES) == at(131)


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(-1, False), (0, True), (1, True)],
)
def test_after_active_dose_starts_at_the_dose_time(seconds, expected):
    assert after_active_dose(at(0) + timedelta(seconds=seconds), DOSES) is expected


def test_after_active_dose_follows_the_last_dose_given():
    doses = [DoseGiven(at(0)), DoseGiven(at(30), placebo=True)]
    assert after_active_dose(at(30) - timedelta(seconds=1), doses) is True
    assert after_active_dose(at(30), doses) is False


def test_reaction_findings_are_from_the_onset_after_food_and_worse_than_baseline():
    doses = [DoseGiven(at(0)), DoseGiven(at(30)), DoseGiven(at(60), placebo=True)]
    recorded = [
        ("gi_subjective", 1, at(-10)),  # baseline nausea
        ("gi_subjective", 1, at(35)),  # no worse than baseline
        ("skin_pruritus", 1, at(10)),  # before the onset
        ("skin_urticaria", 2, at(40)),  # the onset
        ("lower_resp_wheeze", 1, at(45)),
        ("gi_subjective", 2, at(50)),  # worse than baseline
        ("skin_erythema", 1, at(70)),  # after the placebo dose
    ]
    assert reaction_findings(recorded, onset=at(40), doses=doses) == [
        ("skin_urticaria", 2),
        ("lower_resp_wheeze", 1),
        ("gi_subjective", 2),
    ]


@pytest.mark.parametrize(("seconds", "ok"), [(-1, False), (0, True), (60, True)])
def test_adrenaline_before_the_onset_is_an_error_never_not_given(seconds, ok):
    onset = at(130)
    given = [onset + timedelta(seconds=seconds)]
    if ok:
        assert first_adrenaline(onset, given) == given[0]
        return
    with pytest.raises(OnsetError) as error:
        first_adrenaline(onset, given)
    assert error.value.code == "adrenaline_before_onset"
    assert "11:09" in error.value.message
    assert "11:10" in error.value.message


def test_first_adrenaline_is_the_earliest_dose():
    assert first_adrenaline(at(130), [at(150), at(140)]) == at(140)
    assert first_adrenaline(at(130), []) is None
    assert first_adrenaline(None, [at(140)]) == at(140)
