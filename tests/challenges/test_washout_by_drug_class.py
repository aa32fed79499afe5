"""The medication check before a challenge (clinical.washout), per drug class: the seeded defaults, H1 and H2
antihistamines, tricyclics, mast-cell stabilisers, montelukast and systemic steroids, each on both sides of its
wash-out boundary (washout_helpers.boundary; adrenaline dosing: test_adrenaline.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from clinical.dates import format_day, format_when
from clinical.washout import BLOCK, WARN, Medication, earliest_for_all
from clinical.washout_rules import DEFAULT_WASHOUT, WashoutRule
from tests.challenges.washout_helpers import LONDON, START, boundary, check, kinds

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
    [current] = check(med)
    assert (current.kind, current.severity, current.hours) == ("must_stop", BLOCK, days * 24)
    assert format_when(current.stop_by) == format_when(START - timedelta(days=days))
    in_time, too_late = boundary(med, days)
    assert in_time == []
    assert kinds(too_late) == [("stopped_too_late", BLOCK, name)]


def test_h1_stop_by_message_and_the_too_late_message():
    med = Medication("Cetirizine 10 mg", "h1_antihistamine")
    [ahead] = check(med)
    assert (
        ahead.message
        == "Stop Cetirizine 10 mg (H1 antihistamine) by Mon 2 Mar 2026 09:00, 7 days before the challenge."
    )
    assert not ahead.too_late
    assert ahead.earliest is None
    # On Thu 5 Mar the 2 Mar deadline has passed: stopping today, the first 09:00 start 7 days later is Fri 13 Mar.
    [late] = check(med, now=datetime(2026, 3, 5, 10, 0, tzinfo=LONDON))
    assert late.too_late
    assert late.earliest == datetime(2026, 3, 13, 9, 0, tzinfo=LONDON)
    assert late.message.startswith("Too late to stop Cetirizine 10 mg (H1 antihistamine) 7 days before")
    assert late.message.endswith(f"earliest date {format_day(date(2026, 3, 13))}.")


def test_stopped_too_late_names_the_earliest_date():
    [conflict] = check(Medication("Loratadine", "h1_antihistamine", stopped_on=date(2026, 3, 2)))
    assert conflict.message == (
        "Loratadine (H1 antihistamine) was last taken on Mon 2 Mar 2026, but had to be stopped by "
        "Mon 2 Mar 2026 09:00, 7 days before the challenge; earliest date Tue 10 Mar 2026."
    )
    assert conflict.earliest == datetime(2026, 3, 10, 9, 0, tzinfo=LONDON)


def test_earliest_date_keeps_the_booked_time_of_day():
    # A 24 h drug, still taken on the challenge morning at 08:00: ready at Wed 00:00, so Wed 09:00 (not Tue 09:00).
    now = datetime(2026, 3, 9, 8, 0, tzinfo=LONDON)
    conflicts = check(Medication("Famotidine", "h2_blocker"), Medication("Loratadine", "h1_antihistamine"), now=now)
    assert [c.earliest for c in conflicts] == [
        datetime(2026, 3, 11, 9, 0, tzinfo=LONDON),
        datetime(2026, 3, 17, 9, 0, tzinfo=LONDON),
    ]
    assert earliest_for_all(conflicts, START) == datetime(2026, 3, 17, 9, 0, tzinfo=LONDON)
    assert earliest_for_all(check(Medication("Famotidine", "h2_blocker")), START) is None  # still in time


# --- H2 blockers, tricyclic antidepressants, mast-cell stabilisers ---------------------------------------------


def test_h2_blocker_one_day_both_sides():
    med = Medication("Famotidine 20 mg", "h2_blocker")
    assert kinds(check(med)) == [("must_stop", BLOCK, "Famotidine 20 mg")]
    in_time, too_late = boundary(med, 1)
    assert in_time == []
    assert kinds(too_late) == [("stopped_too_late", BLOCK, "Famotidine 20 mg")]


@pytest.mark.parametrize(
    ("med_class", "name"), [("tricyclic_antidepressant", "Doxepin"), ("mast_cell_stabiliser", "Cromolyn")]
)
def test_masking_class_without_a_sourced_time_blocks_for_the_allergist(med_class, name):
    [conflict] = check(Medication(name, med_class, medication_id=4))
    assert (conflict.kind, conflict.severity, conflict.hours, conflict.stop_by) == (
        "no_washout_time",
        BLOCK,
        None,
        None,
    )
    assert conflict.actions == {"stop_confirmed", "overridden"}
    assert "sets no wash-out time" in conflict.message


def test_tricyclic_is_never_stopped_without_the_prescriber():
    [default] = check(Medication("Amitriptyline 10 mg", "tricyclic_antidepressant"))
    assert "Do not stop it without the prescriber's agreement." in default.message
    rules = (*DEFAULT_WASHOUT, WashoutRule("tricyclic_antidepressant", 5 * 24, source="clinic policy"))
    med = Medication("Doxepin", "tricyclic_antidepressant")
    [with_rule] = check(med, rules=rules)
    assert with_rule.kind == "must_stop"
    assert "Do not stop it without the prescriber's agreement." in with_rule.message
    in_time, too_late = boundary(med, 5, rules=rules)
    assert in_time == []
    assert [c.kind for c in too_late] == ["stopped_too_late"]


def test_mast_cell_stabiliser_with_a_protocol_rule_both_sides():
    rules = (*DEFAULT_WASHOUT, WashoutRule("mast_cell_stabiliser", 24))
    med = Medication("Cromolyn sodium (oral)", "mast_cell_stabiliser")
    assert [c.kind for c in check(med, rules=rules)] == ["must_stop"]
    in_time, too_late = boundary(med, 1, rules=rules)
    assert in_time == []
    assert [c.kind for c in too_late] == ["stopped_too_late"]


def test_a_zero_hour_rule_means_keep_taking_it():
    rules = (WashoutRule("mast_cell_stabiliser", 0, note="clinic: continue"),)
    assert check(Medication("Cromolyn", "mast_cell_stabiliser"), rules=rules) == []


# --- montelukast: asthma decides ------------------------------------------------------------------------------


def test_montelukast_without_asthma_is_washed_out_one_day():
    med = Medication("Montelukast 5 mg", "leukotriene_antagonist")
    assert kinds(check(med)) == [("must_stop", BLOCK, "Montelukast 5 mg")]
    in_time, too_late = boundary(med, 1)
    assert in_time == []
    assert [c.kind for c in too_late] == ["stopped_too_late"]


def test_montelukast_in_asthma_is_a_warning_to_continue():
    [conflict] = check(Medication("Montelukast 5 mg", "leukotriene_antagonist"), conditions=["asthma"])
    assert (conflict.kind, conflict.severity) == ("continue_in_asthma", WARN)
    assert "continued as asthma maintenance" in conflict.message
    assert conflict.actions == frozenset()


# --- systemic steroids: never stopped for a challenge ---------------------------------------------------------


def test_steroid_still_taken_is_defer_or_accept_never_a_stop_by_date():
    [conflict] = check(Medication("Prednisolone 5 mg", "systemic_steroid", medication_id=1))
    assert (conflict.kind, conflict.severity, conflict.stop_by) == ("do_not_stop", BLOCK, None)
    assert conflict.actions == {"accept_limitation", "defer"}
    assert "must not be stopped" in conflict.message
    assert "Stop Prednisolone" not in conflict.message


def test_finished_steroid_course_washes_out_three_days():
    in_time, too_late = boundary(Medication("Prednisolone 20 mg", "systemic_steroid"), 3)
    assert in_time == []
    assert [c.kind for c in too_late] == ["stopped_too_late"]


def test_steroid_on_a_home_plan_gives_nothing():
    assert check(Medication("Prednisolone 5 mg", "systemic_steroid"), diagnostic=False) == []
