"""The stop rules' input checks and their settings as stored JSON (defaults, round trip, refusals, kinds)."""

import pytest

from clinical.checklist import PROTOCOL_KINDS
from clinical.stop_rules import DEFAULT_RULES, StopRuleError, StopRules, default_rules
from tests.challenges.stopping_helpers import check, seen

# --- Input checks ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("finding", "code"),
    [
        (seen("skin_hives", 1, 1), "unknown_item"),
        (seen("skin_urticaria", 4, 1), "bad_severity"),
        (seen("skin_urticaria", -1, 1), "bad_severity"),
        (seen("skin_urticaria", True, 1), "bad_severity"),
        (seen("skin_urticaria", 1, 0), "bad_dose_number"),
    ],
)
def test_bad_findings_are_refused_with_a_code(finding, code):
    with pytest.raises(StopRuleError) as caught:
        check([finding])
    assert caught.value.code == code
    assert isinstance(caught.value, ValueError)


# --- Settings as stored JSON -------------------------------------------------------------------------------


def test_defaults_are_the_published_values():
    # Utrecht, EuroPrevall, NIAID/FAAN, soy DBPCFC, Japanese grading (docs/clinical-sources.md §3.2, 7).
    assert DEFAULT_RULES.to_dict() == {
        "objective_min_severity": 1,
        "subjective_consecutive_doses": 3,
        "subjective_min_severity": 1,
        "subjective_hold_severity": 2,
        "subjective_hold_minutes": 45,
        "sbp_drop_mmhg": 20,
        "sbp_drop_pct": 30,
        "use_age_hypotension": True,
        "hr_rise_pct": 20,
        "pef_drop_pct": 20,
        "fev1_drop_pct": 12,
        "spo2_below": 92,
        "fpies_rule": False,
    }


def test_to_dict_and_from_dict_round_trip():
    rules = StopRules(objective_min_severity=2, spo2_below=94, fpies_rule=True)
    assert StopRules.from_dict(rules.to_dict()) == rules


def test_from_dict_fills_missing_settings_with_defaults():
    assert StopRules.from_dict({}) == DEFAULT_RULES
    assert StopRules.from_dict({"hr_rise_pct": 25}).hr_rise_pct == 25


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"spo2_belwo": 92}, "unknown_field"),
        ({1: 92, "spo2_below": 92}, "unknown_field"),
        ({"sbp_drop_mmhg": "20"}, "bad_type"),
        ({"sbp_drop_mmhg": 20.5}, "bad_type"),
        ({"sbp_drop_mmhg": True}, "bad_type"),
        ({"sbp_drop_mmhg": None}, "bad_type"),
        ({"fpies_rule": 1}, "bad_type"),
        ({"fpies_rule": "yes"}, "bad_type"),
        ({"objective_min_severity": 0}, "out_of_range"),
        ({"subjective_min_severity": 4}, "out_of_range"),
        ({"subjective_consecutive_doses": 0}, "out_of_range"),
        ({"sbp_drop_pct": 100}, "out_of_range"),
        ({"spo2_below": 101}, "out_of_range"),
        ({"hr_rise_pct": -20}, "out_of_range"),
        ([("spo2_below", 92)], "bad_type"),
    ],
)
def test_from_dict_refuses_bad_settings_with_a_code(data, code):
    with pytest.raises(StopRuleError) as caught:
        StopRules.from_dict(data)
    assert caught.value.code == code


def test_range_error_names_the_setting_and_its_range():
    with pytest.raises(StopRuleError, match=r"sbp_drop_mmhg must be from 1 to 100 mmHg, not 250"):
        StopRules.from_dict({"sbp_drop_mmhg": 250})


@pytest.mark.parametrize("kind", PROTOCOL_KINDS)
def test_every_kind_has_default_rules_and_only_fpies_uses_the_fpies_rule(kind):
    rules = default_rules(kind)
    assert rules.fpies_rule is (kind == "fpies")
    assert rules.sbp_drop_mmhg == 20


def test_unknown_kind_has_no_default_rules():
    with pytest.raises(StopRuleError) as caught:
        default_rules("oit")
    assert caught.value.code == "unknown_kind"
