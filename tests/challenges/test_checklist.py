import pytest

from clinical.checklist import (
    CHECKLIST,
    ITEMS,
    ORGAN_LABELS,
    PROTOCOL_KINDS,
    SEVERITY_LABELS,
    Organ,
    default_item_codes,
)

# The codes other modules depend on, with S/O as the brief and Utrecht (docs/clinical-sources.md §3.2) give them.
EXPECTED_OBJECTIVE = {
    "skin_pruritus": False,
    "skin_urticaria": True,
    "skin_erythema": True,
    "upper_resp_sneezing": True,
    "oral_symptoms": False,
    "lower_resp_wheeze": True,
    "lower_resp_laryngeal": True,
    "gi_subjective": False,
    "gi_vomiting": True,
    "cardio_neuro": True,
    "behaviour_change": False,
    "skin_contact": True,
    "upper_resp_nasal": True,
    "eyes_conjunctival": True,
    "throat_tightness": False,
    "breathlessness": True,
    "tongue_swelling": True,
    "gi_diarrhoea": True,
    "infant_pallor": True,
    "mental_state": True,
    "mcas_flushing": True,
    "mcas_itch": False,
    "mcas_brain_fog": False,
    "mcas_headache": False,
    "mcas_tachycardia": True,
}


def test_catalogue_has_exactly_the_agreed_codes_once_each():
    codes = [item.code for item in CHECKLIST]
    assert sorted(codes) == sorted(EXPECTED_OBJECTIVE)
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize(("code", "objective"), EXPECTED_OBJECTIVE.items())
def test_subjective_or_objective_follows_utrecht(code, objective):
    assert ITEMS[code].objective is objective


def test_items_index_points_at_catalogue_entries():
    assert list(ITEMS.values()) == list(CHECKLIST)


def test_every_item_has_three_distinct_non_empty_anchors():
    for item in CHECKLIST:
        assert len(item.anchors) == 3, item.code
        assert all(anchor.strip() for anchor in item.anchors), item.code
        assert len(set(item.anchors)) == 3, item.code


def test_practall_anchor_wording_is_kept():
    # docs/clinical-sources.md §3.1, PRACTALL column.
    assert ITEMS["skin_pruritus"].anchors[1] == "continuous scratching for >2 min at a time"
    assert ITEMS["skin_erythema"].anchors[2] == "generalised marked erythema (>50 %)"
    assert ITEMS["lower_resp_laryngeal"].anchors[2] == "stridor"
    assert ITEMS["gi_vomiting"].anchors[0] == "1 episode of vomiting or diarrhoea"
    assert ITEMS["cardio_neuro"].anchors[1] == "drop in BP and/or >20 % from baseline"


def test_items_sit_in_their_organ_group():
    assert ITEMS["skin_urticaria"].organ is Organ.SKIN
    assert ITEMS["upper_resp_sneezing"].organ is Organ.UPPER_RESP
    assert ITEMS["lower_resp_wheeze"].organ is Organ.LOWER_RESP
    assert ITEMS["gi_vomiting"].organ is Organ.GI
    assert ITEMS["cardio_neuro"].organ is Organ.CARDIO_NEURO
    assert all(ITEMS[code].organ is Organ.MCAS for code in EXPECTED_OBJECTIVE if code.startswith("mcas_"))


def test_every_organ_has_a_label_and_items():
    assert set(ORGAN_LABELS) == set(Organ)
    assert {item.organ for item in CHECKLIST} == set(Organ)


def test_severity_labels_are_the_practall_scale():
    assert SEVERITY_LABELS == {0: "absent", 1: "mild", 2: "moderate", 3: "severe"}


@pytest.mark.parametrize("kind", PROTOCOL_KINDS)
def test_default_codes_are_known_items_in_catalogue_order(kind):
    codes = default_item_codes(kind)
    assert codes
    assert all(code in ITEMS for code in codes)
    order = [item.code for item in CHECKLIST]
    assert list(codes) == sorted(codes, key=order.index)


@pytest.mark.parametrize("kind", ["open", "single_blind", "dbpcfc"])
def test_ige_challenges_watch_practall_items_but_not_mcas(kind):
    codes = default_item_codes(kind)
    assert {"skin_urticaria", "lower_resp_wheeze", "gi_vomiting", "cardio_neuro", "oral_symptoms"} <= set(codes)
    assert not [code for code in codes if code.startswith("mcas_")]


def test_fpies_watches_vomiting_and_its_minor_criteria():
    codes = set(default_item_codes("fpies"))
    assert {"gi_vomiting", "behaviour_change", "cardio_neuro"} <= codes
    assert "skin_pruritus" not in codes


def test_home_reintroduction_watches_mcas_items():
    codes = default_item_codes("home")
    assert {"mcas_flushing", "mcas_brain_fog", "mcas_tachycardia"} <= set(codes)


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="oit"):
        default_item_codes("oit")


def test_protocol_kinds_match_the_kinds_module():
    from clinical.kinds import KINDS

    assert set(PROTOCOL_KINDS) == set(KINDS)


def test_the_signs_that_tell_anaphylaxis_apart_can_be_recorded_with_their_organ_system():
    assert ITEMS["throat_tightness"].organ is Organ.LOWER_RESP
    assert ITEMS["breathlessness"].organ is Organ.LOWER_RESP
    assert ITEMS["tongue_swelling"].organ is Organ.LOWER_RESP
    assert ITEMS["upper_resp_nasal"].organ is Organ.UPPER_RESP
    assert ITEMS["eyes_conjunctival"].organ is Organ.EYES
    assert ITEMS["gi_diarrhoea"].organ is Organ.GI
    assert ITEMS["infant_pallor"].organ is Organ.CARDIO_NEURO
    assert ITEMS["mental_state"].organ is Organ.CARDIO_NEURO
    assert set(default_item_codes("open")) >= {"throat_tightness", "tongue_swelling", "gi_diarrhoea", "mental_state"}


def test_only_contact_redness_is_contact_only():
    assert [item.code for item in CHECKLIST if item.contact_only] == ["skin_contact"]
