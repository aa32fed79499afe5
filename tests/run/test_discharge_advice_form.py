"""The structured discharge advice through the real outcome form (clinical review R6): prefilled form advice,
nothing ticked by default, refusals with their codes, and the items read back from the challenge report and the
referral summary with pypdf."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from challenges.models import Challenge, Protocol
from challenges.run.forms.ending import OutcomeForm
from clinical.outcome import KEEP_EATING_MAX_LENGTH
from tests.reports import scenarios
from tests.reports.helpers import text

pytestmark = pytest.mark.django_db

PASSED = {
    "outcome": "passed",
    "reason": "All doses tolerated",
    "grade_scale": "wao_2010",
    "grade": "none",
    "advice": "eat_regularly",
    "new_adrenaline_prescription": "no",
}


@pytest.fixture
def egg(patient, library, nurse, allergist) -> Challenge:
    """A hard-boiled egg challenge passed, outcome confirmed, not signed."""
    return scenarios.practall_passed(patient, Protocol.objects.get(name="Hard-boiled egg OFC"), nurse, allergist)


@pytest.fixture
def evening(egg, client, allergist):
    """18:00 on the challenge day, long after the observation ended, the allergist signed in."""
    with scenarios.clock_at(scenarios.START.replace(hour=18)):
        client.force_login(allergist)
        yield


def _post(client, challenge: Challenge, **data: str):
    return client.post(reverse("challenges:outcome", args=[challenge.pk]), {**PASSED, **data})


def _pdf(client, name: str, *args: int) -> str:
    response = client.get(reverse(name, args=args))
    assert response.status_code == HTTPStatus.OK
    return text(b"".join(response.streaming_content) if response.streaming else response.content)


def test_the_form_starts_with_nothing_ticked_and_the_form_advice_prefilled(client, egg, evening):
    page = client.get(reverse("challenges:detail", args=[egg.pk])).content.decode()
    form = page[page.index('name="discharge_rest_of_day"') - 200 :]
    for name in ("discharge_rest_of_day", "discharge_action_plan_given", "discharge_autoinjector_trained"):
        tag = page[page.index(f'name="{name}"') - 120 : page.index(f'name="{name}"') + 120]
        assert "checked" not in tag
    assert "Tolerated: hard-boiled egg" in form[: form.index("</textarea>", form.index('name="discharge_form_advice"'))]


def test_the_recorded_items_are_printed_on_the_report_and_the_referral_summary(client, patient, egg, evening):
    response = _post(
        client,
        egg,
        discharge_rest_of_day="on",
        discharge_keep_eating="one hard-boiled egg at least twice a week",
        discharge_form_advice="Hard-boiled egg only; keep avoiding raw and lightly cooked egg.",
        discharge_action_plan_given="on",
        discharge_autoinjector_trained="on",
        follow_up_on="2027-01-05",
    )
    assert response.status_code == HTTPStatus.FOUND
    egg.refresh_from_db()
    assert egg.discharge_action_plan_given
    assert egg.follow_up_on.isoformat() == "2027-01-05"
    report = _pdf(client, "challenges:report", egg.pk)
    assert "Rest of today avoid exercise and do not eat more egg today" in report
    assert "Keep eating one hard-boiled egg at least twice a week" in report
    assert "Form-specific advice Hard-boiled egg only; keep avoiding raw and lightly cooked egg." in report
    assert "Written action plan given yes" in report
    assert "Auto-injector use trained yes" in report
    assert "Follow-up or re-challenge Tue 5 Jan 2027" in report
    assert "Form tolerated" not in report  # the recorded advice replaces the computed one
    summary = _pdf(client, "challenges:patient-summary", patient.pk)
    assert "Keep eating: one hard-boiled egg at least twice a week" in summary
    assert "Written action plan given: yes" in summary
    assert "Follow-up or re-challenge: Tue 5 Jan 2027" in summary


def test_unticked_items_print_as_not_recorded(client, patient, egg, evening):
    assert _post(client, egg).status_code == HTTPStatus.FOUND
    report = _pdf(client, "challenges:report", egg.pk)
    assert "Written action plan given not recorded" in report
    assert "Auto-injector use trained not recorded" in report
    assert "Follow-up or re-challenge no date recorded" in report
    assert "Rest of today" not in report
    assert "Form tolerated Tolerated: hard-boiled egg" in report  # none recorded: the food's form still says it
    summary = _pdf(client, "challenges:patient-summary", patient.pk)
    assert "not recorded" not in summary  # the referral summary lists only what was recorded


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"outcome": "failed", "advice": "strict_avoidance", "discharge_keep_eating": "a little"}, "cannot go with"),
        ({"outcome": "equivocal", "advice": "rechallenge", "discharge_rest_of_day": "on"}, "after a passed challenge"),
        ({"follow_up_on": "2026-11-01"}, "before the challenge day"),
    ],
)
def test_contradicting_items_are_refused_and_nothing_is_saved(client, egg, evening, data, message):
    response = _post(client, egg, **data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in response.content.decode()
    egg.refresh_from_db()
    assert egg.outcome == "passed"
    assert not egg.discharge_rest_of_day
    assert egg.discharge_keep_eating == ""
    assert egg.follow_up_on is None


def test_the_form_caps_how_much_to_keep_eating():
    base = {**PASSED, "new_adrenaline_prescription": "no"}
    assert OutcomeForm({**base, "discharge_keep_eating": "x" * KEEP_EATING_MAX_LENGTH}).is_valid()
    too_long = OutcomeForm({**base, "discharge_keep_eating": "x" * (KEEP_EATING_MAX_LENGTH + 1)})
    assert not too_long.is_valid()
    assert "discharge_keep_eating" in too_long.errors
