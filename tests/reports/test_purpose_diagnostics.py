"""The challenge report's "Purpose and diagnostics" block (R7), read back with pypdf; the trigger list (R12)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from http import HTTPStatus

from django.urls import reverse

from challenges.reports import challenge_report_pdf
from challenges.reports.build_challenge import challenge_report
from challenges.reports.render_challenge import render_challenge_report
from clinics.services import clinical_record_mark_entered_in_error, clinical_record_save
from patients.models import DiagnosticResult, Trigger
from tests.reports import scenarios
from tests.reports.helpers import text


def _result(patient, by, kind, value, taken_on, allergen="", component=""):
    record = DiagnosticResult(
        patient=patient, kind=kind, allergen=allergen, component=component, value=Decimal(value), taken_on=taken_on
    )
    return clinical_record_save(record=record, by=by)


def _block(pdf_text: str) -> str:
    start = pdf_text.index("Purpose and diagnostics")
    return pdf_text[start : pdf_text.index("Indication and history", start)]


def test_the_report_shows_the_purpose_and_the_results_for_this_food_newest_first(patient, practall, nurse, allergist):
    _result(patient, nurse, "specific_ige", "0.35", date(2025, 3, 2), allergen="Peanut")
    _result(patient, nurse, "specific_ige", "2.1", date(2026, 9, 14), allergen="peanut")
    _result(patient, nurse, "skin_prick", "6", date(2026, 9, 14), allergen="Peanut extract")
    _result(patient, nurse, "component_ige", "1.25", date(2026, 8, 1), component="Ara h 2")
    _result(patient, nurse, "tryptase", "5.4", date(2026, 1, 20))
    _result(patient, nurse, "specific_ige", "9.9", date(2026, 9, 1), allergen="Egg white")  # another food
    wrong = _result(patient, nurse, "specific_ige", "77", date(2026, 9, 2), allergen="Peanut")
    clinical_record_mark_entered_in_error(record=wrong, by=nurse, reason="Another patient's result")
    challenge = scenarios.practall_failed_at_dose_5(patient, practall, nurse, allergist, purpose="threshold")

    block = _block(text(render_challenge_report(challenge_report(challenge))))

    assert "Purpose: Threshold determination" in block
    for line in (
        "2.1 kU/L",
        "Mon 14 Sep 2026",
        "6 mm",
        "Ara h 2",
        "1.25 kU/L",
        "Sat 1 Aug 2026",
        "5.4 ng/mL",
        "Tue 20 Jan 2026",
        "0.35 kU/L",
        "Sun 2 Mar 2025",
    ):
        assert line in block, line
    assert block.index("2.1 kU/L") < block.index("1.25 kU/L") < block.index("5.4 ng/mL") < block.index("0.35 kU/L")
    assert "9.9 kU/L" not in block  # egg: not this food
    assert "77 kU/L" not in block  # entered in error
    assert "baseline tryptase" in block  # the note says which results were chosen


def test_without_results_or_purpose_the_block_says_so(failed):
    block = _block(text(render_challenge_report(challenge_report(failed))))
    assert "Purpose: not recorded" in block
    assert "No allergy test results recorded for this food." in block


def test_the_signed_report_keeps_the_results_as_they_were_at_signing(patient, practall, nurse, allergist):
    _result(patient, nurse, "specific_ige", "2.1", date(2026, 9, 14), allergen="Peanut")
    signed = scenarios.practall_failed_at_dose_5(patient, practall, nurse, allergist, sign=True, purpose="diagnosis")
    _result(patient, nurse, "specific_ige", "3.3", date(2026, 10, 1), allergen="Peanut")
    block = _block(text(challenge_report_pdf(signed)))
    assert "Purpose: Diagnosis" in block
    assert "2.1 kU/L" in block
    assert "3.3 kU/L" not in block


def test_the_trigger_list_links_a_signed_failed_challenge_without_changing_the_trigger(
    client, patient, practall, nurse, allergist
):
    trigger = clinical_record_save(
        record=Trigger(patient=patient, substance="Peanut", notes="Hives 2024 (parent's account)"), by=nurse
    )
    history_before = trigger.history.count()
    signed = scenarios.practall_failed_at_dose_5(patient, practall, nurse, allergist, sign=True)
    client.force_login(nurse)
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    link = page[page.index('data-testid="trigger-challenge"') :].split("</div>")[0]
    assert reverse("challenges:detail", args=[signed.pk]) in link
    assert f"Reacted at challenge on {signed.scheduled_at:%-d %b %Y}: grade {signed.grade}" in link
    trigger.refresh_from_db()
    assert trigger.notes == "Hives 2024 (parent's account)"  # the clinician's text is never rewritten
    assert trigger.history.count() == history_before


def test_a_trigger_entered_in_error_is_shown_struck_through_without_the_link(
    client, patient, practall, nurse, allergist
):
    """As on the patient summary: a reaction beside a trigger marked as a mistake would read as confirming it."""
    trigger = clinical_record_save(record=Trigger(patient=patient, substance="Peanut"), by=nurse)
    scenarios.practall_failed_at_dose_5(patient, practall, nurse, allergist, sign=True)
    clinical_record_mark_entered_in_error(record=trigger, by=nurse, reason="Wrong patient")
    client.force_login(nurse)
    page = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert 'title="Entered in error: Wrong patient"' in page
    assert 'data-testid="trigger-challenge"' not in page


def test_an_unsigned_failed_challenge_is_not_linked_yet(client, patient, nurse, failed):
    clinical_record_save(record=Trigger(patient=patient, substance="peanuts"), by=nurse)
    client.force_login(nurse)
    response = client.get(reverse("patients:detail", args=[patient.pk]))
    assert response.status_code == HTTPStatus.OK
    assert 'data-testid="trigger-challenge"' not in response.content.decode()
