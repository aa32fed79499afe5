"""The patient summary for a referral letter: foods passed, foods failed with their figures, pending ones."""

from __future__ import annotations

from challenges.reports.build_summary import patient_summary
from challenges.reports.render_summary import render_patient_summary
from challenges.run import services as runs
from tests.reports import scenarios
from tests.reports.helpers import text


def test_summary_groups_every_challenge_with_its_figures(patient, failed, passed_egg, home_challenge):
    body = text(render_patient_summary(patient_summary(patient)))
    passed = body[body.index("Foods passed (tolerated)") : body.index("Foods failed")]
    failed_part = body[body.index("Foods failed (not tolerated)") : body.index("Inconclusive")]
    pending = body[body.index("Pending") : body.index("Not done")]
    assert "Egg, whole, hard-boiled" in passed
    # The hard-boiled egg OFC uses the PRACTALL-5 steps (30 mg = 0.25 g of egg is the smallest weighable dose).
    assert "Highest dose tolerated 3,000 mg (cumulative 4,430 mg)" in passed
    assert "Tolerated: hard-boiled egg" in passed  # and raw or lightly cooked egg stays avoided
    assert "raw and lightly cooked egg" in passed
    assert "Signed by Amira Okafor, Thu 26 Nov 2026" in passed
    assert "Peanut flour, defatted" in failed_part
    # Steps 1-4 were mixes of peanut flour: the figures count the protein the mixes delivered (142.245 mg, not the
    # 143 mg planned); the 100 mg step was 4.8 mL of 20.88 mg/mL, 100.224 mg.
    figures = "Eliciting dose 300 mg (cumulative 442.2 mg); highest tolerated 100.2 mg (cumulative 142.2 mg); grade 1z"
    assert figures in failed_part
    assert "WAO 2010" in failed_part
    assert "Unsigned" in failed_part
    assert "Cheesecake, baked, commercial" in pending
    assert "Dosing" in pending
    assert "Zoë Ångström-Nguyễn" in body
    assert "Page 1 of 1" in body


def test_cancelled_and_entered_in_error_challenges_are_listed_not_dropped(patient, practall, nurse, allergist):
    from clinics.services import clinical_record_mark_entered_in_error

    with scenarios.clock_at(scenarios.START):
        cancelled = runs.challenge_schedule(
            patient=patient, protocol=practall, scheduled_at=scenarios.START, allergist=allergist, nurse=nurse, by=nurse
        )
        runs.challenge_cancel(challenge=cancelled, by=nurse, reason="Patient unwell on the day")
        wrong = runs.challenge_schedule(
            patient=patient, protocol=practall, scheduled_at=scenarios.START, allergist=allergist, nurse=nurse, by=nurse
        )
        clinical_record_mark_entered_in_error(record=wrong, by=allergist, reason="Booked for the wrong patient")
    body = text(render_patient_summary(patient_summary(patient)))
    assert "Cancelled Patient unwell on the day" in body
    assert "Entered in error by Amira Okafor" in body
    assert "Booked for the wrong patient" in body
