"""The clinician's decisions laid over the medication conflicts, and the refusal of the first dose while one is
open (clinical.washout_decisions)."""

from __future__ import annotations

from datetime import datetime

import pytest

from clinical.washout import Medication
from clinical.washout_decisions import Decision, first_dose_refusal, review
from clinical.washout_rules import WashoutError
from tests.challenges.washout_helpers import LONDON, START, check, days_before_start

# --- decisions laid over the conflicts --------------------------------------------------------------------------

AT = datetime(2026, 3, 8, 10, 0, tzinfo=LONDON)


def _decision(action: str, medication_id: int = 1, **kwargs) -> Decision:
    kwargs.setdefault("reason", "" if action == "stop_confirmed" else "Agreed with the GP")
    return Decision(medication_id=medication_id, action=action, by="Sam Lee", at=AT, **kwargs)


CETIRIZINE = Medication("Cetirizine 10 mg", "h1_antihistamine", medication_id=1)
BISOPROLOL = Medication("Bisoprolol 2.5 mg", "beta_blocker", medication_id=2)
PREDNISOLONE = Medication("Prednisolone 5 mg", "systemic_steroid", medication_id=3)


def test_an_open_masking_conflict_refuses_the_first_dose():
    reviewed = review(check(CETIRIZINE), [], START)
    assert [(r.state, r.status) for r in reviewed] == [("open", "Must be resolved")]
    refusal = first_dose_refusal(reviewed)
    assert refusal.code == "washout_unresolved"


@pytest.mark.parametrize(("days_before", "cleared"), [(8, True), (7, False)])
def test_a_confirmed_stop_date_clears_it_only_if_it_meets_the_wash_out(days_before, cleared):
    decision = _decision("stop_confirmed", stopped_on=days_before_start(days_before))
    [row] = review(check(CETIRIZINE), [decision], START)
    assert row.state == ("cleared" if cleared else "open")
    if cleared:
        assert row.status == "Stop date confirmed"
        assert row.decision_text == "Stop date confirmed by Sam Lee on Sun 8 Mar 2026 10:00: last dose Sun 1 Mar 2026"
        assert first_dose_refusal([row]) is None


def test_an_override_clears_it_and_names_who_and_why():
    [row] = review(check(CETIRIZINE), [_decision("overridden", reason="Chronic urticaria; accept the risk")], START)
    assert (row.state, row.status) == ("cleared", "Overridden")
    assert row.decision_text == "Overridden by Sam Lee on Sun 8 Mar 2026 10:00: Chronic urticaria; accept the risk"


@pytest.mark.parametrize(
    ("action", "state", "code"),
    [("proceed", "cleared", None), ("defer", "held", "medication_deferred"), ("switch", "held", "medication_deferred")],
)
def test_risk_review_decisions(action, state, code):
    reviewed = review(check(BISOPROLOL), [_decision(action, medication_id=2)], START)
    assert reviewed[0].state == state
    refusal = first_dose_refusal(reviewed)
    assert (refusal.code if refusal else None) == code


def test_steroid_decisions_and_the_latest_decision_wins():
    decisions = [_decision("defer", medication_id=3), _decision("accept_limitation", medication_id=3)]
    [row] = review(check(PREDNISOLONE), decisions, START)
    assert (row.state, row.status) == ("cleared", "Accept and document the limitation")
    [row] = review(check(PREDNISOLONE), decisions[::-1], START)
    assert row.state == "held"


def test_a_decision_answers_only_its_own_medication_and_kind():
    decisions = [_decision("proceed", medication_id=1), _decision("overridden", medication_id=2)]
    reviewed = review(check(CETIRIZINE, BISOPROLOL), decisions, START)
    assert [r.state for r in reviewed] == ["open", "open"]
    assert first_dose_refusal(reviewed).code == "washout_unresolved"  # masking is named first
    reviewed = review(check(CETIRIZINE, BISOPROLOL), [_decision("overridden", medication_id=1)], START)
    assert first_dose_refusal(reviewed).code == "medication_review_required"


def test_warnings_need_no_decision():
    reviewed = review(check(Medication("Omeprazole", "ppi"), Medication("Omalizumab", "biologic")), [], START)
    assert [r.state for r in reviewed] == ["warn", "warn"]
    assert first_dose_refusal(reviewed) is None


def test_unknown_decision_is_rejected():
    with pytest.raises(WashoutError) as excinfo:
        _decision("stop_the_drug")
    assert excinfo.value.code == "bad_action"
