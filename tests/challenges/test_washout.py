"""Medication washout and premedication conflicts (adrenaline dosing: test_adrenaline.py)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinical.dates import format_when
from clinical.washout import (
    DEFAULT_WASHOUT,
    Medication,
    PremedItem,
    WashoutError,
    WashoutRule,
    check_washout,
    rules_from_data,
    rules_to_data,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
# Monday 9 March 2026, 09:00 GMT: no DST change in the week before.
START = datetime(2026, 3, 9, 9, 0, tzinfo=LONDON)


def _diagnostic(*medications: Medication, **kwargs) -> list:
    return check_washout(
        medications=medications, rules=DEFAULT_WASHOUT, challenge_start=START, diagnostic=True, **kwargs
    )


def _kinds(conflicts) -> list[tuple[str, str, str]]:
    return [(c.kind, c.severity, c.medication) for c in conflicts]


# --- Defaults -------------------------------------------------------------------------------------------------


def test_default_washout_hours_match_fact_sheet():
    hours = {rule.med_class: rule.hours for rule in DEFAULT_WASHOUT}
    assert hours == {
        "h1_antihistamine": 168,
        "h2_blocker": 24,
        "leukotriene_antagonist": 24,
        "systemic_steroid": 72,
        "beta_blocker": 24,
        "ace_inhibitor": 24,
        "nsaid": 24,
        "ppi": 24,
    }
    assert all(rule.source for rule in DEFAULT_WASHOUT)
    assert "Children's Mercy" in DEFAULT_WASHOUT[0].source


# --- Diagnostic challenge: one medication of each class ----------------------------------------------------------


@pytest.mark.parametrize(
    ("med_class", "name", "stop_by_text", "wait"),
    [
        ("h1_antihistamine", "Cetirizine", "Mon 2 Mar 2026 09:00", "7 days"),
        ("h2_blocker", "Famotidine", "Sun 8 Mar 2026 09:00", "1 day"),
        ("leukotriene_antagonist", "Montelukast", "Sun 8 Mar 2026 09:00", "1 day"),
        ("systemic_steroid", "Prednisolone", "Fri 6 Mar 2026 09:00", "3 days"),
        ("beta_blocker", "Propranolol", "Sun 8 Mar 2026 09:00", "1 day"),
        ("ace_inhibitor", "Ramipril", "Sun 8 Mar 2026 09:00", "1 day"),
        ("nsaid", "Ibuprofen", "Sun 8 Mar 2026 09:00", "1 day"),
        ("ppi", "Omeprazole", "Sun 8 Mar 2026 09:00", "1 day"),
    ],
)
def test_diagnostic_must_stop_each_class(med_class, name, stop_by_text, wait):
    conflicts = _diagnostic(Medication(name, med_class))
    must_stop = conflicts[0]
    assert (must_stop.kind, must_stop.severity, must_stop.medication) == ("must_stop", "block", name)
    assert must_stop.message.startswith(f"Stop {name} (")
    assert f"by {stop_by_text}, {wait} before the challenge." in must_stop.message
    assert format_when(must_stop.stop_by) == stop_by_text


@pytest.mark.parametrize("med_class", ["mast_cell_stabiliser", "other"])
def test_diagnostic_classes_without_default_rule_give_no_conflict(med_class):
    assert _diagnostic(Medication("Cromolyn", med_class)) == []


def test_stopped_in_time_gives_no_conflict():
    assert _diagnostic(Medication("Cetirizine", "h1_antihistamine", stopped_on=date(2026, 3, 1))) == []
    assert _diagnostic(Medication("Famotidine", "h2_blocker", stopped_on=date(2026, 3, 7))) == []


def test_stopped_on_the_stop_by_day_is_too_late():
    # The last dose may have been taken any time on 2 Mar, after the 09:00 deadline.
    conflicts = _diagnostic(Medication("Cetirizine", "h1_antihistamine", stopped_on=date(2026, 3, 2)))
    assert _kinds(conflicts) == [("stopped_too_late", "block", "Cetirizine")]
    assert conflicts[0].message == (
        "Cetirizine (H1 antihistamine) was last taken on Mon 2 Mar 2026, but had to be stopped by "
        "Mon 2 Mar 2026 09:00, 7 days before the challenge."
    )
    assert conflicts[0].stop_by == datetime(2026, 3, 2, 9, 0, tzinfo=LONDON)


def test_stopped_day_before_24h_deadline_is_too_late():
    conflicts = _diagnostic(Medication("Ibuprofen", "nsaid", stopped_on=date(2026, 3, 8)))
    assert _kinds(conflicts) == [("stopped_too_late", "block", "Ibuprofen")]


# --- Time zones and DST -----------------------------------------------------------------------------------------


def test_stop_by_is_exact_hours_across_spring_forward():
    # UK clocks go forward on Sun 29 Mar 2026: 7 x 24 h before 09:00 BST is 08:00 GMT.
    start = datetime(2026, 3, 30, 9, 0, tzinfo=LONDON)
    [conflict] = check_washout(
        medications=[Medication("Loratadine", "h1_antihistamine")],
        rules=DEFAULT_WASHOUT,
        challenge_start=start,
        diagnostic=True,
    )
    assert start.astimezone(UTC) - conflict.stop_by.astimezone(UTC) == timedelta(hours=168)
    assert format_when(conflict.stop_by) == "Mon 23 Mar 2026 08:00"
    assert conflict.stop_by.tzinfo is LONDON
    assert "by Mon 23 Mar 2026 08:00" in conflict.message


def test_stop_by_is_exact_hours_across_fall_back():
    # US clocks go back on Sun 1 Nov 2026: 72 h before Mon 09:00 EST is Fri 10:00 EDT.
    start = datetime(2026, 11, 2, 9, 0, tzinfo=NEW_YORK)
    [conflict] = check_washout(
        medications=[Medication("Prednisolone", "systemic_steroid")],
        rules=DEFAULT_WASHOUT,
        challenge_start=start,
        diagnostic=True,
    )
    assert start.astimezone(UTC) - conflict.stop_by.astimezone(UTC) == timedelta(hours=72)
    assert format_when(conflict.stop_by) == "Fri 30 Oct 2026 10:00"


def test_24h_rule_on_the_day_clocks_change():
    start = datetime(2026, 3, 29, 9, 0, tzinfo=LONDON)  # 09:00 BST on the change day
    [conflict] = check_washout(
        medications=[Medication("Omeprazole", "ppi")], rules=DEFAULT_WASHOUT, challenge_start=start, diagnostic=True
    )
    assert format_when(conflict.stop_by) == "Sat 28 Mar 2026 08:00"


def test_stopped_too_late_uses_the_challenge_time_zone():
    # 24 h before Sun 29 Mar 09:00 BST is Sat 28 Mar 08:00 GMT; stopping on Fri 27 Mar is fine.
    start = datetime(2026, 3, 29, 9, 0, tzinfo=LONDON)
    on_time = Medication("Omeprazole", "ppi", stopped_on=date(2026, 3, 27))
    late = Medication("Omeprazole", "ppi", stopped_on=date(2026, 3, 28))
    assert check_washout(medications=[on_time], rules=DEFAULT_WASHOUT, challenge_start=start, diagnostic=True) == []
    [conflict] = check_washout(medications=[late], rules=DEFAULT_WASHOUT, challenge_start=start, diagnostic=True)
    assert conflict.kind == "stopped_too_late"


def test_naive_challenge_start_is_rejected():
    with pytest.raises(WashoutError) as excinfo:
        check_washout(
            medications=[],
            rules=DEFAULT_WASHOUT,
            challenge_start=datetime(2026, 3, 9, 9),  # noqa: DTZ001
            diagnostic=True,
        )
    assert excinfo.value.code == "naive_datetime"


# --- Premedication, MCAS and risk warnings ----------------------------------------------------------------------

MCAS_PREMEDICATION = (
    PremedItem("Cromolyn sodium 100 mg", "mast_cell_stabiliser"),
    PremedItem("Cetirizine 10 mg", "h1_antihistamine"),
    PremedItem("Famotidine 20 mg", "h2_blocker"),
)
MCAS_MEDICATIONS = (
    Medication("Cromolyn sodium", "mast_cell_stabiliser"),
    Medication("Cetirizine", "h1_antihistamine"),
    Medication("Famotidine", "h2_blocker"),
    Medication("Propranolol", "beta_blocker"),
)
# A protocol that also washes out cromolyn, so the MCAS test shows the exemption and not a missing rule.
RULES_WITH_CROMOLYN = (*DEFAULT_WASHOUT, WashoutRule("mast_cell_stabiliser", 24))


def test_mcas_reintroduction_keeps_premedication_but_flags_beta_blocker():
    conflicts = check_washout(
        medications=MCAS_MEDICATIONS,
        rules=RULES_WITH_CROMOLYN,
        challenge_start=START,
        diagnostic=False,
        premedication=MCAS_PREMEDICATION,
    )
    assert _kinds(conflicts) == [("must_stop", "warn", "Propranolol"), ("beta_blocker_risk", "warn", "Propranolol")]
    assert "risk factor for a severe reaction" in conflicts[1].message


def test_same_medications_in_a_diagnostic_challenge_must_all_stop():
    conflicts = check_washout(
        medications=MCAS_MEDICATIONS, rules=RULES_WITH_CROMOLYN, challenge_start=START, diagnostic=True
    )
    assert [c.medication for c in conflicts if c.kind == "must_stop"] == [
        "Cromolyn sodium",
        "Cetirizine",
        "Famotidine",
        "Propranolol",
    ]


def test_non_diagnostic_still_washes_out_classes_not_in_the_premedication():
    conflicts = check_washout(
        medications=[Medication("Prednisolone", "systemic_steroid")],
        rules=DEFAULT_WASHOUT,
        challenge_start=START,
        diagnostic=False,
        premedication=MCAS_PREMEDICATION,
    )
    assert _kinds(conflicts) == [("must_stop", "warn", "Prednisolone")]


def test_diagnostic_challenge_with_premedication_flags_masking():
    premedication = (
        *MCAS_PREMEDICATION,
        PremedItem("Montelukast", "leukotriene_antagonist"),
        PremedItem("Prednisolone", "systemic_steroid"),
        PremedItem("Omeprazole", "ppi"),
    )
    conflicts = _diagnostic(premedication=premedication)
    assert _kinds(conflicts) == [
        ("masking_premedication", "warn", "Cromolyn sodium 100 mg"),
        ("masking_premedication", "warn", "Cetirizine 10 mg"),
        ("masking_premedication", "warn", "Famotidine 20 mg"),
        ("masking_premedication", "warn", "Montelukast"),
        ("masking_premedication", "warn", "Prednisolone"),
    ]
    assert "can mask a reaction" in conflicts[1].message
    assert all(c.stop_by is None for c in conflicts)


def test_non_diagnostic_premedication_is_not_masking():
    assert (
        check_washout(
            medications=[],
            rules=DEFAULT_WASHOUT,
            challenge_start=START,
            diagnostic=False,
            premedication=MCAS_PREMEDICATION,
        )
        == []
    )


def test_diagnostic_does_not_exempt_current_medication_given_as_premedication():
    conflicts = _diagnostic(
        Medication("Cetirizine", "h1_antihistamine"), premedication=[PremedItem("Cetirizine 10 mg", "h1_antihistamine")]
    )
    assert [c.kind for c in conflicts] == ["must_stop", "masking_premedication"]


def test_beta_blocker_is_flagged_with_no_rules_at_all():
    conflicts = check_washout(
        medications=[Medication("Atenolol", "beta_blocker")], rules=(), challenge_start=START, diagnostic=True
    )
    assert _kinds(conflicts) == [("beta_blocker_risk", "warn", "Atenolol")]


def test_ace_inhibitor_is_flagged_in_both_kinds():
    diagnostic = _diagnostic(Medication("Ramipril", "ace_inhibitor"))
    assert _kinds(diagnostic) == [("must_stop", "block", "Ramipril"), ("ace_inhibitor_risk", "warn", "Ramipril")]
    home = check_washout(
        medications=[Medication("Ramipril", "ace_inhibitor")], rules=(), challenge_start=START, diagnostic=False
    )
    assert _kinds(home) == [("ace_inhibitor_risk", "warn", "Ramipril")]


def test_beta_blocker_stopped_in_time_is_still_a_risk():
    conflicts = _diagnostic(Medication("Bisoprolol", "beta_blocker", stopped_on=date(2026, 3, 1)))
    assert _kinds(conflicts) == [("beta_blocker_risk", "warn", "Bisoprolol")]


def test_zero_hour_rule_means_continue():
    rules = (WashoutRule("leukotriene_antagonist", 0, note="UPMC: continue"),)
    assert (
        check_washout(
            medications=[Medication("Montelukast", "leukotriene_antagonist")],
            rules=rules,
            challenge_start=START,
            diagnostic=True,
        )
        == []
    )


def test_longest_of_duplicate_rules_wins():
    rules = (WashoutRule("h1_antihistamine", 72), WashoutRule("h1_antihistamine", 240))
    [conflict] = check_washout(
        medications=[Medication("Hydroxyzine", "h1_antihistamine")], rules=rules, challenge_start=START, diagnostic=True
    )
    assert format_when(conflict.stop_by) == "Fri 27 Feb 2026 09:00"
    assert "10 days before" in conflict.message


@pytest.mark.parametrize("factory", [lambda: Medication("X", "antihistamine"), lambda: PremedItem("X", "H1")])
def test_unknown_medication_class_is_rejected(factory):
    with pytest.raises(WashoutError) as excinfo:
        factory()
    assert excinfo.value.code == "unknown_class"


# --- Rules as data ----------------------------------------------------------------------------------------------


def test_rules_round_trip_through_json():
    data = json.loads(json.dumps(rules_to_data(DEFAULT_WASHOUT)))
    assert data[0] == {
        "med_class": "h1_antihistamine",
        "hours": 168,
        "note": DEFAULT_WASHOUT[0].note,
        "source": DEFAULT_WASHOUT[0].source,
    }
    assert rules_from_data(data) == DEFAULT_WASHOUT


def test_rules_from_data_defaults_note_and_source_and_accepts_90_days():
    assert rules_from_data([{"med_class": "nsaid", "hours": 2160}]) == (WashoutRule("nsaid", 2160, "", ""),)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"med_class": "nsaid", "hours": 24}, "bad_type"),
        ("[]", "bad_type"),
        ([["nsaid", 24]], "bad_type"),
        ([{"med_class": "antihistamine", "hours": 24}], "unknown_class"),
        ([{"med_class": 7, "hours": 24}], "unknown_class"),
        ([{"med_class": "nsaid", "hours": -1}], "bad_hours"),
        ([{"med_class": "nsaid", "hours": 2161}], "bad_hours"),
        ([{"med_class": "nsaid", "hours": "24"}], "bad_type"),
        ([{"med_class": "nsaid", "hours": 24.0}], "bad_type"),
        ([{"med_class": "nsaid", "hours": True}], "bad_type"),
        ([{"med_class": "nsaid", "hours": None}], "bad_type"),
        ([{"med_class": "nsaid", "hours": 24, "note": 5}], "bad_type"),
        ([{"med_class": "nsaid", "hours": 24, "source": None}], "bad_type"),
        ([{"med_class": "nsaid"}], "missing_field"),
        ([{"hours": 24}], "missing_field"),
        ([{"med_class": "nsaid", "hours": 24, "days": 1}], "unknown_field"),
        ([{"med_class": "nsaid", "hours": 24}, {"med_class": "nsaid", "hours": 48}], "duplicate_class"),
    ],
)
def test_rules_from_data_rejects_bad_data(data, code):
    with pytest.raises(WashoutError) as excinfo:
        rules_from_data(data)
    assert excinfo.value.code == code


def test_rules_from_data_error_names_the_entry():
    with pytest.raises(WashoutError) as excinfo:
        rules_from_data([{"med_class": "nsaid", "hours": 24}, {"med_class": "ppi"}])
    assert excinfo.value.message == "Washout rule 2 lacks: hours."
