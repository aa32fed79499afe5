"""NIAID/FAAN 2006 and WAO 2020 anaphylaxis criteria from checklist grades and vital signs
(docs/clinical-sources.md §4.5): each criterion on both sides of its boundary."""

from __future__ import annotations

import pytest

from clinical.anaphylaxis import NIAID, WAO_2020, ReactionSigns, assess


def names(**kwargs) -> list[str]:
    findings = kwargs.pop("findings", {})
    return [c.name for c in assess(ReactionSigns(findings=findings, **kwargs)).criteria]


def test_nothing_recorded_is_not_anaphylaxis():
    assessment = assess(ReactionSigns(findings={}))
    assert not assessment.met
    assert assessment.summary == ""


def test_hives_alone_are_not_anaphylaxis():
    assert names(findings={"skin_urticaria": 3}) == []


def test_hives_and_wheeze_meet_niaid_1_and_2_and_wao_1_and_2():
    assert names(findings={"skin_urticaria": 2, "lower_resp_wheeze": 1}) == [
        f"{NIAID} criterion 1",
        f"{NIAID} criterion 2",
        f"{WAO_2020} criterion 1",
        f"{WAO_2020} criterion 2",
    ]


def test_throat_clearing_is_not_respiratory_compromise_but_hoarseness_is():
    assert names(findings={"skin_urticaria": 1, "lower_resp_laryngeal": 1}) == []
    assert f"{NIAID} criterion 1" in names(findings={"skin_urticaria": 1, "lower_resp_laryngeal": 2})


def test_skin_and_persistent_vomiting_meet_niaid_2_not_1():
    assert names(findings={"skin_urticaria": 1, "gi_vomiting": 2}) == [
        f"{NIAID} criterion 2",
        f"{WAO_2020} criterion 1",
    ]


def test_a_single_vomit_is_not_persistent():
    assert names(findings={"skin_urticaria": 1, "gi_vomiting": 1}) == []


def test_vomiting_and_wheeze_without_skin_meet_niaid_2():
    assert f"{NIAID} criterion 2" in names(findings={"gi_vomiting": 2, "lower_resp_wheeze": 1})


def test_hypotension_alone_meets_niaid_3_and_wao_2():
    assert names(findings={}, hypotension=True) == [f"{NIAID} criterion 3", f"{WAO_2020} criterion 2"]


def test_a_pef_or_fev1_drop_is_respiratory_compromise():
    assert f"{NIAID} criterion 1" in names(findings={"skin_urticaria": 1}, airflow_drop=True)


def test_hypoxaemia_with_skin_signs_meets_niaid_1():
    assert f"{NIAID} criterion 1" in names(findings={"skin_urticaria": 1}, hypoxaemia=True)


@pytest.mark.parametrize(("grade", "met"), [(1, False), (2, True)])
def test_floppiness_in_an_infant_counts_from_grade_2(grade, met):
    assert (f"{NIAID} criterion 1" in names(findings={"skin_urticaria": 1, "infant_pallor": grade})) is met


def test_tongue_swelling_alone_is_laryngeal_involvement_for_wao_2():
    assert names(findings={"tongue_swelling": 1}) == [f"{WAO_2020} criterion 2"]


def test_contact_redness_is_not_skin_involvement():
    assert names(findings={"skin_contact": 3, "lower_resp_wheeze": 1}) == [f"{WAO_2020} criterion 2"]


def test_summary_names_the_criteria_in_words():
    assessment = assess(ReactionSigns(findings={"skin_urticaria": 2, "gi_vomiting": 2}))
    assert assessment.summary.startswith(
        "NIAID/FAAN 2006 criterion 2 (skin/mucosal and persistent gastrointestinal involvement after the food)"
    )
