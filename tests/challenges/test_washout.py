"""The medication check before a challenge (clinical.washout, with washout_rules and washout_decisions): one test
group per drug class and conflict kind.

Wash-out boundaries: the hour of the last dose is not recorded, so a last dose on day D may have been taken just
before midnight. For an N-day drug and a 09:00 challenge, a last dose N + 1 calendar days before is in time and
one N days before is too late (adrenaline dosing: test_adrenaline.py).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinical.dates import format_day, format_when
from clinical.washout import (
    BLOCK,
    INFO,
    WARN,
    Medication,
    PremedItem,
    check_washout,
    earliest_for_all,
)
from clinical.washout_decisions import Decision, first_dose_refusal, review
from clinical.washout_rules import (
    DEFAULT_WASHOUT,
    MAX_WASHOUT_HOURS,
    WashoutError,
    WashoutRule,
    rules_from_data,
    rules_to_data,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
# Monday 9 March 2026, 09:00 GMT: no DST change in the weeks before.
START = datetime(2026, 3, 9, 9, 0, tzinfo=LONDON)
EARLY = datetime(2026, 2, 20, 12, 0, tzinfo=LONDON)  # "now" well before every stop-by date


def _check(*medications: Medication, diagnostic: bool = True, rules=DEFAULT_WASHOUT, **kwargs) -> list:
    kwargs.setdefault("now", EARLY)
    return check_washout(medications=medications, rules=rules, challenge_start=START, diagnostic=diagnostic, **kwargs)


def _kinds(conflicts) -> list[tuple[str, str, str]]:
    return [(c.kind, c.severity, c.medication) for c in conflicts]


def _days_before(days: int) -> date:
    return START.date() - timedelta(days=days)


def _boundary(med: Medication, days: int, **kwargs) -> tuple[list, list]:
    """The conflicts with the last dose days + 1 calendar days before (in time) and days before (too late)."""
    in_time = Medication(med.name, med.med_class, _days_before(days + 1), med.route, med.medication_id)
    too_late = Medication(med.name, med.med_class, _days_before(days), med.route, med.medication_id)
    return _check(in_time, **kwargs), _check(too_late, **kwargs)


def _no_stop(text: str) -> bool:
    return re.search(r"\bstop", text, re.IGNORECASE) is None


# --- the seeded defaults ----------------------------------------------------------------------------------------


def test_default_rules_match_the_sources():
    hours = {rule.label: rule.hours for rule in DEFAULT_WASHOUT}
    assert hours == {
        "H1 antihistamine": 168,  # Children's Mercy, all oral antihistamines
        "H1 antihistamine: diphenhydramine, by mouth": 72,  # UPMC
        "H1 antihistamine: fexofenadine, by mouth": 72,  # UPMC
        "H1 antihistamine: cyproheptadine, by mouth": 72,  # UPMC
        "H1 antihistamine: loratadine, by mouth": 168,  # UPMC
        "H1 antihistamine: nasal spray": 120,  # Latitude
        "H1 antihistamine: eye drops": 48,  # Latitude
        "H2 blocker": 24,
        "leukotriene antagonist": 24,
        "systemic steroid": 72,
        "NSAID": 24,
        "proton-pump inhibitor": 24,
    }
    assert all(rule.source for rule in DEFAULT_WASHOUT)
    # Risk factors are never washed out; no source gives a time for these three.
    classes = {rule.med_class for rule in DEFAULT_WASHOUT}
    assert classes.isdisjoint({"beta_blocker", "ace_inhibitor", "mast_cell_stabiliser", "tricyclic_antidepressant"})
    assert "biologic" not in classes


# --- H1 antihistamines, per drug and route ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "route", "days"),
    [
        ("Cetirizine 10 mg", "oral", 7),  # sources disagree per drug (3 vs 5-7 days): the class value
        ("Levocetirizine 5 mg", "oral", 7),  # follows cetirizine, its active half
        ("Hydroxyzine 25 mg", "oral", 7),  # sources disagree per drug (3 vs 7-10 days): the class value
        ("Desloratadine 5 mg", "oral", 7),  # not "loratadine": the class value
        ("Loratadine 10 mg", "oral", 7),
        ("Benadryl (diphenhydramine) 25 mg", "oral", 3),
        ("Fexofenadine 120 mg", "oral", 3),
        ("Cyproheptadine 4 mg", "oral", 3),
        ("Azelastine", "nasal", 5),
        ("Olopatadine", "eye", 2),
        ("Cetirizine", "eye", 2),  # the route wins over the drug
        ("Diphenhydramine cream", "skin", 7),  # the oral drug rule does not reach the skin: the class value
    ],
)
def test_h1_antihistamine_per_drug_and_route_both_sides_of_the_boundary(name, route, days):
    med = Medication(name, "h1_antihistamine", route=route)
    [current] = _check(med)
    assert (current.kind, current.severity, current.hours) == ("must_stop", BLOCK, days * 24)
    assert format_when(current.stop_by) == format_when(START - timedelta(days=days))
    in_time, too_late = _boundary(med, days)
    assert in_time == []
    assert _kinds(too_late) == [("stopped_too_late", BLOCK, name)]


def test_h1_stop_by_message_and_the_too_late_message():
    med = Medication("Cetirizine 10 mg", "h1_antihistamine")
    [ahead] = _check(med)
    assert (
        ahead.message
        == "Stop Cetirizine 10 mg (H1 antihistamine) by Mon 2 Mar 2026 09:00, 7 days before the challenge."
    )
    assert not ahead.too_late
    assert ahead.earliest is None
    # On Thu 5 Mar the 2 Mar deadline has passed: stopping today, the first 09:00 start 7 days later is Fri 13 Mar.
    [late] = _check(med, now=datetime(2026, 3, 5, 10, 0, tzinfo=LONDON))
    assert late.too_late
    assert late.earliest == datetime(2026, 3, 13, 9, 0, tzinfo=LONDON)
    assert late.message.startswith("Too late to stop Cetirizine 10 mg (H1 antihistamine) 7 days before")
    assert late.message.endswith(f"earliest date {format_day(date(2026, 3, 13))}.")


def test_stopped_too_late_names_the_earliest_date():
    [conflict] = _check(Medication("Loratadine", "h1_antihistamine", stopped_on=date(2026, 3, 2)))
    assert conflict.message == (
        "Loratadine (H1 antihistamine) was last taken on Mon 2 Mar 2026, but had to be stopped by "
        "Mon 2 Mar 2026 09:00, 7 days before the challenge; earliest date Tue 10 Mar 2026."
    )
    assert conflict.earliest == datetime(2026, 3, 10, 9, 0, tzinfo=LONDON)


def test_earliest_date_keeps_the_booked_time_of_day():
    # A 24 h drug, still taken on the challenge morning at 08:00: ready at Wed 00:00, so Wed 09:00 (not Tue 09:00).
    now = datetime(2026, 3, 9, 8, 0, tzinfo=LONDON)
    conflicts = _check(Medication("Famotidine", "h2_blocker"), Medication("Loratadine", "h1_antihistamine"), now=now)
    assert [c.earliest for c in conflicts] == [
        datetime(2026, 3, 11, 9, 0, tzinfo=LONDON),
        datetime(2026, 3, 17, 9, 0, tzinfo=LONDON),
    ]
    assert earliest_for_all(conflicts, START) == datetime(2026, 3, 17, 9, 0, tzinfo=LONDON)
    assert earliest_for_all(_check(Medication("Famotidine", "h2_blocker")), START) is None  # still in time


# --- H2 blockers, tricyclic antidepressants, mast-cell stabilisers ---------------------------------------------


def test_h2_blocker_one_day_both_sides():
    med = Medication("Famotidine 20 mg", "h2_blocker")
    assert _kinds(_check(med)) == [("must_stop", BLOCK, "Famotidine 20 mg")]
    in_time, too_late = _boundary(med, 1)
    assert in_time == []
    assert _kinds(too_late) == [("stopped_too_late", BLOCK, "Famotidine 20 mg")]


@pytest.mark.parametrize(
    ("med_class", "name"), [("tricyclic_antidepressant", "Doxepin"), ("mast_cell_stabiliser", "Cromolyn")]
)
def test_masking_class_without_a_sourced_time_blocks_for_the_allergist(med_class, name):
    [conflict] = _check(Medication(name, med_class, medication_id=4))
    assert (conflict.kind, conflict.severity, conflict.hours, conflict.stop_by) == (
        "no_washout_time",
        BLOCK,
        None,
        None,
    )
    assert conflict.actions == {"stop_confirmed", "overridden"}
    assert "sets no wash-out time" in conflict.message


def test_tricyclic_is_never_stopped_without_the_prescriber():
    [default] = _check(Medication("Amitriptyline 10 mg", "tricyclic_antidepressant"))
    assert "Do not stop it without the prescriber's agreement." in default.message
    rules = (*DEFAULT_WASHOUT, WashoutRule("tricyclic_antidepressant", 5 * 24, source="clinic policy"))
    med = Medication("Doxepin", "tricyclic_antidepressant")
    [with_rule] = _check(med, rules=rules)
    assert with_rule.kind == "must_stop"
    assert "Do not stop it without the prescriber's agreement." in with_rule.message
    in_time, too_late = _boundary(med, 5, rules=rules)
    assert in_time == []
    assert [c.kind for c in too_late] == ["stopped_too_late"]


def test_mast_cell_stabiliser_with_a_protocol_rule_both_sides():
    rules = (*DEFAULT_WASHOUT, WashoutRule("mast_cell_stabiliser", 24))
    med = Medication("Cromolyn sodium (oral)", "mast_cell_stabiliser")
    assert [c.kind for c in _check(med, rules=rules)] == ["must_stop"]
    in_time, too_late = _boundary(med, 1, rules=rules)
    assert in_time == []
    assert [c.kind for c in too_late] == ["stopped_too_late"]


def test_a_zero_hour_rule_means_keep_taking_it():
    rules = (WashoutRule("mast_cell_stabiliser", 0, note="clinic: continue"),)
    assert _check(Medication("Cromolyn", "mast_cell_stabiliser"), rules=rules) == []


# --- montelukast: asthma decides ------------------------------------------------------------------------------


def test_montelukast_without_asthma_is_washed_out_one_day():
    med = Medication("Montelukast 5 mg", "leukotriene_antagonist")
    assert _kinds(_check(med)) == [("must_stop", BLOCK, "Montelukast 5 mg")]
    in_time, too_late = _boundary(med, 1)
    assert in_time == []
    assert [c.kind for c in too_late] == ["stopped_too_late"]


def test_montelukast_in_asthma_is_a_warning_to_continue():
    [conflict] = _check(Medication("Montelukast 5 mg", "leukotriene_antagonist"), conditions=["asthma"])
    assert (conflict.kind, conflict.severity) == ("continue_in_asthma", WARN)
    assert "continued as asthma maintenance" in conflict.message
    assert conflict.actions == frozenset()


# --- systemic steroids: never stopped for a challenge ---------------------------------------------------------


def test_steroid_still_taken_is_defer_or_accept_never_a_stop_by_date():
    [conflict] = _check(Medication("Prednisolone 5 mg", "systemic_steroid", medication_id=1))
    assert (conflict.kind, conflict.severity, conflict.stop_by) == ("do_not_stop", BLOCK, None)
    assert conflict.actions == {"accept_limitation", "defer"}
    assert "must not be stopped" in conflict.message
    assert "Stop Prednisolone" not in conflict.message


def test_finished_steroid_course_washes_out_three_days():
    in_time, too_late = _boundary(Medication("Prednisolone 20 mg", "systemic_steroid"), 3)
    assert in_time == []
    assert [c.kind for c in too_late] == ["stopped_too_late"]


def test_steroid_on_a_home_plan_gives_nothing():
    assert _check(Medication("Prednisolone 5 mg", "systemic_steroid"), diagnostic=False) == []


# --- risk factors: a review, never "stop" --------------------------------------------------------------------

OLD_RISK_RULES = (WashoutRule("beta_blocker", 24), WashoutRule("ace_inhibitor", 24))  # protocols saved before


@pytest.mark.parametrize("diagnostic", [True, False])
@pytest.mark.parametrize("rules", [DEFAULT_WASHOUT, OLD_RISK_RULES, ()])
@pytest.mark.parametrize(("med_class", "name"), [("beta_blocker", "Bisoprolol 2.5 mg"), ("ace_inhibitor", "Ramipril")])
def test_risk_factor_is_a_risk_review_and_never_says_stop(med_class, name, rules, diagnostic):
    now = datetime(2026, 3, 9, 8, 0, tzinfo=LONDON)  # even after any deadline a rule could set
    [conflict] = _check(Medication(name, med_class, medication_id=2), rules=rules, diagnostic=diagnostic, now=now)
    assert (conflict.kind, conflict.severity, conflict.stop_by, conflict.earliest) == ("risk_review", BLOCK, None, None)
    assert conflict.actions == {"proceed", "defer", "switch"}
    assert "Risk review" in conflict.message
    assert _no_stop(conflict.message)
    [reviewed] = review([conflict], [], START)
    assert _no_stop(reviewed.status)
    assert _no_stop(first_dose_refusal([reviewed]).message)
    for label in (label for _code, label in reviewed.choices):
        assert _no_stop(label)


def test_beta_blocker_recorded_as_stopped_is_still_reviewed():
    [conflict] = _check(Medication("Bisoprolol", "beta_blocker", stopped_on=date(2026, 3, 1)))
    assert conflict.kind == "risk_review"


# --- biologics: defer by months, a warning ------------------------------------------------------------------


def test_biologic_is_a_warning_to_defer():
    [conflict] = _check(Medication("Omalizumab 300 mg", "biologic", route="injection"))
    assert (conflict.kind, conflict.severity, conflict.earliest) == ("biologic", WARN, None)
    assert "lasts months" in conflict.message
    assert first_dose_refusal(review([conflict], [], START)) is None


def test_biologic_deferral_can_run_past_the_old_90_day_cap():
    six_months = 183 * 24
    assert six_months > 90 * 24
    rules = (WashoutRule("biologic", six_months, source="clinic policy"),)
    med = Medication("Omalizumab", "biologic", route="injection")
    [conflict] = _check(
        Medication("Omalizumab", "biologic", stopped_on=date(2026, 2, 2), route="injection"), rules=rules
    )
    assert conflict.earliest == datetime(2026, 8, 5, 9, 0, tzinfo=LONDON)
    assert "earliest date Wed 5 Aug 2026" in conflict.message
    in_time, too_late = _boundary(med, 183, rules=rules)
    assert in_time == []
    assert [c.kind for c in too_late] == ["biologic"]


def test_biologic_on_a_home_plan_gives_nothing():
    assert _check(Medication("Omalizumab", "biologic"), diagnostic=False) == []


# --- PPIs and NSAIDs: warnings, not blocks --------------------------------------------------------------------


def test_ppi_is_a_warning():
    [conflict] = _check(Medication("Omeprazole 20 mg", "ppi"))
    assert (conflict.kind, conflict.severity) == ("ppi_warning", WARN)
    assert conflict.actions == frozenset()


def test_nsaid_is_a_cofactor_warning_until_it_is_stopped_in_time():
    med = Medication("Ibuprofen", "nsaid")
    [conflict] = _check(med)
    assert (conflict.kind, conflict.severity) == ("cofactor", WARN)
    in_time, too_late = _boundary(med, 1)
    assert in_time == []
    assert [c.kind for c in too_late] == ["cofactor"]


def test_other_medicines_give_nothing():
    assert _check(Medication("Budesonide/formoterol inhaler", "other", route="inhaled")) == []


# --- MCAS: premedicated classes continue by design -----------------------------------------------------------

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
RULES_WITH_CROMOLYN = (*DEFAULT_WASHOUT, WashoutRule("mast_cell_stabiliser", 24))


def test_mcas_plan_keeps_h1_h2_and_cromolyn_by_design_and_reviews_the_beta_blocker():
    conflicts = _check(*MCAS_MEDICATIONS, diagnostic=False, rules=RULES_WITH_CROMOLYN, premedication=MCAS_PREMEDICATION)
    assert _kinds(conflicts) == [
        ("continues_by_design", INFO, "Cromolyn sodium"),
        ("continues_by_design", INFO, "Cetirizine"),
        ("continues_by_design", INFO, "Famotidine"),
        ("risk_review", BLOCK, "Propranolol"),
    ]
    assert "continues by design" in conflicts[1].message
    assert first_dose_refusal(review(conflicts, [], START)).code == "medication_review_required"


def test_non_diagnostic_still_warns_for_a_washed_out_class_not_in_the_premedication():
    conflicts = _check(Medication("Famotidine", "h2_blocker"), diagnostic=False, premedication=MCAS_PREMEDICATION[:2])
    assert _kinds(conflicts) == [("must_stop", WARN, "Famotidine")]


def test_non_diagnostic_protocol_without_rules_washes_out_nothing():
    assert _check(Medication("Loratadine", "h1_antihistamine"), diagnostic=False, rules=()) == []


def test_mcas_patient_on_a_diagnostic_protocol_is_told_why_her_blockers_matter():
    conflicts = _check(*MCAS_MEDICATIONS[:3], rules=RULES_WITH_CROMOLYN, conditions=["mcas"])
    assert [c.kind for c in conflicts] == ["must_stop"] * 3
    assert all("The patient has MCAS" in c.message for c in conflicts)
    assert "MCAS" not in _check(Medication("Cetirizine", "h1_antihistamine"))[0].message


def test_diagnostic_challenge_with_premedication_flags_masking():
    premedication = (
        *MCAS_PREMEDICATION,
        PremedItem("Montelukast", "leukotriene_antagonist"),
        PremedItem("Omeprazole", "ppi"),
    )
    conflicts = _check(premedication=premedication)
    assert [c.kind for c in conflicts] == ["masking_premedication"] * 4
    assert all(c.severity == WARN and c.stop_by is None for c in conflicts)


def test_diagnostic_does_not_exempt_current_medication_given_as_premedication():
    conflicts = _check(
        Medication("Cetirizine", "h1_antihistamine"), premedication=[PremedItem("Cetirizine 10 mg", "h1_antihistamine")]
    )
    assert [c.kind for c in conflicts] == ["must_stop", "masking_premedication"]


# --- decisions laid over the conflicts --------------------------------------------------------------------------

AT = datetime(2026, 3, 8, 10, 0, tzinfo=LONDON)


def _decision(action: str, medication_id: int = 1, **kwargs) -> Decision:
    kwargs.setdefault("reason", "" if action == "stop_confirmed" else "Agreed with the GP")
    return Decision(medication_id=medication_id, action=action, by="Sam Lee", at=AT, **kwargs)


CETIRIZINE = Medication("Cetirizine 10 mg", "h1_antihistamine", medication_id=1)
BISOPROLOL = Medication("Bisoprolol 2.5 mg", "beta_blocker", medication_id=2)
PREDNISOLONE = Medication("Prednisolone 5 mg", "systemic_steroid", medication_id=3)


def test_an_open_masking_conflict_refuses_the_first_dose():
    reviewed = review(_check(CETIRIZINE), [], START)
    assert [(r.state, r.status) for r in reviewed] == [("open", "Must be resolved")]
    refusal = first_dose_refusal(reviewed)
    assert refusal.code == "washout_unresolved"


@pytest.mark.parametrize(("days_before", "cleared"), [(8, True), (7, False)])
def test_a_confirmed_stop_date_clears_it_only_if_it_meets_the_wash_out(days_before, cleared):
    decision = _decision("stop_confirmed", stopped_on=_days_before(days_before))
    [row] = review(_check(CETIRIZINE), [decision], START)
    assert row.state == ("cleared" if cleared else "open")
    if cleared:
        assert row.status == "Stop date confirmed"
        assert row.decision_text == "Stop date confirmed by Sam Lee on Sun 8 Mar 2026 10:00: last dose Sun 1 Mar 2026"
        assert first_dose_refusal([row]) is None


def test_an_override_clears_it_and_names_who_and_why():
    [row] = review(_check(CETIRIZINE), [_decision("overridden", reason="Chronic urticaria; accept the risk")], START)
    assert (row.state, row.status) == ("cleared", "Overridden")
    assert row.decision_text == "Overridden by Sam Lee on Sun 8 Mar 2026 10:00: Chronic urticaria; accept the risk"


@pytest.mark.parametrize(
    ("action", "state", "code"),
    [("proceed", "cleared", None), ("defer", "held", "medication_deferred"), ("switch", "held", "medication_deferred")],
)
def test_risk_review_decisions(action, state, code):
    reviewed = review(_check(BISOPROLOL), [_decision(action, medication_id=2)], START)
    assert reviewed[0].state == state
    refusal = first_dose_refusal(reviewed)
    assert (refusal.code if refusal else None) == code


def test_steroid_decisions_and_the_latest_decision_wins():
    decisions = [_decision("defer", medication_id=3), _decision("accept_limitation", medication_id=3)]
    [row] = review(_check(PREDNISOLONE), decisions, START)
    assert (row.state, row.status) == ("cleared", "Accept and document the limitation")
    [row] = review(_check(PREDNISOLONE), decisions[::-1], START)
    assert row.state == "held"


def test_a_decision_answers_only_its_own_medication_and_kind():
    decisions = [_decision("proceed", medication_id=1), _decision("overridden", medication_id=2)]
    reviewed = review(_check(CETIRIZINE, BISOPROLOL), decisions, START)
    assert [r.state for r in reviewed] == ["open", "open"]
    assert first_dose_refusal(reviewed).code == "washout_unresolved"  # masking is named first
    reviewed = review(_check(CETIRIZINE, BISOPROLOL), [_decision("overridden", medication_id=1)], START)
    assert first_dose_refusal(reviewed).code == "medication_review_required"


def test_warnings_need_no_decision():
    reviewed = review(_check(Medication("Omeprazole", "ppi"), Medication("Omalizumab", "biologic")), [], START)
    assert [r.state for r in reviewed] == ["warn", "warn"]
    assert first_dose_refusal(reviewed) is None


def test_unknown_decision_is_rejected():
    with pytest.raises(WashoutError) as excinfo:
        _decision("stop_the_drug")
    assert excinfo.value.code == "bad_action"


# --- time zones and DST -----------------------------------------------------------------------------------------


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
    assert "by Mon 23 Mar 2026 08:00" in conflict.message


def test_stop_by_is_exact_hours_across_fall_back():
    # US clocks go back on Sun 1 Nov 2026: 72 h before Mon 09:00 EST is Fri 10:00 EDT (a finished steroid course).
    start = datetime(2026, 11, 2, 9, 0, tzinfo=NEW_YORK)
    [conflict] = check_washout(
        medications=[Medication("Prednisolone", "systemic_steroid", stopped_on=date(2026, 10, 30))],
        rules=DEFAULT_WASHOUT,
        challenge_start=start,
        diagnostic=True,
    )
    assert start.astimezone(UTC) - conflict.stop_by.astimezone(UTC) == timedelta(hours=72)
    assert format_when(conflict.stop_by) == "Fri 30 Oct 2026 10:00"


def test_stopped_too_late_uses_the_challenge_time_zone():
    # 24 h before Sun 29 Mar 09:00 BST is Sat 28 Mar 08:00 GMT; a last dose on Fri 27 Mar is in time.
    start = datetime(2026, 3, 29, 9, 0, tzinfo=LONDON)
    on_time = Medication("Famotidine", "h2_blocker", stopped_on=date(2026, 3, 27))
    late = Medication("Famotidine", "h2_blocker", stopped_on=date(2026, 3, 28))
    assert check_washout(medications=[on_time], rules=DEFAULT_WASHOUT, challenge_start=start, diagnostic=True) == []
    [conflict] = check_washout(medications=[late], rules=DEFAULT_WASHOUT, challenge_start=start, diagnostic=True)
    assert conflict.kind == "stopped_too_late"


@pytest.mark.parametrize("now", [None, datetime(2026, 3, 1, 9, 0)])  # noqa: DTZ001
def test_naive_times_are_rejected(now):
    start = datetime(2026, 3, 9, 9) if now is None else START  # noqa: DTZ001
    with pytest.raises(WashoutError) as excinfo:
        check_washout(medications=[], rules=DEFAULT_WASHOUT, challenge_start=start, diagnostic=True, now=now)
    assert excinfo.value.code == "naive_datetime"


# --- medications and rules as data ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("factory", "code"),
    [
        (lambda: Medication("X", "antihistamine"), "unknown_class"),
        (lambda: PremedItem("X", "H1"), "unknown_class"),
        (lambda: Medication("X", "h1_antihistamine", route="eyes"), "unknown_route"),
        (lambda: Medication("X", "h1_antihistamine", route=""), "unknown_route"),
    ],
)
def test_bad_medication_is_rejected(factory, code):
    with pytest.raises(WashoutError) as excinfo:
        factory()
    assert excinfo.value.code == code


def test_rules_round_trip_through_json():
    data = json.loads(json.dumps(rules_to_data(DEFAULT_WASHOUT)))
    assert data[0] == {
        "med_class": "h1_antihistamine",
        "hours": 168,
        "note": DEFAULT_WASHOUT[0].note,
        "source": DEFAULT_WASHOUT[0].source,
    }
    assert data[1]["drug"] == "diphenhydramine"
    assert data[1]["route"] == "oral"
    assert rules_from_data(data) == DEFAULT_WASHOUT


def test_rules_from_data_defaults_and_accepts_a_year():
    assert rules_from_data([{"med_class": "biologic", "hours": MAX_WASHOUT_HOURS}]) == (
        WashoutRule("biologic", 365 * 24, "", ""),
    )


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"med_class": "nsaid", "hours": 24}, "bad_type"),
        ("[]", "bad_type"),
        ([["nsaid", 24]], "bad_type"),
        ([{"med_class": "antihistamine", "hours": 24}], "unknown_class"),
        ([{"med_class": 7, "hours": 24}], "unknown_class"),
        ([{"med_class": "nsaid", "hours": -1}], "bad_hours"),
        ([{"med_class": "nsaid", "hours": MAX_WASHOUT_HOURS + 1}], "bad_hours"),
        ([{"med_class": "nsaid", "hours": "24"}], "bad_type"),
        ([{"med_class": "nsaid", "hours": 24.0}], "bad_type"),
        ([{"med_class": "nsaid", "hours": True}], "bad_type"),
        ([{"med_class": "nsaid", "hours": None}], "bad_type"),
        ([{"med_class": "nsaid", "hours": 24, "note": 5}], "bad_type"),
        ([{"med_class": "nsaid", "hours": 24, "source": None}], "bad_type"),
        ([{"med_class": "nsaid", "hours": 24, "route": "ear"}], "unknown_route"),
        ([{"med_class": "h1_antihistamine", "hours": 24, "drug": "Zyrtec®"}], "bad_drug"),
        ([{"med_class": "nsaid"}], "missing_field"),
        ([{"hours": 24}], "missing_field"),
        ([{"med_class": "nsaid", "hours": 24, "days": 1}], "unknown_field"),
        ([{"med_class": "nsaid", "hours": 24}, {"med_class": "nsaid", "hours": 48}], "duplicate_class"),
        (
            [
                {"med_class": "h1_antihistamine", "hours": 48, "route": "eye"},
                {"med_class": "h1_antihistamine", "hours": 24, "route": "eye"},
            ],
            "duplicate_class",
        ),
    ],
)
def test_rules_from_data_rejects_bad_data(data, code):
    with pytest.raises(WashoutError) as excinfo:
        rules_from_data(data)
    assert excinfo.value.code == code


def test_a_class_rule_and_its_drug_rule_are_not_duplicates():
    rules = rules_from_data(
        [
            {"med_class": "h1_antihistamine", "hours": 168},
            {"med_class": "h1_antihistamine", "hours": 72, "drug": "cetirizine"},
        ]
    )
    assert [r.label for r in rules] == ["H1 antihistamine", "H1 antihistamine: cetirizine"]
    # Without a route, a drug rule covers every route of the drug; it still loses to a route rule.
    [conflict] = _check(Medication("Cétirizine 10 mg", "h1_antihistamine"), rules=rules)
    assert conflict.hours == 72


def test_longest_of_equally_specific_rules_wins():
    rules = (WashoutRule("h1_antihistamine", 72), WashoutRule("h1_antihistamine", 240))
    [conflict] = _check(Medication("Hydroxyzine", "h1_antihistamine"), rules=rules)
    assert format_when(conflict.stop_by) == "Fri 27 Feb 2026 09:00"
    assert "10 days before" in conflict.message
