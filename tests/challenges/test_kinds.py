"""One set of defaults per protocol kind (clinical.kinds.kind_defaults), used by the editor and the standard library."""

from __future__ import annotations

import pytest

from challenges.models import Protocol
from clinical.checklist import PROTOCOL_KINDS, default_item_codes
from clinical.kinds import KINDS, kind_defaults
from clinical.stop_rules import default_rules
from clinical.washout_rules import DEFAULT_WASHOUT


@pytest.mark.parametrize("kind", PROTOCOL_KINDS)
def test_every_kind_has_defaults(kind):
    defaults = kind_defaults(kind)
    assert defaults.checklist_items == default_item_codes(kind)
    assert defaults.stop_rules == default_rules(kind)


@pytest.mark.parametrize("kind", PROTOCOL_KINDS)
def test_only_a_diagnostic_kind_washes_out(kind):
    # Wash-out keeps a diagnostic result valid; a home reintroduction may give masking drugs on purpose.
    assert kind_defaults(kind).washout_rules == (DEFAULT_WASHOUT if KINDS[kind].diagnostic else ())


def test_home_reintroduction_has_no_wash_out_and_fpies_has_its_rule():
    assert kind_defaults("home").washout_rules == ()
    assert kind_defaults("fpies").stop_rules.fpies_rule is True
    assert kind_defaults("open").stop_rules.fpies_rule is False


def test_as_data_is_what_a_protocol_stores():
    data = kind_defaults("open").as_data()
    assert data["checklist_items"] == default_item_codes("open")
    assert data["stop_rules"] == default_rules("open").to_dict()
    assert [rule["med_class"] for rule in data["washout_rules"]] == [rule.med_class for rule in DEFAULT_WASHOUT]


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="oit"):
        kind_defaults("oit")


def test_the_standard_library_starts_from_the_same_defaults(library):
    protocols = Protocol.objects.filter(clinic=None)
    assert {p.kind for p in protocols} >= {"open", "ladder", "fpies", "home"}
    for protocol in protocols:
        data = kind_defaults(protocol.kind).as_data()
        assert protocol.checklist_items == list(data["checklist_items"]), protocol.name
        assert protocol.stop_rules == data["stop_rules"], protocol.name
        assert protocol.washout_rules == data["washout_rules"], protocol.name
