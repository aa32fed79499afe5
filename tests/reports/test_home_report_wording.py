"""A home plan's report uses home wording (R10) and multi-day times wrap in their column (R9); read back with
pypdf."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph

from challenges.reports.pdf.flowables import time_cell
from challenges.reports.pdf.style import STYLES
from challenges.run import services as runs
from tests.helpers import START
from tests.reports.helpers import text
from tests.reports.scenarios import clock_at, give_dose

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_home_steps(home_challenge, nurse):
    """Step 1 on Thursday (cromolyn 30 min before), step 2 three days later with its own cromolyn."""
    with clock_at(START + timedelta(days=3)) as clock:
        runs.treatment_record(
            challenge=home_challenge,
            by=nurse,
            kind="premedication",
            drug="Cromolyn sodium (oral)",
            dose="200 mg",
            route="oral",
            given_at=clock.move(minutes=30),
        )
        give_dose(home_challenge, nurse, clock.move(minutes=30))
    return home_challenge


def test_home_report_places_premedication_before_its_own_step_and_sums_no_cumulative(client, allergist, two_home_steps):
    client.force_login(allergist)
    response = client.get(reverse("challenges:report", args=[two_home_steps.pk]))
    assert response.status_code == HTTPStatus.OK
    body = text(response.content)
    assert "30 min before dose 1" in body
    assert "30 min before dose 2" in body  # not "71 h 30 min after dose 1"
    assert "after dose 1 Premedication" not in body
    assert "71 h" not in body
    assert "Watch after each step" in body
    assert "2 days at home (home plan; no clinic observation)" in body
    assert "Observation period" not in body
    assert "0 min after the last dose" not in body
    assert body.count("not summed (home)") == 2
    assert "no cumulative dose is summed" in body


def test_a_date_and_time_wraps_inside_its_narrow_column_and_a_clock_time_stays_plain():
    column = 0.07 * 180 * mm  # the dose table's Time column on A4
    wrapped = time_cell("Fri 27 Nov 2026 09:30")
    width, height = wrapped.wrap(column, 1000)
    assert width <= column
    assert height >= 2 * STYLES["cell"].leading  # it takes more lines rather than running into the next column
    (laid_out,) = wrapped.split(column, 1000)  # the lines it draws, each within the column
    assert isinstance(laid_out, Paragraph)
    assert max(laid_out.getActualLineWidths0()) <= column
    assert time_cell("09:30") == "09:30"


def test_the_report_summarises_risk_factors_and_the_signers_role(client, allergist, patient, signed_failed):
    """R7 (risk factors, from what the record holds) and R13 (the signer's role)."""
    client.force_login(allergist)
    body = text(client.get(reverse("challenges:report", args=[signed_failed.pk])).content)
    assert "Risk factors for a severe reaction:" in body
    assert f"Signed by {allergist.display_name}, Allergist" in body
