"""The challenge report PDF, read back with pypdf: figures, outcome, grade, signature, pages, corrections."""

from __future__ import annotations

import re
from decimal import Decimal
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from challenges.reports import build_signed_report, challenge_report_pdf, render_snapshot, snapshot_from_dict
from challenges.reports.build_challenge import challenge_report
from challenges.reports.render_challenge import render_challenge_report
from challenges.run import services as runs
from tests.reports import scenarios
from tests.reports.helpers import pages, text


def _pdf(challenge) -> bytes:
    return render_challenge_report(challenge_report(challenge))


def test_failed_challenge_figures(failed):
    body = text(_pdf(failed))
    assert "Zoë Ångström-Nguyễn" in body
    assert "Born Tue 1 May 1990 (36 years) · MRN A-0001" in body
    # Each dose row: dose, step, planned protein and food, eaten or given, protein, time, who gave, prepared and
    # checked it, cumulative protein. Steps 1-4 are mixes of 1 g of peanut flour (522 mg protein): the volume of mix
    # given and the protein it delivered (docs/clinical-sources.md §12), which the cumulative figures count.
    # 1 g in 200 mL is 2.61 mg/mL, in 100 mL 5.22 mg/mL, in 25 mL 20.88 mg/mL; 300 mg is 0.575 g of flour.
    checked = "Sam Lee Prepared by Sam Lee Checked by Amira Okafor"
    for row in (
        f"1 1 3 mg 1.1 mL of mix (0.006 g) 1.1 mL of mix at 2.61 mg/mL 2.87 mg delivered 09:00 {checked} 2.87 mg",
        f"2 2 10 mg 1.9 mL of mix (0.019 g) 1.9 mL of mix at 5.22 mg/mL 9.92 mg delivered 09:30 {checked} 12.8 mg",
        f"3 3 30 mg 1.4 mL of mix (0.057 g) 1.4 mL of mix at 20.9 mg/mL 29.2 mg delivered 10:00 {checked} 42 mg",
        f"4 4 100 mg 4.8 mL of mix (0.192 g) 4.8 mL of mix at 20.9 mg/mL 100.2 mg delivered 10:30 {checked} 142.2 mg",
        f"5 5 300 mg 0.575 g 0.575 g 300 mg 11:00 {checked} 442.2 mg 11:10 Urticaria/angioedema 2 (moderate)",
    ):
        assert row in body
    assert "Diluted doses: the volume of the mix given and the protein it delivered" in body
    assert "Outcome Failed (not tolerated), confirmed by Amira Okafor" in body
    assert "Eliciting dose (discrete) 300 mg (0.575 g), dose 5" in body
    assert "Cumulative protein at reaction 442.2 mg" in body
    assert "Highest tolerated dose (discrete) 100.2 mg" in body
    assert "Highest tolerated dose (cumulative) 142.2 mg" in body
    assert "First symptom 10 min after dose 5 (11:10)" in body
    # Urticaria (skin) with a heart rate up from 88: a measured tachycardia is no WAO organ system, so one system,
    # WAO 1; no adrenaline: z. Hives alone meet no anaphylaxis criterion.
    assert "Reaction grade 1z on WAO 2010 (Cox et al" in body
    assert "Anaphylaxis No (no NIAID/FAAN 2006 or WAO 2020 criterion met)" in body
    assert "Planned doses 3 mg to 3,000 mg protein; cumulative 4,443 mg" in body


def test_failed_challenge_sections(failed):
    body = text(_pdf(failed))
    assert "Indication: Peanut sensitised (SPT 6 mm)" in body
    assert "Protein content 52.2 g protein per 100 g" in body
    assert "Food Peanut flour, defatted (powder)" in body
    assert "CNF 2015" in body
    assert "Protocol PRACTALL 7-step peanut OFC" in body
    assert "Version 1 (standard library)" in body
    assert "Skin mild eczema in the elbow creases" in body
    assert "HR 88/min · BP 120/75 mmHg · RR 16/min · SpO₂ 98 % · 36.8 °C · PEF 400 L/min" in body
    assert "11:10 10 min after dose 5 Urticaria/angioedema 2 (moderate) hives on the trunk" in body
    assert "Objective sign: Urticaria/angioedema" in body
    assert "Stop the challenge Objective urticaria after dose 5" in body
    assert "11:15 15 min after dose 5 Antihistamine Cetirizine 10 mg oral" in body
    assert "Advice Strict avoidance" in body
    assert "New adrenaline prescription Yes" in body
    assert "Stopped 11:13 by Amira Okafor: Objective urticaria after dose 5" in body
    assert "minutes from dose 1" in body  # the vitals chart's axis


def test_unsigned_draft_on_every_page_with_page_numbers(failed):
    texts = pages(_pdf(failed))
    assert len(texts) >= 2
    for number, page in enumerate(texts, start=1):
        assert "UNSIGNED DRAFT" in page
        assert f"Page {number} of {len(texts)}" in page
    assert "Signed by" not in " ".join(texts)


def test_entered_in_error_records_are_struck_through_with_their_reason(failed):
    report = challenge_report(failed)
    wrong = next(row for row in report.observations if row.note == "recorded on the wrong chart")
    assert wrong.in_error
    assert wrong.error_note.startswith("Entered in error by Sam Lee on Thu 26 Nov 2026")
    body = text(render_challenge_report(report))
    assert "recorded on the wrong chart" in body  # kept, not dropped
    assert "Recorded for the wrong patient" in body
    # ... and never counted as a finding at a dose step.
    assert "Nausea/abdominal pain 1 (mild)" not in body.split("Observation timeline")[0]


def test_user_text_is_escaped_not_read_as_markup(patient, practall, nurse, allergist):
    note = "<script>alert('x')</script> & <b>not bold</b>"
    challenge = scenarios.practall_failed_at_dose_5(patient, practall, nurse, allergist, note=note)
    body = text(_pdf(challenge))
    assert "<script>alert('x')</script> & <b>not bold</b>" in body


def test_signed_report_says_who_signed_and_has_no_watermark(signed_failed, allergist):
    assert signed_failed.is_signed
    assert signed_failed.signed_pdf
    texts = pages(bytes(signed_failed.signed_pdf))
    assert all("UNSIGNED DRAFT" not in page for page in texts)
    # Signed once the observation was over: symptoms resolved 11:50, observed 2 h.
    assert f"Signed by {allergist.display_name}, Allergist on Thu 26 Nov 2026 13:" in " ".join(texts)


def test_signed_download_is_the_stored_pdf_and_the_snapshot_rebuilds_it(signed_failed):
    stored = bytes(signed_failed.signed_pdf)
    assert challenge_report_pdf(signed_failed) == stored
    snapshot = snapshot_from_dict(signed_failed.signed_snapshot)
    assert snapshot.signature.signed
    assert render_snapshot(signed_failed.signed_snapshot) == stored  # same snapshot, same bytes


def test_a_signed_report_does_not_change_when_records_change_later(signed_failed):
    before = challenge_report_pdf(signed_failed)
    runs.addendum_add(challenge=signed_failed, by=signed_failed.signed_by, text="Phoned next day: well")
    patient = signed_failed.patient
    patient.family_name = "Married-Name"  # the patient record changes; the signed report keeps what was signed
    patient.save()
    signed_failed.refresh_from_db()
    after = challenge_report_pdf(signed_failed)
    assert after == before
    assert "Ångström-Nguyễn" in text(after)
    assert "Married-Name" not in text(after)


def test_build_signed_report_needs_a_signer(failed):
    with pytest.raises(ValueError, match="signer"):
        build_signed_report(failed)


def test_blinded_challenge_hides_placebo_until_unblinded(patient, dbpcfc, nurse, allergist):
    # Placebo doses 2 and 5 (twins of steps 2 and 3), added to the seven active doses (review X1).
    order = (1, -2, 2, 3, -3, 4, 5, 6, 7)
    challenge = scenarios.practall_passed(patient, dbpcfc, nurse, allergist, blind_order=order)
    blind = text(_pdf(challenge))
    assert "[placebo]" not in blind
    checked = "Sam Lee Prepared by Sam Lee Checked by Amira Okafor"  # the flour mixes are checked by a second person
    assert f"1 1 blinded blinded blinded blinded 09:00 {checked} blinded none 2 2 blinded" in blind
    assert "Dose figures are withheld until the challenge is unblinded." in blind
    runs.blinded_verdict_record(challenge=challenge, by=allergist, reaction=False, after_dose=None)
    runs.challenge_unblind(challenge=challenge, by=allergist)
    unblinded = text(_pdf(challenge))
    assert "7 active doses (every protocol step) plus placebo at dose 2, 5. Blinded verdict: no reaction" in unblinded
    assert unblinded.count("[placebo]") == 2
    # Review O6: a placebo row shows no protein, and the cumulative does not move.
    # The placebo twin of step 2 is made and given as its mix is (1.9 mL), holding no food: 0 mg/mL.
    placebo_row = f"2 2 placebo 1.9 mL of mix (0.019 g) 1.9 mL of mix at 0 mg/mL none (placebo) 09:30 {checked} 2.87 mg"
    assert f"{placebo_row} [placebo]" in unblinded
    # Every active step given, no 10x jump: what the mixes delivered (2.871 + 9.918 + 29.232 + 100.224) + 300 +
    # 1,000 + 3,000 = 4,442.245 mg.
    assert "Highest tolerated dose (cumulative) 4,442.2 mg" in unblinded


def test_long_challenge_paginates_with_headers_on_every_page(long_challenge):
    pdf = _pdf(long_challenge)
    texts = pages(pdf)
    assert len(texts) >= 5
    for number, page in enumerate(texts, start=1):
        assert f"Page {number} of {len(texts)}" in page
        assert "Zoë Ångström-Nguyễn" in page
    with_findings = [page for page in texts if re.search(r"check \d+ after dose \d+", page)]
    assert len(with_findings) >= 3
    for page in with_findings:
        assert "Time After Finding Severity Note Recorded by" in page  # the repeated header row
    # No row is split across pages: every finding's note appears whole, exactly once.
    notes = re.findall(r"check \d+ after dose \d+", " ".join(texts))
    assert len(notes) == 200
    assert len(set(notes)) == 200
    assert "30 30 6,275.9 mg" in " ".join(texts)  # 2 mg × 1.32^29


def test_snapshot_queries_do_not_grow_with_the_challenge(failed, long_challenge):
    with CaptureQueriesContext(connection) as small:
        challenge_report(failed)
    with CaptureQueriesContext(connection) as large:
        challenge_report(long_challenge)
    assert len(large.captured_queries) == len(small.captured_queries)
    # with_report_data's prefetches plus one for everyone the report names, one for the allergy test results.
    # Before (main at 83b82dc): 21, with_run_data joining people to the rows and reading some of them lazily; after
    # (h20snap): 19 (one more when the challenge continues another: selectors.with_continued).
    assert len(large.captured_queries) <= 19


def test_letter_page_size_is_a_clinic_setting(failed):
    failed.clinic.report_page_size = "letter"
    failed.clinic.save()
    reader = PdfReader(BytesIO(_pdf(failed)))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def test_deviations_from_protocol_are_listed(patient, practall, nurse, allergist):
    from challenges.models import StopAlert

    with scenarios.clock_at(scenarios.START) as clock:
        challenge = runs.challenge_schedule(
            patient=patient, protocol=practall, scheduled_at=clock.now, allergist=allergist, nurse=nurse, by=nurse
        )
        answers = {**scenarios.PASSING, "no_illness": False}
        runs.checks_record(
            challenge=challenge, by=nurse, answers=answers, baseline={"taken_at": clock.now, **scenarios.BASELINE}
        )
        runs.checks_override(challenge=challenge, by=allergist, reason="Mild cold, afebrile; parent consents")
        scenarios.give_dose(challenge, nurse, clock.now)
        scenarios.give_dose(challenge, allergist, clock.move(minutes=10), override_reason="Needs to leave early")
        scenarios.give_dose(challenge, nurse, clock.move(minutes=30), mix_volume_ml=Decimal(1))  # of 1.4 mL
        runs.observation_record(
            challenge=challenge, by=nurse, item_code="oral_symptoms", severity=1, observed_at=clock.move(minutes=5)
        )
        runs.observation_record(
            challenge=challenge, by=nurse, item_code="skin_erythema", severity=1, observed_at=clock.move(minutes=1)
        )
        alert = StopAlert.objects.get(challenge=challenge)
        runs.alert_decide(alert=alert, by=allergist, decision="repeat", reason="Doubtful; contact rash")
        scenarios.give_dose(challenge, nurse, clock.move(minutes=30))
    report = challenge_report(challenge)
    assert report.deviations == (
        "Dose 2 given before the wait was over (override): Needs to leave early",
        "Dose 3 partly given: 1 mL of the 1.4 mL of mix planned (20.9 mg of 30 mg protein)",  # 1 mL × 20.88 mg/mL
        "Step 3 repeated as dose 4",
        "Failed items overridden by Amira Okafor: Mild cold, afebrile; parent consents",
    )
    body = text(render_challenge_report(report))
    assert "Not passed: No current illness or fever" in body
    assert "Hold and repeat the same dose Doubtful; contact rash" in body
    assert "[repeat of step 3]" in body
    assert "[partial]" in body
    assert "[early (override)]" in body
    assert "Cumulative protein at reaction" in body


def test_home_report_times_premedication_from_the_first_dose(home_challenge):
    body = text(_pdf(home_challenge))
    assert "Home reintroduction report" in body
    assert "09:30 30 min before dose 1 Premedication Cromolyn sodium (oral) 200 mg oral" in body
    # The dose follows the label's age bands (200 mg from 13 years), taken in water only (P10).
    assert "Planned: Cromolyn sodium (oral) 200 mg, dissolved in water only, oral: 30 min before each dose" in body
    assert (
        "Planned: Cromolyn sodium (oral) 200 mg, dissolved in water only, oral: established regimen (at least 4 "
        "weeks): keep taking the usual dose" in body
    )


def test_a_challenge_entered_in_error_says_so_at_the_top(failed, allergist):
    from clinics.services import clinical_record_mark_entered_in_error

    clinical_record_mark_entered_in_error(record=failed, by=allergist, reason="Booked for the wrong patient")
    first_page = pages(_pdf(failed))[0]
    assert "Status Stopped. Entered in error by Amira Okafor on" in first_page
    assert "Booked for the wrong patient" in first_page


def test_the_signature_prints_the_signers_registration_number(patient, practall, nurse, allergist):
    from tests.reports import scenarios

    allergist.registration_number = "GMC 7654321"
    allergist.save()
    signed = scenarios.practall_failed_at_dose_5(patient, practall, nurse, allergist, sign=True)
    texts = " ".join(pages(bytes(signed.signed_pdf)))
    assert f"Signed by {allergist.display_name}, Allergist (GMC 7654321) on Thu 26 Nov 2026" in texts
